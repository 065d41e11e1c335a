/**
 * ReceiveBudget: the bytes of partly received request PDUs that every
 * connection of one LdapServer holds together, bounded by the server's
 * MaxReceiveBufferTotal policy (policies.ts). MaxReceiveBuffer (MS-ADTS
 * 3.1.1.3.4.6) bounds one PDU; this bounds their sum. One instance per
 * server (no module state: several DCs may run in one process).
 */
export class ReceiveBudget {
  private held = 0;
  private peakHeld = 0;
  constructor(readonly limit: number) {}

  /** Bytes held now by all connections. */
  get bytes(): number {
    return this.held;
  }

  /** The most ever held at once (never above `limit`). */
  get peak(): number {
    return this.peakHeld;
  }

  /** Takes `n` more bytes; false (and nothing taken) when that would exceed the limit. */
  take(n: number): boolean {
    if (this.held + n > this.limit) return false;
    this.held += n;
    if (this.held > this.peakHeld) this.peakHeld = this.held;
    return true;
  }

  release(n: number): void {
    this.held -= n;
  }
}
