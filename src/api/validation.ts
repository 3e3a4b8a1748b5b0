// Reusable validators with upstream's messages (k8s.io/apimachinery/pkg/util/validation and
// pkg/api/validation), plus the ObjectMeta checks every kind shares. The API server calls
// validateObjectMeta / validateObjectMetaUpdate; kinds call the rest from their validate hooks.
import { isIP } from 'node:net';
import { child, duplicate, forbidden, index, invalid, notSupported, required, tooLong } from './field.js';
import { list } from './guards.js';
import { isNegative, parseQuantity } from './quantity.js';
import { semanticEqual } from './semantic.js';
import type { FieldError, NameValidation, Obj, ResourceDef } from './types.js';

// ---------------------------------------------------------------------------------------------------------
// String format checks: each returns the list of problems (empty when valid), like upstream's IsXxx.

export const DNS1123LabelMaxLength = 63;
export const DNS1123SubdomainMaxLength = 253;
export const DNS1035LabelMaxLength = 63;
export const LabelValueMaxLength = 63;
export const QualifiedNameMaxLength = 63;
export const TotalAnnotationSizeLimitB = 256 * 1024;

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueFmt = `(${qualifiedNameFmt})?`;
const configMapKeyFmt = '[-._a-zA-Z0-9]+';
const percentFmt = '[0-9]+%';

const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);
const labelValueRe = new RegExp(`^${labelValueFmt}$`);
const configMapKeyRe = new RegExp(`^${configMapKeyFmt}$`);
const percentRe = new RegExp(`^${percentFmt}$`);

