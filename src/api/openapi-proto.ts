// The gnostic OpenAPI v2 protobuf form (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`),
// which kubectl requests at /openapi/v2 for apply's patch metadata and client-side validation.
// The .proto below is written for k8ts with the field numbers of gnostic's openapiv2/OpenAPIv2.proto
// (package openapi.v2); it declares only the messages and fields a Kubernetes document uses, so its
// wire format is a compatible subset. Vendor extensions and defaults travel as `Any.yaml` text
// (JSON is valid YAML), which is where kube-openapi reads them from.
import protobuf from 'protobufjs';

export const OPENAPI_V2_PROTO = `
syntax = "proto3";
package openapi.v2;

// Wire shape of google.protobuf.Any (never set by us).
message ProtobufAny { string type_url = 1; bytes value = 2; }
message Any { ProtobufAny value = 1; string yaml = 2; }
message NamedAny { string name = 1; Any value = 2; }

message Document {
  string swagger = 1;
  Info info = 2;
  string host = 3;
  string base_path = 4;
  repeated string schemes = 5;
  repeated string consumes = 6;
  repeated string produces = 7;
  Paths paths = 8;
  Definitions definitions = 9;
  repeated SecurityRequirement security = 12;
  SecurityDefinitions security_definitions = 13;
  repeated NamedAny vendor_extension = 16;
}
message Info {
  string title = 1;
  string version = 2;
  string description = 3;
  repeated NamedAny vendor_extension = 7;
}
message Paths {
  repeated NamedAny vendor_extension = 1;
  repeated NamedPathItem path = 2;
}
message NamedPathItem { string name = 1; PathItem value = 2; }
message PathItem {
  string _ref = 1;
  Operation get = 2;
  Operation put = 3;
  Operation post = 4;
  Operation delete = 5;
  Operation options = 6;
  Operation head = 7;
  Operation patch = 8;
  repeated ParametersItem parameters = 9;
  repeated NamedAny vendor_extension = 10;
}
message Operation {
  repeated string tags = 1;
  string summary = 2;
  string description = 3;
  string operation_id = 5;
  repeated string produces = 6;
  repeated string consumes = 7;
  repeated ParametersItem parameters = 8;
  Responses responses = 9;
  repeated string schemes = 10;
  bool deprecated = 11;
  repeated NamedAny vendor_extension = 13;
}
message JsonReference { string _ref = 1; string description = 2; }
message ParametersItem {
  oneof oneof {
    Parameter parameter = 1;
    JsonReference json_reference = 2;
  }
}
message Parameter {
  oneof oneof {
    BodyParameter body_parameter = 1;
    NonBodyParameter non_body_parameter = 2;
  }
}
message BodyParameter {
  string description = 1;
  string name = 2;
  string in = 3;
  bool required = 4;
  Schema schema = 5;
  repeated NamedAny vendor_extension = 6;
}
message NonBodyParameter {
  oneof oneof {
    HeaderParameterSubSchema header_parameter_sub_schema = 1;
    QueryParameterSubSchema query_parameter_sub_schema = 3;
    PathParameterSubSchema path_parameter_sub_schema = 4;
  }
}
message HeaderParameterSubSchema {
  bool required = 1;
  string in = 2;
  string description = 3;
  string name = 4;
  string type = 5;
  string format = 6;
  bool unique_items = 19;
  repeated NamedAny vendor_extension = 22;
}
message QueryParameterSubSchema {
  bool required = 1;
  string in = 2;
  string description = 3;
  string name = 4;
  bool allow_empty_value = 5;
  string type = 6;
  string format = 7;
  Any default = 10;
  bool unique_items = 20;
  repeated NamedAny vendor_extension = 23;
}
message PathParameterSubSchema {
  bool required = 1;
  string in = 2;
  string description = 3;
  string name = 4;
  string type = 5;
  string format = 6;
  bool unique_items = 19;
  repeated NamedAny vendor_extension = 22;
}
message Responses {
  repeated NamedResponseValue response_code = 1;
  repeated NamedAny vendor_extension = 2;
}
message NamedResponseValue { string name = 1; ResponseValue value = 2; }
message ResponseValue {
  oneof oneof {
    Response response = 1;
    JsonReference json_reference = 2;
  }
}
message Response {
  string description = 1;
  SchemaItem schema = 2;
  repeated NamedAny vendor_extension = 5;
}
message SchemaItem {
  oneof oneof {
    Schema schema = 1;
  }
}
message Schema {
  string _ref = 1;
  string format = 2;
  string title = 3;
  string description = 4;
  Any default = 5;
  double multiple_of = 6;
  double maximum = 7;
  bool exclusive_maximum = 8;
  double minimum = 9;
  bool exclusive_minimum = 10;
  int64 max_length = 11;
  int64 min_length = 12;
  string pattern = 13;
  int64 max_items = 14;
  int64 min_items = 15;
  bool unique_items = 16;
  int64 max_properties = 17;
  int64 min_properties = 18;
  repeated string required = 19;
  repeated Any enum = 20;
  AdditionalPropertiesItem additional_properties = 21;
  TypeItem type = 22;
  ItemsItem items = 23;
  repeated Schema all_of = 24;
  Properties properties = 25;
  string discriminator = 26;
  bool read_only = 27;
  Any example = 30;
  repeated NamedAny vendor_extension = 31;
}
message AdditionalPropertiesItem {
  oneof oneof {
    Schema schema = 1;
    bool boolean = 2;
  }
}
message TypeItem { repeated string value = 1; }
message ItemsItem { repeated Schema schema = 1; }
message Properties { repeated NamedSchema additional_properties = 1; }
message NamedSchema { string name = 1; Schema value = 2; }
message Definitions { repeated NamedSchema additional_properties = 1; }
message SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1; }
message NamedSecurityDefinitionsItem { string name = 1; SecurityDefinitionsItem value = 2; }
message SecurityDefinitionsItem {
  oneof oneof {
    ApiKeySecurity api_key_security = 2;
  }
}
message ApiKeySecurity {
  string type = 1;
  string name = 2;
  string in = 3;
  string description = 4;
  repeated NamedAny vendor_extension = 5;
}
message SecurityRequirement { repeated NamedStringArray additional_properties = 1; }
message NamedStringArray { string name = 1; StringArray value = 2; }
message StringArray { repeated string value = 1; }
`;

