// The DC locator (MS-ADTS 6.3): the LDAP ping over TCP (python3-ldap3) and over CLDAP (a UDP
// datagram), each netlogon value decoded by python3-samba's NDR (samba.dcerpc.nbt), and
// `forestd dns-records` (6.3.2). Ephemeral ports; locator-tools.test.ts runs the tools that
// insist on port 389.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, run, runCli, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { findPackageRoot } from '../../src/schema/bootstrap.js';

const script = join(findPackageRoot(), 'test/integration/py/netlogon_ping.py');

// DS_FLAG bits (MS-ADTS 6.3.1.2) this DC has: PDC GC LDAP DS WRITABLE FULL_SECRET_DOMAIN_6 DS_8 DS_9 DS_10 DNS_CONTROLLER DNS_DOMAIN DNS_FOREST
const FLAGS = (0x1 | 0x4 | 0x8 | 0x10 | 0x100 | 0x1000 | 0x4000 | 0x8000 | 0x10000 | 0x20000000 | 0x40000000 | 0x80000000) >>> 0;
const CLOSEST = 0x80;

let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

test('LDAP ping over TCP and CLDAP: NETLOGON_SAM_LOGON_RESPONSE_EX as samba NDR decodes it', { timeout: 60_000 }, async () => {
  assert.ok(f.cldapPort > 0, 'serve printed its CLDAP port');
  const r = await run(PYTHON, [script, '127.0.0.1', String(f.port), String(f.cldapPort), f.realm, f.adminDN, f.adminPassword]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const o = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const ex = o.tcp_ex;
  assert.equal(ex.command, 23, 'LOGON_SAM_LOGON_RESPONSE_EX');
  assert.equal(ex.server_type, FLAGS);
  assert.equal(ex.server_type & 0x20, 0, 'no DS_KDC_FLAG: forestd runs no KDC');
  assert.equal(ex.forest, f.realm);
  assert.equal(ex.dns_domain, f.realm);
  assert.equal(ex.pdc_dns_name, `dc1.${f.realm}`);
  assert.equal(ex.domain_name, f.netbios);
  assert.equal(ex.pdc_name, 'DC1', 'NetbiosComputerName, not in UNC form');
  assert.equal(ex.user_name, '');
  assert.equal(ex.server_site, 'Default-First-Site-Name');
  assert.equal(ex.client_site, '', 'no subnet maps the client yet');
  assert.equal(ex.nt_version, 0x1 | 0x4 | 0x8 | 0x10, 'V1 | V5EX | V5EP | VCS');
  assert.equal(ex.sockaddr_size, 16);
  assert.equal(ex.sockaddr_ip, '127.0.0.1');
  assert.equal(ex.lmnt_token, 0xffff);
  assert.equal(ex.lm20_token, 0xffff);
  // without V5EP and VCS the optional fields are absent (17 bytes and 1 byte shorter, and the same otherwise)
  assert.ok(o.tcp_ex_plain_len > 40 && o.tcp_ex_plain_len < 200);
  // no DnsDomain: the default NC; by DomainGuid: the same NC
  assert.equal(o.tcp_no_domain.dns_domain, f.realm);
  assert.equal(o.tcp_guid.domain_uuid, ex.domain_uuid);
  // User with AAC: known account → RESPONSE_EX naming it; unknown → USER_UNKNOWN_EX; no AAC → unknown (as Windows, Samba torture/ldap/netlogon.c)
  assert.equal(o.tcp_user_known.command, 23);
  assert.equal(o.tcp_user_known.user_name, 'Administrator');
  assert.equal(o.tcp_user_unknown.command, 25);
  assert.equal(o.tcp_user_unknown.user_name, 'nobody-here');
  assert.equal(o.tcp_user_no_aac.command, 25);
  // NtVer V5 → NETLOGON_SAM_LOGON_RESPONSE (UNC server name), V1 → NT40
  assert.equal(o.tcp_v5.command, 19);
  assert.equal(o.tcp_v5.pdc_name, '\\\\DC1');
  assert.equal(o.tcp_v5.dns_domain, f.realm);
  assert.equal(o.tcp_v5.nt_version, 3);
  assert.equal(o.tcp_v5.server_type, FLAGS);
  assert.equal(o.tcp_nt40.command, 19);
  assert.equal(o.tcp_nt40.domain_name, f.netbios);
  assert.equal(o.tcp_nt40.nt_version, 1);
  // MS-ADTS 6.3.3.3: no entry for another domain, an unknown GUID, a GUID of the wrong size, a non-equality term
  assert.equal(o.tcp_bad_domain, null);
  assert.equal(o.tcp_bad_guid, null);
  assert.equal(o.tcp_short_guid, null);
  assert.equal(o.tcp_wildcard, null);
  assert.deepEqual(o.tcp_extra_attrs, ['netlogon', 'supportedcapabilities'], 'other rootDSE attributes may be asked next to netlogon');
  assert.equal(o.plain_has_netlogon, false, 'negative control: a plain rootDSE read has no netlogon');
  // CLDAP: entry and done in one datagram, same message ID, same answer
  assert.deepEqual(o.udp_ex.kinds, ['searchResEntry', 'searchResDone']);
  assert.deepEqual(o.udp_ex.message_ids, [7, 7]);
  assert.equal(o.udp_ex.result, 0);
  assert.deepEqual({ ...o.udp_ex.netlogon }, { ...ex });
  assert.deepEqual(o.udp_bad_domain.kinds, ['searchResDone'], 'no entry over CLDAP either');
  // a subnet object mapping the client to the DC's site: ClientSiteName and DS_CLOSEST_FLAG
  assert.equal(o.add_subnet, 0);
  assert.equal(o.tcp_with_subnet.client_site, 'Default-First-Site-Name');
  assert.equal(o.tcp_with_subnet.server_type, (FLAGS | CLOSEST) >>> 0);
});

test('forestd dns-records prints the SRV, CNAME and A records of MS-ADTS 6.3.2', { timeout: 60_000 }, async () => {
  const r = await runCli(['dns-records', '--data', f.dir, '--address', '192.0.2.7']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l && !l.startsWith(';'));
  const host = `dc1.${f.realm}.`;
  const has = (name: string, type: string, rdata: string) => assert.ok(lines.some((l) => l.split('\t')[0] === name && l.split('\t')[3] === type && l.split('\t')[4] === rdata), `${name} ${type} ${rdata}\n${r.stdout}`);
  const D = f.realm;
  has(`_ldap._tcp.${D}.`, 'SRV', `0 100 389 ${host}`);
  has(`_ldap._tcp.Default-First-Site-Name._sites.${D}.`, 'SRV', `0 100 389 ${host}`);
  has(`_ldap._tcp.dc._msdcs.${D}.`, 'SRV', `0 100 389 ${host}`);
  has(`_ldap._tcp.Default-First-Site-Name._sites.dc._msdcs.${D}.`, 'SRV', `0 100 389 ${host}`);
  has(`_ldap._tcp.pdc._msdcs.${D}.`, 'SRV', `0 100 389 ${host}`);
  has(`_ldap._tcp.gc._msdcs.${D}.`, 'SRV', `0 100 3268 ${host}`);
  has(`_gc._tcp.${D}.`, 'SRV', `0 100 3268 ${host}`);
  has(`_gc._tcp.Default-First-Site-Name._sites.${D}.`, 'SRV', `0 100 3268 ${host}`);
  assert.ok(lines.some((l) => /^_ldap\._tcp\.[0-9a-f-]{36}\.domains\._msdcs\./.test(l)), 'the domain-GUID record');
  assert.ok(lines.some((l) => /^[0-9a-f-]{36}\._msdcs\.\S+\t600\tIN\tCNAME\t/.test(l)), 'the DSA-GUID CNAME');
  has(host, 'A', '192.0.2.7');
  has(`${D}.`, 'A', '192.0.2.7');
  has(`gc._msdcs.${D}.`, 'A', '192.0.2.7');
  assert.ok(!lines.some((l) => l.startsWith('_kerberos')), 'no KDC, no Kerberos records');
  // the ports follow the options; a bad address is a usage error
  const p = await runCli(['dns-records', '--data', f.dir, '--ldap-port', '1389', '--gc-port', '13268']);
  assert.match(p.stdout, new RegExp(`^_ldap\\._tcp\\.${D.replace('.', '\\.')}\\.\\t600\\tIN\\tSRV\\t0 100 1389 `, 'm'));
  assert.match(p.stdout, /\tSRV\t0 100 13268 /);
  assert.match(p.stdout, /^; dc1\.\S+\t600\tIN\tA\t<this DC's IPv4 address/m, 'without --address the A records are comments');
  const bad = await runCli(['dns-records', '--data', f.dir, '--address', 'not-an-ip']);
  assert.equal(bad.code, 2);
});
