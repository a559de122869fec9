import * as v from 'valibot'
import { TrackListSchema, type LocalTrack, type Track } from '../../../protocol/index.ts'

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
    version++
    return known
  })()
  cached.catch(() => {
    cached = undefined // a later call tries again
  })
  return cached
}

/** Where the library serves a track's file (GET /api/stream/:trackId, ranges allowed). */
export function streamUrl(trackId: string): string {
  return `/api/stream/${trackId}`
}

/**
 * fetch() past the browser's HTTP cache, for streamUrl's audio: the cache
 * lets one request per URL through at a time (Chromium's cache lock), so a
 * joiner's range waited for its head's answer (130 ms in bench/sync), and
 * every request for a file's pieces for the one before. The bytes are kept
 * in the track cache (IndexedDB) anyway.
 */
export const uncachedFetch: typeof fetch = (input, init) => fetch(input, { ...init, cache: 'no-store' })

/** A file's mean bytes per second of audio (FLAC and WAV are near enough constant), or null for a track of no known length. */
export function meanBytesPerSecond(t: Track): number | null {
  return t.durationSec > 0 ? t.bytes / t.durationSec : null
}

/** The curator's own files the current room may queue (see LocalTrack), by id. */
const roomTracks = new Map<string, LocalTrack>()

/**
 * The tracks this page can name: the library as far as it is known yet
 * (empty before the first fetch answers), then the room's local files.
 */
export function libraryTracks(): Track[] {
  return roomTracks.size === 0 ? known : [...known, ...roomTracks.values()]
}

/** Changes whenever libraryTracks() does (the library arrives, the room's files change). */
let version = 0
export function libraryVersion(): number {
  return version
}

/** Looked up by id, for queues of hundreds read many times a second (RoomPlayback.queue). */
let byId: { version: number; map: Map<string, Track> } | null = null

/** The track with this id among libraryTracks(). */
export function trackById(id: string): Track | undefined {
  if (byId?.version !== version) byId = { version, map: new Map(libraryTracks().map((t) => [t.id, t])) }
  return byId.map.get(id)
}

/** The room's local files, as the curator signed them last (replaces the previous list). */
export function setRoomTracks(tracks: readonly LocalTrack[]): void {
  roomTracks.clear()
  for (const t of tracks) roomTracks.set(t.id, t)
  version++
}

export function roomTrack(id: string): LocalTrack | undefined {
  return roomTracks.get(id)
}

export function roomTrackList(): LocalTrack[] {
  return [...roomTracks.values()]
}
