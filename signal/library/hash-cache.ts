/**
 * SHA-256 of library files, remembered across restarts so a big library is
 * hashed once, not on every start. An entry is trusted while the file keeps
 * its absolute path, size and mtime; anything else is hashed again.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { pipeline } from 'node:stream/promises'
import * as v from 'valibot'
import type { Logger } from '../log.ts'

const CACHE_VERSION = 1

const EntrySchema = v.object({
  size: v.pipe(v.number(), v.integer(), v.minValue(0)),
  mtimeMs: v.number(),
  sha256: v.pipe(v.string(), v.regex(/^[a-f0-9]{64}$/)),
})
type Entry = v.InferOutput<typeof EntrySchema>

const CacheFileSchema = v.object({
  version: v.literal(CACHE_VERSION),
  entries: v.record(v.string(), EntrySchema),
})

export interface FileStamp {
  size: number
  mtimeMs: number
}

/** Streams the file through SHA-256, so memory stays flat whatever its size. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

export class HashCache {
  /** How lookups went since load; lets callers (and tests) see the cache work. */
  readonly stats = { hits: 0, misses: 0 }
  readonly #file: string
  readonly #log: Logger
  readonly #previous: Map<string, Entry>
  /** Only entries looked up in this session are saved: the others belong to files that are gone. */
  readonly #current = new Map<string, Entry>()

  private constructor(file: string, log: Logger, previous: Map<string, Entry>) {
    this.#file = file
    this.#log = log
    this.#previous = previous
  }

  /** Never fails: a missing or unreadable cache only costs rehashing. */
  static async load(file: string, log: Logger): Promise<HashCache> {
    let raw: string
    try {
      raw = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, file }, 'hash cache unreadable; starting empty')
      else log.debug({ file }, 'no hash cache yet')
      return new HashCache(file, log, new Map())
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      parsed = undefined
    }
    const result = v.safeParse(CacheFileSchema, parsed)
    if (!result.success) {
      log.warn({ file }, 'hash cache corrupt or from another version; starting empty')
      return new HashCache(file, log, new Map())
    }
    return new HashCache(file, log, new Map(Object.entries(result.output.entries)))
  }

  /** `absPath` must be absolute: the key is the path, so relative paths would alias. */
  async sha256(absPath: string, stamp: FileStamp, hasher = sha256File): Promise<string> {
    const known = this.#current.get(absPath) ?? this.#previous.get(absPath)
    if (known && known.size === stamp.size && known.mtimeMs === stamp.mtimeMs) {
      this.stats.hits++
      this.#current.set(absPath, known)
      return known.sha256
    }
    this.stats.misses++
    const sha256 = await hasher(absPath)
    this.#current.set(absPath, { size: stamp.size, mtimeMs: stamp.mtimeMs, sha256 })
    return sha256
  }

  /**
   * Write to a temporary file and rename it over the cache: rename is atomic
   * on one filesystem, so a crash mid-write never leaves a torn cache.
   */
  async save(): Promise<void> {
    const body = JSON.stringify({ version: CACHE_VERSION, entries: Object.fromEntries(this.#current) })
    const tmp = `${this.#file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      await mkdir(dirname(this.#file), { recursive: true })
      await writeFile(tmp, body)
      await rename(tmp, this.#file)
    } catch (err) {
      this.#log.warn({ err, file: this.#file }, 'could not save hash cache')
      await rm(tmp, { force: true }).catch(() => {})
    }
  }
}
