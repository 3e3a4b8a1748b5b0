// ImageLocality: image sizes on the node, scaled by how many nodes hold them, clamped and mapped to 0..100.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchedulerCache } from '../../src/scheduler/cache.js';
import { Framework } from '../../src/scheduler/framework.js';
import {
  calculatePriority,
  imageLocality,
  normalizedImageName,
} from '../../src/scheduler/plugins/image-locality.js';
import { newPodInfo } from '../../src/scheduler/resources.js';
import { makeNode, makePod } from './fixtures.js';

const MB = 1024 * 1024;

function withImages(name: string, images: { names: string[]; sizeBytes: number }[]) {
  const n = makeNode(name);
  n.status.images = images;
  return n;
}

describe('ImageLocality', () => {
  it('normalizes image names as upstream', () => {
    for (const [inp, want] of [
      ['busybox', 'busybox:latest'],
      ['busybox:1.36', 'busybox:1.36'],
      ['localhost:5000/app', 'localhost:5000/app:latest'],
      ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ])
      assert.equal(normalizedImageName(inp), want);
  });

  it('clamps the summed score between 23 MiB and 1000 MiB per container', () => {
    for (const [sum, containers, want] of [
      [0, 1, 0],
      [23 * MB, 1, 0],
      [1000 * MB, 1, 100],
      [5000 * MB, 1, 100],
      [250 * MB, 1, 23],
      [1000 * MB, 2, 49],
    ])
      assert.equal(calculatePriority(sum, containers), want, `${sum / MB} MiB x${containers}`);
  });

  it('scores nodes by image size scaled by spread', () => {
    const cache = new SchedulerCache();
    cache.setNode(
      withImages('a', [{ names: ['docker.io/library/nginx:1.25', 'nginx:1.25'], sizeBytes: 500 * MB }]),
    );
    cache.setNode(withImages('b', [{ names: ['nginx:1.25'], sizeBytes: 500 * MB }]));
    cache.setNode(makeNode('c'));
    cache.setNode(makeNode('d'));
    const pl = imageLocality(cache);
    const pod = makePod('p');
    pod.spec.containers[0].image = 'nginx:1.25';
    const scores = cache.nodes().map((n) => pl.score!(new Map(), pod, newPodInfo(pod), n));
    // 500 MiB on 2 of 4 nodes: 250 MiB -> 100 * (250 - 23) / (1000 - 23) = 23.
    assert.deepEqual(scores, [23, 23, 0, 0]);
    // The framework prefers a node holding the image (other scores are equal on empty nodes).
    const fw = new Framework({ random: () => 0.99, cacheView: cache });
    const r = fw.schedule(pod, cache.nodes(), { fromCache: true });
    assert.ok(r.ok && (r.nodeName === 'a' || r.nodeName === 'b'), JSON.stringify(r));
    // Removing a node updates the spread.
    cache.removeNode('b');
    assert.equal(cache.nodesWithImage('nginx:1.25'), 1);
  });
});
