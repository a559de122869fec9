/**
 * Where a track's bytes come from: the library origin over HTTP (here), or
 * the room's swarm (p2p/swarm-byte-source.ts) behind the same interface. Reads are pulled, so
 * a paused reader applies backpressure all the way to the sender.
 */
import type { FileHead, SwarmCounters, TrackCodec } from '../../../../protocol/index.ts'
import { HeadReader } from '../../../../workers/decoder/file-head.ts'
import { uncachedFetch } from '../tracks.ts'

export interface ByteSource {
  /** The next slice of the file in order, or null at the end. */
  read(): Promise<Uint8Array | null>
  bytesFromOrigin: number
  close(): void
  /**
   * Optional, for starting mid-track: the next read() returns the file from
   * `startByte` on (whatever an earlier read left unread is dropped). A
   * source without it is read from the start.
   */
  seek?(startByte: number): void
  /**
   * Optional, for starting mid-track: the file's head (metadata needed to
   * decode from the middle and to plan where to start), fetched without the
   * parts the decoder does not need (embedded pictures). Independent of read().
   */
  readHead?(codec: TrackCodec): Promise<FileHead>
  /**
   * Optional: where the play head is (the file's second `positionSec` sounds
   * at `atMs` on performance.now()), so a source that fetches ahead can tell
   * what is due when. Called on placement and then every few hundred ms.
   */
  setPlayback?(p: PlaybackPoint): void
  /** Optional: where this track's bytes came from so far (shown to people). */
  counters?(): SwarmCounters
  /**
   * Optional: how far ahead of the play head (seconds) this source means to
   * hold bytes now. A source that fetches only what is due (the swarm's,
   * with no peer: half a second) keeps a reader no further ahead than this,
   * however long it plays. Without it, as far as the reader reads.
   */
  aheadGoalSec?(): number
  /**
   * Optional: the player began sounding this track (called once). A source
   * opened only to be held warm, never played, is never told.
   */
  sounding?(): void
}

export interface PlaybackPoint {
  positionSec: number
  atMs: number
  playing: boolean
  /**
   * Held warm for what plays next, not playing: its opening is still due as
   * said, but the rest of the file waits behind the tracks playing now.
   */
  next?: boolean
}

/** A file's head, read range by range as HeadReader asks (`range` returns fewer bytes at the end of the file). */
export async function readHeadByRanges(codec: TrackCodec, range: (from: number, to: number) => Promise<Uint8Array>): Promise<FileHead> {
  const head = new HeadReader(codec)
  for (let want = head.need(); want; want = head.need()) {
    const got = await range(want.from, want.to)
    head.give(want.from, got, got.length < want.to - want.from)
  }
  const { header, audioStart } = head.result()
  return { header, audioStart }
}

/**
 * A source's file head, read once: a joiner reads it before its start
 * (Player.expect) and the start asks again. A failed read is not kept, so
 * the next ask tries again.
 */
export class HeadOnce {
  private head: Promise<FileHead> | undefined

  get(read: () => Promise<FileHead>): Promise<FileHead> {
    return (this.head ??= read().catch((err: unknown) => {
      this.head = undefined
      throw err
    }))
  }
}

export interface HttpByteSourceOptions {
  /** Start reading here (`Range: bytes=<startByte>-`) instead of at byte 0. */
  startByte?: number
}

export class HttpByteSource implements ByteSource {
  bytesFromOrigin = 0
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  /** The current read() request; seek() aborts it, close() too. */
  private request: AbortController | undefined
  /** close(): aborts header fetches, and marks the source closed. */
  private readonly abort = new AbortController()
  private readonly head = new HeadOnce()
  private nextStart: number
  /** Bytes to drop from the response: a server that ignored Range sent the file from byte 0. */
  private skip = 0
  private ended = false

  constructor(
    private readonly url: string,
    options: HttpByteSourceOptions = {},
  ) {
    this.nextStart = checkOffset(options.startByte ?? 0)
  }

