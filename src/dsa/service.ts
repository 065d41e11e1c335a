// The DSA as the LDAP server sees it (DirectoryService): who may do what (anonymous users see
// the rootDSE and nothing else, MS-ADTS 5.1.3 "Authorization": fLDAPBlockAnonOps, 6.1.1.2.4.1.2,
// and AD's default dsHeuristics), then one module per operation.
import type { BindRequest, CompareRequest, DelRequest, ExtendedRequest, ModifyDNRequest, ModifyRequest, SearchRequest, AddRequest } from '../ldap/protocol/messages.js';
import { SearchScope } from '../ldap/protocol/messages.js';
import { WHO_AM_I_OID, FAST_BIND_OID } from '../ldap/protocol/oids.js';
import { knownControlOids, requestControl, searchOptionsControl, SearchOptionsFlags, SEARCH_OPTIONS_OID } from '../ldap/controls/index.js';
import { contextWith, type Session, type BindResult, type DirectoryService, type ExtendedResult, type OperationContext, type OperationResult, type SearchSink } from './api.js';
import type { Directory } from './directory.js';
import { AdError } from './errors.js';
import { bind } from './bind.js';
import { add } from './add.js';
import { modify } from './modify.js';
import { modifyDN } from './modify-dn.js';
import { del } from './delete.js';
import { compare } from './compare.js';
import { search, SEARCH_CONTROLS, releaseSearchState, DEFAULT_SEARCH_LIMITS, type SearchLimits } from './search/search.js';
import { rootDseAttributes, namingContexts as rootDseNamingContexts } from './rootdse.js';
import { SUBSCHEMA_RENDERED } from './subschema-entry.js';
import { modifyRootDse } from './rootdse-modify.js';
import type { RoleTransfer } from './fsmo-roles.js';
import { updateControlOids } from './controls.js';
import { dirSyncSearch, dirSyncControlOf, notificationSearch, DirSyncState } from '../dirsync/index.js';
import { NOTIFICATION_OID } from '../ldap/controls/notification.js';
import { DIRSYNC_OID } from '../ldap/controls/dirsync.js';
import { DIRSYNC_EX_OID } from '../ldap/controls/dirsync-ex.js';
import { channel } from 'node:diagnostics_channel';
import { anonymousIdentity } from './access/requester.js';
import { anonymousOperationsAllowed } from './access/heuristics.js';

const opChannel = channel('forestd:dsa:operation');

/** Attributes a global catalog returns whatever the partial attribute set says (the object's identity). */
const GC_ALWAYS = new Set(['objectClass', 'objectGUID', 'objectSid', 'objectCategory', 'distinguishedName', 'name', 'cn', 'instanceType', 'uSNChanged', 'uSNCreated', 'whenChanged', 'whenCreated']);

export interface ServiceOptions {
  /** names of the LDAP policies in force (MS-ADTS 3.1.1.3.4.6), for the rootDSE */
  ldapPolicies?: () => string[];
  /** the extended operations the server as a whole answers (the DSA's plus StartTLS) */
  supportedExtensions?: () => string[];
  /** the search-side LDAP policies in force (MaxPageSize, MaxValRange, MaxResultSetsPerConn) */
  searchLimits?: SearchLimits;
  /** FSMO role transfers to this DC (rootDSE becomeXxx, MS-ADTS 3.1.1.3.3): the DRS layer's, when serve has --repl-port */
  roleTransfer?: RoleTransfer;
}

export class DsaService implements DirectoryService {
  readonly supportedExtensions: readonly string[] = [WHO_AM_I_OID, FAST_BIND_OID];
  /** DirSync's memory of unfinished cycles, this DC's own */
  private readonly dirSyncState = new DirSyncState();

  constructor(
    readonly dir: Directory,
    private readonly opts: ServiceOptions = {},
  ) {}

  /** The search-side LDAP policies this DSA enforces (for read workers, src/dsa/workers). */
  get searchLimits(): SearchLimits | undefined {
    return this.opts.searchLimits;
  }

  /** Controls that some operation honours (rootDSE supportedControl). */
  supportedControls(): string[] {
    const known = new Set(knownControlOids);
    return [...new Set([...SEARCH_CONTROLS, ...updateControlOids(), DIRSYNC_OID, DIRSYNC_EX_OID, NOTIFICATION_OID])].filter((o) => known.has(o));
  }

