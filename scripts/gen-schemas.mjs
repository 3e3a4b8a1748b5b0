#!/usr/bin/env node
// Build step: derive OpenAPI v3 schema objects for every Kubernetes type from the `kubernetes-types`
// package (TypeScript declarations with the upstream descriptions), keyed by upstream definition names
// (io.k8s.api.core.v1.Pod, io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta, ...), then overlay the
// patch/list metadata from src/api/patch-meta.json. Output: generated/definitions.json.
//
// What .d.ts cannot say is filled in pragmatically: TypeScript `number` becomes integer/int32 unless the
// field is one upstream declares int64 (or float64); `number | string` is IntOrString; empty interfaces
// (RawExtension, FieldsV1, JSON, Patch) hold arbitrary JSON.
//
// Skips all work when the output is newer than every input (the build runs this each time).
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const typesDir = dirname(require.resolve('kubernetes-types/package.json'));
const patchMetaFile = join(root, 'src', 'api', 'patch-meta.json');
const outFile = join(root, 'generated', 'definitions.json');
const force = process.argv.includes('--force');
/** The TypeScript compiler, loaded only when there is work to do (it takes ~0.5 s to load). */
let ts;

const REF_PREFIX = '#/components/schemas/';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** Fields upstream declares as int64 (everything else numeric is int32 unless listed as a float). */
const INT64_FIELDS = new Set([
  'activeDeadlineSeconds',
  'capacity',
  'deletionGracePeriodSeconds',
  'expirationSeconds',
  'fsGroup',
  'generation',
  'gid',
  'gracePeriodSeconds',
  'maxItems',
  'maxLength',
  'maxProperties',
  'minItems',
  'minLength',
  'minProperties',
  'observedGeneration',
  'remainingItemCount',
  'revision',
  'runAsGroup',
  'runAsUser',
  'seconds',
  'sizeBytes',
  'startingDeadlineSeconds',
  'supplementalGroups',
  'terminationGracePeriodSeconds',
  'tolerationSeconds',
  'uid',
]);
const FLOAT_FIELDS = new Set(['maximum', 'minimum', 'multipleOf']);
const META_KINDS = new Set([
  'APIGroup',
  'APIGroupList',
  'APIResourceList',
  'APIVersions',
  'DeleteOptions',
  'Status',
  'WatchEvent',
]);

