/**
 * The content-addressed track cache: whole tracks keyed by their SHA-256,
 * stored only after the bytes hash to that key, and checked again when read
 * back (storage can be damaged or edited). Eviction is decided by
 * cache-policy.ts; this class keeps the index and talks to the storage.
 */
import * as v from 'valibot'
import type { SwarmErrorCode } from '../../../../protocol/index.ts'
import { Sha256 } from '../../../../workers/decoder/sha256.ts'
import { DAY_MS, planAdmission, planShrink, type CacheEntry, type CacheSettings } from './cache-policy.ts'
import type { CacheStorage } from './cache-storage.ts'

const INDEX_KEY = 'index'
const trackKey = (sha256: string) => `track:${sha256}`
const Sha256Hex = v.pipe(v.string(), v.regex(/^[a-f0-9]{64}$/))

const IndexSchema = v.object({
  v: v.literal(1),
  entries: v.array(v.object({ key: Sha256Hex, bytes: v.number(), plays: v.number(), lastPlayedAt: v.number() })),
  /** Plays of tracks heard but not (or no longer) cached, so popularity survives eviction. */
  plays: v.array(v.tuple([Sha256Hex, v.number(), v.number()])),
})
type Index = v.InferOutput<typeof IndexSchema>

/** Play counts kept for tracks not in the cache; the least recent are forgotten. */
const MAX_PLAY_STATS = 2000

export interface PutResult {
  stored: boolean
  evicted: string[]
  /** Why not, when the track was not stored; the sentence is SWARM_ERRORS[code]. */
  code?: SwarmErrorCode
}

/** The settings panel's units: bytes, plays, days. */
export interface CacheUserSettings {
  maxCacheSize: number
  popularTrackThreshold: number
  popularTrackCacheDuration: number
}

export function cacheSettings(s: CacheUserSettings): CacheSettings {
  return {
    maxCacheSize: s.maxCacheSize,
    popularTrackThreshold: s.popularTrackThreshold,
    popularTrackCacheDurationMs: s.popularTrackCacheDuration * DAY_MS,
  }
}

export class TrackCache {
  /** Lookups answered from the cache / not, since this page loaded (for the hit ratio). */
  hits = 0
  misses = 0
  private index: Promise<Index> | undefined
  /** Index updates run one after another, so concurrent plays cannot lose one. */
  private chain: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly storage: CacheStorage,
    private readonly settings: () => CacheSettings,
    private readonly now: () => number = Date.now,
    /** SHA-256 as hex; the browser passes one that hashes off the main thread where it can. */
    private readonly hash: (bytes: Uint8Array) => Promise<string> = async (bytes) => new Sha256().update(bytes).digestHex(),
  ) {}

  /** Counts a play; call once per track start, cached or not. */
  notePlay(sha256: string): Promise<void> {
    return this.update((ix) => {
      const t = this.now()
      const e = ix.entries.find((x) => x.key === sha256)
      if (e) {
        e.plays++
        e.lastPlayedAt = t
        return
      }
      const stat = ix.plays.find((p) => p[0] === sha256)
      if (stat) {
        stat[1]++
        stat[2] = t
      } else {
        ix.plays.push([sha256, 1, t])
        if (ix.plays.length > MAX_PLAY_STATS) ix.plays.sort((a, b) => b[2] - a[2]).length = MAX_PLAY_STATS
      }
    })
  }

  /**
   * Reads the index now (a page joining a room), so a start's first lookup
   * answers "not cached" from memory instead of waiting on storage, which
   * took 20-70 ms on a busy page: the whole of a cold start's budget for it.
   */
  async ready(): Promise<void> {
    await this.load()
  }

  /** The track's bytes if cached and intact; null otherwise (a damaged copy is dropped). */
  async get(sha256: string): Promise<Uint8Array | null> {
    const ix = await this.load()
    if (!ix.entries.some((e) => e.key === sha256)) {
      this.misses++
      return null
    }
    const bytes = await this.storage.get(trackKey(sha256)).catch(() => undefined)
    if (bytes instanceof Uint8Array && (await this.hash(bytes)) === sha256) {
      this.hits++
      return bytes
    }
    this.misses++
    await this.forget(sha256)
    return null
  }

  /** Stores a track whose bytes hash to `sha256`, evicting per the policy. */
  async put(sha256: string, bytes: Uint8Array): Promise<PutResult> {
    if ((await this.hash(bytes)) !== sha256) return { stored: false, evicted: [], code: 'cache_mismatch' }
    let result: PutResult = { stored: false, evicted: [] }
    await this.update(async (ix) => {
      if (ix.entries.some((e) => e.key === sha256)) {
        result = { stored: true, evicted: [] }
        return
      }
      const stat = ix.plays.find((p) => p[0] === sha256)
      const incoming: CacheEntry = { key: sha256, bytes: bytes.byteLength, plays: stat?.[1] ?? 0, lastPlayedAt: stat?.[2] ?? this.now() }
      const plan = planAdmission(ix.entries, incoming, this.settings(), this.now())
      if (!plan.admit) {
        result = { stored: false, evicted: [], code: plan.reason === 'too_large' ? 'cache_too_small' : 'cache_full' }
        return
      }
      for (const key of plan.evict) await this.drop(ix, key)
      try {
        await this.storage.set(trackKey(sha256), bytes)
      } catch (err) {
        console.warn('[cache] storage refused:', (err as Error).name)
        result = { stored: false, evicted: plan.evict, code: 'cache_unavailable' }
        return
      }
      ix.entries.push(incoming)
      ix.plays = ix.plays.filter((p) => p[0] !== sha256)
      result = { stored: true, evicted: plan.evict }
    })
    return result
  }

  /** Applies a smaller `maxCacheSize` right away. */
  async enforceLimit(): Promise<string[]> {
    let evicted: string[] = []
    await this.update(async (ix) => {
      evicted = planShrink(ix.entries, this.settings(), this.now())
      for (const key of evicted) await this.drop(ix, key)
    })
    return evicted
  }

  async entries(): Promise<CacheEntry[]> {
    return (await this.load()).entries.map((e) => ({ ...e }))
  }

  async usedBytes(): Promise<number> {
    return (await this.load()).entries.reduce((n, e) => n + e.bytes, 0)
  }

  private forget(sha256: string): Promise<void> {
    return this.update((ix) => this.drop(ix, sha256))
  }

  /** Removes the bytes, keeping the play count as a stat. */
  private async drop(ix: Index, key: string): Promise<void> {
    const e = ix.entries.find((x) => x.key === key)
    ix.entries = ix.entries.filter((x) => x.key !== key)
    if (e) ix.plays.push([key, e.plays, e.lastPlayedAt])
    await this.storage.del(trackKey(key)).catch(() => {})
  }

  private load(): Promise<Index> {
    this.index ??= this.storage.get(INDEX_KEY).then(
      (raw) => {
        const parsed = v.safeParse(IndexSchema, raw)
        return parsed.success ? parsed.output : { v: 1 as const, entries: [], plays: [] }
      },
      () => ({ v: 1 as const, entries: [], plays: [] }),
    )
    return this.index
  }

  private update(fn: (ix: Index) => void | Promise<void>): Promise<void> {
    const run = this.chain.then(async () => {
      const ix = await this.load()
      await fn(ix)
      await this.storage.set(INDEX_KEY, ix).catch(() => {})
    })
    this.chain = run.catch(() => {})
    return run
  }
}
