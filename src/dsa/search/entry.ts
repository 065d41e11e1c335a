// One search result entry: which attributes it carries (RFC 4511 4.5.1.8, MS-ADTS 3.1.1.3.1.3),
// their LDAP values through each syntax, and ranged retrieval of many-valued attributes
// (MS-ADTS 3.1.1.3.1.3.3: "member;range=0-1499").
//
// Selection: none or '*' = every stored attribute the object has (links and back links
// included) except secret ones (MS-ADTS 3.1.1.1.4: never returned, even when named) and
// nTSecurityDescriptor (returned only when named); '+' adds
// the constructed attributes of constructed.ts; '1.1' alone = none; names and OIDs in any
// case; unknown names are ignored. Types are returned as lDAPDisplayNames, with ";binary" and
// ";range=…" when those options apply.
import type { OutgoingAttribute } from '../../ldap/protocol/messages.js';
import type { StoredValue, SyntaxContext, ToLdapOptions } from '../../schema/syntaxes/syntax.js';
import type { AttrInfo, SchemaBinding } from '../schema-binding.js';
import type { ObjectView } from '../object-view.js';
import { constructedValues, isSupportedConstructed, OPERATIONAL_SET, type ConstructedEnv } from './constructed.js';
import { readSecurityDescriptorParts } from '../../security/sd-flags.js';
import { subschemaAttributes } from '../subschema-entry.js';
import { LazyObjectRecord } from '../../store/record.js';
import { encodeAttributeList } from '../../ldap/protocol/codec.js';
import type { CachePlan, EncodedEntryCache } from './entry-cache.js';

export interface RangeOption {
  low: number;
  /** -1 for '*' */
  high: number;
}

export interface RequestedAttribute {
  info: AttrInfo;
  binary: boolean;
  range?: RangeOption;
}

export interface Selection {
  /** '*' or no list: every stored attribute */
  allUser: boolean;
  /** '+': the constructed ones too */
  operational: boolean;
  /** attributes named in the request (stored, link or constructed), each once */
  named: RequestedAttribute[];
  /** `named` by attribute id (built once per search, not per entry) */
  namedById: Map<number, RequestedAttribute>;
  /** the request's list as sent (the subSchema entry selects its rendered attributes from it) */
  requested: readonly string[];
}

/**
 * Parsed selections by request list, per schema binding (a schema change makes a new binding,
 * so a selection never outlives the schema it was parsed with). Clients repeat a few lists.
 */
const selections = new WeakMap<SchemaBinding, SelectionCache>();
/** One schema binding's parsed selections, and the last one served (the list it was served for compared item by item: no key joined). */
interface SelectionCache {
  byList: Map<string, Selection>;
  last: Selection | undefined;
}
/** The most distinct request lists kept per schema binding. */
export const SELECTION_CACHE_SIZE = 256;