function listDts(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listDts(p));
    else if (name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** Upstream definition-name prefix for a kubernetes-types file, e.g. core/v1.d.ts -> io.k8s.api.core.v1. */
function prefixFor(file) {
  const rel = relative(typesDir, file)
    .split(sep)
    .join('/')
    .replace(/\.d\.ts$/, '');
  const fixed = {
    'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
    'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
    runtime: 'io.k8s.apimachinery.pkg.runtime',
    version: 'io.k8s.apimachinery.pkg.version',
    'apiextensions/v1': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1',
  };
  if (fixed[rel]) return fixed[rel];
  const [group, version] = rel.split('/');
  if (!version) throw new Error(`unexpected kubernetes-types file ${rel}`);
  return `io.k8s.api.${group}.${version}`;
}

function upToDate(inputs) {
  if (force) return false;
  let out;
  try {
    out = statSync(outFile).mtimeMs;
  } catch {
    return false;
  }
  return inputs.every((f) => statSync(f).mtimeMs <= out);
}

function docOf(node) {
  const parts = [];
  for (const d of ts.getJSDocCommentsAndTags(node)) {
    if (ts.isJSDoc(d) && d.comment) parts.push(ts.getTextOfJSDocComment(d.comment));
  }
  return parts.join('\n').trim() || undefined;
}

function generate(files) {
  const program = ts.createProgram(files, { noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const defs = {};

  const nameOfDeclaration = (decl) => `${prefixFor(decl.getSourceFile().fileName)}.${decl.name.text}`;

  function refTo(name) {
    return { $ref: REF_PREFIX + name };
  }

  function numberSchema(field) {
    if (field && FLOAT_FIELDS.has(field)) return { type: 'number', format: 'double' };
    return { type: 'integer', format: field && INT64_FIELDS.has(field) ? 'int64' : 'int32' };
  }

  /** Schema of a type node; `field` is the property name (used for number formats). */
  function convert(node, field) {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.NumberKeyword:
        return numberSchema(field);
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
        return { 'x-kubernetes-preserve-unknown-fields': true };
      case ts.SyntaxKind.LiteralType:
        if (ts.isStringLiteral(node.literal)) return { type: 'string' };
        if (
          node.literal.kind === ts.SyntaxKind.TrueKeyword ||
          node.literal.kind === ts.SyntaxKind.FalseKeyword
        )
          return { type: 'boolean' };
        return numberSchema(field);
      case ts.SyntaxKind.ParenthesizedType:
        return convert(node.type, field);
      case ts.SyntaxKind.ArrayType:
        return { type: 'array', items: convert(node.elementType, field) };
      case ts.SyntaxKind.TypeLiteral: {
        const index = node.members.find(ts.isIndexSignatureDeclaration);
        if (index) return { type: 'object', additionalProperties: convert(index.type, field) };
        return { type: 'object' };
      }
      case ts.SyntaxKind.UnionType: {
        const kinds = node.types.map((t) => t.kind).sort();
        const intOrString = [ts.SyntaxKind.StringKeyword, ts.SyntaxKind.NumberKeyword].sort();
        if (kinds.length === 2 && kinds[0] === intOrString[0] && kinds[1] === intOrString[1])
          return refTo(INT_OR_STRING);
        return { 'x-kubernetes-preserve-unknown-fields': true };
      }
      case ts.SyntaxKind.TypeReference: {
        const name = node.typeName.getText();
        if (name === 'Array' && node.typeArguments?.length === 1)
          return { type: 'array', items: convert(node.typeArguments[0], field) };
        let sym = checker.getSymbolAtLocation(node.typeName);
        if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
        const decl = sym?.declarations?.[0];
        if (!decl || !(ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)))
          throw new Error(`cannot resolve type ${name} in ${node.getSourceFile().fileName}`);
        return refTo(nameOfDeclaration(decl));
      }
      default:
        throw new Error(`unsupported type syntax ${ts.SyntaxKind[node.kind]}: ${node.getText()}`);
    }
  }

  /** A property: a $ref with siblings is wrapped in allOf, as upstream's v3 documents do. */
  function property(member) {
    const schema = convert(member.type, member.name.text);
    const description = docOf(member);
    if (!description) return schema;
    if (schema.$ref) return { allOf: [schema], description };
    return { ...schema, description };
  }

  function literalOf(member) {
    const t = member?.type;
    return t && ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : undefined;
  }

  function interfaceSchema(decl) {
    const members = decl.members.filter(ts.isPropertySignature);
    const schema = { type: 'object' };
    const description = docOf(decl);
    if (description) schema.description = description;
    if (members.length === 0) {
      // RawExtension, FieldsV1, Patch, JSON: arbitrary embedded JSON.
      schema['x-kubernetes-preserve-unknown-fields'] = true;
      if (decl.name.text === 'JSON') delete schema.type;
      return schema;
    }
    schema.properties = {};
    const required = [];
    for (const m of members) {
      const name = m.name.text;
      schema.properties[name] = property(m);
      if (!m.questionToken) required.push(name);
    }
    if (required.length) schema.required = required;
    const apiVersion = literalOf(members.find((m) => m.name.text === 'apiVersion'));
    const kind = literalOf(members.find((m) => m.name.text === 'kind'));
    // meta/v1 kinds have no literal apiVersion in .d.ts; upstream registers them in the core group.
    if (
      !apiVersion &&
      META_KINDS.has(decl.name.text) &&
      prefixFor(decl.getSourceFile().fileName).endsWith('meta.v1')
    )
      schema['x-kubernetes-group-version-kind'] = [{ group: '', kind: decl.name.text, version: 'v1' }];
    if (apiVersion && kind) {
      const slash = apiVersion.indexOf('/');
      const group = slash < 0 ? '' : apiVersion.slice(0, slash);
      const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
      schema['x-kubernetes-group-version-kind'] = [{ group, kind, version }];
    }
    return schema;
  }

  function aliasSchema(decl) {
    const description = docOf(decl);
    const name = decl.name.text;
    let schema;
    if (name === 'Time' || name === 'MicroTime') schema = { type: 'string', format: 'date-time' };
    // Quantity accepts `"100m"` and `1`; upstream's v3 documents say so with oneOf (v2: type string).
    else if (name === 'Quantity') schema = { oneOf: [{ type: 'string' }, { type: 'number' }] };
    else if (decl.type.kind === ts.SyntaxKind.StringKeyword) schema = { type: 'string' };
    else schema = { 'x-kubernetes-preserve-unknown-fields': true }; // e.g. JSONSchemaPropsOrBool
    return description ? { description, ...schema } : schema;
  }

  for (const file of files) {
    const sf = program.getSourceFile(file);
    for (const st of sf.statements) {
      if (ts.isInterfaceDeclaration(st)) defs[nameOfDeclaration(st)] = interfaceSchema(st);
      else if (ts.isTypeAliasDeclaration(st)) defs[nameOfDeclaration(st)] = aliasSchema(st);
    }
  }
  defs[INT_OR_STRING] = {
    description:
      'IntOrString is a type that can hold an int32 or a string. When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type. This allows you to have, for example, a JSON field that can accept a name or number.',
    format: 'int-or-string',
    'x-kubernetes-int-or-string': true,
  };
  return defs;
}

const META_KEYS = {
  patchStrategy: 'x-kubernetes-patch-strategy',
  patchMergeKey: 'x-kubernetes-patch-merge-key',
  listType: 'x-kubernetes-list-type',
  listMapKeys: 'x-kubernetes-list-map-keys',
  mapType: 'x-kubernetes-map-type',
  // Upstream's OpenAPI carries defaults for list-map keys (e.g. protocol: TCP), which server-side apply needs.
  default: 'default',
};

function extensionsOf(entry, where) {
  const out = {};
  for (const [k, v] of Object.entries(entry)) {
    if (!META_KEYS[k]) throw new Error(`patch-meta.json: unknown key ${k} at ${where}`);
    out[META_KEYS[k]] = v;
  }
  return out;
}

function overlayPatchMeta(defs, table) {
  for (const [defName, fields] of Object.entries(table)) {
    if (defName.startsWith('$')) continue;
    const def = defs[defName];
    if (!def) throw new Error(`patch-meta.json: no definition ${defName}`);
    for (const [field, entry] of Object.entries(fields)) {
      if (field === '$struct') {
        Object.assign(def, extensionsOf(entry, defName));
        continue;
      }
      const prop = def.properties?.[field];
      if (!prop) throw new Error(`patch-meta.json: ${defName} has no property ${field}`);
      Object.assign(prop, extensionsOf(entry, `${defName}.${field}`));
    }
  }
}

/** Deterministic output: object keys sorted (as upstream's Go marshalling does), arrays kept in order. */
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}

