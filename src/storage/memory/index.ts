export { type MemoryBackendOptions, openMemoryBackend } from './memory-backend.js';
