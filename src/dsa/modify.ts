// LDAP Modify (MS-ADTS 3.1.1.5.3; RFC 4511 4.6; increment: RFC 4525): the changes of one
// request are applied in order to a working copy of the object and checked as a whole; the
// result is one originating update that stamps only the attributes whose values really
// changed (MS-ADTS 3.1.1.1.9). A modify that changes nothing writes nothing: the object keeps
// its uSNChanged and every stamp.
//
// Forward links (member, manager, …) live in the link table: they change through
// OriginatingUpdate.addLinkValue/removeLinkValue (LinkValueStamps), never in the record.
// An undelete (MS-ADTS 3.1.1.5.3.7: remove isDeleted + replace distinguishedName, with the
// show-deleted control) is a modify of a deleted object and is handed to tombstone.ts.
import { checkPasswordPolicy, historyAfter } from './password-policy.js';
import { accessFor } from './access/requester.js';
import { checkFsmoChangeRight, checkSingleMaster } from './fsmo-roles.js';
import { checkModify, checkUndelete } from './access/checks.js';
import { prepareSdWrite, propagateSd, sdFlagsOf } from './access/sd-write.js';
import { kickSdPropagation } from './access/sd-propagator.js';
import type { Change, ModifyRequest } from '../ldap/protocol/messages.js';
import { ModifyOperation } from '../ldap/protocol/messages.js';
import type { WriteTxn } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import type { StoredValue, SyntaxContext } from '../schema/syntaxes/syntax.js';
import { ObjectClassCategory } from '../schema/types.js';
import type { Directory } from './directory.js';
import type { OperationContext, OperationResult } from './api.js';
import type { AttrInfo } from './schema-binding.js';
import { AdError, Win32 } from './errors.js';
import { OriginatingUpdate } from './originating-update.js';
import { attrOf, linkParts, toStored } from './values.js';
import { checkControls } from './controls.js';
import { checkRange, expandObjectClasses, passwordFrom } from './add.js';
import { checkSamAccountName, checkUserPrincipalName } from './principals.js';
import { samModifyRules, type SamModifyView } from './sam/index.js';
import { checkModifyRequest } from './modify-request-checks.js';
import { primaryGroupMemberRemoval } from './sam/primary-group-id.js';
import { ntHash, verifyNtHash } from '../security/password.js';
import { bumpSchemaInfo, schemaChanged, schemaModifyRules, schemaRawValues } from './schema-update.js';
import { PERMISSIVE_MODIFY_OID } from '../ldap/controls/permissive-modify.js';
import { SHOW_DELETED_OID } from '../ldap/controls/show-deleted.js';
import { SHOW_RECYCLED_OID } from '../ldap/controls/show-recycled.js';
import { isDeletedRecord, isUndeleteRequest, undelete } from './tombstone.js';

const PLACE = 'dsa.modify';

/** Attributes the directory alone assigns: a client's write is refused (MS-ADTS 3.1.1.5.3.2, 3.1.1.5.2.2). */
const DIRECTORY_OWNED = new Set(['objectguid', 'objectsid', 'samaccounttype', 'isdeleted', 'isrecycled', 'distinguishedname', 'instancetype', 'whencreated', 'usnchanged', 'usncreated', 'whenchanged', 'lastknownparent', 'msds-lastknownrdn']);

/** Attributes a tombstone never loses and a modify never needs to re-check as "must" (given by the system where absent). */
const SYSTEM_GIVEN_MUST = new Set(['ntsecuritydescriptor', 'objectcategory', 'objectsid', 'objectclass', 'instancetype']);

