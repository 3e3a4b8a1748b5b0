// ImageLocality (score), with upstream's semantics: a node that already holds the pod's images scores
// higher, by the images' sizes scaled by how many nodes hold them (an image everywhere says little),
// clamped between 23 MiB and 1000 MiB per container and mapped to 0..100.
import { MAX_NODE_SCORE, type Node, type Plugin } from '../types.js';

export const IMAGE_LOCALITY = 'ImageLocality';
const MB = 1024 * 1024;
export const MIN_THRESHOLD = 23 * MB;
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** How many of the cluster's nodes hold an image, and how many nodes there are. */
export interface ImageSpread {
  nodesWithImage(name: string): number;
  totalNodes(): number;
}

/** "busybox" and "busybox:latest" are the same image; a digest or tag is kept as given. */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

const imagesByNode = new WeakMap<Node, Map<string, number>>();

/** image name -> size in bytes, from node.status.images (computed once per Node object). */
export function nodeImages(node: Node): Map<string, number> {
  let m = imagesByNode.get(node);
  if (!m) {
    m = new Map();
    for (const img of node.status?.images ?? [])
      for (const n of img.names ?? []) m.set(normalizedImageName(n), Number(img.sizeBytes) || 0);
    imagesByNode.set(node, m);
  }
  return m;
}

export function calculatePriority(sumScores: number, numContainers: number): number {
  const max = MAX_CONTAINER_THRESHOLD * numContainers;
  const clamped = Math.min(max, Math.max(MIN_THRESHOLD, sumScores));
  return Math.floor((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
}

const NAMES_KEY = 'ImageLocality/names';

export function imageLocality(spread?: ImageSpread): Plugin {
  return {
    name: IMAGE_LOCALITY,
    score(state, pod, _pi, node) {
      // Most nodes list no images (or the cache has no spread): nothing to look up.
      if (!spread || !node.node.status?.images?.length) return 0;
      let names = state.get(NAMES_KEY) as string[] | undefined;
      if (!names) {
        names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) =>
          normalizedImageName(String(c.image ?? '')),
        );
        state.set(NAMES_KEY, names);
      }
      if (names.length === 0) return 0;
      const images = nodeImages(node.node);
      const total = spread.totalNodes();
      let sum = 0;
      for (const name of names) {
        const size = images.get(name);
        if (size !== undefined && total > 0) sum += Math.floor(size * (spread.nodesWithImage(name) / total));
      }
      return calculatePriority(sum, names.length);
    },
  };
}
