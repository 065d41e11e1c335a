// Modify operations on the rootDSE (MS-ADTS 3.1.1.3.3 "rootDSE Modify Operations"): writing
// one of these attributes asks the DC to do something. Implemented: schemaUpdateNow
// (3.1.1.3.3.14: rebuild the schema cache from the schema NC now).
import type { ModifyRequest } from '../ldap/protocol/messages.js';
import type { Directory } from './directory.js';
import type { OperationContext, OperationResult } from './api.js';
import { AdError } from './errors.js';
import { schemaFromStore } from './schema-load.js';
import { PrefixTable } from '../schema/prefix-table.js';

export async function modifyRootDse(dir: Directory, req: ModifyRequest, ctx: OperationContext): Promise<OperationResult> {
  const place = 'dsa.rootDSE';
  for (const ch of req.changes) {
    const name = ch.modification.type.toLowerCase();
    switch (name) {
      case 'schemaupdatenow':
        if (!ctx.session.identity?.isAdmin) throw AdError.insufficientAccess(place, 'schemaUpdateNow needs a schema administrator');
        refreshSchema(dir);
        break;
      default:
        throw AdError.unwillingToPerform(place, `rootDSE operation ${ch.modification.type} is not supported`);
    }
  }
  return {};
}

/** Rebuilds the schema cache from the schema NC and swaps it in (MS-ADTS 3.1.1.2.5.? schema cache update). */
export function refreshSchema(dir: Directory): void {
  const prefix = PrefixTable.fromJSON(dir.store.getMeta('prefixTable') as never);
  dir.setSchema(schemaFromStore(dir.store, dir.forest, prefix));
}
