/**
 * Which tracks the cache keeps. Pure: entries, settings and the time in; a
 * decision out.
 *
 * A track counts as popular once played `popularTrackThreshold` times, and
 * stays protected for `popularTrackCacheDuration` after its last play. To make
 * room, ordinary tracks go first, least recently played first (the ones this
 * listener is least likely to hear again soon). Protected tracks are given up
 * only for another popular track, fewest plays first; an ordinary newcomer
 * that does not fit without evicting one is simply not cached.
 */
export interface CacheEntry {
  /** The track's SHA-256: the cache is content-addressed. */
  key: string
  bytes: number
  plays: number
  lastPlayedAt: number
}

export interface CacheSettings {
  maxCacheSize: number
  popularTrackThreshold: number
  popularTrackCacheDurationMs: number
}

export const DAY_MS = 86_400_000

export function isProtected(e: Pick<CacheEntry, 'plays' | 'lastPlayedAt'>, s: CacheSettings, now: number): boolean {
  return e.plays >= s.popularTrackThreshold && now - e.lastPlayedAt <= s.popularTrackCacheDurationMs
}

export type Admission =
  | { admit: true; evict: string[] }
  | { admit: false; reason: 'too_large' | 'no_room'; evict: [] }

export function planAdmission(entries: readonly CacheEntry[], incoming: CacheEntry, s: CacheSettings, now: number): Admission {
  if (incoming.bytes > s.maxCacheSize) return { admit: false, reason: 'too_large', evict: [] }
  const others = entries.filter((e) => e.key !== incoming.key)
  let used = others.reduce((n, e) => n + e.bytes, 0)
  if (used + incoming.bytes <= s.maxCacheSize) return { admit: true, evict: [] }

  const ordinary = others.filter((e) => !isProtected(e, s, now)).sort(byRecency)
  const candidates = [...ordinary]
  if (isProtected(incoming, s, now)) {
    const popular = others.filter((e) => isProtected(e, s, now)).sort((a, b) => a.plays - b.plays || byRecency(a, b))
    // A popular newcomer displaces only less popular protected tracks.
    candidates.push(...popular.filter((e) => e.plays < incoming.plays || (e.plays === incoming.plays && e.lastPlayedAt < incoming.lastPlayedAt)))
  }
  const evict: string[] = []
  for (const e of candidates) {
    if (used + incoming.bytes <= s.maxCacheSize) break
    evict.push(e.key)
    used -= e.bytes
  }
  if (used + incoming.bytes > s.maxCacheSize) return { admit: false, reason: 'no_room', evict: [] }
  return { admit: true, evict }
}

/** Entries to drop when the limit shrank (settings changed): ordinary first, then protected. */
export function planShrink(entries: readonly CacheEntry[], s: CacheSettings, now: number): string[] {
  let used = entries.reduce((n, e) => n + e.bytes, 0)
  const ordinary = entries.filter((e) => !isProtected(e, s, now)).sort(byRecency)
  const popular = entries.filter((e) => isProtected(e, s, now)).sort((a, b) => a.plays - b.plays || byRecency(a, b))
  const evict: string[] = []
  for (const e of [...ordinary, ...popular]) {
    if (used <= s.maxCacheSize) break
    evict.push(e.key)
    used -= e.bytes
  }
  return evict
}

function byRecency(a: CacheEntry, b: CacheEntry): number {
  return a.lastPlayedAt - b.lastPlayedAt
}
