import { openMemoryBackend } from '../../src/storage/memory/index.js';
import { runConformance } from './conformance.js';

runConformance('memory', () => openMemoryBackend());
