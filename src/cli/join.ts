// forestd join: a new DC of an existing domain, with the objects a DC needs: its server object
// under the site's Servers container (MS-ADTS 6.1.1.2.2), its nTDSDSA object "NTDS Settings"
// below it (6.1.1.2.2.1.2.1.1: dMDLocation, invocationId, options, hasMasterNCs …), and its
// computer object in the domain NC.
//
//  1. Over LDAP, as Administrator: the source's rootDSE (MS-ADTS 3.1.1.3.2: the NCs,
//     dsServiceName), its nTDSDSA object (objectGUID, invocationId, networkAddress: the DRS
//     address `forestd serve --repl-port` publishes there) and machine account; then the new
//     DC's computer account (UF_SERVER_TRUST_ACCOUNT) and server object, originating updates
//     on the source.
//  2. A new store with a fresh invocationId (MS-ADTS 3.1.1.1.9), then full replicas of the
//     schema, configuration and domain NCs, then of the application NCs whose crossRefs name
//     the source in msDS-NC-Replica-Locations, pulled from an empty USN vector over the DRS transport
//     (src/drs/replicator.ts); the repsFrom state is the engine's (src/dsa/replica/state.ts).
//     The source's proof of its machine account is checked once its secret has arrived with
//     the domain NC; a mismatch throws the pulled data away.
//     The new DC registers in the source's repsTo of each NC (IDL_DRSUpdateRefs) once it has
//     pulled it, beside the pulls still running (so before that proof: a source that then
//     fails it has been told of this DC, nothing more).
//  3. The new DC's nTDSDSA object, an originating update of the new DC itself (with this DC
//     added to the application NCs' msDS-NC-Replica-Locations): in AD the source
//     creates it (IDL_DRSAddEntry, MS-DRSR 4.1.1), which forestd's transport does not carry; the
//     source receives it when it first pulls from the new DC (`forestd serve` notifies it).
//  4. No RIDs yet: the new DC's first RID pool comes from the RID Master (EXOP_FSMO_REQ_RID_ALLOC,
//     src/drs/rid-manager-client.ts) on its first `forestd serve`, once the RID Master holds its
//     nTDSDSA object; serve waits for it before it says it is ready.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Control, type Entry } from 'ldapts';
import { Store } from '../store/store.js';
import { Directory, type ForestInfo } from '../dsa/directory.js';
import { createObject } from '../dsa/add.js';
import { OriginatingUpdate } from '../dsa/originating-update.js';
import { toStored } from '../dsa/values.js';
import { replicaContextOf } from '../dsa/replica-context.js';
import { DrsClient } from '../drs/transport/tls.js';
import { drsKey } from '../drs/transport/auth.js';
import { ncsOf, pullNC, PARTNERS_META, type ReplPartner } from '../drs/replicator.js';
import { registerWithSource } from '../drs/update-refs.js';
import { withSchemaRetry } from '../drs/schema-first.js';
import { applicationNCsOf, type ApplicationNC } from '../drs/repl-settings.js';
import { guidToString } from '../util/guid.js';
import { generatePassword, ntHash } from '../security/password.js';
import { parseDN, formatDN } from '../dn/dn.js';
import { SETTINGS_FILE } from './provision.js';
import { JoinProgress } from './join-progress.js';
import { SHOW_RECYCLED_OID } from '../ldap/controls/show-recycled.js';

export interface JoinCommandOptions {
  data: string;
  /** ldap://HOST:PORT of a DC of the domain */
  source: string;
  adminPassword: string;
  hostname: string | undefined;
}

export class JoinError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const UF_SERVER_TRUST_ACCOUNT = 0x2000;
const UF_TRUSTED_FOR_DELEGATION = 0x80000;
const quoted = (pw: string) => Buffer.from(`"${pw}"`, 'utf16le');
const one = (e: Entry, a: string): string => {
  const v = e[a];
  return String(Array.isArray(v) ? v[0] : v ?? '');
};
const bin = (e: Entry, a: string): Buffer => {
  const v = e[a];
  const x = Array.isArray(v) ? v[0] : v;
  if (!Buffer.isBuffer(x)) throw new JoinError('ERR_JOIN_SOURCE', `the source gave no ${a}`);
  return x;
};

