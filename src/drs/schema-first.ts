// The schema NC first (MS-DRSR 4.1.10.6): the objects of the other NCs are read with this DC's
// schema, so the schema NC is replicated before them (every cycle starts with it, replicator.ts)
// and the schema cache is rebuilt as soon as a schema cycle applied something (as
// schemaUpdateNow would, MS-ADTS 3.1.1.3.3.13). A reply of another NC that still carries an
// attribute this DC does not know (the source's schema moved on between the two cycles: an
// ATTRTYP its prefix table does not map, or an attribute its schema lacks) is answered by
// replicating the schema NC again and then the NC once more; if that fails too, the cycle fails
// with ERROR_DS_DRA_SCHEMA_MISMATCH.
import type { Directory } from '../dsa/directory.js';
import type { ReplicaContext } from '../dsa/replica/context.js';
import type { DSNAME } from '../dsa/replica/types.js';
import type { DrsClient } from './transport/tls.js';
import { WireValueError } from './wire-values.js';
import { pullNC, ReplicationError } from './replicator.js';

/** MS-ERREF: ERROR_DS_DRA_SCHEMA_MISMATCH (checked against python3-samba's werror) */
export const ERROR_DS_DRA_SCHEMA_MISMATCH = 0x20e2;


/** The decoding failed on an attribute this DC's schema or prefix table does not have. */
export function isSchemaMismatch(e: unknown): boolean {
  return e instanceof WireValueError && (e.syntax === 'ATTRTYP' || e.syntax === 'ATTR');
}

/**
 * Runs `pull` (one NC's cycle); if its reply carries an attribute this DC does not know, calls
 * `refreshSchema` (which brings the schema NC up to date and rebuilds the schema cache) and pulls
 * once more; a second mismatch is ERROR_DS_DRA_SCHEMA_MISMATCH. `retry: false` fails on the first.
 */
export async function withSchemaRetry(ncName: string, pull: () => Promise<number>, refreshSchema: () => Promise<void>, retry = true): Promise<number> {
  try {
    return await pull();
  } catch (e) {
    if (!isSchemaMismatch(e)) throw e;
    let last = e;
    if (retry) {
      await refreshSchema();
      try {
        return await pull();
      } catch (again) {
        if (!isSchemaMismatch(again)) throw again;
        last = again;
      }
    }
    throw new ReplicationError('ERR_REPL_SCHEMA_MISMATCH', `${ERROR_DS_DRA_SCHEMA_MISMATCH.toString(16).toUpperCase().padStart(8, '0')}: ${ncName} carries attributes this DC's schema does not have${retry ? ', even after replicating the schema NC' : ''} (${(last as Error).message})`, ERROR_DS_DRA_SCHEMA_MISMATCH);
  }
}

/** pullNC, with the schema NC replicated (and the schema cache rebuilt) first when the NC needs it. */
export async function pullNCSchemaFirst(ctx: ReplicaContext, dir: Directory, client: DrsClient, hDrs: Buffer, nc: DSNAME, src: Buffer): Promise<number> {
  const schemaNC: DSNAME = { Guid: Buffer.from(dir.forest.schemaNC), StringName: dir.forest.schemaDN };
  if (nc.Guid.equals(schemaNC.Guid)) {
    const objects = await pullNC(ctx, dir, client, hDrs, nc, src);
    if (objects > 0) dir.reloadSchema();
    return objects;
  }
  return withSchemaRetry(nc.StringName, () => pullNC(ctx, dir, client, hDrs, nc, src), async () => {
    if ((await pullNC(ctx, dir, client, hDrs, schemaNC, src)) > 0) dir.reloadSchema();
  });
}
