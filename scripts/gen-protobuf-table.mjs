#!/usr/bin/env node
// Regenerates src/api/protobuf/table.ts from a kubectl binary's own type metadata:
//  - Go's reflection data for the API structs (field order, `json:` and `protobuf:` tags, which
//    fields are pointers), reached through the binary's typelinks;
//  - the gzipped generated.proto descriptors gogo-protobuf embeds, to cross-check every number,
//    name and wire type.
// To accept a new kind as protobuf: add it to ROOTS, run `node scripts/gen-protobuf-table.mjs`, and
// the messages it reaches are added. Needs a statically linked Go 1.2x linux/amd64 kubectl.
//
// usage: node scripts/gen-protobuf-table.mjs [path/to/kubectl] [out.ts]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import descriptor from 'protobufjs/ext/descriptor/index.js';

const KUBECTL = process.argv[2] ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';
const OUT = process.argv[3] ?? 'src/api/protobuf/table.ts';

/** Go package -> [alias used in the table, apiVersion]. */
const PACKAGES = {
  'k8s.io/api/core/v1': ['core', 'v1'],
  'k8s.io/api/apps/v1': ['apps', 'apps/v1'],
  'k8s.io/api/batch/v1': ['batch', 'batch/v1'],
  'k8s.io/api/rbac/v1': ['rbac', 'rbac.authorization.k8s.io/v1'],
  'k8s.io/api/scheduling/v1': ['scheduling', 'scheduling.k8s.io/v1'],
  'k8s.io/api/policy/v1': ['policy', 'policy/v1'],
  'k8s.io/api/authentication/v1': ['authentication', 'authentication.k8s.io/v1'],
  'k8s.io/api/networking/v1': ['networking', 'networking.k8s.io/v1'],
  'k8s.io/api/autoscaling/v1': ['autoscaling', 'autoscaling/v1'],
  'k8s.io/api/coordination/v1': ['coordination', 'coordination.k8s.io/v1'],
  'k8s.io/apimachinery/pkg/apis/meta/v1': ['meta', 'meta.k8s.io/v1'],
  'k8s.io/api/autoscaling/v2': ['autoscalingv2', 'autoscaling/v2'],
  'k8s.io/api/authorization/v1': ['authorization', 'authorization.k8s.io/v1'],
  'k8s.io/api/certificates/v1': ['certificates', 'certificates.k8s.io/v1'],
};

/** Top-level kinds accepted as protobuf request bodies. */
const ROOTS = {
  'k8s.io/api/core/v1': [
    'ConfigMap',
    'Secret',
    'Namespace',
    'Service',
    'ServiceAccount',
    'ResourceQuota',
    'Pod',
    'PodTemplate',
    'Binding',
    'Event',
    'Endpoints',
    'LimitRange',
    'PersistentVolumeClaim',
    'ReplicationController',
  ],
  'k8s.io/api/apps/v1': ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'],
  'k8s.io/api/batch/v1': ['Job', 'CronJob'],
  'k8s.io/api/rbac/v1': ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
  'k8s.io/api/scheduling/v1': ['PriorityClass'],
  'k8s.io/api/policy/v1': ['PodDisruptionBudget', 'Eviction'],
  'k8s.io/api/authentication/v1': ['TokenRequest', 'SelfSubjectReview', 'TokenReview'],
  'k8s.io/api/networking/v1': ['Ingress'],
  'k8s.io/api/autoscaling/v1': ['Scale', 'HorizontalPodAutoscaler'],
  'k8s.io/api/coordination/v1': ['Lease'],
  'k8s.io/apimachinery/pkg/apis/meta/v1': ['DeleteOptions', 'Status'],
  'k8s.io/api/autoscaling/v2': ['HorizontalPodAutoscaler'],
  'k8s.io/api/authorization/v1': [
    'SelfSubjectAccessReview',
    'SelfSubjectRulesReview',
    'SubjectAccessReview',
    'LocalSubjectAccessReview',
  ],
  'k8s.io/api/certificates/v1': ['CertificateSigningRequest'],
};

