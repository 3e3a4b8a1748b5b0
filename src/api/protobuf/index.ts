// Kubernetes protobuf (application/vnd.kubernetes.protobuf) bodies <-> JSON objects.
export { decodeMessage } from './decode.js';
export { encodeMessage } from './encode.js';
export {
  type DecodedObject,
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  isKubernetesProtobuf,
  PROTOBUF_MAGIC,
  PROTOBUF_MEDIA_TYPE,
} from './envelope.js';
export { messageForKind } from './schema.js';