  async read(): Promise<Uint8Array | null> {
    if (this.ended) return null
    if (!this.reader) await this.begin()
    for (;;) {
      const reader = this.reader
      if (!reader) return null
      const { value, done } = await reader.read()
      if (done) {
        this.reader = undefined
        this.ended = true
        return null
      }
      this.bytesFromOrigin += value.byteLength
      if (this.skip === 0) return value
      const n = Math.min(this.skip, value.byteLength)
      this.skip -= n
      if (n < value.byteLength) return value.subarray(n)
    }
  }

  seek(startByte: number): void {
    this.nextStart = checkOffset(startByte)
    this.request?.abort()
    this.request = undefined
    this.reader = undefined
    this.ended = false
    this.skip = 0
  }

  /**
   * Fetches the head range by range: a first 16 KiB usually holds all the
   * metadata (flac writes STREAMINFO, SEEKTABLE, tags, then 8 KiB of padding);
   * a block that is not needed (a picture) is stepped over and the next
   * range starts after it.
   */
  readHead(codec: TrackCodec): Promise<FileHead> {
    return this.head.get(() => readHeadByRanges(codec, (from, to) => this.fetchRange(from, to)))
  }

  close(): void {
    this.abort.abort()
    this.request?.abort()
  }

  private async begin(): Promise<void> {
    const start = this.nextStart
    const request = new AbortController()
    this.request = request
    if (this.abort.signal.aborted) request.abort() // closed: close() aborts the current request, this one is new
    const res = await uncachedFetch(this.url, { signal: request.signal, headers: start > 0 ? { Range: `bytes=${start}-` } : {} })
    if (this.request !== request) {
      // seek() came while the request was on its way; read() will start the new one.
      await res.body?.cancel().catch(() => {})
      return this.begin()
    }
    if (start > 0 && res.status === 416) {
      // Starting at or past the end: nothing left to read.
      this.ended = true
      return
    }
    if (!res.ok || !res.body) throw new Error(`The library answered HTTP ${res.status} for this track`)
    if (start > 0) {
      if (res.status === 206) {
        const from = contentRangeStart(res)
        if (from !== start) throw new Error(`The library answered bytes from ${String(from)} when asked for bytes from ${start}`)
      } else {
        this.skip = start // Range ignored: the whole file comes; drop what precedes the start
      }
    }
    this.reader = res.body.getReader()
  }

  /** Bytes [from, to) of the file, fewer at its end. */
  private async fetchRange(from: number, to: number): Promise<Uint8Array> {
    const res = await uncachedFetch(this.url, { signal: this.abort.signal, headers: { Range: `bytes=${from}-${to - 1}` } })
    if (res.status === 416) return new Uint8Array(0)
    if (!res.ok || !res.body) throw new Error(`The library answered HTTP ${res.status} for this track's header`)
    let skip = 0
    if (res.status === 206) {
      const start = contentRangeStart(res)
      if (start !== from) throw new Error(`The library answered bytes from ${String(start)} when asked for bytes from ${from}`)
    } else {
      skip = from // Range ignored: read the file from byte 0 until the range is covered
    }
    const out = new Uint8Array(to - from)
    let filled = 0
    const reader = res.body.getReader()
    try {
      while (filled < out.length) {
        const { value, done } = await reader.read()
        if (done) break
        this.bytesFromOrigin += value.byteLength
        let piece = value
        if (skip > 0) {
          const n = Math.min(skip, piece.byteLength)
          skip -= n
          piece = piece.subarray(n)
        }
        const n = Math.min(piece.byteLength, out.length - filled)
        out.set(piece.subarray(0, n), filled)
        filled += n
      }
    } finally {
      await reader.cancel().catch(() => {})
    }
    return out.subarray(0, filled)
  }
}

function contentRangeStart(res: Response): number | null {
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(res.headers.get('Content-Range') ?? '')
  return m ? Number(m[1]) : null
}

function checkOffset(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${String(n)} is not a byte offset`)
  return n
}
