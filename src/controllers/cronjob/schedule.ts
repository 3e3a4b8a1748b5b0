// Schedule times for a CronJob: croner on the five-field spec (descriptors mapped, `TZ=`/`CRON_TZ=` prefix
// or spec.timeZone honoured, UTC otherwise), answering the most recent missed time and the next one.
import { Cron } from 'croner';

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
/** Upstream gives up counting missed schedules past this many and reports it. */
export const MAX_MISSED = 100;

export interface Schedule {
  /** The first schedule time strictly after `ms`, or undefined. */
  next(ms: number): number | undefined;
}

export function parseSchedule(spec: string, timeZone?: string): Schedule {
  let s = spec.trim();
  let tz = timeZone || 'UTC';
  const m = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(s);
  if (m) {
    tz = m[1];
    s = m[2];
  }
  s = DESCRIPTORS[s] ?? s.replaceAll('?', '*');
  const cron = new Cron(s, { paused: true, timezone: tz, legacyMode: true });
  return {
    next(ms) {
      const d = cron.nextRun(new Date(ms));
      return d ? d.getTime() : undefined;
    },
  };
}

/** The latest schedule time in (earliestMs, nowMs] and how many were missed in that window (capped). */
export function mostRecentSchedule(
  sched: Schedule,
  earliestMs: number,
  nowMs: number,
): { time?: number; missed: number } {
  let t = sched.next(earliestMs);
  let time: number | undefined;
  let missed = 0;
  while (t !== undefined && t <= nowMs) {
    time = t;
    missed++;
    if (missed > MAX_MISSED) {
      // Too many to walk one by one: look for the latest in growing windows before now.
      for (const w of [3_600_000, 86_400_000, 32 * 86_400_000, 366 * 86_400_000]) {
        let latest: number | undefined;
        for (
          let u = sched.next(Math.max(earliestMs, nowMs - w));
          u !== undefined && u <= nowMs;
          u = sched.next(u)
        )
          latest = u;
        if (latest !== undefined) {
          time = latest;
          break;
        }
      }
      break;
    }
    t = sched.next(t);
  }
  return { time, missed };
}