/**
 * The vendor extensions of a CRD schema node, which `kubernetes-types` does not declare (its
 * JSONSchemaProps stops at the JSON Schema keywords). Without them field validation would prune
 * `x-kubernetes-preserve-unknown-fields` and friends from every CRD.
 */
function addSchemaExtensions(defs) {
  const props = defs['io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps']?.properties;
  if (!props) throw new Error('gen-schemas: JSONSchemaProps is missing');
  const str = (description) => ({ type: 'string', description });
  const bool = (description) => ({ type: 'boolean', description });
  Object.assign(props, {
    'x-kubernetes-embedded-resource': bool(
      'The value is a whole Kubernetes object (apiVersion, kind, metadata).',
    ),
    'x-kubernetes-int-or-string': bool('The value is either an integer or a string.'),
    'x-kubernetes-list-map-keys': {
      type: 'array',
      items: { type: 'string' },
      description: 'The keys that identify an item of a list of type map.',
    },
    'x-kubernetes-list-type': str('How a list merges: atomic, set or map.'),
    'x-kubernetes-map-type': str('How a map merges: granular or atomic.'),
    'x-kubernetes-preserve-unknown-fields': bool(
      'Fields the schema does not name are kept instead of pruned.',
    ),
    'x-kubernetes-validations': {
      type: 'array',
      items: { $ref: `${REF_PREFIX}io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ValidationRule` },
      description: 'CEL validation rules of this node.',
    },
  });
}

const started = performance.now();
const files = listDts(typesDir);
const inputs = [...files, patchMetaFile, fileURLToPath(import.meta.url)];
if (upToDate(inputs)) {
  console.log(`gen-schemas: ${relative(root, outFile)} is up to date`);
} else {
  ts = (await import('typescript')).default;
  const defs = generate(files);
  overlayPatchMeta(defs, JSON.parse(readFileSync(patchMetaFile, 'utf8')));
  addSchemaExtensions(defs);
  const text = JSON.stringify(sortKeys(defs));
  mkdirSync(dirname(outFile), { recursive: true });
  const tmp = `${outFile}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, outFile);
  const ms = Math.round(performance.now() - started);
  console.log(
    `gen-schemas: wrote ${Object.keys(defs).length} definitions (${(text.length / 1024).toFixed(0)} KiB) to ${relative(root, outFile)} in ${ms} ms`,
  );
}