/** Go types with their own JSON form, decoded by hand in decode.ts. */
const SPECIAL = {
  'k8s.io/apimachinery/pkg/apis/meta/v1.Time': 'time',
  'k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime': 'microtime',
  'k8s.io/apimachinery/pkg/apis/meta/v1.Duration': 'duration',
  'k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1': 'fieldsv1',
  'k8s.io/apimachinery/pkg/api/resource.Quantity': 'quantity',
  'k8s.io/apimachinery/pkg/util/intstr.IntOrString': 'intorstring',
  'k8s.io/apimachinery/pkg/runtime.RawExtension': 'raw',
};

// ---- ELF and Go reflection data --------------------------------------------------------------
const bin = readFileSync(KUBECTL);
const sections = new Map();
{
  const shoff = Number(bin.readBigUInt64LE(0x28));
  const shnum = bin.readUInt16LE(0x3c);
  const shstr = shoff + 64 * bin.readUInt16LE(0x3e);
  const strOff = Number(bin.readBigUInt64LE(shstr + 24));
  for (let i = 0; i < shnum; i++) {
    const h = shoff + 64 * i;
    const nameAt = strOff + bin.readUInt32LE(h);
    const name = bin.toString('latin1', nameAt, bin.indexOf(0, nameAt));
    const addr = Number(bin.readBigUInt64LE(h + 16));
    const offset = Number(bin.readBigUInt64LE(h + 24));
    const size = Number(bin.readBigUInt64LE(h + 32));
    sections.set(name, { addr, offset, size });
  }
}
const fileOffset = (vaddr) => {
  for (const s of sections.values()) {
    if (s.addr && vaddr >= s.addr && vaddr < s.addr + s.size) return vaddr - s.addr + s.offset;
  }
  throw new Error(`address 0x${vaddr.toString(16)} is in no section`);
};
const u8 = (v) => bin[fileOffset(v)];
const u64 = (v) => Number(bin.readBigUInt64LE(fileOffset(v)));
const i32 = (v) => bin.readInt32LE(fileOffset(v));
const typesBase = sections.get('.rodata').addr;

function varint(o) {
  let r = 0;
  let shift = 0;
  for (;;) {
    const b = bin[o++];
    r += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [r, o];
    shift += 7;
  }
}
/** abi.Name: flags byte, varint length, bytes, then (flag 2) varint tag length and tag. */
function goName(vaddr) {
  let o = fileOffset(vaddr);
  const flags = bin[o];
  let n;
  [n, o] = varint(o + 1);
  const name = bin.toString('utf8', o, o + n);
  o += n;
  let tag = '';
  if (flags & 2) {
    [n, o] = varint(o);
    tag = bin.toString('utf8', o, o + n);
  }
  return { name, tag };
}
// abi.Type: size 0, ptrdata 8, hash 16, tflag 20, align 21, fieldAlign 22, kind 23, equal 24,
// gcdata 32, str 40, ptrToThis 44; kind-specific data follows at 48.
const KIND = {
  bool: 1,
  int32: 5,
  int64: 6,
  uint8: 8,
  float64: 14,
  map: 21,
  ptr: 22,
  slice: 23,
  string: 24,
  struct: 25,
};
const kindOf = (t) => u8(t + 23) & 0x1f;
function typeName(t) {
  const { name } = goName(typesBase + i32(t + 40));
  return u8(t + 20) & 2 ? name.slice(1) : name; // tflagExtraStar
}
function pkgPath(t) {
  if (kindOf(t) !== KIND.struct || !(u8(t + 20) & 1)) return ''; // uncommon type follows StructType (80 bytes)
  const off = i32(t + 80);
  return off ? goName(typesBase + off).name : '';
}

const structs = new Map(); // 'pkg.Name' -> [{ name, tag, type }]
const seen = new Set();
function walk(t) {
  if (seen.has(t)) return;
  seen.add(t);
  const k = kindOf(t);
  if (k === KIND.ptr || k === KIND.slice || k === 17) walk(u64(t + 48));
  else if (k === KIND.map) {
    walk(u64(t + 48));
    walk(u64(t + 56));
  } else if (k === KIND.struct) {
    const fields = [];
    const at = u64(t + 56);
    for (let i = 0; i < u64(t + 64); i++) {
      const { name, tag } = goName(u64(at + 24 * i));
      const ft = u64(at + 24 * i + 8);
      fields.push({ name, tag, type: ft });
      walk(ft);
    }
    const pkg = pkgPath(t);
    if (pkg) structs.set(`${pkg}.${typeName(t).split('.').pop()}`, fields);
  }
}
{
  const tl = sections.get('.typelink');
  for (let o = tl.offset; o < tl.offset + tl.size; o += 4) {
    try {
      walk(typesBase + bin.readInt32LE(o));
    } catch {
      // a type outside the data we can read; API types never are
    }
  }
}

