// The schema cache is built from the schema NC (MS-ADTS 3.1.1.2): every attributeSchema and
// classSchema object there becomes one entry of a SchemaSnapshot. The attributes that
// describe schema objects themselves (attributeID, lDAPDisplayName, mustContain, …) are base
// schema that never changes (systemOnly), so the bundled bootstrap schema decodes them.
import type { Store, ReadTxn } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import { SchemaSnapshot } from '../schema/snapshot.js';
import { loadBootstrapSchema, attributeFromRecord, classFromRecord, type RawSchemaRecord } from '../schema/bootstrap.js';
import { PrefixTable } from '../schema/prefix-table.js';
import { SCHEMA_CONTAINER_PLACEHOLDER } from '../schema/types.js';
import { SchemaBinding } from './schema-binding.js';
import { guidToString } from '../util/guid.js';
import type { ForestInfo } from './directory.js';
import { normalizeDN } from '../dn/dn.js';

/** Attributes whose String(Octet) values are GUIDs, written as GUID text in raw schema records. */
export const GUID_VALUED = new Set(['schemaIDGUID', 'attributeSecurityGUID', 'objectGUID']);

/**
 * The binding of the bundled schema, used to read and write schema objects. Built anew on each
 * call (tens of ms): a Directory keeps the one it uses (Directory.bootSchema), so several DCs in
 * one process share no module state.
 */
export function bootstrapSchemaBinding(): SchemaBinding {
  const boot = loadBootstrapSchema(new PrefixTable());
  return new SchemaBinding(new SchemaSnapshot(boot.attributes, boot.classes, boot.prefixTable));
}

/** The raw (JSON-like) record of a stored schema object, in the shape bootstrap.ts reads. */
export function rawSchemaRecord(rec: ObjectRecord, boot: SchemaBinding, oidToName: Map<string, string>, schemaDN: string, r: ReadTxn, dnOfGuid: (g: Buffer) => string | undefined): RawSchemaRecord {
  const raw: RawSchemaRecord = {};
  const normSchema = normalizeDN(schemaDN);
  for (const a of rec.attrs) {
    if (a.values.length === 0) continue;
    const info = boot.attrById(a.id);
    if (!info) continue;
    const vals = a.values.map((v): unknown => {
      const syn = info.syntax.name;
      if (GUID_VALUED.has(info.name)) return guidToString(v as Uint8Array);
      if (syn === 'String(Object-Identifier)') return info.name === 'attributeID' || info.name === 'governsID' || info.name === 'attributeSyntax' ? v : (oidToName.get(v as string) ?? v);
      if (syn === 'String(Octet)') return Buffer.from(v as Uint8Array).toString('hex');
      if (syn === 'Object(DS-DN)') {
        const dn = dnOfGuid(Buffer.from((v as { guid: Uint8Array }).guid)) ?? (v as { dn?: string }).dn ?? '';
        const n = normalizeDN(dn);
        // templates keep the schema container as a placeholder (see types.ts)
        return n.endsWith(normSchema) ? dn.slice(0, dn.length - schemaDN.length) + SCHEMA_CONTAINER_PLACEHOLDER : dn;
      }
      if (typeof v === 'bigint') return Number(v);
      return v;
    });
    raw[info.name] = info.singleValued ? vals[0] : vals;
  }
  void r;
  return raw;
}

/** Builds the schema cache from the schema NC of `store`; `boot` (the bundled schema's binding) decodes the schema objects. */
export function schemaFromStore(store: Store, forest: ForestInfo, prefix: PrefixTable, boot: SchemaBinding): SchemaSnapshot {
  const r = store.reader;
  const oc = boot.attr('objectClass')!;
  const ATTRIBUTE_SCHEMA = boot.snapshot.classByName('attributeSchema')!.governsID;
  const CLASS_SCHEMA = boot.snapshot.classByName('classSchema')!.governsID;
  const attrRecs: ObjectRecord[] = [];
  const classRecs: ObjectRecord[] = [];
  for (const g of r.children(forest.schemaNC)) {
    const rec = r.getObject(g);
    if (!rec) continue;
    const classes = (rec.attrs.find((a) => a.id === oc.id)?.values ?? []) as string[];
    if (classes.includes(ATTRIBUTE_SCHEMA)) attrRecs.push(rec);
    else if (classes.includes(CLASS_SCHEMA)) classRecs.push(rec);
  }
  // OID → lDAPDisplayName over the NC's own objects (names in mustContain etc. may be new ones)
  const oidToName = new Map<string, string>();
  const idOf = (name: string) => boot.attr(name)!.id;
  const first = (rec: ObjectRecord, name: string) => rec.attrs.find((a) => a.id === idOf(name))?.values[0] as string | undefined;
  for (const rec of attrRecs) oidToName.set(first(rec, 'attributeID')!, first(rec, 'lDAPDisplayName')!);
  for (const rec of classRecs) oidToName.set(first(rec, 'governsID')!, first(rec, 'lDAPDisplayName')!);
  const names = new Map<string, string>();
  const dnOfGuid = (g: Buffer): string | undefined => {
    const k = g.toString('hex');
    let dn = names.get(k);
    if (dn === undefined) {
      const rec = r.getObject(g);
      if (!rec) return undefined;
      dn = rec.parent && rec.parent.equals(forest.schemaNC) ? `CN=${escapeCn(rec.name)},${forest.schemaDN}` : undefined;
      if (dn) names.set(k, dn);
    }
    return dn;
  };
  const attributes = attrRecs.map((rec) => attributeFromRecord(rawSchemaRecord(rec, boot, oidToName, forest.schemaDN, r, dnOfGuid), prefix));
  const classes = classRecs.map((rec) => classFromRecord(rawSchemaRecord(rec, boot, oidToName, forest.schemaDN, r, dnOfGuid), prefix));
  return new SchemaSnapshot(attributes, classes, prefix, { strict: false });
}

function escapeCn(v: string): string {
  return v.replace(/[,+"\\<>;=]/g, (c) => '\\' + c);
}
