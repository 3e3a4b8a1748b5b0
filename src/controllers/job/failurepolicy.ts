// spec.podFailurePolicy as upstream evaluates it: rules in order, the first one whose onExitCodes or
// onPodConditions requirement matches a failed pod decides. FailJob fails the Job (with a message naming
// the container or condition), Ignore keeps the failure out of status.failed and backoffLimit, Count is
// the default handling, FailIndex marks the pod's index failed (with backoffLimitPerIndex). Unknown
// actions are skipped, as clients are told to.
type Obj = Record<string, any>;

export type FailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PolicyMatch {
  /** Present when a FailJob rule matched: the Job's failure message. */
  failJobMessage?: string;
  /** Whether the failure counts towards backoffLimit (false only for Ignore). */
  countFailed: boolean;
  action?: FailureAction;
}

const NO_MATCH: PolicyMatch = { countFailed: true };

function exitCodeMatches(code: number, req: Obj): boolean {
  const values: number[] = req.values ?? [];
  if (req.operator === 'In') return values.includes(code);
  if (req.operator === 'NotIn') return !values.includes(code);
  return false;
}

/** The first terminated container (app containers, then init) with a non-zero exit code that matches. */
function matchingContainer(status: Obj, req: Obj): Obj | undefined {
  for (const list of [status.containerStatuses, status.initContainerStatuses]) {
    for (const cs of list ?? []) {
      const t = cs.state?.terminated;
      if (!t) continue; // still terminating: no exit code yet
      if (req.containerName != null && req.containerName !== cs.name) continue;
      if (t.exitCode !== 0 && exitCodeMatches(t.exitCode, req)) return cs;
    }
  }
  return undefined;
}

function matchingCondition(status: Obj, patterns: Obj[]): Obj | undefined {
  for (const c of status.conditions ?? []) {
    for (const p of patterns) if (c.type === p.type && c.status === (p.status ?? 'True')) return c;
  }
  return undefined;
}

export function matchPodFailurePolicy(policy: Obj | undefined, pod: Obj, perIndex: boolean): PolicyMatch {
  if (!policy) return NO_MATCH;
  const status = pod.status ?? {};
  const where = `${pod.metadata.namespace}/${pod.metadata.name}`;
  const rules: Obj[] = policy.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    let failMessage: string | undefined;
    if (rule.onExitCodes) {
      const cs = matchingContainer(status, rule.onExitCodes);
      if (!cs) continue;
      failMessage = `Container ${cs.name} for pod ${where} failed with exit code ${cs.state.terminated.exitCode} matching ${rule.action} rule at index ${i}`;
    } else if (rule.onPodConditions) {
      const c = matchingCondition(status, rule.onPodConditions);
      if (!c) continue;
      failMessage = `Pod ${where} has condition ${c.type} matching ${rule.action} rule at index ${i}`;
    } else continue;
    switch (rule.action) {
      case 'Ignore':
        return { countFailed: false, action: 'Ignore' };
      case 'Count':
        return { countFailed: true, action: 'Count' };
      case 'FailJob':
        return { failJobMessage: failMessage, countFailed: true, action: 'FailJob' };
      case 'FailIndex':
        if (perIndex) return { countFailed: true, action: 'FailIndex' };
        break; // without backoffLimitPerIndex the rule does not apply
      default:
        break; // an action this version does not know: skip the rule
    }
  }
  return NO_MATCH;
}
