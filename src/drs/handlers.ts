// The plug-in point between the DRS wire layer and the replication engine: the handlers a
// DC's DrsServer dispatches to. IDL_DRSBind and IDL_DRSUnbind have defaults in server.ts; the
// engine (src/dsa/model, src/dsa/changes: GetNCChanges source side, UpdateRefs, ReplicaSync)
// supplies the others here. Until it does, those opnums answer nca_s_op_rng_error.
import type { Directory } from '../dsa/directory.js';
import type { DrsHandlers } from './server.js';

export function drsHandlersFor(_dir: Directory): DrsHandlers {
  return {};
}
