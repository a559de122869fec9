/**
 * One NTP-style exchange turned into numbers (RFC 5905 §8): the round trip
 * without the answerer's processing time, and the answerer's clock minus ours
 * assuming symmetric paths. Pure; the clock estimator builds on it.
 */
export interface ClockExchange {
  t0: number
  t1: number
  t2: number
  t3: number
}

export interface ClockSample {
  rttMs: number
  offsetMs: number
  at: number
}

export function clockSample({ t0, t1, t2, t3 }: ClockExchange): ClockSample | null {
  const rttMs = t3 - t0 - (t2 - t1)
  // A negative round trip or an answer that took longer than the whole trip
  // can only come from a lying or broken peer: drop it. Infinities pass those
  // comparisons (and make NaN offsets), so every stamp must be finite too.
  if (!(rttMs >= 0) || t2 < t1 || t3 < t0) return null
  const offsetMs = (t1 - t0 + (t2 - t3)) / 2
  if (!Number.isFinite(rttMs) || !Number.isFinite(offsetMs) || !Number.isFinite(t3)) return null
  return { rttMs, offsetMs, at: t3 }
}