  /**
   * Anonymous requests beyond the rootDSE: refused unless dSHeuristics enables anonymous
   * operations (MS-ADTS 6.1.1.2.4.1.2 fLDAPBlockAnonOps), then checked as ANONYMOUS LOGON.
   */
  private requireBound(ctx: OperationContext, place: string): OperationContext {
    if (ctx.session.identity) return ctx;
    if (!anonymousOperationsAllowed(this.dir)) throw AdError.notAuthenticated(place);
    const session = Object.create(ctx.session, { identity: { value: anonymousIdentity(), writable: true } }) as Session;
    return contextWith(ctx, { session });
  }

  private timed<T>(op: string, p: Promise<T>): Promise<T> {
    if (!opChannel.hasSubscribers) return p;
    const t0 = performance.now();
    return p.finally(() => opChannel.publish({ op, ms: performance.now() - t0 }));
  }

  sessionClosed(session: Session): void {
    releaseSearchState(session.id, this.dir);
  }

  bind(req: BindRequest, ctx: OperationContext): Promise<BindResult> {
    return this.timed('bind', bind(this.dir, req, ctx));
  }

  async search(req: SearchRequest, ctx: OperationContext, sink: SearchSink): Promise<OperationResult> {
    // the rootDSE: base '' with scope base, readable by everyone (MS-ADTS 3.1.1.3.2)
    if (req.baseObject === '' && req.scope === SearchScope.baseObject) {
      const attrs = rootDseAttributes(this.dir, req, ctx, {
        supportedControls: () => this.supportedControls(),
        supportedExtensions: () => this.opts.supportedExtensions?.() ?? [...this.supportedExtensions],
        supportedLdapPolicies: () => this.opts.ldapPolicies?.() ?? [],
      });
      if (attrs) await sink.entry('', attrs); // an LDAP ping the DC does not answer has no entry (MS-ADTS 6.3.3.3)
      return {};
    }
    ctx = this.requireBound(ctx, 'dsa.search');
    if (ctx.session.globalCatalog) return this.timed('search', this.globalCatalogSearch(req, ctx, sink));
    // change tracking (MS-ADTS 3.1.1.3.4.1.3, .9, .29) has its own walk over the USN index
    const dirsync = dirSyncControlOf(ctx.controls);
    if (dirsync) return this.timed('dirsync', dirSyncSearch(this.dir, req, ctx, sink, dirsync, { state: this.dirSyncState }));
    const notify = ctx.controls.find((c) => c.type === NOTIFICATION_OID);
    if (notify) return notificationSearch(this.dir, req, ctx, sink, notify);
    return this.timed('search', search(this.dir, req, ctx, sink, this.opts.searchLimits ?? DEFAULT_SEARCH_LIMITS));
  }

  /**
   * The global catalog view (MS-ADTS 3.1.1.1.8, 3.1.1.1.10): a read-only, forest-wide partial
   * replica — a subtree search covers every NC this DC holds (as with PHANTOM_ROOT), and
   * entries carry only the attributes of the partial attribute set
   * (isMemberOfPartialAttributeSet, plus those the system always includes).
   */
  private async globalCatalogSearch(req: SearchRequest, ctx: OperationContext, sink: SearchSink): Promise<OperationResult> {
    const controls = [...ctx.controls];
    if (req.scope === SearchScope.wholeSubtree && !controls.some((c) => c.type === SEARCH_OPTIONS_OID)) {
      controls.push(requestControl(searchOptionsControl, { flags: SearchOptionsFlags.PHANTOM_ROOT }));
    }
    const schema = this.dir.schema;
    const f = this.dir.forest;
    // constructed attributes (tokenGroups, …) are computed on the GC too; the subSchema entry
    // publishes the schema (attributeTypes, objectClasses, …) on every port
    const aggregate = `cn=aggregate,${f.schemaDN}`.toLowerCase();
    const inPas = (dn: string, type: string) => {
      const name = type.split(';')[0]!;
      const info = schema.attr(name);
      if (info && (info.schema.isMemberOfPartialAttributeSet || GC_ALWAYS.has(info.name) || info.constructed)) return true;
      return dn.toLowerCase() === aggregate && SUBSCHEMA_RENDERED.some((n) => n.toLowerCase() === name.toLowerCase());
    };
    // a GC holds the domain, configuration and schema NCs, not application NCs (their crossRefs carry FLAG_CR_NTDS_NOT_GC_REPLICATED)
    const gcNcs = [f.domainDN, f.configDN, f.schemaDN].map((n) => n.toLowerCase());
    const appNcs = (rootDseNamingContexts(this.dir) as string[]).map((n) => n.toLowerCase()).filter((n) => !gcNcs.includes(n));
    const inGc = (dn: string) => {
      const l = dn.toLowerCase();
      return !appNcs.some((n) => l === n || l.endsWith(`,${n}`));
    };
    const gcSink: SearchSink = {
      entry: (dn, attrs, c) => (inGc(dn) ? sink.entry(dn, attrs.filter((a) => inPas(dn, a.type)), c) : undefined),
      reference: (uris) => sink.reference(uris),
    };
    return search(this.dir, req, contextWith(ctx, { controls }), gcSink, this.opts.searchLimits ?? DEFAULT_SEARCH_LIMITS);
  }