export async function joinCommand(o: JoinCommandOptions): Promise<void> {
  if (existsSync(join(o.data, SETTINGS_FILE))) throw new JoinError('ERR_PROVISION_EXISTS', `${o.data} is already provisioned (${SETTINGS_FILE} exists)`);
  // what a failed join leaves is removed: only in a directory the join made or found empty
  if (existsSync(o.data) && readdirSync(o.data).length > 0) throw new JoinError('ERR_JOIN_NOT_EMPTY', `${o.data} is not empty; join into a new or empty directory`);
  const url = new URL(o.source);
  if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') throw new JoinError('ERR_JOIN_USAGE', `--source must be ldap://HOST:PORT, not ${o.source}`);
  const t0 = performance.now();
  // FORESTD_JOIN_PHASES=1: the wall time of each phase on stderr (what is serial around the pulls)
  const phases: [string, number][] = [];
  let tPhase = t0;
  const phase = (name: string) => {
    const now = performance.now();
    phases.push([name, now - tPhase]);
    tPhase = now;
  };
  const ldap = new Client({ url: o.source, connectTimeout: 10_000, timeout: 120_000, ...(url.protocol === 'ldaps:' ? { tlsOptions: { rejectUnauthorized: false } } : {}) });
  try {
    // ---- 1. the source, over LDAP -------------------------------------------------------------
    const root = (await ldap.search('', { scope: 'base', attributes: ['defaultNamingContext', 'configurationNamingContext', 'schemaNamingContext', 'rootDomainNamingContext', 'dsServiceName', 'dnsHostName'] })).searchEntries[0];
    if (!root) throw new JoinError('ERR_JOIN_SOURCE', 'the source has no rootDSE');
    const domainDN = one(root, 'defaultNamingContext');
    const configDN = one(root, 'configurationNamingContext');
    const schemaDN = one(root, 'schemaNamingContext');
    const srcDsaDN = one(root, 'dsServiceName');
    const realm = parseDN(domainDN)
      .map((r) => r[0]!.value)
      .join('.');
    // the password and the machine account's secret travel encrypted (unicodePwd needs it: MS-ADTS 3.1.1.3.1.5.1)
    if (url.protocol === 'ldap:') await ldap.startTLS({ rejectUnauthorized: false });
    await ldap.bind(`CN=Administrator,CN=Users,${domainDN}`, o.adminPassword);
    const base = async (dn: string, attributes: string[]) => {
      const e = (await ldap.search(dn, { scope: 'base', attributes, explicitBufferAttributes: ['objectGUID', 'objectSid', 'invocationId'] })).searchEntries[0];
      if (!e) throw new JoinError('ERR_JOIN_SOURCE', `the source has no ${dn}`);
      return e;
    };
    const srcServerDN = formatDN(parseDN(srcDsaDN).slice(1));
    // reads that depend on nothing but the rootDSE: asked at once (one round trip, not six)
    const [srcDsa, srcServer, domainHead, configHead, schemaHead, partitions] = await Promise.all([
      base(srcDsaDN, ['objectGUID', 'invocationId', 'networkAddress']),
      base(srcServerDN, ['serverReference']),
      base(domainDN, ['objectGUID', 'objectSid']),
      base(configDN, ['objectGUID']),
      base(schemaDN, ['objectGUID']),
      ldap.search(`CN=Partitions,${configDN}`, { scope: 'one', filter: `(&(objectClass=crossRef)(nCName=${domainDN}))`, attributes: ['nETBIOSName'] }),
    ]);
    const address = one(srcDsa, 'networkAddress');
    if (!address) throw new JoinError('ERR_JOIN_NO_REPL', `${srcDsaDN} has no networkAddress: serve the source with --repl-port`);
    const srcPort = Number(address.slice(address.lastIndexOf(':') + 1));
    // its objectGUID too: the record the domain NC brings is read by it once the pulls end (no LDAP round trip then)
    const srcComputer = await base(one(srcServer, 'serverReference'), ['sAMAccountName', 'objectGUID']);
    const srcAccount = one(srcComputer, 'sAMAccountName');
    const netbios = one(partitions.searchEntries[0] ?? ({} as Entry), 'nETBIOSName') || realm.split('.')[0]!.toUpperCase();

    const hostname = (o.hostname ?? `DC-${randomBytes(3).toString('hex')}`).toUpperCase();
    if (!/^[A-Z0-9-]{1,15}$/.test(hostname)) throw new JoinError('ERR_JOIN_USAGE', `--hostname must be a NetBIOS computer name (1-15 letters, digits, -), not ${JSON.stringify(hostname)}`);
    const dnsHostName = `${hostname.toLowerCase()}.${realm}`;
    const account = `${hostname}$`;
    const machinePassword = generatePassword();
    phase('source over LDAP');
    const computerDN = `CN=${hostname},OU=Domain Controllers,${domainDN}`;
    const serverDN = `CN=${hostname},${formatDN(parseDN(srcServerDN).slice(1))}`;
    await ldap.add(computerDN, {
      objectClass: ['top', 'person', 'organizationalPerson', 'user', 'computer'],
      sAMAccountName: account,
      dNSHostName: dnsHostName,
      userAccountControl: String(UF_SERVER_TRUST_ACCOUNT | UF_TRUSTED_FOR_DELEGATION),
      unicodePwd: quoted(machinePassword) as never,
    });
    await ldap.add(serverDN, { objectClass: ['top', 'server'], dNSHostName: dnsHostName, serverReference: computerDN });
    const computerGuid = bin(await base(computerDN, ['objectGUID']), 'objectGUID');
    phase('accounts');

    // ---- 2. the replicas -----------------------------------------------------------------------
    mkdirSync(o.data, { recursive: true, mode: 0o700 });
    const dsaGuid = randomBytes(16);
    const forest: ForestInfo = {
      realm,
      netbios,
      rootDomainDN: one(root, 'rootDomainNamingContext') || domainDN,
      domainDN,
      configDN,
      schemaDN,
      domainNC: bin(domainHead, 'objectGUID'),
      configNC: bin(configHead, 'objectGUID'),
      schemaNC: bin(schemaHead, 'objectGUID'),
      domainSid: bin(domainHead, 'objectSid'),
      serverDN,
      dsaDN: `CN=NTDS Settings,${serverDN}`,
      dnsHostName,
      hostname,
      dsaGuid,
      computerGuid,
    };
    // each chunk's write resolves at its commit, not after its flush: nothing of a join is used
    // before it has ended (the forest record, without which Directory.open refuses the store,
    // is written last; LMDB's commits survive a crash in order), and the end waits for one
    // flush of everything (store.flushed below)
    const store = Store.open(o.data, { create: true, ackBeforeFlush: true });
    let ok = false;
    try {
      const dir = Directory.createForProvisioning(store, forest);
      const ctx = replicaContextOf(dir);
      phase('store');
      const client = await DrsClient.connect({
        host: url.hostname,
        port: srcPort,
        credentials: { account, dsaGuid, key: drsKey(ntHash(machinePassword), account), keyOf: () => undefined },
        expectServerAccount: srcAccount,
        verifyServerLater: true,
      });
      const srcDsaGuid = bin(srcDsa, 'objectGUID');
      let appNCs: ApplicationNC[] = [];
      let objects = 0;
      let bytes = 0;
      const tty = process.stderr.isTTY === true;
      // on a TTY, the objects the source holds (an LDAP count, for the ETA), tombstones and
      // recycled objects included, since a full replica brings them too
      // (LDAP_SERVER_SHOW_RECYCLED_OID, MS-ADTS 3.1.1.3.4.1 extended controls; not critical: a source without it
      // counts live objects only and the line says "finishing" once the pulls pass that count)
      let total = 0;
      if (tty) for (const dn of [schemaDN, configDN, domainDN]) total += (await ldap.search(dn, { filter: '(objectClass=*)', attributes: ['1.1'], paged: { pageSize: 1000 } }, [new Control(SHOW_RECYCLED_OID)])).searchEntries.length;
      const progress = new JoinProgress({ now: () => performance.now(), write: (x) => process.stderr.write(x), tty, total });
      // redraws (TTY) or a plain line every few seconds (a log) while no chunk arrives
      const ticker = setInterval(() => progress.tick(), 1000);
      ticker.unref();
      try {
        const { phDrs } = await client.bind({ puuidClientDsa: dsaGuid, pextClient: null });
        phase('DRS connect');
        progress.start();
        const perNC = new Map<string, { objects: number; bytes: number }>();
        const pulled: string[] = [];
        const pull = async (nc: { Guid: Buffer; StringName: string }) => {
          const s = performance.now();
          await pullNC(ctx, dir, client, phDrs, nc, srcDsaGuid, (p) => {
            perNC.set(nc.StringName, { objects: p.objects, bytes: p.bytes });
            objects = 0;
            bytes = 0;
            for (const c of perNC.values()) {
              objects += c.objects;
              bytes += c.bytes;
            }
            progress.update(nc.StringName, objects, bytes);
          });
          pulled.push(`${nc.StringName.split(',')[0]} ${(performance.now() - s).toFixed(0)}`);
        };
        // Two cycles at a time: the domain NC beside the schema, configuration and then the
        // application NCs (whose crossRefs come with the configuration NC), so that this DC is
        // not left waiting for the source's first chunk of each NC. Each cycle keeps one request
        // ahead (pullNC): 4 calls in flight, the DRS listener's limit. MS-DRSR 4.1.10.6 applies
        // the schema NC first so that the other NCs' objects meet the schema in force; a join
        // applies them under the bundled schema while it can (the pulled schema NC is read by the
        // first `forestd serve`, Directory.open), and under the pulled one once a reply needs it.
        const [schemaNC, configNC, ...others] = ncsOf(dir);
        // MS-DRSR 4.1.10.6: a source whose schema was extended sends objects with attributes the
        // bundled schema lacks; such a reply waits for the schema NC, rebuilds the schema cache
        // from it (once) and pulls its NC again (schema-first.ts). FORESTD_JOIN_SCHEMA_RETRY=off
        // turns the retry off (the tests' negative control).
        const retry = process.env.FORESTD_JOIN_SCHEMA_RETRY !== 'off';
        // MS-DRSR 4.1.26: this DC in the source's repsTo of each NC, under AD's NetworkAddress form
        // until `forestd serve` registers its DRS address. Each lane registers its NCs once it
        // has pulled them, beside the other lane's pulls (AD registers at the first GetNCChanges
        // of a replica, DRS_ADD_REF): the domain lane its NC (one call), the other lane its NCs
        // two at a time. A lane that has ended has no GetNCChanges outstanding and the other at
        // most two (one ahead, and one more while a DRS_GET_ANC/GET_TGT retry replaces it), so
        // the calls stay within the DRS listener's 4 (RPC_S_SERVER_TOO_BUSY beyond).
        const register = async (ncs: { Guid: Buffer; StringName: string }[], width: number) => {
          for (let i = 0; i < ncs.length; i += width) {
            const batch = ncs.slice(i, i + width);
            const results = await Promise.all(batch.map((nc) => registerWithSource(client, phDrs, nc, dsaGuid, `${guidToString(dsaGuid)}._msdcs.${realm}`)));
            results.forEach((res, j) => {
              if (res !== 0) process.stderr.write(`forestd: warning: the source refused IDL_DRSUpdateRefs for ${batch[j]!.StringName} (${res.toString(16).padStart(8, '0')}); it will be asked again when this DC serves\n`);
            });
          }
        };
        const schemaPulled = pull(schemaNC!);
        // its failure is reported by its lane below
        schemaPulled.catch(() => undefined);
        let reloaded: Promise<void> | undefined;
        const refreshSchema = () => (reloaded ??= schemaPulled.then(() => dir.reloadSchema()));
        const pullOther = (nc: { Guid: Buffer; StringName: string }) =>
          withSchemaRetry(nc.StringName, async () => (await pull(nc), 0), refreshSchema, retry);
        // both lanes end before the first failure is thrown (the store is closed after it)
        const lanes = await Promise.allSettled([
          (async () => {
            for (const nc of others) await pullOther(nc);
            await register(others, 1);
          })(),
          (async () => {
            await schemaPulled;
            await pullOther(configNC!);
            // the application NCs the source holds (DomainDnsZones, ForestDnsZones: their crossRefs came with the configuration NC)
            appNCs = applicationNCsOf(dir, store.reader).filter((a) => a.holders.includes(srcDsaGuid.toString('hex')));
            for (const a of appNCs) await pullOther(a.nc);
            await register([schemaNC!, configNC!, ...appNCs.map((a) => a.nc)], 2);
          })(),
        ]);
        for (const l of lanes) if (l.status === 'rejected') throw l.reason;
        phase(`pulls and UpdateRefs (${pulled.join(', ')})`);
        clearInterval(ticker);
        progress.finish();
        // the source proves its machine account, whose secret came with the domain NC
        const srcRec = store.reader.getObject(bin(srcComputer, 'objectGUID'));
        const pwd = srcRec?.attrs.find((a) => a.id === dir.schema.attr('unicodePwd')!.id)?.values[0];
        if (!(pwd instanceof Uint8Array) || !client.verifyServer(drsKey(pwd, srcAccount))) throw new JoinError('ERR_DRS_AUTH', `the DRS server did not prove the machine account ${srcAccount}`);
        phase('verify source');
      } finally {
        clearInterval(ticker);
        progress.finish();
        await client.close();
      }

      // ---- 3. this DC's own objects and facts --------------------------------------------------
      await store.write((w) => {
        const u = new OriginatingUpdate(w, store.dc.invocationId, dir.clock);
        const sctx = dir.syntaxContext(w);
        const A = (n: string) => dir.schema.attr(n)!;
        const v = (n: string, list: (string | Buffer)[]) => [A(n), toStored(A(n), list.map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(x, 'utf8'))), sctx, 'join')] as const;
        const parent = dir.resolve(w, serverDN, 'join');
        createObject(
          dir,
          u,
          {
            parent,
            rdnType: A('cn'),
            rdnValue: 'NTDS Settings',
            guid: dsaGuid,
            values: new Map([
              v('objectClass', ['nTDSDSA']),
              v('invocationId', [Buffer.from(store.dc.invocationId)]),
              v('options', ['0']),
              v('msDS-Behavior-Version', ['7']),
              v('dMDLocation', [schemaDN]),
              v('hasMasterNCs', [domainDN, configDN, schemaDN]),
              v('msDS-hasMasterNCs', [domainDN, configDN, schemaDN, ...appNCs.map((a) => a.nc.StringName)]),
              v('msDS-HasDomainNCs', [domainDN]),
              v('systemFlags', [String(0x2000000)]),
              v('showInAdvancedViewOnly', ['TRUE']),
            ]),
          } as never,
          { system: true, place: 'join' },
        );
        // this DC holds a replica of the application NCs: msDS-NC-Replica-Locations of their crossRefs (MS-ADTS 6.1.1.2.1.1.6)
        const loc = A('msDS-NC-Replica-Locations');
        if (loc.forwardLinkId !== undefined) for (const a of appNCs) u.addLinkValue(a.crossRef, loc.id, loc.forwardLinkId, dsaGuid);
        const partner: ReplPartner = { dsaGuid: srcDsaGuid.toString('hex'), account: srcAccount, address: `${url.hostname}:${srcPort}` };
        w.setMeta(PARTNERS_META, [partner]);
        w.setMeta('prefixTable', dir.schema.snapshot.prefixTable.toJSON());
        w.setMeta('forest', forest);
      });
      phase('own objects');
      ok = true;
      await store.flushed();
      phase('flush');
      const s = (performance.now() - t0) / 1000;
      writeFileSync(join(o.data, SETTINGS_FILE), JSON.stringify({ realm, netbios, hostname, domainDN, joined: new Date().toISOString(), source: o.source }, null, 2) + '\n', { mode: 0o600 });
      console.log(`forestd: joined ${realm} (${netbios}) as ${dnsHostName} from ${one(root, 'dnsHostName')}: ${objects} objects, ${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(2)} s`);
      console.log(`  nTDSDSA    ${forest.dsaDN}`);
      console.log(`  then:      forestd serve --data ${o.data} --repl-port N`);
      if (process.env.FORESTD_JOIN_PHASES === '1') process.stderr.write(`forestd: join phases (ms): ${phases.map(([n, ms]) => `${n} ${ms.toFixed(0)}`).join(', ')}\n`);
    } finally {
      await store.close();
      if (!ok) rmSync(o.data, { recursive: true, force: true });
    }
  } finally {
    await ldap.unbind().catch(() => undefined);
  }
}