// ---- the embedded generated.proto descriptors ------------------------------------------------
const protoMessages = new Map(); // 'k8s.io.api.core.v1.ConfigMap' -> DescriptorProto
for (
  let o = bin.indexOf(Buffer.from([0x1f, 0x8b, 8, 0]));
  o >= 0;
  o = bin.indexOf(Buffer.from([0x1f, 0x8b, 8, 0]), o + 1)
) {
  let raw;
  try {
    // inflate just this member (Go writes a bare 10-byte gzip header); gunzip would run on into the next
    raw = inflateRawSync(bin.subarray(o + 10, o + 2_000_000));
  } catch {
    continue;
  }
  if (!raw.subarray(0, 200).includes('generated.proto')) continue;
  try {
    const fd = descriptor.FileDescriptorProto.decode(raw);
    for (const m of fd.messageType) protoMessages.set(`${fd.package}.${m.name}`, m);
  } catch {
    // not a descriptor after all
  }
}

// ---- the table ---------------------------------------------------------------------------------
const problems = [];
const table = new Map(); // 'pkg.Name' -> entries
const queue = Object.entries(ROOTS).flatMap(([pkg, kinds]) => kinds.map((k) => `${pkg}.${k}`));

function splitKey(key) {
  const dot = key.lastIndexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}
function ref(key, fromPkg) {
  if (SPECIAL[key]) return SPECIAL[key];
  const [pkg, name] = splitKey(key);
  if (!PACKAGES[pkg]) {
    problems.push(`no alias for package of ${key}`);
    return key;
  }
  if (!table.has(key) && !queue.includes(key)) queue.push(key);
  return pkg === fromPkg ? name : `${PACKAGES[pkg][0]}.${name}`;
}
function typeSpec(t, fromPkg) {
  const k = kindOf(t);
  if (k === KIND.slice) {
    const name = typeName(t);
    if (name.endsWith('.ExtraValue')) return 'stringlist'; // message { repeated string items = 1 }
    const elem = u64(t + 48);
    if (kindOf(elem) === KIND.uint8) return 'bytes';
    return `[]${typeSpec(elem, fromPkg)}`;
  }
  if (k === KIND.map) {
    if (kindOf(u64(t + 48)) !== KIND.string) problems.push(`map key of ${typeName(t)} is not a string`);
    return `{${typeSpec(u64(t + 56), fromPkg)}}`;
  }
  if (k === KIND.struct) return ref(`${pkgPath(t)}.${typeName(t).split('.').pop()}`, fromPkg);
  const scalar = {
    [KIND.string]: 'string',
    [KIND.bool]: 'bool',
    [KIND.int32]: 'int32',
    [KIND.int64]: 'int64',
    [KIND.float64]: 'double',
  }[k];
  if (!scalar) problems.push(`unsupported Go kind ${k} (${typeName(t)})`);
  return scalar ?? '?';
}
const PROTO_SCALAR = { 9: 'string', 8: 'bool', 5: 'int32', 3: 'int64', 1: 'double', 12: 'bytes' };

