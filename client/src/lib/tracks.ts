import * as v from 'valibot'
import { TrackListSchema, type Track } from '../../../protocol/index.ts'

let cached: Promise<Track[]> | undefined
let known: Track[] = []

/** The library, fetched once per page (it changes only when the server restarts). */
export function fetchTracks(): Promise<Track[]> {
  cached ??= (async () => {
    const res = await fetch('/api/tracks')
    if (!res.ok) throw new Error(`The library did not answer (HTTP ${res.status})`)
    const parsed = v.safeParse(TrackListSchema, await res.json())
    if (!parsed.success) throw new Error('The library sent a track list this page does not understand')
    known = parsed.output
    return known
  })()
  cached.catch(() => {
    cached = undefined // a later call tries again
  })
  return cached
}

/** The library as far as it is known yet (empty before the first fetch answers). */
export function libraryTracks(): Track[] {
  return known
}
