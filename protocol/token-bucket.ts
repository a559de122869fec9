/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. Pure; time is
 * passed in. The signal server limits sockets with it (LIMITS.rate) and the
 * curator's page limits chat senders with it.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst
    this.last = now
  }

  take(now: number, cost = 1): boolean {
    this.refill(now)
    if (this.tokens < cost) return false
    this.tokens -= cost
    return true
  }

  /** Whether the bucket would be full at `now` (it then holds nothing worth keeping). */
  full(now: number): boolean {
    return this.tokens + (Math.max(0, now - this.last) / 1000) * this.perSecond >= this.burst
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) / 1000) * this.perSecond)
    this.last = now
  }
}
