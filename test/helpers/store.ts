// A fresh store in a temporary directory for one test, closed and removed afterwards.
import { Store } from '../../src/store/store.js';
import { tempDir } from './tmp.js';

export async function withStore(fn: (s: Store, dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir();
  const s = Store.open(dir, { create: true });
  try {
    await fn(s, dir);
  } finally {
    await s.close();
    cleanup();
  }
}
