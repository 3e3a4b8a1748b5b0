// The grpc probe: one call of the standard health service (grpc.health.v1.Health/Check) over plaintext
// HTTP/2 to the pod's IP, passing when the answer says SERVING. The two messages are tiny protobufs, so
// they are written and read here rather than through a gRPC library.
import { connect, constants } from 'node:http2';
import type { ProbeOutcome } from './probe.js';

const SERVING = 1;
const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
/** gRPC status code for a method the server does not have. */
const UNIMPLEMENTED = 12;

/** HealthCheckRequest{service} as a length-prefixed gRPC message. */
export function healthRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  // Field 1, wire type 2 (length-delimited); an empty service is sent as an empty message.
  const body =
    name.length > 0 ? Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]) : Buffer.alloc(0);
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(body.length, 1);
  return Buffer.concat([frame, body]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** The status field (1) of a HealthCheckResponse message body; 0 (UNKNOWN) when absent. */
export function healthStatus(body: Buffer): number {
  let i = 0;
  while (i < body.length) {
    const key = body[i++];
    const field = key >> 3;
    const wire = key & 7;
    let value = 0;
    if (wire === 0) {
      for (let shift = 0; i < body.length; shift += 7) {
        const b = body[i++];
        value |= (b & 0x7f) << shift;
        if (!(b & 0x80)) break;
      }
      if (field === 1) return value;
    } else if (wire === 2) {
      let len = 0;
      for (let shift = 0; i < body.length; shift += 7) {
        const b = body[i++];
        len |= (b & 0x7f) << shift;
        if (!(b & 0x80)) break;
      }
      i += len;
    } else return 0;
  }
  return 0;
}

export function grpcProbe(
  host: string,
  port: number,
  service: string,
  timeoutSeconds: number,
): Promise<ProbeOutcome> {
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const within = `${timeoutSeconds}s`;
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(o);
    };
    const session = connect(`http://${addr}`);
    const timer = setTimeout(
      () => finish({ result: 'failure', output: `timeout: health rpc did not complete within ${within}` }),
      timeoutSeconds * 1000,
    );
    session.on('error', (err) =>
      finish({
        result: 'failure',
        output: `timeout: failed to connect service "${addr}" within ${within}: ${err.message}`,
      }),
    );
    const req = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'kube-probe/1.33',
    });
    const chunks: Buffer[] = [];
    let grpcStatus: number | undefined;
    let grpcMessage = '';
    const readStatus = (h: Record<string, unknown>) => {
      if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    req.on('response', readStatus);
    req.on('trailers', readStatus);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (err) => finish({ result: 'failure', output: `rpc error: ${err.message}` }));
    req.on('end', () => {
      if (grpcStatus === UNIMPLEMENTED)
        return finish({
          result: 'failure',
          output: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${grpcMessage}`,
        });
      if (grpcStatus !== 0)
        return finish({
          result: 'failure',
          output: `rpc error: code = ${grpcStatus ?? 'unknown'} desc = ${grpcMessage}`,
        });
      const all = Buffer.concat(chunks);
      const status = all.length >= 5 ? healthStatus(all.subarray(5, 5 + all.readUInt32BE(1))) : 0;
      if (status === SERVING) return finish({ result: 'success', output: '' });
      finish({
        result: 'failure',
        output: `service unhealthy (responded with "${STATUS_NAMES[status] ?? status}")`,
      });
    });
    req.end(healthRequest(service));
  });
}
