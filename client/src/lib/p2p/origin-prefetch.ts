/**
 * Origin bytes asked for before any reader wants them: a joiner learns from
 * the join reply about where the room is in its track, and fetches the bytes
 * there while its links and its clock estimate of the curator come up
 * (player/head-prefetch.ts). An OriginStream opened at a byte inside such a
 * range reads from here, and from the network only past it. Ranges are let
 * go after KEEP_MS, not when read: a reader may open more than once inside
 * one (a seek plan that starts over a little earlier does not).
 */
const KEEP_MS = 10_000

interface Prefetched {
  from: number
  to: number
  bytes: Promise<Uint8Array | null>
}

const ranges = new Map<string, Prefetched[]>()

/** Fetches bytes [from, to) of `url` now, for a reader to come (prefetchedFrom). */
export function prefetchRange(url: string, from: number, to: number, fetchImpl: typeof fetch = (input, init) => fetch(input, init)): void {
  if (!(to > from) || from < 0) return
  const entry: Prefetched = {
    from,
    to,
    bytes: fetchImpl(url, { headers: { Range: `bytes=${from}-${to - 1}` } })
      .then(async (res) => (res.status === 206 ? new Uint8Array(await res.arrayBuffer()) : null))
      .catch(() => null), // the reader then asks the network itself
  }
  ranges.set(url, [...(ranges.get(url) ?? []), entry])
  setTimeout(() => {
    const left = (ranges.get(url) ?? []).filter((r) => r !== entry)
    if (left.length > 0) ranges.set(url, left)
    else ranges.delete(url)
  }, KEEP_MS)
}

/** The prefetched bytes of `url` from `byte` on (to the end of the range holding it), once they are here; null when none holds that byte. */
export async function prefetchedFrom(url: string, byte: number): Promise<Uint8Array | null> {
  const r = ranges.get(url)?.find((x) => byte >= x.from && byte < x.to)
  if (!r) return null
  const bytes = await r.bytes
  if (!bytes || byte >= r.from + bytes.byteLength) return null
  return bytes.subarray(byte - r.from)
}
