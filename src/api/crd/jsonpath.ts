// The simple JSONPath of additionalPrinterColumns (`.spec.replicas`, `.items[0].name`,
// `.status.conditions[?(@.type=="Ready")].status`): the first match, or undefined.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; i: number }
  | { kind: 'filter'; path: string[]; value: string };

const cache = new Map<string, Step[] | null>();

function parse(path: string): Step[] | null {
  const steps: Step[] = [];
  let i = 0;
  const s = path.trim().replace(/^\{(.*)\}$/, '$1');
  while (i < s.length) {
    if (s[i] === '.') {
      i++;
      let j = i;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      if (j > i) steps.push({ kind: 'field', name: s.slice(i, j) });
      i = j;
    } else if (s[i] === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) return null;
      const inner = s.slice(i + 1, end);
      const filter = inner.match(/^\?\(@((?:\.[\w-]+)+)\s*==\s*(?:"([^"]*)"|'([^']*)'|([\w.-]+))\)$/);
      if (filter) {
        steps.push({
          kind: 'filter',
          path: filter[1].slice(1).split('.'),
          value: filter[2] ?? filter[3] ?? filter[4],
        });
      } else if (/^\d+$/.test(inner)) steps.push({ kind: 'index', i: Number(inner) });
      else if (/^'[^']*'$|^"[^"]*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else return null;
      i = end + 1;
    } else return null;
  }
  return steps;
}

function dig(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path)
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
}

/** True when the path is one this evaluator understands. */
export function isSimpleJsonPath(path: string): boolean {
  return parse(path) !== null;
}

export function evalJsonPath(obj: unknown, path: string): unknown {
  let steps = cache.get(path);
  if (steps === undefined) {
    steps = parse(path);
    cache.set(path, steps);
  }
  if (!steps) return undefined;
  let cur: unknown = obj;
  for (const step of steps) {
    if (cur === undefined || cur === null) return undefined;
    if (step.kind === 'field')
      cur = typeof cur === 'object' ? (cur as Record<string, unknown>)[step.name] : undefined;
    else if (step.kind === 'index') cur = Array.isArray(cur) ? cur[step.i] : undefined;
    else cur = Array.isArray(cur) ? cur.find((x) => String(dig(x, step.path)) === step.value) : undefined;
  }
  return cur;
}
