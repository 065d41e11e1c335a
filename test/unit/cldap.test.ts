// The CLDAP listener (src/ldap/cldap.ts) with the DSA behind it: bad datagrams get no answer and
// break nothing; an LDAP ping gets the entry and the done in one datagram; a ping for another
// domain gets the done alone (MS-ADTS 6.3.3.3).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fixture } from './dsa-fixture.js';
import type { Directory } from '../../src/dsa/directory.js';
import { DsaService } from '../../src/dsa/service.js';
import { CldapServer } from '../../src/ldap/cldap.js';
import { encodeMessage, readMessage } from '../../src/ldap/protocol/codec.js';
import { BerReader } from '../../src/ber/reader.js';
import type { LdapMessage } from '../../src/ldap/protocol/messages.js';
import { parseFilter } from '../../src/ldap/protocol/filter-string.js';
import { silentLogger } from '../../src/ldap/logger.js';

let d: Directory;
let close: () => Promise<void>;
let server: CldapServer;
let port: number;
before(async () => {
  ({ d, close } = await fixture());
  server = new CldapServer({ directory: new DsaService(d), host: '127.0.0.1', port: 0, logger: silentLogger });
  port = (await server.listen()).port;
});
after(async () => {
  await server?.close();
  await close?.();
});

function ping(filter: string, id = 3): Buffer {
  return encodeMessage({ messageID: id, protocolOp: { type: 'searchRequest', baseObject: '', scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: parseFilter(filter), attributes: ['Netlogon'] } });
}

async function exchange(datagrams: Buffer[]): Promise<LdapMessage[][]> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const answers: LdapMessage[][] = [];
  try {
    for (const dg of datagrams) sock.send(dg, port, '127.0.0.1');
    // only the last datagram is a real ping: its answer is the first that comes back
    const [msg] = (await once(sock, 'message')) as [Buffer];
    const r = new BerReader(msg);
    const list: LdapMessage[] = [];
    while (r.pos < msg.length) list.push(readMessage(r));
    answers.push(list);
  } finally {
    sock.close();
  }
  return answers;
}

test('garbage datagrams get no answer and do not stop the listener; the ping after them is answered', async () => {
  const junk = [Buffer.from('not ber at all'), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), Buffer.alloc(0), Buffer.alloc(5000, 0x30), encodeMessage({ messageID: 1, protocolOp: { type: 'unbindRequest' } })];
  const [msgs] = await exchange([...junk, ping('(&(DnsDomain=example.com)(NtVer=\\06\\00\\00\\00))', 9)]);
  assert.deepEqual(msgs!.map((m) => m.protocolOp.type), ['searchResultEntry', 'searchResultDone']);
  assert.deepEqual(msgs!.map((m) => m.messageID), [9, 9]);
  const entry = msgs![0]!.protocolOp as { attributes: { type: string; values: Buffer[] }[] };
  assert.equal(entry.attributes[0]!.type.toLowerCase(), 'netlogon');
  assert.equal(entry.attributes[0]!.values[0]!.readUInt16LE(0), 23, 'LOGON_SAM_LOGON_RESPONSE_EX');
});

test('a ping for another domain: the SearchResultDone alone (success), no entry', async () => {
  const [msgs] = await exchange([ping('(&(DnsDomain=other.example)(NtVer=\\06\\00\\00\\00))')]);
  assert.deepEqual(msgs!.map((m) => m.protocolOp.type), ['searchResultDone']);
  assert.equal((msgs![0]!.protocolOp as { resultCode: number }).resultCode, 0);
});

test('over UDP nothing but the rootDSE: a search of the domain is refused as an anonymous one is (operationsError, 000004DC)', async () => {
  const msg = encodeMessage({ messageID: 4, protocolOp: { type: 'searchRequest', baseObject: 'DC=example,DC=com', scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: parseFilter('(objectClass=*)'), attributes: [] } });
  const [msgs] = await exchange([msg]);
  assert.deepEqual(msgs!.map((m) => m.protocolOp.type), ['searchResultDone']);
  const done = msgs![0]!.protocolOp as { resultCode: number; diagnosticMessage: string };
  assert.equal(done.resultCode, 1);
  assert.match(done.diagnosticMessage, /^000004DC: /);
});