/** The LDAP Modify operation. */
export async function modify(dir: Directory, req: ModifyRequest, ctx: OperationContext): Promise<OperationResult> {
  const controls = checkControls(ctx.controls, 'modify');
  checkModifyRequest(dir, req, PLACE);
  const permissive = controls.has(PERMISSIVE_MODIFY_OID);
  const showDeleted = controls.has(SHOW_DELETED_OID) || controls.has(SHOW_RECYCLED_OID);
  let schemaTouched = false;
  await dir.store.write((w) => {
    const guid = dir.resolve(w, req.object, PLACE);
    const prev = w.getObject(guid)!;
    // MS-ADTS 3.1.1.5.3.2: a deleted object is invisible without the show-deleted control, and
    // then may only be undeleted (the Recycle Bin's deleted-object modifications are not supported yet)
    if (isDeletedRecord(dir, prev)) {
      if (!showDeleted) throw AdError.noSuchObject(PLACE, prev.parent ? dir.dnOf(w, prev.parent) : '');
      if (isUndeleteRequest(dir, req)) {
        const acc = accessFor(dir, w, ctx);
        if (acc) checkUndelete(acc, w.getObject(prev.nc), PLACE);
        // the undelete proper, then the request's other changes on the restored object, in the same update
        const rest = undelete(dir, w, guid, prev, req, ctx);
        const plan = new ModifyPlan(dir, w, guid, w.getObject(guid)!, ctx, permissive);
        for (const ch of rest) plan.apply(ch);
        plan.commit();
        return;
      }
      throw AdError.unwillingToPerformWith(PLACE, Win32.ERROR_DS_ILLEGAL_MOD_OPERATION, 'a deleted object can only be undeleted (remove isDeleted and replace distinguishedName)');
    }
    // MS-ADTS 3.1.1.5.1.8: a schema object is modified on the Schema Master (fsmo-roles.ts)
    checkSingleMaster(dir, w, { op: 'modify', dn: req.object, nc: prev.nc, parent: prev.parent, guid, attrs: req.changes.map((c) => c.modification.type.split(';')[0]!) }, PLACE);
    // access (MS-ADTS 3.1.1.5.3.1) and nTSecurityDescriptor by SD_FLAGS (MS-ADTS 6.1.3.2)
    const acc = accessFor(dir, w, ctx);
    const sdFlags = sdFlagsOf(controls);
    if (acc) checkModify(dir, acc, guid, prev, req, ctx, sdFlags, PLACE);
    if (acc && req.changes.some((c) => c.modification.type.split(';')[0]!.toLowerCase() === 'fsmoroleowner')) checkFsmoChangeRight(dir, acc, prev, PLACE);
    const sdw = prepareSdWrite(dir, w, prev, req, sdFlags, PLACE);
    const plan = new ModifyPlan(dir, w, guid, prev, ctx, permissive);
    for (const ch of sdw.req.changes) plan.apply(ch);
    schemaTouched = plan.commit() && prev.nc.equals(dir.forest.schemaNC);
    if (sdw.sdWritten) propagateSd(dir, w, guid, false);
  });
  if (schemaTouched) schemaChanged(dir);
  kickSdPropagation(dir);
  return {};
}

interface AttrWork {
  info: AttrInfo;
  values: StoredValue[];
  /** values this request put there (range checks apply to them) */
  added: StoredValue[];
}

interface LinkDelta {
  target: Buffer;
  data: Buffer;
  present: boolean;
}

/** The working state of one modify: attribute values and link-value deltas, checked at commit. */
class ModifyPlan {
  private readonly attrs = new Map<number, AttrWork>();
  private readonly links = new Map<number, { info: AttrInfo; delta: Map<string, LinkDelta> }>();
  private readonly sctx: SyntaxContext;
  private readonly inSchemaNC: boolean;
  private ocChanged = false;
  private pwd: { add?: string; del?: string; replace?: string } | undefined;

