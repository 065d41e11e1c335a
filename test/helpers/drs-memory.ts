// A DRS client that carries stubs to a source DC's DrsServer in memory (no transport): what a
// destination's pullNC calls in the replication tests. `onRequest`/`onReply` see each stub.
import { DrsServer } from '../../src/drs/server.js';
import { drsHandlersFor } from '../../src/drs/handlers.js';
import type { Directory } from '../../src/dsa/directory.js';

export interface StubTaps {
  onRequest?(opnum: number, stub: Buffer): void;
  onReply?(opnum: number, stub: Buffer): void;
}

/** A client of `source`'s DRS handlers, calling as `dst` (peer DC2$). */
export function memoryDrsClient(source: Directory, dst: Directory, taps: StubTaps = {}) {
  const server = new DrsServer(drsHandlersFor(source));
  return {
    call: async (opnum: number, stub: Buffer): Promise<Buffer> => {
      taps.onRequest?.(opnum, stub);
      const out = await server.dispatch(opnum, stub, { peerAccount: 'DC2$', peerDsaGuid: dst.forest.dsaGuid, transport: 'memory' });
      taps.onReply?.(opnum, out);
      return out;
    },
    close: async () => {},
  };
}
