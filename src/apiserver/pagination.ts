// Continue tokens: the revision of the first page and the last key returned, so later pages read the
// same snapshot. Opaque to clients (base64 JSON), as upstream's.
import { K8tsError } from '../errors.js';

interface Token {
  v: string;
  rv: number;
  start: string;
}

export function encodeContinue(rv: number, lastKey: string): string {
  const t: Token = { v: 'meta.k8s.io/v1', rv, start: lastKey };
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

export function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Token;
    if (t.v === 'meta.k8s.io/v1' && Number.isSafeInteger(t.rv) && t.rv > 0 && typeof t.start === 'string') {
      return { rv: t.rv, start: t.start };
    }
  } catch {
    // fall through
  }
  throw new K8tsError('BadRequest', 'continue key is not valid: the continue token is malformed');
}