  constructor(
    private readonly dir: Directory,
    private readonly w: WriteTxn,
    private readonly guid: Buffer,
    private readonly prev: ObjectRecord,
    private readonly ctx: OperationContext,
    private readonly permissive: boolean,
  ) {
    this.sctx = dir.syntaxContext(w, PLACE);
    this.inSchemaNC = prev.nc.equals(dir.forest.schemaNC);
    // MS-ADTS 3.1.1.5.3.2: the subSchema object is modified only by a schema upgrade
    const oc = this.storedValues(dir.schema.attr('objectClass')!) as string[];
    if (oc.some((o) => dir.schema.snapshot.classByOid(o)?.lDAPDisplayName === 'subSchema')) {
      throw AdError.unwillingToPerformWith(PLACE, Win32.ERROR_DS_ILLEGAL_MOD_OPERATION, 'the subSchema object cannot be modified');
    }
  }

  private storedValues(info: AttrInfo): StoredValue[] {
    return (this.prev.attrs.find((a) => a.id === info.id)?.values ?? []) as StoredValue[];
  }

  private work(info: AttrInfo): AttrWork {
    let a = this.attrs.get(info.id);
    if (!a) {
      a = { info, values: [...this.storedValues(info)], added: [] };
      this.attrs.set(info.id, a);
    }
    return a;
  }

  private key(info: AttrInfo, v: StoredValue): string {
    return info.syntax.normalize(v).toString('latin1');
  }