let documentType: protobuf.Type | undefined;
export function openapiV2DocumentType(): protobuf.Type {
  documentType ??= protobuf
    .parse(OPENAPI_V2_PROTO, { keepCase: true })
    .root.lookupType('openapi.v2.Document');
  return documentType;
}

type J = Record<string, any>;

const any = (v: unknown): J => ({ yaml: JSON.stringify(v) });

function extensions(o: J): J[] {
  const out: J[] = [];
  for (const [k, v] of Object.entries(o)) if (k.startsWith('x-')) out.push({ name: k, value: any(v) });
  return out;
}

const SCHEMA_SCALARS: Record<string, string> = {
  format: 'format',
  title: 'title',
  description: 'description',
  pattern: 'pattern',
  discriminator: 'discriminator',
  multipleOf: 'multiple_of',
  maximum: 'maximum',
  exclusiveMaximum: 'exclusive_maximum',
  minimum: 'minimum',
  exclusiveMinimum: 'exclusive_minimum',
  maxLength: 'max_length',
  minLength: 'min_length',
  maxItems: 'max_items',
  minItems: 'min_items',
  uniqueItems: 'unique_items',
  maxProperties: 'max_properties',
  minProperties: 'min_properties',
  readOnly: 'read_only',
};

function schemaMessage(s: J): J {
  const m: J = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref') m._ref = v;
    else if (SCHEMA_SCALARS[k]) m[SCHEMA_SCALARS[k]] = v;
    else if (k === 'type') m.type = { value: Array.isArray(v) ? v : [v] };
    else if (k === 'required') m.required = v;
    else if (k === 'items') m.items = { schema: (Array.isArray(v) ? v : [v]).map(schemaMessage) };
    else if (k === 'allOf') m.all_of = (v as J[]).map(schemaMessage);
    else if (k === 'properties')
      m.properties = {
        additional_properties: Object.entries(v as J).map(([name, p]) => ({ name, value: schemaMessage(p) })),
      };
    else if (k === 'additionalProperties')
      m.additional_properties = typeof v === 'boolean' ? { boolean: v } : { schema: schemaMessage(v) };
    else if (k === 'default') m.default = any(v);
    else if (k === 'example') m.example = any(v);
    else if (k === 'enum') m.enum = (v as unknown[]).map(any);
  }
  const ext = extensions(s);
  if (ext.length) m.vendor_extension = ext;
  return m;
}

