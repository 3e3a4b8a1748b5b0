import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalidMessage, notSupported } from '../../src/api/field.js';
import type { FieldError } from '../../src/api/types.js';
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../src/api/validation.js';

const labelMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

function find(errs: FieldError[], field: string): FieldError[] {
  return errs.filter((e) => e.field === field);
}

describe('string validators', () => {
  it('DNS-1123 labels', () => {
    assert.deepEqual(isDNS1123Label('my-name'), []);
    assert.deepEqual(isDNS1123Label('X'), [labelMsg]);
    assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
    assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  });
  it('DNS-1123 subdomains', () => {
    assert.deepEqual(isDNS1123Subdomain('example.com'), []);
    assert.deepEqual(isDNS1123Subdomain('Example'), [subdomainMsg]);
  });
  it('DNS-1035 labels must start with a letter', () => {
    assert.deepEqual(isDNS1035Label('abc-1'), []);
    assert.match(
      isDNS1035Label('1abc')[0],
      /^a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/,
    );
  });
  it('qualified names with prefixes', () => {
    assert.deepEqual(isQualifiedName('example.com/MyName'), []);
    assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
    assert.match(isQualifiedName('Bad_/x')[0], /^prefix part a lowercase RFC 1123 subdomain/);
    assert.match(isQualifiedName('a/b/c')[0], /^a qualified name must consist of alphanumeric characters/);
    assert.match(
      isQualifiedName('-x')[0],
      /^name part must consist of alphanumeric characters, '-', '_' or '\.'/,
    );
  });
  it('label values, port names, config keys', () => {
    assert.deepEqual(isValidLabelValue(''), []);
    assert.match(
      isValidLabelValue('a b')[0],
      /^a valid label must be an empty string or consist of alphanumeric/,
    );
    assert.deepEqual(isValidPortName('http'), []);
    assert.deepEqual(isValidPortName('80'), ['must contain at least one letter (a-z)']);
    assert.deepEqual(isValidPortName('a--b'), ['must not contain consecutive hyphens']);
    assert.deepEqual(isConfigMapKey('..x'), ["must not start with '..'"]);
    assert.match(isConfigMapKey('a/b')[0], /^a valid config key must consist of alphanumeric characters/);
  });
  it('label selectors', () => {
    const errs = validateLabelSelector(
      {
        matchExpressions: [
          { key: 'a', operator: 'In' },
          { key: 'b', operator: 'Exists', values: ['x'] },
          { key: 'c', operator: 'Foo' },
        ],
      },
      'spec.selector',
    );
    assert.deepEqual(
      errs.map((e) => `${e.field}: ${e.message}`),
      [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        'spec.selector.matchExpressions[2].operator: Invalid value: "Foo": not a valid selector operator',
      ],
    );
  });
});

