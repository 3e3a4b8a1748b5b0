// The compressing response encoder: what it writes decodes (with dns-packet) to the records it was given,
// owner names repeat as two-byte pointers, and a headless answer of ten endpoints fits in 512 bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Answer } from 'dns-packet';
import * as packet from 'dns-packet';
import { encodeResponse } from '../../src/dns/wire.js';

const owner = 'db.default.svc.cluster.local';

describe('DNS response encoding', () => {
  it('round-trips every record type the server writes, with compressed names', () => {
    const answers: Answer[] = [
      { type: 'A', name: owner, ttl: 5, class: 'IN', data: '10.42.0.5' },
      { type: 'AAAA', name: owner, ttl: 5, class: 'IN', data: 'fd00::5' },
      { type: 'CNAME', name: owner, ttl: 5, class: 'IN', data: 'web.default.svc.cluster.local' },
      {
        type: 'PTR',
        name: '5.0.42.10.in-addr.arpa',
        ttl: 5,
        class: 'IN',
        data: 'db-0.db.default.svc.cluster.local',
      },
      {
        type: 'SRV',
        name: `_pg._tcp.${owner}`,
        ttl: 5,
        class: 'IN',
        data: { priority: 0, weight: 100, port: 5432, target: `db-0.${owner}` },
      },
      { type: 'TXT', name: 'dns-version.cluster.local', ttl: 5, class: 'IN', data: ['1.1.0'] },
      { type: 'NS', name: 'cluster.local', ttl: 5, class: 'IN', data: 'ns.dns.cluster.local' },
    ];
    const soa: Answer = {
      type: 'SOA',
      name: 'cluster.local',
      ttl: 5,
      class: 'IN',
      data: {
        mname: 'ns.dns.cluster.local',
        rname: 'hostmaster.cluster.local',
        serial: 9,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: 5,
      },
    };
    const opt = {
      type: 'OPT',
      name: '.',
      udpPayloadSize: 1232,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    } as unknown as Answer;
    const buf = encodeResponse({
      id: 77,
      flags: 0x400 | 0x100 | 0x80 | 3,
      questions: [{ type: 'A', name: owner, class: 'IN' }],
      answers,
      authorities: [soa],
      additionals: [opt],
    });
    const d = packet.decode(buf);
    assert.equal(d.id, 77);
    assert.equal(d.type, 'response');
    assert.equal((d as { rcode?: string }).rcode, 'NXDOMAIN');
    assert.equal(d.flag_aa, true);
    assert.deepEqual(d.questions, [{ type: 'A', name: owner, class: 'IN' }]);
    const strip = (a: Answer) => {
      const { flush: _f, ...rest } = a as Answer & { flush?: boolean };
      return rest;
    };
    assert.deepEqual(d.answers!.map(strip), answers);
    assert.deepEqual(d.authorities!.map(strip), [soa]);
    assert.equal(d.additionals![0].type, 'OPT');
    assert.equal((d.additionals![0] as { udpPayloadSize: number }).udpPayloadSize, 1232);
    assert.ok(
      buf.length <
        packet.encode({ type: 'response', id: 77, questions: d.questions, answers, authorities: [soa] })
          .length,
    );
  });

  it('fits ten A records under one long owner name in a 512-byte answer', () => {
    const name = 'a-rather-long-service-name.a-long-namespace-name.svc.cluster.local';
    const answers: Answer[] = Array.from({ length: 10 }, (_, i) => ({
      type: 'A',
      name,
      ttl: 5,
      class: 'IN',
      data: `10.42.0.${i + 1}`,
    }));
    const buf = encodeResponse({
      id: 1,
      flags: 0,
      questions: [{ type: 'A', name }],
      answers,
      authorities: [],
      additionals: [],
    });
    // Header, the question, then 10 * (pointer 2 + type/class/ttl/len 10 + address 4).
    assert.equal(buf.length, 12 + name.length + 2 + 4 + 10 * 16);
    assert.deepEqual(
      packet.decode(buf).answers!.map((a) => (a as { data: string }).data),
      answers.map((a) => (a as { data: string }).data),
    );
  });
});
