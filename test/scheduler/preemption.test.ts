// DefaultPreemption through the framework: which node and which victims, PDBs, preemptionPolicy Never,
// nominated pods reserving room, and the FailedScheduling message's preemption part.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Framework, fitErrorMessage } from '../../src/scheduler/framework.js';
import { Nominator } from '../../src/scheduler/nominator.js';
import {
  type Candidate,
  numCandidates,
  pickOneNode,
  splitByPDBViolation,
} from '../../src/scheduler/plugins/default-preemption.js';
import { newPodInfo } from '../../src/scheduler/resources.js';
import type { Obj, Pod } from '../../src/scheduler/types.js';
import { makeNode, makePod, nodeInfos } from './fixtures.js';

/** A pod bound to `node` with `cpu`, `priority` and optional labels / start time. */
function running(
  name: string,
  node: string,
  cpu: string,
  priority: number,
  extra: { labels?: Record<string, string>; started?: string; affinity?: any; deleting?: boolean } = {},
): Pod {
  const pod = makePod(name, { cpu, nodeName: node, priority, affinity: extra.affinity });
  if (extra.labels) pod.metadata.labels = extra.labels;
  pod.status = { phase: 'Running', startTime: extra.started ?? '2025-01-01T00:00:00Z' };
  if (extra.deleting) {
    pod.metadata.deletionTimestamp = '2025-01-01T00:10:00Z';
    pod.status.conditions = [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }];
  }
  return pod;
}

function pdb(name: string, labels: Record<string, string>, allowed: number): Obj {
  return {
    metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: labels } },
    status: { disruptionsAllowed: allowed },
  };
}

interface Case {
  name: string;
  nodes: Obj[];
  pods: Pod[];
  preemptor: Pod;
  pdbs?: Obj[];
  /** Expected nominated node and victims (names), or the expected failure message. */
  node?: string;
  victims?: string[];
  message?: string;
}

const two = () => [makeNode('a', { cpu: '2' }), makeNode('b', { cpu: '2' })];

