// The kubelet's reading of a containerLogs query: upstream's PodLogOptions decoding and validation, then the
// reader options (sinceSeconds and sinceTime become one instant, the later of the two, as upstream's
// NewLogOptions does).
import { errorString } from '../api/field.js';
import { decodePodLogOptions, validatePodLogOptions } from '../api/podlogoptions.js';
import { isK8tsError } from '../errors.js';
import type { CriLogOptions } from './crilog.js';

export class LogQueryError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface LogQuery {
  previous: boolean;
  options: CriLogOptions;
}

export function parseLogQuery(q: URLSearchParams, nowMs: number): LogQuery {
  const query = new URLSearchParams(q);
  // Upstream's kubelet still honours the old `tail` parameter; "all" means no limit.
  const tail = query.get('tail');
  if (tail) {
    if (tail === 'all') query.delete('tailLines');
    else query.set('tailLines', tail);
  }
  let o: ReturnType<typeof decodePodLogOptions>;
  try {
    o = decodePodLogOptions(query);
  } catch (err) {
    if (isK8tsError(err)) throw new LogQueryError(400, `unable to decode query: ${err.message}`);
    throw err;
  }
  const errs = validatePodLogOptions(o);
  if (errs.length > 0) throw new LogQueryError(422, `invalid request: ${errs.map(errorString).join(', ')}`);
  const options: CriLogOptions = { follow: o.follow, timestamps: o.timestamps };
  if (o.tailLines !== undefined) options.tailLines = o.tailLines;
  if (o.limitBytes !== undefined) options.limitBytes = o.limitBytes;
  let since: number | undefined;
  if (o.sinceSeconds !== undefined) since = nowMs - o.sinceSeconds * 1000;
  if (o.sinceTime !== undefined) {
    const t = Date.parse(o.sinceTime);
    if (since === undefined || t > since) since = t;
  }
  if (since !== undefined) options.sinceMs = since;
  return { previous: o.previous, options };
}
