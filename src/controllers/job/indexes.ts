// status.completedIndexes as upstream writes it: sorted, consecutive runs as `first-last` ("0-2,4,6-7").

/** Parses "1,3-5" into [1, 3, 4, 5]; malformed parts are skipped. */
export function parseIndexes(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map((x) => Number.parseInt(x, 10));
    if (!Number.isInteger(a)) continue;
    const end = Number.isInteger(b) ? b : a;
    for (let i = a; i <= end; i++) out.push(i);
  }
  return out;
}

export function formatIndexes(indexes: number[]): string {
  const sorted = [...new Set(indexes)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(',');
}
