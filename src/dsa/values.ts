// LDAP attribute values ↔ stored values, through each attribute's syntax. Shared by add,
// modify, compare and provisioning.
import type { PartialAttribute } from '../ldap/protocol/messages.js';
import type { StoredValue, SyntaxContext, DNBinary, DNString, DSName } from '../schema/syntaxes/syntax.js';
import type { AttrInfo, SchemaBinding } from './schema-binding.js';
import { AdError } from './errors.js';
import { LdapError } from '../ldap/protocol/result-codes.js';

/** An attribute description split into its type and options (RFC 4512 2.5): "member;range=0-10" → member, [range=0-10]. */
export function parseAttributeDescription(desc: string): { type: string; options: string[] } {
  if (!desc.includes(';')) return { type: desc, options: [] };
  const parts = desc.split(';');
  return { type: parts[0]!, options: parts.slice(1) };
}

/** The attribute an LDAP attribute description names, or undefinedAttributeType. */
export function attrOf(schema: SchemaBinding, desc: string, place: string): AttrInfo {
  const { type } = parseAttributeDescription(desc);
  const info = schema.attr(type);
  if (!info) throw AdError.undefinedAttributeType(place, type);
  return info;
}

/** Converts LDAP values of `info` to stored form; a bad value is invalidAttributeSyntax with the syntax's reason. */
export function toStored(info: AttrInfo, values: readonly Uint8Array[], ctx: SyntaxContext, place: string): StoredValue[] {
  const out: StoredValue[] = [];
  for (const v of values) {
    try {
      out.push(info.syntax.fromLdap(v, ctx));
    } catch (e) {
      if (e instanceof LdapError) throw e;
      throw AdError.invalidAttributeSyntax(place, info.id, info.name, (e as Error).message);
    }
  }
  return out;
}

/** Removes duplicates (by the syntax's equality); `onDuplicate` decides what a duplicate means. */
export function dedupe(info: AttrInfo, values: StoredValue[], onDuplicate?: () => never): StoredValue[] {
  if (values.length < 2) return values.slice(); // nothing to compare (most attributes of an add)
  const seen = new Set<string>();
  const out: StoredValue[] = [];
  for (const v of values) {
    const k = info.syntax.normalize(v).toString('latin1');
    if (seen.has(k)) {
      if (onDuplicate) onDuplicate();
      continue;
    }
    seen.add(k);
    out.push(v);
  }
  return out;
}

/** The referenced object and the link's data part, for a value of a link attribute. */
export function linkParts(value: StoredValue): { target: Buffer; data: Buffer; extra?: unknown } {
  const v = value as DSName & Partial<DNBinary> & Partial<DNString>;
  if ('ref' in v && v.ref) {
    if ((v as DNBinary).binary !== undefined) return { target: Buffer.from(v.ref.guid), data: Buffer.from((v as DNBinary).binary) };
    if ((v as DNString).str !== undefined) return { target: Buffer.from(v.ref.guid), data: Buffer.from((v as DNString).str, 'utf8') };
  }
  return { target: Buffer.from((v as DSName).guid), data: Buffer.alloc(0) };
}

/** Rebuilds the stored value of a link from its parts, for reading. */
export function linkValue(info: AttrInfo, target: Buffer, data: Buffer, sid?: Uint8Array): StoredValue {
  const ref: DSName = sid ? { guid: target, sid } : { guid: target };
  switch (info.syntax.name) {
    case 'Object(DN-Binary)':
      return { ref, binary: data };
    case 'Object(DN-String)':
      return { ref, str: data.toString('utf8') };
    default:
      return ref;
  }
}

/** Groups request attributes by attribute, merging repeated descriptions of the same type. */
export function groupAttributes(schema: SchemaBinding, attrs: readonly PartialAttribute[], place: string): Map<AttrInfo, Buffer[]> {
  const m = new Map<AttrInfo, Buffer[]>();
  for (const a of attrs) {
    const info = attrOf(schema, a.type, place);
    const list = m.get(info);
    if (list) list.push(...a.values);
    else m.set(info, [...a.values]);
  }
  return m;
}
