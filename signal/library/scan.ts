/**
 * Builds the track library from a folder: finds FLAC/WAV files, probes them,
 * hashes them (through the persistent cache) and names each track by its
 * content, so ids never reveal or depend on paths.
 */
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import * as v from 'valibot'
import { TrackSchema, trackIdFor, type Track } from '../../protocol/track.ts'
import { log as rootLog, type Logger } from '../log.ts'
import { HashCache } from './hash-cache.ts'
import { probeTrack } from './probe.ts'
import { findAudioFiles, type AudioFile } from './walk.ts'

export interface LibraryEntry {
  track: Track
  /** Real path inside the library folder; never sent to clients. */
  path: string
}

export interface Library {
  dir: string
  /** Sorted by album, then track number, then title. */
  tracks: Track[]
  get(id: string): LibraryEntry | undefined
}

export interface ScanOptions {
  hashCacheFile: string
  log?: Logger
  /** Files probed and hashed at once; hashing is disk-bound, so a few is plenty. */
  concurrency?: number
}

/** 96 bits of the SHA-256: short enough for URLs, far too many to collide by accident. */
export const TRACK_ID_PATTERN = /^[a-f0-9]{24}$/

export { trackIdFor }

export async function scanLibrary(dir: string, opts: ScanOptions): Promise<Library> {
  const log = opts.log ?? rootLog.child({ mod: 'library' })
  const absDir = resolve(dir)
  const files = await findAudioFiles(absDir, log)
  const cache = await HashCache.load(opts.hashCacheFile, log)

  const results = await mapLimit(files, opts.concurrency ?? 4, (file) => readEntry(file, cache, log))
  await cache.save()

  const byId = new Map<string, LibraryEntry & { trackNo: number | undefined }>()
  for (const entry of results) {
    if (!entry) continue
    const same = byId.get(entry.track.id)
    if (same) {
      log.info({ path: entry.path, same: same.path }, 'identical file already in library; listed once')
      continue
    }
    byId.set(entry.track.id, entry)
  }
  const entries = [...byId.values()].sort(compareEntries)
  log.info(
    { dir: absDir, tracks: entries.length, skipped: files.length - entries.length, hashed: cache.stats.misses, cached: cache.stats.hits },
    'library scanned',
  )
  return {
    dir: absDir,
    tracks: entries.map((e) => e.track),
    get: (id) => {
      const e = byId.get(id)
      return e && { track: e.track, path: e.path }
    },
  }
}

async function readEntry(file: AudioFile, cache: HashCache, log: Logger) {
  try {
    const { size, mtimeMs } = await stat(file.path)
    // Probe before hashing: hashing is the expensive part, and wasted on a file we skip.
    const { trackNo, ...fields } = await probeTrack(file)
    const sha256 = await cache.sha256(file.path, { size, mtimeMs })
    const track = v.parse(TrackSchema, { id: trackIdFor(sha256), ...fields, bytes: size, sha256 })
    return { track, path: file.path, trackNo }
  } catch (err) {
    log.warn({ path: file.path, reason: err instanceof Error ? err.message : String(err) }, 'unplayable file skipped')
    return undefined
  }
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' })

function compareEntries(a: { track: Track; trackNo: number | undefined; path: string }, b: typeof a): number {
  return (
    collator.compare(a.track.album, b.track.album) ||
    (a.trackNo ?? Infinity) - (b.trackNo ?? Infinity) ||
    collator.compare(a.track.title, b.track.title) ||
    collator.compare(a.path, b.path)
  )
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}
