// A SearchSink that encodes entries as whole SearchResultEntry/Reference PDUs under the request's
// messageID and posts them in chunks to the side that owns the client's socket: a read worker
// posts to the LDAP thread (worker.ts), the writer to a read process for the searches it
// answers for it (process-pool.ts). At most CREDITS chunks go unacknowledged (backpressure).
import { BerWriter } from '../../ber/writer.js';
import { writeMessage } from '../../ldap/protocol/codec.js';
import type { Control, OutgoingAttribute } from '../../ldap/protocol/messages.js';
import type { SearchSink } from '../api.js';

/** Post a chunk once the batch reaches this many bytes; at most CREDITS chunks unacknowledged (backpressure). */
const CHUNK_BYTES = 32 * 1024;
const CREDITS = 2;

/** Encodes entries into a batch, posted in chunks; waits for the acks of the side that owns the socket when CREDITS chunks are in flight. */
export class EncodingSink implements SearchSink {
  private readonly w = new BerWriter(CHUNK_BYTES + 4096);
  private credits = CREDITS;
  private waiting: (() => void) | undefined;
  private scheduled = false;

  constructor(
    /** sends a chunk (a buffer of its own, transferable) to the side that owns the socket */
    private readonly postChunk: (pdus: Uint8Array) => void,
    private readonly messageID: number,
    private readonly signal: AbortSignal,
  ) {}

  entry(objectName: string, attributes: OutgoingAttribute[], controls?: Control[]): void | Promise<void> {
    writeMessage(this.w, { messageID: this.messageID, protocolOp: { type: 'searchResultEntry', objectName, attributes }, controls });
    return this.after();
  }

  entryEncoded(objectName: string, attributes: Buffer): void | Promise<void> {
    writeMessage(this.w, { messageID: this.messageID, protocolOp: { type: 'searchResultEntry', objectName, attributes: [], encodedAttributes: attributes } });
    return this.after();
  }

  reference(uris: string[]): void | Promise<void> {
    writeMessage(this.w, { messageID: this.messageID, protocolOp: { type: 'searchResultReference', uris } });
    return this.after();
  }

  /** The batch so far, in a buffer of its own (transferable); null when empty. */
  take(): Uint8Array | null {
    if (this.w.length === 0) return null;
    const out = new Uint8Array(this.w.length);
    out.set(this.w.toBuffer());
    this.w.reset();
    return out;
  }

  credit(): void {
    this.credits++;
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  private post(): void {
    const pdus = this.take();
    if (!pdus) return;
    this.credits--;
    this.postChunk(pdus);
  }

  private after(): void | Promise<void> {
    if (this.w.length >= CHUNK_BYTES) this.post();
    else if (!this.scheduled) {
      // a search that yields (SCAN_CHUNK) sends what it has found so far at its next turn
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (this.credits > 0) this.post();
      });
    }
    if (this.credits > 0 || this.signal.aborted) return undefined;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiting = done;
      this.signal.addEventListener('abort', done, { once: true });
    });
  }
}
