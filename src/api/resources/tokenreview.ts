import { ageColumn, ageOf, nameColumn } from '../columns.js';
import type { ResourceDef } from '../types.js';

/** authentication.k8s.io/v1 TokenReview: create-only; the API server answers and stores nothing. */
export const tokenReviews: ResourceDef = {
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'TokenReview',
  plural: 'tokenreviews',
  singular: 'tokenreview',
  namespaced: false,
  schemaName: 'io.k8s.api.authentication.v1.TokenReview',
  verbs: ['create'],
  nameValidation: 'none',
  // Upstream's default table (name and age) for kinds without their own printer.
  table: { columns: [nameColumn, ageColumn], cells: (o, now) => [o.metadata?.name, ageOf(o, now)] },
};
