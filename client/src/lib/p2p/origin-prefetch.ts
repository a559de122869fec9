/**
 * Origin bytes asked for before any reader wants them: a joiner learns from
 * the join reply about where the room is in its track, and fetches the bytes
 * there while its links and its clock estimate of the curator come up
 * (player/head-prefetch.ts). An OriginStream opened at a byte inside such a
 * range reads from here, and from the network only past it; so does an
 * OriginFetcher for a whole piece inside one (once the swarm is set up,
 * before the joiner has read that far). Ranges are let
 * go after KEEP_MS, not when read: a reader may open more than once inside
 * one (a seek plan that starts over a little earlier does not).
 */
import { uncachedFetch } from '../tracks.ts'

const KEEP_MS = 10_000

/** A range as it comes in: its bytes so far (`got` of them), read as they arrive. */
interface Prefetched {
  from: number
  to: number
  bytes: Uint8Array
  got: number
  /** All of it came, or the rest never will (an error, a short answer). */
  done: boolean
  /** Wakes whoever waits for more of it. */
  waiters: (() => void)[]
}

const ranges = new Map<string, Prefetched[]>()

/** Fetches bytes [from, to) of `url` now, for a reader to come (prefetchedFrom). */
export function prefetchRange(url: string, from: number, to: number, fetchImpl: typeof fetch = uncachedFetch): void {
  if (!(to > from) || from < 0) return
  const entry: Prefetched = { from, to, bytes: new Uint8Array(to - from), got: 0, done: false, waiters: [] }
  const wake = () => {
    for (const w of entry.waiters.splice(0)) w()
  }
  void (async () => {
    const res = await fetchImpl(url, { headers: { Range: `bytes=${from}-${to - 1}` } })
    if (res.status !== 206 || !res.body) return
    const reader = res.body.getReader()
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const n = Math.min(r.value.byteLength, entry.bytes.byteLength - entry.got)
      entry.bytes.set(r.value.subarray(0, n), entry.got)
      entry.got += n
      wake()
    }
  })()
    .catch(() => {}) // the reader asks the network itself for what did not come
    .finally(() => {
      entry.done = true
      wake()
    })
  ranges.set(url, [...(ranges.get(url) ?? []), entry])
  setTimeout(() => {
    const left = (ranges.get(url) ?? []).filter((r) => r !== entry)
    if (left.length > 0) ranges.set(url, left)
    else ranges.delete(url)
  }, KEEP_MS)
}

/**
 * The prefetched bytes of `url` from `byte` on, as far as they have come
 * (waiting for the first of them); null when no range holds that byte, or
 * it never came.
 */
export async function prefetchedFrom(url: string, byte: number): Promise<Uint8Array | null> {
  const r = ranges.get(url)?.find((x) => byte >= x.from && byte < x.to)
  if (!r) return null
  while (r.got <= byte - r.from && !r.done) await new Promise<void>((resolve) => r.waiters.push(resolve))
  return r.got > byte - r.from ? r.bytes.subarray(byte - r.from, r.got) : null
}

/**
 * Where the prefetched range holding `byte` ends (its bytes there came, or
 * are on their way), or `byte` itself when none holds it.
 */
export function prefetchReach(url: string, byte: number): number {
  const r = ranges.get(url)?.find((x) => byte >= x.from && byte < x.to && (x.got > byte - x.from || !x.done))
  if (!r) return byte
  return r.done ? r.from + r.got : r.to
}