while (queue.length > 0) {
  const key = queue.shift();
  if (table.has(key)) continue;
  const fields = structs.get(key);
  if (!fields) {
    problems.push(`no Go struct ${key}`);
    continue;
  }
  const [pkg] = splitKey(key);
  const proto = protoMessages.get(key.replace(/\//g, '.'));
  if (!proto) problems.push(`no proto descriptor for ${key}`);
  const entries = [];
  for (const f of fields) {
    const pb = /protobuf:"([^"]*)"/.exec(f.tag);
    if (!pb) continue; // TypeMeta and other JSON-only fields
    const json = (/json:"([^"]*)"/.exec(f.tag)?.[1] ?? f.name).split(',');
    const [, numText, ...opts] = pb[1].split(',');
    const num = Number(numText);
    // an unnamed field (embedded struct) gets its Go name with a lower-case first letter
    const defaultName = `name=${f.name[0].toLowerCase()}${f.name.slice(1)}`;
    const protoName = (opts.find((o) => o.startsWith('name=')) ?? defaultName).slice(5);
    const inline = json.includes('inline');
    const pointer = kindOf(f.type) === KIND.ptr;
    let spec = typeSpec(pointer ? u64(f.type + 48) : f.type, pkg);
    const scalar = Object.values(PROTO_SCALAR).includes(spec);
    const listy = spec.startsWith('[]') || spec.startsWith('{');
    const base = spec.replace(/^\[\]/, '');
    if (pointer) spec += '*';
    if (!inline && !json.includes('omitempty') && (scalar || pointer || listy)) spec += '!';
    if (inline) spec = `^${spec}`;
    entries.push([num, inline ? protoName : json[0], spec]);
    const pf = proto?.field.find((x) => x.number === num);
    if (proto && !pf) problems.push(`${key}: field ${num} is not in generated.proto`);
    if (pf) {
      if (pf.name !== protoName)
        problems.push(`${key}: field ${num} is ${pf.name} in generated.proto, ${protoName} in Go`);
      const repeated = pf.label === 3;
      if (repeated !== listy && spec !== 'stringlist')
        problems.push(`${key}.${protoName}: repeated mismatch`);
      const want = PROTO_SCALAR[pf.type];
      if (!base.startsWith('{') && (want ? want !== base : Object.values(PROTO_SCALAR).includes(base))) {
        problems.push(`${key}.${protoName}: ${spec} in Go, type ${pf.type} in generated.proto`);
      }
    }
  }
  if (proto && proto.field.length !== entries.length)
    problems.push(`${key}: field count differs from generated.proto`);
  table.set(
    key,
    entries.sort((a, b) => a[0] - b[0]),
  );
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}

// ---- output ------------------------------------------------------------------------------------
const alias = (key) => PACKAGES[splitKey(key)[0]][0];
const keys = [...table.keys()].sort((a, b) =>
  `${alias(a)}.${splitKey(a)[1]}`.localeCompare(`${alias(b)}.${splitKey(b)[1]}`),
);
const header = readFileSync(OUT, 'utf8').split('\n/** apiVersion')[0];
const lines = [header, '', '/** apiVersion -> package alias used in MESSAGES keys. */'];
lines.push('export const PACKAGES: Readonly<Record<string, string>> = {');
for (const [a, apiVersion] of Object.values(PACKAGES)) lines.push(`  '${apiVersion}': '${a}',`);
lines.push('};', '', '/** Top-level kinds decodable from a request body, by package alias. */');
lines.push('export const KINDS: Readonly<Record<string, readonly string[]>> = {');
for (const [pkg, kinds] of Object.entries(ROOTS))
  lines.push(`  ${PACKAGES[pkg][0]}: [${kinds.map((k) => `'${k}'`).join(', ')}],`);
lines.push(
  '};',
  '',
  '/** Kinds every API group version accepts (metav1 types registered into each group). */',
);
lines.push('export const GROUPLESS_KINDS: Readonly<Record<string, string>> = {');
lines.push("  DeleteOptions: 'meta.DeleteOptions',", "  Status: 'meta.Status',", '};', '');
lines.push('export const MESSAGES: Readonly<Record<string, string>> = {');
let last = '';
for (const key of keys) {
  const [pkg, name] = splitKey(key);
  if (pkg !== last) lines.push(`  // ${pkg}`);
  last = pkg;
  lines.push(
    `  '${alias(key)}.${name}': '${table
      .get(key)
      .map(([n, j, s]) => `${n}:${j}:${s}`)
      .join(' ')}',`,
  );
}
lines.push('};', '');
writeFileSync(OUT, lines.join('\n'));
execFileSync('npx', ['biome', 'format', '--write', OUT], { stdio: 'inherit' });
console.log(`${OUT}: ${table.size} messages from ${KUBECTL}`);
