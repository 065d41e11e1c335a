// Small helpers for benchmarks that speak controls directly to the DSA.
import type { Control } from '../../src/ldap/protocol/messages.js';
import type { ControlCodec } from '../../src/ldap/controls/types.js';
export { requestControl } from '../../src/ldap/controls/index.js';

export function responseControlValue<Res>(codec: ControlCodec<unknown, Res>, controls: Control[]): Res {
  const c = controls.find((x) => x.type === codec.oid);
  if (!c || !codec.decodeResponse) throw new Error(`no ${codec.name} response control`);
  return codec.decodeResponse(c.value);
}