/** The parsed selection of a request list: parseSelection once per schema binding and list (read-only, shared). */
export function selectionFor(schema: SchemaBinding, attributes: readonly string[]): Selection {
  let m = selections.get(schema);
  if (!m) selections.set(schema, (m = { byList: new Map(), last: undefined }));
  // a client repeats its list: the last selection when its list is this one (sel.requested is the list as first sent, a copy)
  const last = m.last;
  if (last !== undefined && sameList(last.requested, attributes)) return last;
  // the list joined by NUL, unless a name holds one (then parsed uncached)
  for (const a of attributes) if (a.includes('\0')) return parseSelection(schema, attributes);
  const k = attributes.join('\0');
  let sel = m.byList.get(k);
  if (!sel) {
    sel = parseSelection(schema, [...attributes]);
    if (m.byList.size >= SELECTION_CACHE_SIZE) m.byList.clear();
    m.byList.set(k, sel);
  }
  m.last = sel;
  return sel;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses the requested attribute list once per search. */
export function parseSelection(schema: SchemaBinding, attributes: readonly string[]): Selection {
  const sel: Selection = { allUser: attributes.length === 0, operational: false, named: [], namedById: new Map(), requested: attributes };
  const seen = new Set<number>();
  const only11 = attributes.length === 1 && attributes[0] === '1.1';
  if (only11) return sel;
  for (const desc of attributes) {
    if (desc === '*') {
      sel.allUser = true;
      continue;
    }
    if (desc === '+') {
      sel.operational = true;
      continue;
    }
    if (desc === '1.1') continue;
    const parts = desc.split(';');
    const info = schema.attr(parts[0]!);
    if (!info || info.secret || seen.has(info.id)) continue;
    if (info.constructed && !isSupportedConstructed(info.name)) continue;
    seen.add(info.id);
    const req: RequestedAttribute = { info, binary: false };
    for (const o of parts.slice(1)) {
      const lo = o.toLowerCase();
      if (lo === 'binary') req.binary = true;
      else if (lo.startsWith('range=')) {
        const m = /^range=(\d+)-(\d+|\*)$/.exec(lo);
        if (m) req.range = { low: Number(m[1]), high: m[2] === '*' ? -1 : Number(m[2]) };
      }
    }
    sel.named.push(req);
    sel.namedById.set(info.id, req);
  }
  return sel;
}

export interface EntryOptions {
  typesOnly: boolean;
  /** MaxValRange (MS-ADTS 3.1.1.3.4.6): most values of one attribute in one entry */
  maxValRange: number;
  /** the syntax context values are written with (extended DNs when that control is on) */
  valueCtx: SyntaxContext;
  /** the plain context (Object(OR-Name) values are never extended, MS-ADTS 3.1.1.3.4.1.5) */
  plainCtx: SyntaxContext;
  /** SD_FLAGS Flags (undefined = control absent), MS-ADTS 3.1.1.3.4.1.11 */
  sdFlags: number | undefined;
  /** the requester may read SACLs (ACCESS_SYSTEM_SECURITY); else an SD with its SACL asked for is withheld */
  mayReadSacl: boolean;
  constructed: ConstructedEnv;
  /** the objectGUID of the subSchema object CN=Aggregate (whose schema attributes are rendered on read), read only for an entry that may be it */
  aggregate: () => Buffer | undefined;
}

/** Builds the attributes of one entry. */
export function entryAttributes(view: ObjectView, sel: Selection, o: EntryOptions): OutgoingAttribute[] {
  const out: OutgoingAttribute[] = [];
  // MS-ADTS 3.1.1.4.3: attributes the requester may not read are left out
  const acc = view.rc.access;
  const unreadable = (info: AttrInfo) => acc !== undefined && !acc.mayRead(view.rec, info);
  const done = new Set<number>();
  const namedById = sel.namedById;
  if (sel.allUser) {
    for (const info of view.presentAttributes()) {
      if (info.secret || info.constructed || done.has(info.id) || unreadable(info)) continue;
      // nTSecurityDescriptor only when asked for by name, not for '*', as Windows answers (issue 13; no spec text found)
      if (info.name === 'nTSecurityDescriptor' && !namedById.has(info.id)) continue;
      done.add(info.id);
      pushStored(out, view, namedById.get(info.id) ?? { info, binary: false }, o);
    }
  }
  for (const req of sel.named) {
    if (done.has(req.info.id) || unreadable(req.info)) continue;
    done.add(req.info.id);
    if (!req.info.constructed && !isSupportedConstructed(req.info.name)) {
      pushStored(out, view, req, o);
      continue;
    }
    const values = constructedValues(req.info.name, view, o.constructed, req.binary);
    if (values && values.length > 0) push(out, req, values, o);
  }
  if (mayBeAggregate(view) && o.aggregate()?.equals(view.guid)) {
    // MS-ADTS 3.1.1.3.1.1 / RFC 4512 4.2: attributeTypes, objectClasses, … from the schema in force
    for (const a of subschemaAttributes(view.rc.dir, sel.requested)) out.push({ type: a.type, values: o.typesOnly ? [] : [...a.values] });
  }
  if (sel.operational) {
    for (const name of OPERATIONAL_SET) {
      const info = view.rc.dir.schema.attr(name);
      if (!info || done.has(info.id) || unreadable(info)) continue;
      done.add(info.id);
      const values = constructedValues(name, view, o.constructed);
      if (values && values.length > 0) push(out, { info, binary: false }, values, o);
    }
  }
  return out;
}

/**
 * The entry's attributes as the BER of a PartialAttributeList, from the encoded-entry cache
 * (entry-cache.ts) while the attributes it was built from are stored alike, else built by
 * entryAttributes and kept; undefined for an entry the cache does not serve (entryAttributes then).
 */
export function cachedEntryAttributes(view: ObjectView, sel: Selection, o: EntryOptions, plan: CachePlan, cache: EncodedEntryCache): Buffer | undefined {
  const rec = view.rec;
  if (!(rec instanceof LazyObjectRecord) || mayBeAggregate(view)) return undefined;
  const hit = cache.get(plan, view.guid, rec);
  if (hit) return hit;
  const version = rec.packedVersion(plan.versionIds);
  if (!version) return undefined;
  const ber = encodeAttributeList(cache.writer, entryAttributes(view, sel, o));
  cache.set(plan, view.guid, version, ber);
  return ber;
}

/** Whether the entry may be CN=Aggregate (MS-ADTS 3.1.1.3.1.4): a child of the schema NC head named Aggregate, from the record alone. */
function mayBeAggregate(view: ObjectView): boolean {
  const p = view.rec.parent;
  return p !== null && view.rec.name.length === 9 && p.equals(view.rc.dir.forest.schemaNC) && view.rec.name.toLowerCase() === 'aggregate';
}

/**
 * A stored attribute (links and back links included): only the values of the requested range
 * are read (MS-ADTS 3.1.1.3.1.3.3; without a range option, the first MaxValRange).
 */
function pushStored(out: OutgoingAttribute[], view: ObjectView, req: RequestedAttribute, o: EntryOptions): void {
  const info = req.info;
  if (info.forwardLinkId === undefined && !info.backLinkOf) {
    const values = view.values(info);
    if (values.length > 0) push(out, req, values, o);
    return;
  }
  const low = req.range?.low ?? 0;
  const wantHigh = req.range && req.range.high >= 0 ? req.range.high : Number.MAX_SAFE_INTEGER;
  const high = Math.min(wantHigh, low + o.maxValRange - 1);
  const w = view.valuesWindow(info, low, high);
  if (!w.any) return;
  // the range suffix, as push() writes it for a whole list (only present when ranged or cut)
  let type = req.binary ? `${info.name};binary` : info.name;
  if (req.range || w.more) {
    const last = low + w.values.length - 1;
    type += w.more ? `;range=${low}-${last}` : `;range=${low}-*`;
  }
  emit(out, req, type, w.values, o);
}

function push(out: OutgoingAttribute[], req: RequestedAttribute, all: StoredValue[], o: EntryOptions): void {
  const info = req.info;
  if (all.length === 0) return;
  let values = all;
  let type = req.binary ? `${info.name};binary` : info.name;
  // MS-ADTS 3.1.1.3.1.3.3 range retrieval; without a range option, more than MaxValRange values are cut the same way
  if (req.range || all.length > o.maxValRange) {
    const low = req.range?.low ?? 0;
    const wantHigh = req.range && req.range.high >= 0 ? req.range.high : Number.MAX_SAFE_INTEGER;
    const high = Math.min(wantHigh, low + o.maxValRange - 1, all.length - 1);
    values = low < all.length ? all.slice(low, high + 1) : [];
    type += high >= all.length - 1 ? `;range=${low}-*` : `;range=${low}-${high}`;
  }
  emit(out, req, type, values, o);
}

/** Writes the LDAP form of `values` under `type`. */
function emit(out: OutgoingAttribute[], req: RequestedAttribute, type: string, values: StoredValue[], o: EntryOptions): void {
  const info = req.info;
  if (info.name === 'nTSecurityDescriptor') {
    // MS-ADTS 3.1.1.3.4.1.11 / 6.1.3.2: the parts SD_FLAGS selects; withheld when the SACL is asked for and may not be read
    const sd = readSecurityDescriptorParts(values[0] as Uint8Array, o.sdFlags, o.mayReadSacl);
    if (!sd) return;
    values = [sd];
  }
  if (o.typesOnly) {
    out.push({ type, values: [] });
    return;
  }
  const ctx = info.syntax.name === 'Object(OR-Name)' ? o.plainCtx : o.valueCtx;
  const opts: ToLdapOptions = req.binary ? { attribute: info.name, binary: true } : { attribute: info.name };
  const ldap: (Buffer | string)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = info.syntax.toLdap(values[i]!, ctx, opts);
    ldap[i] = typeof v === 'string' || Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  out.push({ type, values: ldap });
}