const cases: Case[] = [
  {
    name: 'fewer victims win over more of the same priority',
    nodes: two(),
    pods: [running('a-big', 'a', '2', 0), running('b-1', 'b', '1', 0), running('b-2', 'b', '1', 0)],
    preemptor: makePod('p', { cpu: '2', priority: 100 }),
    node: 'a',
    victims: ['a-big'],
  },
  {
    name: 'the node whose highest victim priority is lowest wins',
    nodes: two(),
    pods: [running('a-10', 'a', '2', 10), running('b-1', 'b', '1', 5), running('b-2', 'b', '1', 5)],
    preemptor: makePod('p', { cpu: '2', priority: 100 }),
    node: 'b',
    victims: ['b-1', 'b-2'],
  },
  {
    name: 'victims are reprieved most important first; only what is needed goes',
    nodes: [makeNode('a', { cpu: '4' })],
    pods: [running('low-1', 'a', '1', 1), running('low-2', 'a', '1', 2), running('low-3', 'a', '2', 3)],
    preemptor: makePod('p', { cpu: '2', priority: 100 }),
    node: 'a',
    victims: ['low-2', 'low-1'],
  },
  {
    name: 'equal priority: the later-started victim of the same priority is chosen',
    nodes: [makeNode('a', { cpu: '2' })],
    pods: [
      running('old', 'a', '1', 0, { started: '2025-01-01T00:00:00Z' }),
      running('new', 'a', '1', 0, { started: '2025-01-02T00:00:00Z' }),
    ],
    preemptor: makePod('p', { cpu: '1', priority: 100 }),
    node: 'a',
    victims: ['new'],
  },
  {
    name: 'a node whose victim a PodDisruptionBudget protects loses to one without violation',
    nodes: two(),
    pods: [running('a-db', 'a', '2', 0, { labels: { app: 'db' } }), running('b-web', 'b', '2', 5)],
    pdbs: [pdb('db', { app: 'db' }, 0)],
    preemptor: makePod('p', { cpu: '2', priority: 100 }),
    node: 'b',
    victims: ['b-web'],
  },
  {
    name: 'a budget is violated when nothing else helps',
    nodes: [makeNode('a', { cpu: '2' })],
    pods: [running('a-db', 'a', '2', 0, { labels: { app: 'db' } })],
    pdbs: [pdb('db', { app: 'db' }, 0)],
    preemptor: makePod('p', { cpu: '2', priority: 100 }),
    node: 'a',
    victims: ['a-db'],
  },
  {
    name: 'an existing pod anti-affinity to the preemptor is removed with its pod',
    nodes: [makeNode('a', { cpu: '4' })],
    pods: [
      running('hater', 'a', '100m', 0, {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'p' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
      }),
      running('bystander', 'a', '100m', 0),
    ],
    preemptor: {
      ...makePod('p', { cpu: '100m', priority: 100 }),
      metadata: { name: 'p', namespace: 'default', labels: { app: 'p' } },
    },
    node: 'a',
    victims: ['hater'],
  },
  {
    name: 'preemptionPolicy Never does not preempt',
    nodes: [makeNode('a', { cpu: '2' })],
    pods: [running('low', 'a', '2', 0)],
    preemptor: (() => {
      const p = makePod('p', { cpu: '2', priority: 100 });
      p.spec.preemptionPolicy = 'Never';
      return p;
    })(),
    message:
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
  },
  {
    name: 'no lower-priority pods, and an untolerated taint',
    nodes: [
      makeNode('a', { cpu: '2' }),
      makeNode('t', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }),
    ],
    pods: [running('same', 'a', '2', 100)],
    preemptor: makePod('p', { cpu: '2', priority: 100 }),
    message:
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}. ' +
      'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, ' +
      '1 Preemption is not helpful for scheduling.',
  },
  {
    name: 'evicting every lower-priority pod is still not enough',
    nodes: [makeNode('a', { cpu: '2' })],
    pods: [running('high', 'a', '1500m', 500), running('low', 'a', '500m', 0)],
    preemptor: makePod('p', { cpu: '1', priority: 100 }),
    message:
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.',
  },
  {
    name: 'victims of an earlier preemption are still terminating on the nominated node',
    nodes: [makeNode('a', { cpu: '2' })],
    pods: [running('going', 'a', '2', 0, { deleting: true })],
    preemptor: (() => {
      const p = makePod('p', { cpu: '2', priority: 100 });
      p.status = { nominatedNodeName: 'a' };
      return p;
    })(),
    message:
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node.',
  },
];

describe('DefaultPreemption', () => {
  for (const c of cases) {
    it(c.name, () => {
      const fw = new Framework({ random: () => 0, pdbs: () => c.pdbs ?? [] });
      const r = fw.schedule(c.preemptor, nodeInfos(c.nodes, c.pods));
      assert.ok(!r.ok && !r.error, JSON.stringify(r));
      if (c.message) {
        assert.notEqual(r.postFilter?.status.code, 'Success');
        assert.equal(fitErrorMessage(r.diagnosis), c.message);
        return;
      }
      assert.equal(r.postFilter?.status.code, 'Success', fitErrorMessage(r.diagnosis));
      assert.equal(r.postFilter?.nominatedNodeName, c.node);
      assert.deepEqual(
        r.postFilter?.victims?.map((v) => v.metadata.name),
        c.victims,
      );
      // A successful preemption adds nothing to the message (upstream's success has no message).
      assert.ok(!fitErrorMessage(r.diagnosis).includes('preemption:'));
    });
  }

  it('nominated pods of equal or higher priority hold their room; lower ones do not', () => {
    const nominator = new Nominator();
    const fw = new Framework({ random: () => 0, nominator });
    const nodes = nodeInfos([makeNode('a', { cpu: '2' })]);
    nominator.add(newPodInfo(makePod('nominated', { cpu: '2', priority: 100 })), 'a');

    const lower = fw.schedule(makePod('lower', { cpu: '1', priority: 50 }), nodes);
    assert.ok(!lower.ok && !lower.error);
    assert.match(fitErrorMessage(lower.diagnosis), /^0\/1 nodes are available: 1 Insufficient cpu\./);
    const higher = fw.schedule(makePod('higher', { cpu: '1', priority: 150 }), nodes);
    assert.ok(higher.ok);
    // The nominated pod itself fits on its node, which it tries first.
    const self = fw.schedule(makePod('nominated', { cpu: '2', priority: 100 }), nodes);
    assert.ok(self.ok && self.nodeName === 'a' && self.evaluatedNodes === 1);
  });

  it('without DefaultPreemption in the profile the message has no preemption part', () => {
    const fw = new Framework({
      profile: { schedulerName: 'x', plugins: [{ name: 'NodeResourcesFit' }] },
    });
    const r = fw.schedule(makePod('p', { cpu: '8' }), nodeInfos([makeNode('a')]));
    assert.ok(!r.ok && !r.error);
    assert.equal(fitErrorMessage(r.diagnosis), '0/1 nodes are available: 1 Insufficient cpu.');
  });
});