/** Upstream's RegexError: message plus examples and the regex. */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let s = `${msg} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) s += ' or ';
    s += `'${e}', `;
  });
  return `${s}regex used for validation is '${fmt}')`;
}

export function maxLenError(n: number): string {
  return `must be no more than ${n} characters`;
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

export const emptyError = 'must be non-empty';

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123LabelMaxLength) errs.push(maxLenError(DNS1123LabelMaxLength));
  if (!dns1123LabelRe.test(value)) {
    if (dns1123SubdomainRe.test(value)) errs.push('must not contain dots');
    else
      errs.push(
        regexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          dns1123LabelFmt,
          'my-name',
          '123-abc',
        ),
      );
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength));
  if (!dns1123SubdomainRe.test(value))
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123SubdomainFmt,
        'example.com',
      ),
    );
  return errs;
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1035LabelMaxLength) errs.push(maxLenError(DNS1035LabelMaxLength));
  if (!dns1035LabelRe.test(value))
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        dns1035LabelFmt,
        'my-name',
        'abc-123',
      ),
    );
  return errs;
}

const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push(`prefix part ${emptyError}`);
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push(`name part ${emptyError}`);
  else if (name.length > QualifiedNameMaxLength)
    errs.push(`name part ${maxLenError(QualifiedNameMaxLength)}`);
  if (!qualifiedNameRe.test(name))
    errs.push(
      `name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`,
    );
  return errs;
}

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LabelValueMaxLength) errs.push(maxLenError(LabelValueMaxLength));
  if (!labelValueRe.test(value))
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        labelValueFmt,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  return errs;
}

export function isValidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return isValidPathSegmentPrefix(name);
}

export function isValidPathSegmentPrefix(name: string): string[] {
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port))
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-')))
    errs.push('must not begin or end with a hyphen');
  return errs;
}

export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength));
  if (!configMapKeyRe.test(value))
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        configMapKeyFmt,
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** Environment variable names as 1.33 accepts them (RelaxedEnvironmentVariableValidation, on by default). */
export function isRelaxedEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (value.length === 0) errs.push(`environment variable name ${emptyError}`);
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c > 0x7e || c < 0x20 || ch === '=') {
      errs.push(
        "a valid environment variable name must consist only of printable ASCII characters other than '='",
      );
      break;
    }
  }
  return errs;
}

export function isValidPercent(value: string): string[] {
  return percentRe.test(value)
    ? []
    : [
        regexError(
          "a valid percent string must be a numeric string followed by an ending '%'",
          percentFmt,
          '1%',
          '93%',
        ),
      ];
}

export function isValidIP(value: string): string[] {
  return isIP(value) ? [] : ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
}

// ---------------------------------------------------------------------------------------------------------
// Field-level helpers returning FieldError lists.

export function validateDNS1123Label(value: string, path: string): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(path, value, m));
}

export function validateDNS1123Subdomain(value: string, path: string): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => invalid(path, value, m));
}

export function validateQualifiedName(value: string, path: string): FieldError[] {
  return isQualifiedName(value).map((m) => invalid(path, value, m));
}

export const IsNegativeErrorMsg = 'must be greater than or equal to 0';

export function validateNonnegativeField(value: unknown, path: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [invalid(path, value, IsNegativeErrorMsg)] : [];
}

export function validatePositiveField(value: unknown, path: string): FieldError[] {
  return typeof value === 'number' && value <= 0 ? [invalid(path, value, 'must be greater than 0')] : [];
}

export const FieldImmutableErrorMsg = 'field is immutable';

/** Upstream's ValidateImmutableField; `shown` overrides how the new value is printed. */
export function validateImmutableField(
  newVal: unknown,
  oldVal: unknown,
  path: string,
  shown?: unknown,
): FieldError[] {
  return semanticEqual(newVal, oldVal) ? [] : [invalid(path, shown ?? newVal, FieldImmutableErrorMsg)];
}

export function validateLabels(labels: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!labels || typeof labels !== 'object') return errs;
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const m of isQualifiedName(k)) errs.push(invalid(path, k, m));
    const value = typeof v === 'string' ? v : String(v ?? '');
    for (const m of isValidLabelValue(value)) errs.push(invalid(path, value, m));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!annotations || typeof annotations !== 'object') return errs;
  let size = 0;
  for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '');
  }
  if (size > TotalAnnotationSizeLimitB) errs.push(tooLong(path, TotalAnnotationSizeLimitB));
  return errs;
}

/** A non-negative quantity (upstream's ValidateResourceQuantityValue without the integer rule). */
export function validateQuantityValue(raw: unknown, path: string): FieldError[] {
  const q = parseQuantity(raw);
  if (!q)
    return [
      invalid(
        path,
        raw ?? '',
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ),
    ];
  return isNegative(q) ? [invalid(path, String(raw), IsNegativeErrorMsg)] : [];
}

/** metav1.LabelSelector shape checks (ValidateLabelSelector). */
export function validateLabelSelector(sel: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!sel) return errs;
  errs.push(...validateLabels(sel.matchLabels, child(path, 'matchLabels')));
  list(sel.matchExpressions).forEach((req: any, i: number) => {
    const p = index(child(path, 'matchExpressions'), i);
    const values: unknown[] = Array.isArray(req?.values) ? req.values : [];
    switch (req?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          errs.push(
            forbidden(
              child(p, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        break;
      default:
        errs.push(invalid(child(p, 'operator'), req?.operator ?? '', 'not a valid selector operator'));
    }
    for (const m of isQualifiedName(String(req?.key ?? '')))
      errs.push(invalid(child(p, 'key'), req?.key ?? '', m));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(String(v))) errs.push(invalid(index(child(p, 'values'), j), v, m));
    });
  });
  return errs;
}

// ---------------------------------------------------------------------------------------------------------
// Names.

/** Masks a trailing dash of a generateName prefix, as upstream does before checking it. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

/** Upstream's ValidateNameFunc for each NameValidation; `prefix` is true for generateName. */
export function validateName(kind: NameValidation, name: string, prefix = false): string[] {
  switch (kind) {
    case 'none':
      return [];
    case 'path-segment':
      return prefix ? isValidPathSegmentPrefix(name) : isValidPathSegmentName(name);
    case 'dns1123-label':
      return isDNS1123Label(prefix ? maskTrailingDash(name) : name);
    case 'dns1035-label':
      return isDNS1035Label(prefix ? maskTrailingDash(name) : name);
    default:
      return isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
  }
}

// ---------------------------------------------------------------------------------------------------------
// ObjectMeta.

// (The CRD cleanup finalizer has no slash either; the API server itself adds it to a deleted CRD.)
const standardFinalizers = new Set([
  'kubernetes',
  'orphan',
  'foregroundDeletion',
  'customresourcecleanup.apiextensions.k8s.io',
]);

function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(refs)) return errs;
  let firstController = '';
  for (const ref of refs) {
    const apiVersion = String(ref?.apiVersion ?? '');
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (!version) errs.push(invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (!ref?.kind) errs.push(invalid(child(path, 'kind'), ref?.kind ?? '', 'kind must not be empty'));
    if (!ref?.name) errs.push(invalid(child(path, 'name'), ref?.name ?? '', 'name must not be empty'));
    if (!ref?.uid) errs.push(invalid(child(path, 'uid'), ref?.uid ?? '', 'uid must not be empty'));
    if (ref?.controller === true) {
      const cur = `${ref.kind}/${ref.name}`;
      if (firstController)
        errs.push(
          invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      else firstController = cur;
    }
  }
  return errs;
}

function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(finalizers)) return errs;
  finalizers.forEach((f, i) => {
    const name = String(f);
    for (const m of isQualifiedName(name)) errs.push(invalid(path, name, m));
    if (!name.includes('/') && !standardFinalizers.has(name))
      errs.push(
        invalid(index(path, i), name, 'name is neither a standard finalizer name nor is it fully qualified'),
      );
  });
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion'))
    errs.push(invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  return errs;
}

/**
 * Upstream's ValidateObjectMeta for a new object of `def`'s kind: name (or generateName) format per kind,
 * namespace presence by scope, labels, annotations, ownerReferences, finalizers, generation.
 */
export function validateObjectMeta(
  obj: Obj,
  def: Pick<ResourceDef, 'namespaced' | 'nameValidation'>,
): FieldError[] {
  const errs: FieldError[] = [];
  const meta = obj?.metadata ?? {};
  const nameKind = def.nameValidation ?? 'dns1123-subdomain';
  if (typeof meta.generateName === 'string' && meta.generateName.length > 0)
    for (const m of validateName(nameKind, meta.generateName, true))
      errs.push(invalid('metadata.generateName', meta.generateName, m));
  if (!meta.name) errs.push(required('metadata.name', 'name or generateName is required'));
  else
    for (const m of validateName(nameKind, String(meta.name)))
      errs.push(invalid('metadata.name', meta.name, m));
  if (def.namespaced) {
    if (!meta.namespace) errs.push(required('metadata.namespace'));
    else
      for (const m of isDNS1123Label(String(meta.namespace)))
        errs.push(invalid('metadata.namespace', meta.namespace, m));
  } else if (meta.namespace) {
    errs.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  errs.push(...validateNonnegativeField(meta.generation, 'metadata.generation'));
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  errs.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  errs.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));
  return errs;
}

/**
 * Upstream's ValidateObjectMetaUpdate: name, namespace, uid, creationTimestamp, deletionTimestamp and
 * deletionGracePeriodSeconds are immutable; generation may not go down; no new finalizers once deleting.
 * As upstream, metadata.resourceVersion must be set: for an unconditional update the server copies the
 * stored object's resourceVersion in before calling this.
 */
export function validateObjectMetaUpdate(
  obj: Obj,
  old: Obj,
  def: Pick<ResourceDef, 'namespaced' | 'nameValidation'>,
): FieldError[] {
  const errs: FieldError[] = [];
  const meta = obj?.metadata ?? {};
  const oldMeta = old?.metadata ?? {};
  if (oldMeta.deletionTimestamp) {
    const before = new Set<string>(list(oldMeta.finalizers));
    const added = list(meta.finalizers).filter((f: string) => !before.has(f));
    if (added.length > 0)
      errs.push(
        forbidden(
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringList(added)}`,
        ),
      );
  }
  if (!meta.resourceVersion)
    errs.push(invalid('metadata.resourceVersion', '', 'must be specified for an update'));
  if ((meta.generation ?? 0) < (oldMeta.generation ?? 0))
    errs.push(invalid('metadata.generation', meta.generation ?? 0, 'must not be decremented'));
  errs.push(...validateImmutableField(meta.name, oldMeta.name, 'metadata.name'));
  errs.push(...validateImmutableField(meta.namespace, oldMeta.namespace, 'metadata.namespace'));
  errs.push(...validateImmutableField(meta.uid, oldMeta.uid, 'metadata.uid'));
  errs.push(
    ...validateImmutableField(
      meta.creationTimestamp,
      oldMeta.creationTimestamp,
      'metadata.creationTimestamp',
    ),
  );
  errs.push(
    ...validateImmutableField(
      meta.deletionTimestamp,
      oldMeta.deletionTimestamp,
      'metadata.deletionTimestamp',
    ),
  );
  errs.push(
    ...validateImmutableField(
      meta.deletionGracePeriodSeconds,
      oldMeta.deletionGracePeriodSeconds,
      'metadata.deletionGracePeriodSeconds',
    ),
  );
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  errs.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  errs.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));
  void def;
  return errs;
}

function goStringList(xs: string[]): string {
  return `[]string{${xs.map((x) => JSON.stringify(x)).join(', ')}}`;
}

// ---------------------------------------------------------------------------------------------------------
// Small shared checks used by several kinds.

/** An enum field: Required when empty, NotSupported when unknown. */
export function validateEnum(
  value: unknown,
  valid: readonly string[],
  path: string,
  requiredDetail = '',
): FieldError[] {
  if (value === undefined || value === null || value === '') return [required(path, requiredDetail)];
  return valid.includes(String(value)) ? [] : [notSupported(path, value, valid)];
}

/** Duplicate check helper: pushes a Duplicate error when `value` was seen before. */
export function checkDuplicate(seen: Set<string>, value: string, path: string, errs: FieldError[]): void {
  if (seen.has(value)) errs.push(duplicate(path, value));
  else seen.add(value);
}
