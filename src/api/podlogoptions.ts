// PodLogOptions (core/v1) as query parameters: decoding as upstream's parameter codec does, validation as
// upstream's ValidatePodLogOptions, and the query the API server sends on to the kubelet.
import { K8tsError } from '../errors.js';
import { forbidden, invalid } from './field.js';
import type { FieldError } from './types.js';
import { IsNegativeErrorMsg } from './validation.js';

export interface PodLogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  sinceSeconds?: number;
  /** RFC3339, seconds precision (metav1.Time). */
  sinceTime?: string;
  tailLines?: number;
  limitBytes?: number;
  insecureSkipTLSVerifyBackend: boolean;
}

/** Go's query-parameter bool: absent, "false", "f" or "0" are false; anything else true. */
function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  return !['false', 'f', '0'].includes(v.toLowerCase());
}

function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new K8tsError(
      'BadRequest',
      `${name}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`,
    );
  }
  return Number(v);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Renders an instant as metav1.Time does in a query: RFC3339 in UTC, whole seconds. */
export function formatRFC3339(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Decodes the query of `GET .../pods/NAME/log`; malformed values are a 400 as upstream's codec makes them. */
export function decodePodLogOptions(q: URLSearchParams): PodLogOptions {
  const opts: PodLogOptions = {
    follow: bool(q, 'follow'),
    previous: bool(q, 'previous'),
    timestamps: bool(q, 'timestamps'),
    insecureSkipTLSVerifyBackend: bool(q, 'insecureSkipTLSVerifyBackend'),
  };
  const container = q.get('container');
  if (container) opts.container = container;
  opts.sinceSeconds = int(q, 'sinceSeconds');
  opts.tailLines = int(q, 'tailLines');
  opts.limitBytes = int(q, 'limitBytes');
  const sinceTime = q.get('sinceTime');
  if (sinceTime !== null && sinceTime !== '') {
    const ms = RFC3339.test(sinceTime) ? Date.parse(sinceTime) : Number.NaN;
    if (Number.isNaN(ms)) {
      throw new K8tsError(
        'BadRequest',
        `sinceTime: parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse`,
      );
    }
    opts.sinceTime = formatRFC3339(ms);
  }
  for (const k of ['sinceSeconds', 'tailLines', 'limitBytes'] as const) {
    if (opts[k] === undefined) delete opts[k];
  }
  return opts;
}

/** Upstream's ValidatePodLogOptions. */
export function validatePodLogOptions(o: PodLogOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (o.tailLines !== undefined && o.tailLines < 0)
    errs.push(invalid('tailLines', o.tailLines, IsNegativeErrorMsg));
  if (o.limitBytes !== undefined && o.limitBytes < 1) {
    errs.push(invalid('limitBytes', o.limitBytes, 'must be greater than 0'));
  }
  if (o.sinceSeconds !== undefined && o.sinceTime !== undefined) {
    errs.push(forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  } else if (o.sinceSeconds !== undefined && o.sinceSeconds < 1) {
    errs.push(invalid('sinceSeconds', o.sinceSeconds, 'must be greater than 0'));
  }
  return errs;
}

/** The kubelet query for these options, as upstream's LogLocation builds it (the container is in the path). */
export function kubeletLogQuery(o: PodLogOptions): URLSearchParams {
  const p = new URLSearchParams();
  if (o.follow) p.set('follow', 'true');
  if (o.previous) p.set('previous', 'true');
  if (o.timestamps) p.set('timestamps', 'true');
  if (o.sinceSeconds !== undefined) p.set('sinceSeconds', String(o.sinceSeconds));
  if (o.sinceTime !== undefined) p.set('sinceTime', o.sinceTime);
  if (o.tailLines !== undefined) p.set('tailLines', String(o.tailLines));
  if (o.limitBytes !== undefined) p.set('limitBytes', String(o.limitBytes));
  return p;
}