  /** One change of the request (RFC 4511 4.6: in order, all or nothing). */
  apply(ch: Change): void {
    const dir = this.dir;
    const info = attrOf(dir.schema, ch.modification.type, PLACE);
    const raw = ch.modification.values;
    const lname = info.name.toLowerCase();
    if (lname === 'unicodepwd') return this.password(ch.operation, raw);
    // MS-ADTS 3.1.1.5.3.2 / 3.1.1.1.4: constructed and back-link attributes are never written
    if (info.constructed) throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, `${info.name} is constructed`);
    if (info.backLinkOf) throw AdError.unwillingToPerform(PLACE, `${info.name} is a back link and cannot be written`);
    if (lname === 'objectclass') return this.objectClass(ch.operation, toStored(info, raw, this.sctx, PLACE) as string[]);
    // the RDN attribute and name change only through Modify DN (MS-ADTS 3.1.1.5.3.2)
    if (info.id === this.prev.rdnType || lname === 'name') {
      const same = ch.operation === ModifyOperation.replace && raw.length === 1 && info.syntax.compare(toStored(info, raw, this.sctx, PLACE)[0]!, this.prev.name) === 0;
      if (!same) throw AdError.notAllowedOnRDN(PLACE);
      return;
    }
    if (DIRECTORY_OWNED.has(lname)) throw AdError.unwillingToPerform(PLACE, `${info.name} is maintained by the directory`);
    if (info.systemOnly) throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, `${info.name} is system-only`);
    const stored = toStored(info, this.inSchemaNC ? schemaRawValues(dir, info, raw) : raw, this.sctx, PLACE);
    if (info.forwardLinkId !== undefined) return this.link(info, ch.operation, stored);
    this.value(info, ch.operation, stored);
  }

  private value(info: AttrInfo, op: ModifyOperation, stored: StoredValue[]): void {
    const a = this.work(info);
    const keys = new Set(a.values.map((v) => this.key(info, v)));
    switch (op) {
      case ModifyOperation.add: {
        if (stored.length === 0) throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, `no values to add to ${info.name}`);
        const seen = new Set<string>();
        for (const v of stored) {
          const k = this.key(info, v);
          if (keys.has(k) || seen.has(k)) {
            if (this.permissive) continue;
            throw AdError.attributeOrValueExists(PLACE, info.id, info.name);
          }
          seen.add(k);
          a.values.push(v);
          a.added.push(v);
        }
        return;
      }
      case ModifyOperation.delete: {
        if (stored.length === 0) {
          if (a.values.length === 0 && !this.permissive) throw AdError.noSuchAttribute(PLACE, info.id, info.name, Win32.ERROR_DS_CANT_REM_MISSING_ATT);
          a.values = [];
          a.added = [];
          return;
        }
        for (const v of stored) {
          const k = this.key(info, v);
          const i = a.values.findIndex((x) => this.key(info, x) === k);
          if (i < 0) {
            if (this.permissive) continue;
            throw AdError.noSuchAttribute(PLACE, info.id, info.name);
          }
          a.values.splice(i, 1);
          a.added = a.added.filter((x) => this.key(info, x) !== k);
        }
        return;
      }
      case ModifyOperation.replace: {
        const seen = new Set<string>();
        for (const v of stored) {
          const k = this.key(info, v);
          if (seen.has(k)) throw AdError.attributeOrValueExists(PLACE, info.id, info.name);
          seen.add(k);
        }
        a.values = [...stored];
        a.added = stored.filter((v) => !keys.has(this.key(info, v)));
        return;
      }
      case ModifyOperation.increment: {
        // RFC 4525: one value, an integer attribute that has values
        if (stored.length !== 1) throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, 'increment takes exactly one value');
        const by = stored[0];
        if (typeof by !== 'number' && typeof by !== 'bigint') throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, `${info.name} is not an integer attribute`);
        if (a.values.length === 0) throw AdError.noSuchAttribute(PLACE, info.id, info.name, Win32.ERROR_DS_CANT_REM_MISSING_ATT);
        a.values = a.values.map((v) => (typeof v === 'bigint' ? v + BigInt(by) : typeof v === 'number' ? v + Number(by) : v));
        a.added = [...a.values];
        return;
      }
      default:
        throw AdError.protocolError(PLACE, `unknown modify operation ${String(op)}`);
    }
  }

  // ---- forward links ------------------------------------------------------------------

  private linkWork(info: AttrInfo) {
    let l = this.links.get(info.id);
    if (!l) {
      l = { info, delta: new Map() };
      this.links.set(info.id, l);
    }
    return l;
  }

  private storedPresent(info: AttrInfo, target: Buffer, data: Buffer): boolean {
    const lv = this.w.getLink(this.guid, info.forwardLinkId!, target, data);
    return !!lv && lv.stamp.timeDeleted === 0;
  }

  private linkPresent(info: AttrInfo, target: Buffer, data: Buffer): boolean {
    const d = this.linkWork(info).delta.get(linkKey(target, data));
    return d ? d.present : this.storedPresent(info, target, data);
  }

  /** The present values of a link attribute after the changes so far. */
  private presentLinks(info: AttrInfo): LinkDelta[] {
    const l = this.linkWork(info);
    const out = new Map<string, LinkDelta>();
    for (const lv of this.w.links(this.guid, info.forwardLinkId!)) {
      if (lv.stamp.timeDeleted === 0) out.set(linkKey(lv.target, lv.data), { target: Buffer.from(lv.target), data: Buffer.from(lv.data), present: true });
    }
    for (const [k, d] of l.delta) {
      if (d.present) out.set(k, d);
      else out.delete(k);
    }
    return [...out.values()];
  }

  private link(info: AttrInfo, op: ModifyOperation, stored: StoredValue[]): void {
    const l = this.linkWork(info);
    // AD answers member changes of groups with the SAM's errors (ERROR_MEMBER_IN_ALIAS / _NOT_IN_ALIAS)
    const isMember = info.name === 'member';
    const add = (v: StoredValue, seen: Set<string>) => {
      const { target, data } = linkParts(v);
      const k = linkKey(target, data);
      const tgt = this.w.getObject(target);
      if (!tgt) throw AdError.noSuchObject(PLACE, '');
      if (isDeletedRecord(this.dir, tgt)) throw AdError.unwillingToPerform(PLACE, `a ${info.name} value cannot name a deleted object`);
      if (seen.has(k) || this.linkPresent(info, target, data)) {
        if (this.permissive) return;
        throw isMember ? AdError.alreadyMember(PLACE) : AdError.attributeOrValueExists(PLACE, info.id, info.name);
      }
      seen.add(k);
      l.delta.set(k, { target, data, present: true });
    };
    switch (op) {
      case ModifyOperation.add: {
        if (stored.length === 0) throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, `no values to add to ${info.name}`);
        const seen = new Set<string>();
        for (const v of stored) add(v, seen);
        return;
      }
      case ModifyOperation.delete: {
        if (stored.length === 0) {
          const present = this.presentLinks(info);
          if (present.length === 0 && !this.permissive) throw AdError.noSuchAttribute(PLACE, info.id, info.name, Win32.ERROR_DS_CANT_REM_MISSING_ATT);
          for (const d of present) l.delta.set(linkKey(d.target, d.data), { ...d, present: false });
          return;
        }
        for (const v of stored) {
          const { target, data } = linkParts(v);
          if (!this.linkPresent(info, target, data)) {
            if (this.permissive) continue;
            throw isMember ? (primaryGroupMemberRemoval(this.dir, this.w, this.prev, target) ?? AdError.notMember(PLACE)) : AdError.noSuchAttribute(PLACE, info.id, info.name);
          }
          l.delta.set(linkKey(target, data), { target, data, present: false });
        }
        return;
      }
      case ModifyOperation.replace: {
        for (const d of this.presentLinks(info)) l.delta.set(linkKey(d.target, d.data), { ...d, present: false });
        const seen = new Set<string>();
        for (const v of stored) {
          const { target, data } = linkParts(v);
          const k = linkKey(target, data);
          if (seen.has(k)) throw AdError.attributeOrValueExists(PLACE, info.id, info.name);
          l.delta.delete(k);
          if (!this.linkPresent(info, target, data)) add(v, seen);
          else seen.add(k);
        }
        return;
      }
      default:
        throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, `${info.name} cannot be incremented`);
    }
  }

  // ---- objectClass ----------------------------------------------------------------------

  /** MS-ADTS 3.1.1.5.3.2 "Constraints" / 3.1.1.1.4 (objectClass, RDN, DN): the structural chain is fixed; auxiliary classes come and go. */
  private objectClass(op: ModifyOperation, requested: string[]): void {
    const dir = this.dir;
    const snap = dir.schema.snapshot;
    const info = dir.schema.attr('objectClass')!;
    const a = this.work(info);
    const current = a.values as string[];
    const { structural, values: chainNow } = expandObjectClasses(dir, current, PLACE);
    const structuralChain = new Set(snap.classInfo(structural)!.chain.map((n) => snap.classByName(n)!.governsID));
    const cls = (oid: string) => {
      const c = snap.classByOid(oid) ?? snap.resolveClass(oid);
      if (!c) throw AdError.objectClassViolation(PLACE, `unknown object class ${oid}`);
      return c;
    };
    let next: string[];
    switch (op) {
      case ModifyOperation.add: {
        if (requested.length === 0) throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, 'no values to add to objectClass');
        next = [...current];
        for (const oid of requested) {
          const c = cls(oid);
          if (next.includes(c.governsID)) {
            if (this.permissive) continue;
            throw AdError.attributeOrValueExists(PLACE, info.id, info.name);
          }
          if (c.objectClassCategory !== ObjectClassCategory.Auxiliary) throw AdError.objectClassViolation(PLACE, `only auxiliary classes can be added to an object; ${c.lDAPDisplayName} is not one`);
          next.push(c.governsID);
        }
        break;
      }
      case ModifyOperation.delete: {
        if (requested.length === 0) throw AdError.objectClassViolation(PLACE, 'objectClass cannot be removed');
        next = [...current];
        for (const oid of requested) {
          const c = cls(oid);
          if (structuralChain.has(c.governsID)) throw AdError.objectClassViolation(PLACE, `the structural class chain cannot change (${c.lDAPDisplayName})`);
          const i = next.indexOf(c.governsID);
          if (i < 0) {
            if (this.permissive) continue;
            throw AdError.noSuchAttribute(PLACE, info.id, info.name);
          }
          next.splice(i, 1);
        }
        break;
      }
      case ModifyOperation.replace: {
        if (requested.length === 0) throw AdError.objectClassViolation(PLACE, 'objectClass cannot be removed');
        const r = expandObjectClasses(dir, requested, PLACE);
        if (r.structural.governsID !== structural.governsID) throw AdError.objectClassViolation(PLACE, `the structural class of the object is ${structural.lDAPDisplayName} and cannot change`);
        next = requested.map((o) => cls(o).governsID);
        break;
      }
      default:
        throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, 'objectClass cannot be incremented');
    }
    // keep the chain expanded (structural chain, then auxiliary classes with their superclasses)
    const expanded = expandObjectClasses(dir, next, PLACE).values;
    // auxiliary classes dropped: keep the superclasses only if another auxiliary class needs them
    a.values = expanded;
    if (sameSet(expanded, chainNow)) return;
    this.ocChanged = true;
  }

  // ---- unicodePwd -------------------------------------------------------------------------

  /** MS-ADTS 3.1.1.3.1.5: delete(old)+add(new) is a change, replace is an administrative reset. */
  private password(op: ModifyOperation, raw: Buffer[]): void {
    const p = (this.pwd ??= {});
    const pwd = passwordFrom(raw, this.ctx, PLACE);
    if (op === ModifyOperation.add && p.add === undefined) p.add = pwd;
    else if (op === ModifyOperation.delete && p.del === undefined) p.del = pwd;
    else if (op === ModifyOperation.replace && p.replace === undefined) p.replace = pwd;
    else throw AdError.unwillingToPerform(PLACE, 'unicodePwd: a password change is one delete (old) and one add (new); a reset is one replace');
  }

  /** The NT hash the request sets, or undefined. Checks the old password of a change. */
  private newPasswordHash(): Buffer | undefined {
    const p = this.pwd;
    if (!p) return undefined;
    const info = this.dir.schema.attr('unicodePwd')!;
    if (p.replace !== undefined) {
      if (p.add !== undefined || p.del !== undefined) throw AdError.unwillingToPerform(PLACE, 'unicodePwd: a reset (replace) cannot be combined with a change');
      if (this.ctx.session.identity) checkPasswordPolicy(this.dir, this.w, this.guid, this.prev, p.replace, 'reset', BigInt(this.dir.clock()) * 10_000_000n, PLACE);
      return ntHash(p.replace);
    }
    if (p.add === undefined || p.del === undefined) throw AdError.unwillingToPerform(PLACE, 'unicodePwd: a password change needs the old password (delete) and the new one (add)');
    const stored = this.storedValues(info)[0] as Uint8Array | undefined;
    // MS-SAMR semantics as AD reports them: a wrong old password is ERROR_INVALID_PASSWORD (0x56)
    if (!stored || !verifyNtHash(p.del, stored)) throw AdError.constraintViolation(PLACE, info.id, info.name, Win32.ERROR_INVALID_PASSWORD, 'the old password does not match');
    if (this.ctx.session.identity) checkPasswordPolicy(this.dir, this.w, this.guid, this.prev, p.add, 'change', BigInt(this.dir.clock()) * 10_000_000n, PLACE);
    return ntHash(p.add);
  }

  // ---- checks and the update --------------------------------------------------------------

  /** The request's working state as the SAM rules see it (src/dsa/sam/index.ts). */
  private samView(ocNames: string[]): SamModifyView {
    const A = (n: string) => this.dir.schema.attr(n)!;
    return {
      dir: this.dir,
      r: this.w,
      guid: this.guid,
      prev: this.prev,
      ocNames,
      touched: (n) => this.attrs.get(A(n).id),
      stored: (n) => this.storedValues(A(n)),
      rewrite: (n, values) => {
        const a = this.attrs.get(A(n).id);
        if (a) a.values = values;
      },
      linkChanges: (n) => {
        const info = A(n);
        const out = { added: [] as Buffer[], removed: [] as Buffer[] };
        for (const d of this.links.get(info.id)?.delta.values() ?? []) {
          if (d.present === this.storedPresent(info, d.target, d.data)) continue;
          (d.present ? out.added : out.removed).push(d.target);
        }
        return out;
      },
    };
  }

  /** Checks the object as the changes leave it, then writes it as one originating update. Returns whether anything changed. */
  commit(): boolean {
    const dir = this.dir;
    const schema = dir.schema;
    const snap = schema.snapshot;
    const A = (n: string) => schema.attr(n)!;
    const ocInfo = A('objectClass');
    const ocNames = ((this.attrs.get(ocInfo.id)?.values ?? this.storedValues(ocInfo)) as string[]).map((o) => snap.classByOid(o)?.lDAPDisplayName ?? o);
    const { allowed, must } = schema.classAttributeSets(ocNames);
    const structural = ocNames[ocNames.length - 1] ?? 'top';
    const notAllowed = (info: AttrInfo) => AdError.objectClassViolation(PLACE, `attribute ${info.name} is not allowed on this object (class ${structural})`);
    // the SAM's rules (MS-SAMR 3.1.1.6, 3.1.1.8) come first, as on Windows: src/dsa/sam/
    const sam = samModifyRules(this.samView(ocNames));
    if (this.inSchemaNC) schemaModifyRules(this.samView(ocNames));

    // values and schema constraints of each attribute the request touched (MS-ADTS 3.1.1.5.3.2, 3.1.1.2.3)
    for (const a of this.attrs.values()) {
      const { info, values } = a;
      if (info.id === ocInfo.id || values.length === 0) continue;
      if (!allowed.has(info.name.toLowerCase())) throw notAllowed(info);
      // Windows answers two values of a single-valued attribute in a modify with attributeOrValueExists (Samba's ldap.py test_single_valued_attributes)
      if (info.singleValued && values.length > 1) throw AdError.attributeOrValueExists(PLACE, info.id, info.name);
      checkRange(info, a.added, PLACE);
    }
    for (const l of this.links.values()) {
      const present = [...l.delta.values()].some((d) => d.present);
      if (present && !allowed.has(l.info.name.toLowerCase())) throw notAllowed(l.info);
      if (l.info.singleValued && this.presentLinks(l.info).length > 1) throw AdError.constraintViolation(PLACE, l.info.id, l.info.name, Win32.ERROR_DS_SINGLE_VALUE_CONSTRAINT, `${l.info.name} is single-valued`);
    }
    if (this.pwd && !allowed.has('unicodepwd')) throw notAllowed(A('unicodePwd'));
    if (this.ocChanged) {
      // an auxiliary class removed: its attributes must go first
      for (const st of this.prev.attrs) {
        if (st.values.length === 0 || this.attrs.has(st.id)) continue;
        const info = schema.attrById(st.id);
        if (info && info.id !== ocInfo.id && !allowed.has(info.name.toLowerCase())) throw notAllowed(info);
      }
      const seenLinks = new Set<number>();
      for (const lv of this.w.links(this.guid)) {
        if (lv.stamp.timeDeleted !== 0 || seenLinks.has(lv.attid) || this.links.has(lv.attid)) continue;
        seenLinks.add(lv.attid);
        const info = schema.attrById(lv.attid);
        if (info && !allowed.has(info.name.toLowerCase())) throw notAllowed(info);
      }
    }
    // must-have attributes (MS-ADTS 3.1.1.5.3.2 "mustContain"): those the request touched, all of them when the classes changed
    for (const m of must) {
      if (SYSTEM_GIVEN_MUST.has(m)) continue;
      const info = schema.attr(m);
      if (!info || info.forwardLinkId !== undefined) continue;
      const w = this.attrs.get(info.id);
      if (!w && !this.ocChanged) continue;
      const vals = w ? w.values : this.storedValues(info);
      if (vals.length === 0 && !(info.id === this.prev.rdnType || m === 'name')) throw AdError.objectClassViolation(PLACE, `required attribute ${info.name} is missing`);
    }

    // security principals (MS-ADTS 3.1.1.5.3 "Modify Operation" / MS-SAMR 3.1.1.8): unique names, sAMAccountType follows the flags
    const derived: [AttrInfo, StoredValue[]][] = [];
    const isUser = ocNames.includes('user');
    const isGroup = ocNames.includes('group');
    const samW = this.attrs.get(A('sAMAccountName').id);
    if (samW && (isUser || isGroup)) {
      if (samW.values.length !== 1) throw AdError.constraintViolation(PLACE, samW.info.id, samW.info.name, undefined, 'a security principal has exactly one sAMAccountName');
      if (samW.added.length > 0) checkSamAccountName(dir, this.w, samW.values[0] as string, this.guid, PLACE);
    }
    const upnW = this.attrs.get(A('userPrincipalName').id);
    if (upnW && upnW.added.length > 0) checkUserPrincipalName(dir, this.w, upnW.values[0] as string, this.guid, PLACE);
    derived.push(...sam.derived);
    const pwdHash = this.newPasswordHash();

    // what really changed: an attribute whose values end up as they were is not re-stamped (MS-ADTS 3.1.1.1.9)
    const changes: [AttrInfo, StoredValue[]][] = [];
    for (const a of this.attrs.values()) {
      if (!sameValues(a.info, a.values, this.storedValues(a.info))) changes.push([a.info, a.values]);
    }
    for (const [info, vals] of derived) if (!sameValues(info, vals, this.storedValues(info))) changes.push([info, vals]);
    const linkOps: { info: AttrInfo; d: LinkDelta }[] = [];
    for (const l of this.links.values()) {
      for (const d of l.delta.values()) if (d.present !== this.storedPresent(l.info, d.target, d.data)) linkOps.push({ info: l.info, d });
    }
    if (changes.length === 0 && linkOps.length === 0 && pwdHash === undefined) return false;

    const u = new OriginatingUpdate(this.w, this.dir.store.dc.invocationId, this.dir.clock);
    const rec: ObjectRecord = { ...this.prev, attrs: this.prev.attrs.map((a) => ({ ...a })) };
    for (const [info, vals] of changes) u.setAttribute(rec, info, vals);
    if (pwdHash !== undefined) {
      u.setAttribute(rec, A('unicodePwd'), [pwdHash]);
      u.setAttribute(rec, A('ntPwdHistory'), [historyAfter(dir, this.w, this.guid, this.prev, pwdHash)]);
      u.setAttribute(rec, A('pwdLastSet'), [BigInt(u.time) * 10_000_000n]);
    }
    u.touch(rec);
    this.w.putObject(this.guid, rec, this.prev);
    for (const { info, d } of linkOps) {
      if (d.present) u.addLinkValue(this.guid, info.id, info.forwardLinkId!, d.target, d.data);
      else u.removeLinkValue(this.guid, info.forwardLinkId!, d.target, d.data);
    }
    for (const f of sam.after) f(u);
    if (this.inSchemaNC) bumpSchemaInfo(dir, u);
    return true;
  }
}

function linkKey(target: Buffer, data: Buffer): string {
  return Buffer.from(target).toString('hex') + ':' + Buffer.from(data).toString('hex');
}

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(b);
  return a.every((x) => s.has(x));
}

/** Same values by the syntax's equality, in any order. */
export function sameValues(info: AttrInfo, a: StoredValue[], b: StoredValue[]): boolean {
  if (a.length !== b.length) return false;
  const keys = b.map((v) => info.syntax.normalize(v).toString('latin1')).sort();
  const ak = a.map((v) => info.syntax.normalize(v).toString('latin1')).sort();
  return ak.every((k, i) => k === keys[i]);
}
