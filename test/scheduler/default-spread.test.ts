// PodTopologySpread's default constraints (upstream's System defaulting) and the selector they use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSelector, type WorkloadListers } from '../../src/scheduler/default-selector.js';
import { podTopologySpread } from '../../src/scheduler/plugins/pod-topology-spread.js';
import { newPodInfo } from '../../src/scheduler/resources.js';
import type { NodeInfo, Obj, Pod } from '../../src/scheduler/types.js';
import { makeNode, makePod, nodeInfos } from './fixtures.js';

function pod(name: string, labels: Record<string, string>, extra: Obj = {}): Pod {
  const p = makePod(name, { nodeName: extra.nodeName });
  p.metadata.labels = labels;
  if (extra.owner) p.metadata.ownerReferences = [{ controller: true, ...extra.owner }];
  return p;
}

const listers = (objs: { services?: Obj[]; controllers?: Record<string, Obj> }): WorkloadListers => ({
  services: (ns) => (objs.services ?? []).filter((s) => s.metadata.namespace === ns),
  get: (kind, ns, name) => objs.controllers?.[`${kind}/${ns}/${name}`],
});

describe('defaultSelector', () => {
  const rsOwner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1' };
  const table: { name: string; pod: Pod; l: WorkloadListers; want: Obj | undefined }[] = [
    { name: 'nothing selects the pod', pod: pod('p', { app: 'web' }), l: listers({}), want: undefined },
    {
      name: 'services selecting the pod merge',
      pod: pod('p', { app: 'web', tier: 'fe' }),
      l: listers({
        services: [
          { metadata: { namespace: 'default' }, spec: { selector: { app: 'web' } } },
          { metadata: { namespace: 'default' }, spec: { selector: { tier: 'fe' } } },
          { metadata: { namespace: 'default' }, spec: { selector: { app: 'db' } } },
          { metadata: { namespace: 'other' }, spec: { selector: { app: 'web' } } },
          { metadata: { namespace: 'default' }, spec: {} },
        ],
      }),
      want: { matchLabels: { app: 'web', tier: 'fe' } },
    },
    {
      name: 'the owning ReplicaSet adds its selector, expressions included',
      pod: pod('p', { app: 'web', 'pod-template-hash': 'h' }, { owner: rsOwner }),
      l: listers({
        controllers: {
          'ReplicaSet/default/web-1': {
            spec: {
              selector: {
                matchLabels: { 'pod-template-hash': 'h' },
                matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }],
              },
            },
          },
        },
      }),
      want: {
        matchLabels: { 'pod-template-hash': 'h' },
        matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }],
      },
    },
    {
      name: 'a ReplicationController owner',
      pod: pod(
        'p',
        { app: 'rc' },
        { owner: { apiVersion: 'v1', kind: 'ReplicationController', name: 'rc' } },
      ),
      l: listers({
        controllers: { 'ReplicationController/default/rc': { spec: { selector: { app: 'rc' } } } },
      }),
      want: { matchLabels: { app: 'rc' } },
    },
    {
      name: 'an owner of another kind adds nothing',
      pod: pod('p', { app: 'job' }, { owner: { apiVersion: 'batch/v1', kind: 'Job', name: 'j' } }),
      l: listers({}),
      want: undefined,
    },
  ];
  for (const t of table) it(t.name, () => assert.deepEqual(defaultSelector(t.pod, t.l), t.want));
});

describe('PodTopologySpread default constraints', () => {
  const selectorOf = (p: Pod) =>
    p.metadata.labels?.app ? { matchLabels: { app: p.metadata.labels.app } } : undefined;

  function scores(p: Pod, nodes: NodeInfo[], args = {}): Record<string, number> {
    const pl = podTopologySpread(args, selectorOf);
    const state = new Map<string, unknown>([['framework/allNodes', nodes]]);
    const pi = newPodInfo(p);
    assert.equal(pl.preFilter!(state, p, pi, nodes), undefined);
    const raw = nodes.map((n) => pl.score!(state, p, pi, n));
    pl.normalizeScore!(state, p, raw);
    return Object.fromEntries(nodes.map((n, i) => [n.name, raw[i]]));
  }

  const cluster = () =>
    nodeInfos(
      [
        makeNode('a1', { labels: { 'topology.kubernetes.io/zone': 'a' } }),
        makeNode('a2', { labels: { 'topology.kubernetes.io/zone': 'a' } }),
        makeNode('b1', { labels: { 'topology.kubernetes.io/zone': 'b' } }),
        makeNode('nozone'),
      ],
      [
        pod('w1', { app: 'web' }, { nodeName: 'a1' }),
        pod('w2', { app: 'web' }, { nodeName: 'a1' }),
        pod('w3', { app: 'web' }, { nodeName: 'a2' }),
      ],
    );

  it('spreads a selected pod by hostname and zone (ScheduleAnyway), never rejecting', () => {
    const s = scores(pod('new', { app: 'web' }), cluster());
    // Emptier nodes and zones score higher; the node without a zone label still counts by hostname.
    assert.ok(s.b1 > s.a2 && s.a2 > s.a1, JSON.stringify(s));
    assert.ok(s.nozone > s.a1, JSON.stringify(s));
    assert.equal(s.nozone, 100);
  });

  it('does not apply to pods nothing selects, or that bring their own constraints', () => {
    assert.deepEqual(scores(pod('lone', {}), cluster()), { a1: 0, a2: 0, b1: 0, nozone: 0 });
    const own = pod('own', { app: 'web' });
    own.spec.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { app: 'none' } },
      },
    ];
    // Its own constraint selects nothing, so every node scores the same.
    const s = scores(own, cluster());
    assert.equal(new Set(Object.values(s)).size, 1, JSON.stringify(s));
  });

  it('List defaulting uses the configured constraints, and ignores nodes missing a key', () => {
    const args = {
      defaultingType: 'List',
      defaultConstraints: [
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
      ],
    };
    const s = scores(pod('new', { app: 'web' }), cluster(), args);
    assert.equal(s.nozone, 0);
    assert.ok(s.b1 > s.a1);
    assert.equal(s.a1, s.a2);
    const none = scores(pod('new', { app: 'web' }), cluster(), { defaultingType: 'List' });
    assert.deepEqual(none, { a1: 0, a2: 0, b1: 0, nozone: 0 });
  });

  it('DoNotSchedule defaults from List filter like the pod’s own would', () => {
    const pl = podTopologySpread(
      {
        defaultingType: 'List',
        defaultConstraints: [
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' },
        ],
      },
      selectorOf,
    );
    const nodes = cluster().filter((n) => n.name !== 'nozone');
    const p = pod('new', { app: 'web' });
    const state = new Map<string, unknown>([['framework/allNodes', nodes]]);
    const pi = newPodInfo(p);
    pl.preFilter!(state, p, pi, nodes);
    assert.deepEqual(
      nodes.map((n) => pl.filter!(state, p, pi, n)?.code ?? 'ok'),
      ['Unschedulable', 'Unschedulable', 'ok'],
    );
  });
});