  private requireWritable(ctx: OperationContext, place: string): void {
    if (ctx.session.globalCatalog) throw AdError.unwillingToPerform(place, 'the global catalog is read-only; write to the LDAP port');
  }

  add(req: AddRequest, ctx: OperationContext): Promise<OperationResult> {
    ctx = this.requireBound(ctx, 'dsa.add');
    this.requireWritable(ctx, 'dsa.add');
    return this.timed('add', add(this.dir, req, ctx));
  }

  modify(req: ModifyRequest, ctx: OperationContext): Promise<OperationResult> {
    ctx = this.requireBound(ctx, 'dsa.modify');
    this.requireWritable(ctx, 'dsa.modify');
    if (req.object === '') return this.timed('modify', modifyRootDse(this.dir, req, ctx, { roleTransfer: this.opts.roleTransfer }));
    return this.timed('modify', modify(this.dir, req, ctx));
  }

  modifyDN(req: ModifyDNRequest, ctx: OperationContext): Promise<OperationResult> {
    ctx = this.requireBound(ctx, 'dsa.modifyDN');
    this.requireWritable(ctx, 'dsa.modifyDN');
    return this.timed('modifyDN', modifyDN(this.dir, req, ctx));
  }

  delete(req: DelRequest, ctx: OperationContext): Promise<OperationResult> {
    ctx = this.requireBound(ctx, 'dsa.delete');
    this.requireWritable(ctx, 'dsa.delete');
    return this.timed('delete', del(this.dir, req, ctx));
  }

  compare(req: CompareRequest, ctx: OperationContext): Promise<boolean> {
    ctx = this.requireBound(ctx, 'dsa.compare');
    return this.timed('compare', compare(this.dir, req, ctx));
  }

  async extended(req: ExtendedRequest, ctx: OperationContext): Promise<ExtendedResult> {
    switch (req.requestName) {
      case WHO_AM_I_OID: {
        // RFC 4532: the authzId; AD answers "u:DOMAIN\account" for a bound user, empty when anonymous
        const id = ctx.session.identity;
        if (!id) return { responseValue: Buffer.alloc(0) };
        const sam = this.dir.store.reader.getObject(id.guid) ? samOf(this.dir, id.guid) : undefined;
        return { responseValue: Buffer.from(sam ? `u:${this.dir.forest.netbios}\\${sam}` : `dn:${id.dn}`, 'utf8') };
      }
      case FAST_BIND_OID:
        // MS-ADTS 3.1.1.3.4.2 "LDAP Extended Operations" LDAP_SERVER_FAST_BIND_OID: later simple binds on this connection only
        // verify credentials; forestd's binds never build more than that, so the mode is accepted as is
        return {};
      default:
        throw AdError.protocolError('dsa.extended', `unsupported extended operation ${req.requestName}`);
    }
  }
}

function samOf(dir: Directory, guid: Buffer): string | undefined {
  const rec = dir.store.reader.getObject(guid);
  const info = dir.schema.attr('sAMAccountName')!;
  return rec?.attrs.find((a) => a.id === info.id)?.values[0] as string | undefined;
}
