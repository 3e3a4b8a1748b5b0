import { ageColumn, ageOf, col, nameColumn } from '../columns.js';
import { index, invalid, required, tooLong } from '../field.js';
import type { FieldError, Obj, ResourceDef } from '../types.js';
import { isConfigMapKey, validateImmutableField } from '../validation.js';
import { MaxDataSize, validateImmutableData } from './configmap.js';

function decode(v: unknown): Buffer {
  return Buffer.from(String(v ?? ''), 'base64');
}

function validate(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const data: Record<string, unknown> = obj.data ?? {};
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(index('data', k), k, m));
    size += decode(v).length;
  }
  if (size > MaxDataSize) errs.push(tooLong('data', MaxDataSize));
  const has = (k: string) => Object.hasOwn(data, k);
  switch (obj.type) {
    case 'kubernetes.io/service-account-token':
      if (!obj.metadata?.annotations?.['kubernetes.io/service-account.name'])
        errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = obj.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(key)) {
        errs.push(required(index('data', key)));
        break;
      }
      try {
        const parsed = JSON.parse(decode(data[key]).toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      } catch (e) {
        errs.push(invalid(index('data', key), '<secret contents redacted>', (e as Error).message));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required('data[username]'));
        errs.push(required('data[password]'));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (decode(data['ssh-privatekey']).length === 0) errs.push(required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required('data[tls.crt]'));
      if (!has('tls.key')) errs.push(required('data[tls.key]'));
      break;
  }
  return errs;
}

export const secrets: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  namespaced: true,
  schemaName: 'io.k8s.api.core.v1.Secret',
  defaults(obj) {
    obj.type ||= 'Opaque';
    // stringData is write-only: upstream's conversion merges it into data (base64) and drops it.
    if (obj.stringData && typeof obj.stringData === 'object') {
      obj.data ??= {};
      for (const [k, v] of Object.entries(obj.stringData))
        obj.data[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
    }
    delete obj.stringData;
  },
  validate,
  validateUpdate: (obj, old) => [
    ...validateImmutableField(obj.type, old.type, 'type'),
    ...validateImmutableData(obj, old, ['data']),
    ...validate(obj),
  ],
  fieldSelectors: { type: (o) => o.type ?? '' },
  table: {
    columns: [
      nameColumn,
      col('Type', 'Used to facilitate programmatic handling of secret data.'),
      col('Data', 'Data contains the secret data.'),
      ageColumn,
    ],
    cells: (o, now) => [o.metadata?.name, o.type ?? '', Object.keys(o.data ?? {}).length, ageOf(o, now)],
  },
};
