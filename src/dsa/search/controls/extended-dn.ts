// LDAP_SERVER_EXTENDED_DN_OID (1.2.840.113556.1.4.529), MS-ADTS 3.1.1.3.4.1.5: every DN in the
// response — objectName and DN-valued attributes, not Object(OR-Name) ones — becomes
// "<GUID=guid>;<SID=sid>;dn" (no SID part for objects without objectSid). Flag 0: GUID and SID
// as hexadecimal strings of their binary forms; flag 1: the standard string forms.
import { EXTENDED_DN_OID } from '../../../ldap/controls/extended-dn.js';
import type { DSName, SyntaxContext } from '../../../schema/syntaxes/syntax.js';
import { sidToString } from '../../../schema/syntaxes/index.js';
import { guidToString } from '../../../util/guid.js';
import type { ReadContext } from '../../object-view.js';
import { getAttr } from '../../../store/record.js';

export const EXTENDED_DN_OIDS = [EXTENDED_DN_OID] as const;

export class ExtendedDn {
  private readonly sidMemo = new Map<string, Buffer | null>();
  private readonly sidId: number;

  constructor(
    private readonly rc: ReadContext,
    readonly flag: number,
  ) {
    this.sidId = rc.dir.schema.attr('objectSid')!.id;
  }

  /** The extended form of the DN of `guid` (its objectSid read once per search). */
  format(guid: Buffer, dn: string): string {
    const sid = this.sidOf(guid);
    const g = this.flag === 1 ? guidToString(guid) : guid.toString('hex');
    if (!sid) return `<GUID=${g}>;${dn}`;
    const s = this.flag === 1 ? sidToString(sid) : sid.toString('hex');
    return `<GUID=${g}>;<SID=${s}>;${dn}`;
  }

  private sidOf(guid: Buffer): Buffer | null {
    const k = guid.toString('latin1');
    let s = this.sidMemo.get(k);
    if (s === undefined) {
      const rec = this.rc.r.readObject(guid);
      const v = (rec && getAttr(rec, this.sidId))?.values[0] as Uint8Array | undefined;
      s = v && v.length > 0 ? Buffer.from(v) : null;
      if (this.sidMemo.size > 50_000) this.sidMemo.clear();
      this.sidMemo.set(k, s);
    }
    return s;
  }

  /** A syntax context whose DNs are extended (for DN-valued attributes). */
  context(base: SyntaxContext): SyntaxContext {
    return {
      ...base,
      dnOf: (ref: DSName): string => {
        const dn = base.dnOf(ref);
        const g = Buffer.from(ref.guid);
        return this.rc.r.hasObject(g) ? this.format(g, dn) : dn;
      },
    };
  }
}
