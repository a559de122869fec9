import { createHash, randomBytes } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DAY_MS, planAdmission, planShrink, type CacheEntry, type CacheSettings } from '../../client/src/lib/p2p/cache-policy.ts'
import { MemoryCacheStorage } from '../../client/src/lib/p2p/cache-storage.ts'
import { cacheSettings, TrackCache } from '../../client/src/lib/p2p/track-cache.ts'

const s: CacheSettings = { maxCacheSize: 100, popularTrackThreshold: 3, popularTrackCacheDurationMs: 10 * DAY_MS }
const NOW = 100 * DAY_MS
const e = (key: string, bytes: number, plays: number, daysAgo: number): CacheEntry => ({ key, bytes, plays, lastPlayedAt: NOW - daysAgo * DAY_MS })

test('settings: days become milliseconds', () => {
  assert.equal(cacheSettings({ maxCacheSize: 5, popularTrackThreshold: 2, popularTrackCacheDuration: 1.5 }), {
    maxCacheSize: 5,
    popularTrackThreshold: 2,
    popularTrackCacheDurationMs: 1.5 * DAY_MS,
  })
})

test('admission: room to spare evicts nothing; too large is refused outright', () => {
  assert.equal(planAdmission([e('a', 40, 1, 1)], e('n', 60, 1, 0), s, NOW), { admit: true, evict: [] })
  assert.equal(planAdmission([], e('n', 101, 9, 0), s, NOW), { admit: false, reason: 'too_large', evict: [] })
})

test('eviction: ordinary tracks go first, least recently played first', () => {
  const entries = [e('old', 30, 1, 9), e('recent', 30, 1, 1), e('popular', 30, 5, 2)]
  assert.equal(planAdmission(entries, e('n', 20, 1, 0), s, NOW), { admit: true, evict: ['old'] })
  assert.equal(planAdmission(entries, e('n', 50, 1, 0), s, NOW), { admit: true, evict: ['old', 'recent'] })
})

test('a protected popular track is not given up for an ordinary newcomer', () => {
  const entries = [e('ordinary', 30, 1, 1), e('popular', 60, 5, 2)]
  assert.equal(planAdmission(entries, e('n', 50, 1, 0), s, NOW), { admit: false, reason: 'no_room', evict: [] })
})

test('a popular newcomer displaces a less popular protected track', () => {
  const entries = [e('p3', 50, 3, 1), e('p9', 50, 9, 1)]
  assert.equal(planAdmission(entries, e('n', 50, 5, 0), s, NOW), { admit: true, evict: ['p3'] })
  assert.equal(planAdmission(entries, e('n', 60, 5, 0), s, NOW), { admit: false, reason: 'no_room', evict: [] }, 'p9 outranks it')
})

test('popularity lapses: a track unplayed for longer than the duration is ordinary again', () => {
  const entries = [e('stale-popular', 60, 50, 11), e('fresh', 30, 1, 1)]
  assert.equal(planAdmission(entries, e('n', 50, 1, 0), s, NOW), { admit: true, evict: ['stale-popular'] })
})

test('shrinking the limit drops ordinary tracks first, then the least played', () => {
  const entries = [e('p', 40, 5, 1), e('o1', 30, 1, 5), e('o2', 30, 2, 2)]
  assert.equal(planShrink(entries, { ...s, maxCacheSize: 50 }, NOW), ['o1', 'o2'])
  assert.equal(planShrink(entries, { ...s, maxCacheSize: 10 }, NOW), ['o1', 'o2', 'p'])
  assert.equal(planShrink(entries, s, NOW), [])
})

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

function cache(settings: Partial<CacheSettings> = {}, storage = new MemoryCacheStorage()) {
  let now = NOW
  const c = new TrackCache(storage, () => ({ ...s, maxCacheSize: 3000, ...settings }), () => now)
  return { c, storage, tick: (ms: number) => (now += ms) }
}

test('track cache: stores only bytes that hash to their key, and returns them intact', async () => {
  const { c, storage } = cache()
  const a = randomBytes(1000)
  const key = sha(a)
  assert.is((await c.put(key, randomBytes(1000))).stored, false, 'wrong bytes are refused')
  assert.is(await c.get(key), null)
  assert.equal(await c.put(key, a), { stored: true, evicted: [] })
  assert.equal(Buffer.from((await c.get(key))!), a)
  assert.is(c.hits, 1)
  assert.is(c.misses, 1)
  // Damaged storage: the copy is dropped, not served.
  ;(storage.map.get(`track:${key}`) as Uint8Array)[10]! ^= 1
  assert.is(await c.get(key), null)
  assert.equal(await c.entries(), [])
})

test('track cache: plays count before and after caching; eviction follows the policy', async () => {
  const { c, tick } = cache()
  const [a, b, d] = [randomBytes(1500), randomBytes(1500), randomBytes(1500)]
  for (let i = 0; i < 3; i++) await c.notePlay(sha(a)) // popular before it is even cached
  await c.put(sha(a), a)
  tick(1000)
  await c.notePlay(sha(b))
  await c.put(sha(b), b)
  tick(1000)
  await c.notePlay(sha(d))
  const r = await c.put(sha(d), d)
  assert.equal(r, { stored: true, evicted: [sha(b)] }, 'the ordinary track made room, the popular one stayed')
  assert.equal((await c.entries()).map((x) => [x.key, x.plays]), [[sha(a), 3], [sha(d), 1]])
  await c.notePlay(sha(b))
  await c.notePlay(sha(b))
  const again = await c.put(sha(b), b)
  assert.is(again.stored, true, 'b has 3 plays now (its count survived eviction) and displaces the ordinary d')
  assert.equal(again.evicted, [sha(d)])
})

test('track cache: a full disk leaves a note, not a broken index', async () => {
  const { c } = cache({}, new MemoryCacheStorage(500))
  const a = randomBytes(1000)
  const r = await c.put(sha(a), a)
  assert.is(r.stored, false)
  assert.is(r.code, 'cache_unavailable')
  assert.equal(await c.entries(), [])
})

test('track cache: a smaller limit applies at once; the index survives a reload', async () => {
  const storage = new MemoryCacheStorage()
  const { c } = cache({}, storage)
  const a = randomBytes(1000)
  const b = randomBytes(1000)
  await c.put(sha(a), a)
  await c.put(sha(b), b)
  const reloaded = new TrackCache(storage, () => ({ ...s, maxCacheSize: 1500 }), () => NOW)
  assert.is(await reloaded.usedBytes(), 2000)
  assert.equal(await reloaded.enforceLimit(), [sha(a)])
  assert.is(await reloaded.usedBytes(), 1000)
  assert.not.ok(storage.map.has(`track:${sha(a)}`))
})

test('track cache: a garbled index is replaced, not trusted', async () => {
  const storage = new MemoryCacheStorage()
  await storage.set('index', { v: 1, entries: [{ key: 'nope', bytes: -1 }] })
  const { c } = cache({}, storage)
  assert.equal(await c.entries(), [])
})

test.run()