function parameterItem(p: J): J {
  if (p.$ref) return { json_reference: { _ref: p.$ref } };
  if (p.in === 'body')
    return {
      parameter: {
        body_parameter: {
          description: p.description,
          name: p.name,
          in: p.in,
          required: !!p.required,
          schema: schemaMessage(p.schema ?? {}),
        },
      },
    };
  const common: J = {
    required: !!p.required,
    in: p.in,
    description: p.description,
    name: p.name,
    type: p.type,
  };
  if (p.format) common.format = p.format;
  if (p.uniqueItems) common.unique_items = true;
  const ext = extensions(p);
  if (ext.length) common.vendor_extension = ext;
  const key =
    p.in === 'query'
      ? 'query_parameter_sub_schema'
      : p.in === 'path'
        ? 'path_parameter_sub_schema'
        : 'header_parameter_sub_schema';
  return { parameter: { non_body_parameter: { [key]: common } } };
}

function operationMessage(o: J): J {
  const m: J = {
    tags: o.tags ?? [],
    description: o.description ?? '',
    operation_id: o.operationId ?? '',
    produces: o.produces ?? [],
    consumes: o.consumes ?? [],
    parameters: (o.parameters ?? []).map(parameterItem),
    schemes: o.schemes ?? [],
  };
  if (o.summary) m.summary = o.summary;
  if (o.deprecated) m.deprecated = true;
  m.responses = {
    response_code: Object.entries((o.responses ?? {}) as J).map(([code, r]) => ({
      name: code,
      value: r.$ref
        ? { json_reference: { _ref: r.$ref } }
        : {
            response: {
              description: r.description ?? '',
              ...(r.schema ? { schema: { schema: schemaMessage(r.schema) } } : {}),
            },
          },
    })),
  };
  const ext = extensions(o);
  if (ext.length) m.vendor_extension = ext;
  return m;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

/** Swagger 2.0 JSON document -> the gnostic message as a plain object (field names as in the .proto). */
export function gnosticDocument(doc: J): J {
  const path = Object.entries((doc.paths ?? {}) as J).map(([name, item]) => {
    const value: J = {};
    for (const m of METHODS) if (item[m]) value[m] = operationMessage(item[m]);
    if (item.parameters) value.parameters = item.parameters.map(parameterItem);
    const ext = extensions(item);
    if (ext.length) value.vendor_extension = ext;
    return { name, value };
  });
  const out: J = {
    swagger: doc.swagger,
    info: { title: doc.info?.title ?? '', version: doc.info?.version ?? '' },
    paths: { path },
    definitions: {
      additional_properties: Object.entries((doc.definitions ?? {}) as J).map(([name, s]) => ({
        name,
        value: schemaMessage(s),
      })),
    },
  };
  if (doc.securityDefinitions)
    out.security_definitions = {
      additional_properties: Object.entries(doc.securityDefinitions as J).map(([name, d]) => ({
        name,
        value: {
          api_key_security: { type: d.type, name: d.name, in: d.in, description: d.description ?? '' },
        },
      })),
    };
  if (doc.security)
    out.security = (doc.security as J[]).map((req) => ({
      additional_properties: Object.entries(req).map(([name, scopes]) => ({
        name,
        value: { value: scopes },
      })),
    }));
  const ext = extensions(doc);
  if (ext.length) out.vendor_extension = ext;
  return out;
}

/** Encode a Swagger 2.0 JSON document as gnostic openapi.v2.Document protobuf bytes. */
export function encodeOpenAPIv2(doc: J): Uint8Array {
  const t = openapiV2DocumentType();
  return t.encode(t.fromObject(gnosticDocument(doc))).finish();
}

/** Decode protobuf bytes back into the gnostic message (plain object, field names as in the .proto). */
export function decodeOpenAPIv2(bytes: Uint8Array): J {
  const t = openapiV2DocumentType();
  return t.toObject(t.decode(bytes), { arrays: true, oneofs: false, longs: Number }) as J;
}
