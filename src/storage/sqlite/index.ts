export {
  DEFAULT_DB_FILE,
  openSqliteBackend,
  SqliteBackend,
  type SqliteBackendOptions,
} from './sqlite-backend.js';
