/**
 * One side's clock probes not yet answered (seq → t0), on whichever channel
 * they went: only an answer to one of them, carrying its own t0, counts, so
 * a replayed or forged answer is refused. Used by PeerLink (room channel)
 * and the clock worker (clock channel).
 */

/** Probes unanswered this long are forgotten: the answer, if it comes, is refused. */
const PROBE_TIMEOUT_MS = 5000
/** At most this many outstanding: a peer that never answers cannot grow the book. */
const MAX_PENDING = 64

export class ProbeBook {
  private readonly pending = new Map<number, number>()

  /** Probe `seq` leaves now, stamped `t0`. */
  sent(seq: number, t0: number): void {
    // Oldest first (insertion order): forgotten while too old or too many.
    for (const [s, at] of this.pending) if (t0 - at > PROBE_TIMEOUT_MS || this.pending.size >= MAX_PENDING) this.pending.delete(s)
    this.pending.set(seq, t0)
  }

  /** Whether an answer to `seq` echoing `t0` answers one of ours; it is then crossed off. */
  answered(seq: number, t0: number): boolean {
    if (this.pending.get(seq) !== t0) return false
    this.pending.delete(seq)
    return true
  }

  clear(): void {
    this.pending.clear()
  }
}
