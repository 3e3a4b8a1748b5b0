import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openSqliteBackend } from '../../src/storage/sqlite/index.js';
import { runConformance } from './conformance.js';

const root = mkdtempSync(join(tmpdir(), 'k8ts-sqlite-conformance-'));
let n = 0;
after(() => rmSync(root, { recursive: true, force: true }));

runConformance('sqlite', () => openSqliteBackend({ dataDir: join(root, `db${n++}`), compactWindowMs: 0 }));
