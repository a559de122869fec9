/**
 * The page's clock for synchronisation: milliseconds on a monotonic clock
 * (performance.timeOrigin + performance.now()). Tests and benchmarks can
 * distort it with `?clock=<offsetMs>,<skewPpm>` in the page URL, to play the
 * part of a machine whose clock disagrees by seconds and runs hundreds of ppm
 * apart; everything that syncs reads time through here, so the distortion is
 * consistent and the estimator has to undo it.
 */
const distortion = parseDistortion(typeof location === 'undefined' ? '' : location.search)
const base = typeof performance === 'undefined' ? 0 : performance.timeOrigin

export function parseDistortion(search: string): { offsetMs: number; skewPpm: number } {
  const raw = new URLSearchParams(search).get('clock')
  const [o, s] = (raw ?? '').split(',').map(Number)
  const ok = (n: number | undefined) => n !== undefined && Number.isFinite(n)
  return { offsetMs: ok(o) ? o! : 0, skewPpm: ok(s) ? s! : 0 }
}

/** What another context of this page (a worker) needs to read the same clock: see pageClockReader. */
export interface PageClock {
  /** The page's performance.timeOrigin. */
  originMs: number
  offsetMs: number
  skewPpm: number
}

export function pageClock(): PageClock {
  return { originMs: base, ...distortion }
}

/**
 * syncNow() of the page described by `c`, read in another context of the
 * same process: its own time origin and performance.now() are on the same
 * monotonic clock, only counted from a different instant.
 */
export function pageClockReader(c: PageClock, localOriginMs: number, perfNow: () => number): () => number {
  return () => c.originMs + (localOriginMs + perfNow() - c.originMs) * (1 + c.skewPpm / 1e6) + c.offsetMs
}

/** Page clock (ms) for a performance.now() reading. */
export function syncTimeOfPerf(perfMs: number): number {
  return base + perfMs * (1 + distortion.skewPpm / 1e6) + distortion.offsetMs
}

/** performance.now() reading for a page clock time (ms): the inverse of syncTimeOfPerf. */
export function perfOfSyncTime(syncMs: number): number {
  return (syncMs - distortion.offsetMs - base) / (1 + distortion.skewPpm / 1e6)
}

export function syncNow(): number {
  return syncTimeOfPerf(performance.now())
}