describe('preemption helpers', () => {
  const victim = (name: string, priority: number, started = '2025-01-01T00:00:00Z') =>
    newPodInfo(running(name, 'n', '1', priority, { started }));
  const cand = (nodeName: string, victims: ReturnType<typeof victim>[], numPDBViolations = 0): Candidate => ({
    nodeName,
    victims,
    numPDBViolations,
  });

  it('pickOneNode applies upstream criteria in order', () => {
    const table: { name: string; candidates: Candidate[]; want: string }[] = [
      {
        name: 'fewest PDB violations',
        candidates: [cand('a', [victim('x', 0)], 1), cand('b', [victim('y', 9)], 0)],
        want: 'b',
      },
      {
        name: 'lowest highest priority',
        candidates: [cand('a', [victim('x', 9)]), cand('b', [victim('y', 5), victim('z', 5)])],
        want: 'b',
      },
      {
        name: 'lowest priority sum',
        candidates: [
          cand('a', [victim('x', 5), victim('y', 4)]),
          cand('b', [victim('z', 5), victim('w', 1)]),
        ],
        want: 'b',
      },
      {
        name: 'fewest victims',
        candidates: [cand('a', [victim('x', 5), victim('y', 5)]), cand('b', [victim('z', 5)])],
        want: 'b',
      },
      {
        name: 'latest start of the top victims',
        candidates: [
          cand('a', [victim('x', 5, '2025-01-01T00:00:00Z')]),
          cand('b', [victim('y', 5, '2025-03-01T00:00:00Z')]),
        ],
        want: 'b',
      },
      {
        name: 'a node needing no victims',
        candidates: [cand('a', [victim('x', 0)]), cand('b', [])],
        want: 'b',
      },
    ];
    for (const t of table) assert.equal(pickOneNode(t.candidates)?.nodeName, t.want, t.name);
    assert.equal(pickOneNode([]), undefined);
  });

  it('splitByPDBViolation consumes each budget once per pod and skips pods already disrupted', () => {
    const withLabels = (name: string) => newPodInfo(running(name, 'n', '1', 0, { labels: { app: 'db' } }));
    const budget = pdb('db', { app: 'db' }, 1);
    const [violating, ok] = splitByPDBViolation(
      [withLabels('d1'), withLabels('d2'), withLabels('d3')],
      [budget],
    );
    assert.deepEqual(
      violating.map((p) => p.pod.metadata.name),
      ['d2', 'd3'],
    );
    assert.deepEqual(
      ok.map((p) => p.pod.metadata.name),
      ['d1'],
    );
    budget.status.disruptedPods = { d1: '2025-01-01T00:00:00Z' };
    const [v2] = splitByPDBViolation([withLabels('d1'), withLabels('d2'), withLabels('d3')], [budget]);
    assert.deepEqual(
      v2.map((p) => p.pod.metadata.name),
      ['d3'],
    );
    // Empty selectors match nothing.
    const [v3] = splitByPDBViolation([withLabels('d1')], [{ ...budget, spec: { selector: {} } }]);
    assert.equal(v3.length, 0);
  });

  it('numCandidates: 10% of nodes, at least 100, at most all', () => {
    for (const [n, want] of [
      [50, 50],
      [500, 100],
      [5000, 500],
    ])
      assert.equal(numCandidates(n, 10, 100), want);
  });
});
