// Per-DC state that a module of the DSA keeps between operations (memos, queues, caches): it
// lives on the Directory, one per DC (several DCs run in one process), never in a module-level
// map. A module declares its slot once (an immutable description: a name and how to make the
// state) and asks the Directory for the state: `dir.state(SLOT)`, made at first use.
import type { Directory } from './directory.js';

export interface DcStateSlot<T> {
  /** what the state is (diagnostics) */
  readonly name: string;
  make(dir: Directory): T;
}

export function dcStateSlot<T>(name: string, make: (dir: Directory) => T): DcStateSlot<T> {
  return Object.freeze({ name, make });
}
