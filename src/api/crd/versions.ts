// Upstream's version priority for API versions (version.CompareKubeAwareVersionStrings): GA before
// beta before alpha, higher numbers first, then everything not kube-like in alphabetical order.

interface Parsed {
  major: number;
  stage: number; // 2 GA, 1 beta, 0 alpha
  minor: number;
}

function parse(v: string): Parsed | undefined {
  const m = v.match(/^v(\d+)(?:(alpha|beta)(\d+))?$/);
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    stage: m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0,
    minor: m[3] === undefined ? 0 : Number(m[3]),
  };
}

/** Negative when `a` has the higher priority (sorts first). */
export function compareVersionPriority(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) {
    if (pa.stage !== pb.stage) return pb.stage - pa.stage;
    if (pa.major !== pb.major) return pb.major - pa.major;
    return pb.minor - pa.minor;
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