describe('field errors', () => {
  it('NotSupported quotes the supported values', () => {
    assert.equal(
      notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never']).message,
      'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
  });
  it('aggregates like upstream NewInvalid', () => {
    const e1 = notSupported('a', 'x', ['y']);
    assert.equal(
      invalidMessage('Pod', 'p', [e1]),
      'Pod "p" is invalid: a: Unsupported value: "x": supported values: "y"',
    );
    assert.match(
      invalidMessage('Pod', 'p', [e1, { ...e1, field: 'b' }]),
      /^Pod "p" is invalid: \[a: .*, b: .*\]$/,
    );
  });
});

describe('validateObjectMeta', () => {
  const namespaced = { namespaced: true };
  it('requires a name or generateName', () => {
    const errs = validateObjectMeta({ metadata: { namespace: 'default' } }, namespaced);
    assert.deepEqual(errs, [
      {
        type: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      },
    ]);
  });
  it('checks the name format per kind', () => {
    const meta = { metadata: { name: 'My.Name', namespace: 'default' } };
    assert.equal(
      find(validateObjectMeta(meta, namespaced), 'metadata.name')[0].message,
      `Invalid value: "My.Name": ${subdomainMsg}`,
    );
    const nsErr = find(
      validateObjectMeta(
        { metadata: { name: 'a.b' } },
        { namespaced: false, nameValidation: 'dns1123-label' },
      ),
      'metadata.name',
    );
    assert.equal(nsErr[0].message, 'Invalid value: "a.b": must not contain dots');
    assert.deepEqual(
      validateObjectMeta(
        { metadata: { name: 'system:admin' } },
        { namespaced: false, nameValidation: 'path-segment' },
      ),
      [],
    );
    assert.equal(
      validateObjectMeta(
        { metadata: { name: 'a/b' } },
        { namespaced: false, nameValidation: 'path-segment' },
      )[0].message,
      `Invalid value: "a/b": may not contain '/'`,
    );
    assert.equal(
      validateObjectMeta(
        { metadata: { name: '1svc', namespace: 'd' } },
        { namespaced: true, nameValidation: 'dns1035-label' },
      ).length,
      1,
    );
  });
  it('accepts a generateName prefix ending in a dash', () => {
    assert.deepEqual(
      validateObjectMeta(
        { metadata: { generateName: 'web-', name: 'web-x7k2p', namespace: 'd' } },
        namespaced,
      ),
      [],
    );
  });
  it('requires or forbids the namespace by scope', () => {
    assert.deepEqual(
      find(validateObjectMeta({ metadata: { name: 'a' } }, namespaced), 'metadata.namespace')[0].message,
      'Required value',
    );
    assert.deepEqual(
      find(
        validateObjectMeta({ metadata: { name: 'a', namespace: 'x' } }, { namespaced: false }),
        'metadata.namespace',
      )[0].message,
      'Forbidden: not allowed on this type',
    );
  });
  it('validates labels, annotations and finalizers', () => {
    const errs = validateObjectMeta(
      {
        metadata: {
          name: 'a',
          namespace: 'd',
          labels: { 'bad key!': 'v', ok: 'bad value!' },
          annotations: { big: 'x'.repeat(256 * 1024) },
          finalizers: ['custom'],
        },
      },
      namespaced,
    );
    assert.equal(find(errs, 'metadata.labels').length, 2);
    assert.deepEqual(find(errs, 'metadata.annotations')[0], {
      type: 'FieldValueTooLong',
      field: 'metadata.annotations',
      message: 'Too long: may not be more than 262144 bytes',
    });
    assert.equal(
      find(errs, 'metadata.finalizers[0]')[0].message,
      'Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
    );
  });
});

describe('validateObjectMetaUpdate', () => {
  const old = {
    metadata: {
      name: 'a',
      namespace: 'd',
      uid: 'u1',
      resourceVersion: '5',
      creationTimestamp: '2025-01-01T00:00:00Z',
    },
  };
  it('keeps identity fields immutable', () => {
    const obj = { metadata: { ...old.metadata, name: 'b', uid: 'u2' } };
    const errs = validateObjectMetaUpdate(obj, old, { namespaced: true });
    assert.deepEqual(
      errs.map((e) => `${e.field}: ${e.message}`),
      [
        'metadata.name: Invalid value: "b": field is immutable',
        'metadata.uid: Invalid value: "u2": field is immutable',
      ],
    );
  });
  it('requires resourceVersion and forbids new finalizers while deleting', () => {
    const deleting = {
      metadata: { ...old.metadata, deletionTimestamp: '2025-01-02T00:00:00Z', finalizers: ['a.io/x'] },
    };
    const obj = { metadata: { ...deleting.metadata, resourceVersion: '', finalizers: ['a.io/x', 'a.io/y'] } };
    const errs = validateObjectMetaUpdate(obj, deleting, { namespaced: true });
    assert.deepEqual(
      errs.map((e) => `${e.field}: ${e.message}`),
      [
        'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"a.io/y"}',
        'metadata.resourceVersion: Invalid value: "": must be specified for an update',
      ],
    );
  });
});
