// Which objects and link values a search sees (MS-ADTS 3.1.1.3.4.1): deleted objects
// (isDeleted TRUE) only with LDAP_SERVER_SHOW_DELETED_OID, recycled objects (isRecycled TRUE)
// only with LDAP_SERVER_SHOW_RECYCLED_OID (which also shows deleted ones), deactivated link
// values only with LDAP_SERVER_SHOW_DEACTIVATED_LINK_OID (MS-ADTS 3.1.1.3.4.1.25 / 3.1.1.9).
import { SHOW_DELETED_OID } from '../../../ldap/controls/show-deleted.js';
import { SHOW_RECYCLED_OID } from '../../../ldap/controls/show-recycled.js';
import { SHOW_DEACTIVATED_LINK_OID } from '../../../ldap/controls/show-deactivated-link.js';
import { attrValues, type ObjectRecord } from '../../../store/record.js';
import type { SchemaBinding } from '../../schema-binding.js';

export const VISIBILITY_OIDS = [SHOW_DELETED_OID, SHOW_RECYCLED_OID, SHOW_DEACTIVATED_LINK_OID] as const;

export interface Visibility {
  showDeleted: boolean;
  showRecycled: boolean;
  showDeactivatedLinks: boolean;
}

export function visibilityFrom(oids: ReadonlySet<string>): Visibility {
  const showRecycled = oids.has(SHOW_RECYCLED_OID);
  return { showDeleted: showRecycled || oids.has(SHOW_DELETED_OID), showRecycled, showDeactivatedLinks: oids.has(SHOW_DEACTIVATED_LINK_OID) };
}

/** A predicate on records: is the object visible to this search? Reads two attributes of the record. */
export function visibleFilter(schema: SchemaBinding, v: Visibility): (rec: ObjectRecord) => boolean {
  if (v.showRecycled) return () => true;
  const del = schema.attr('isDeleted')!.id;
  const rec = schema.attr('isRecycled')!.id;
  const show = v.showDeleted;
  return (r) => attrValues(r, rec)?.[0] !== true && (show || attrValues(r, del)?.[0] !== true);
}
