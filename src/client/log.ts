// A minimal structured logger for the client layer; components pass their own, tests pass silentLogger.

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function fmt(msg: string, fields?: Record<string, unknown>): string {
  if (!fields) return msg;
  const parts = Object.entries(fields).map(
    ([k, v]) => `${k}=${v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  return `${msg} ${parts.join(' ')}`;
}

/** Warnings and errors to stderr; info is dropped unless K8TS_CLIENT_VERBOSE is set. */
export const consoleLogger: Logger = {
  info: (msg, fields) => {
    if (process.env.K8TS_CLIENT_VERBOSE) console.error(`I ${fmt(msg, fields)}`);
  },
  warn: (msg, fields) => console.error(`W ${fmt(msg, fields)}`),
  error: (msg, fields) => console.error(`E ${fmt(msg, fields)}`),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
