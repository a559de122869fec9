/**
 * Anti-replay window over sequence numbers, as IPsec does it (RFC 4303
 * §3.4.3): remember which of the last `size` numbers were seen; anything
 * older than the window cannot be proven fresh and counts as a replay.
 * Bounded memory whatever the peer sends.
 */
export class ReplayWindow {
  private highest = -1
  private readonly seen = new Set<number>()

  constructor(private readonly size = 1024) {}

  /** True if `seq` is new (and records it); false for a replay or a number too old to tell. */
  accept(seq: number): boolean {
    if (seq <= this.highest - this.size) return false
    if (this.seen.has(seq)) return false
    this.seen.add(seq)
    if (seq > this.highest) {
      this.highest = seq
      if (this.seen.size > 2 * this.size) {
        for (const s of this.seen) if (s <= this.highest - this.size) this.seen.delete(s)
      }
    }
    return true
  }
}
