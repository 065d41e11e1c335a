// node dist/bench/ldap-stub.bench.js <port> — forestd's LDAP server layer (src/ldap: framing,
// decode, dispatch, operations, response encoding, the batched socket writes) over a stub
// DirectoryService that binds anyone and answers every search with one canned entry of six
// attributes (through entryEncoded, as the encoded-entry cache does). Serves on 127.0.0.1:<port>
// until killed, for ldclt (bench/lib/ldclt.ts) to measure the server CPU per operation the LDAP
// layer costs without the DSA: compare it with bench/ldap-floor.bench.ts (canned bytes, no DSA) and
// with `forestd serve` on the same requests. STUB_MODE=entry sends the entry through entry()
// (encoded per request) instead.
import { LdapServer } from '../src/ldap/server.js';
import { BerWriter } from '../src/ber/writer.js';
import { silentLogger } from '../src/ldap/logger.js';
import type { DirectoryService, SearchSink } from '../src/dsa/api.js';
import type { OutgoingAttribute } from '../src/ldap/protocol/messages.js';

const port = Number(process.argv[2] ?? 3902);
const DN = 'CN=user1234,OU=Bench,DC=example,DC=com';
const attrs: OutgoingAttribute[] = ['cn', 'sn', 'givenName', 'displayName', 'mail', 'description'].map((a) => ({ type: a, values: [`${a} value 1234`] }));
const w = new BerWriter(512);
w.startSequence(0x30);
for (const a of attrs) {
  w.startSequence(0x30);
  w.writeString(a.type);
  w.startSequence(0x31);
  w.writeString(a.values[0] as string);
  w.endSequence();
  w.endSequence();
}
w.endSequence();
const encoded = Buffer.from(w.toBuffer());
const viaEntry = process.env.STUB_MODE === 'entry';

const unused = (): never => {
  throw new Error('the stub answers bind and search only');
};
const directory: DirectoryService = {
  supportedExtensions: [],
  bind: async () => ({ identity: { dn: 'CN=Administrator,CN=Users,DC=example,DC=com', guid: Buffer.alloc(16), isAdmin: true } }),
  search: async (_req, _ctx, sink: SearchSink) => {
    const p = viaEntry || !sink.entryEncoded ? sink.entry(DN, attrs) : sink.entryEncoded(DN, encoded);
    if (p) await p;
    return {};
  },
  add: unused,
  modify: unused,
  modifyDN: unused,
  delete: unused,
  compare: unused,
  extended: unused,
};
const server = new LdapServer({ directory, listeners: [{ host: '127.0.0.1', port }], logger: silentLogger });
await server.listen();
console.log(`ready ldap://127.0.0.1:${port}`);
