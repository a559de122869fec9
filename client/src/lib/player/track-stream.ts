/**
 * One track on its way from bytes to PCM: reads its byte source, feeds the
 * decode worker, and checks integrity at the end.
 *
 * Whole-file mode (no `startFrame`, or 0): the file from byte 0, checked at
 * the end against the library's SHA-256 and the FLAC STREAMINFO MD5.
 *
 * Seek mode (`startFrame` > 0, for a listener joining mid-track or a room
 * resuming after a pause): fetches the file's head, plans where to start
 * (seekPlan: exact for WAV, a SEEKTABLE point or an estimate for FLAC), and
 * decodes from there, so the bytes before are neither fetched nor decoded.
 * The first chunk starts at or before the wanted frame (usually within a
 * couple of FLAC blocks); an estimate that lands after it is retried earlier,
 * at worst from the seek point or first frame before it. Chunks that end
 * before the wanted frame are not handed out. A part of a file cannot be
 * checked against whole-file hashes (end() says `sha256: null`, MD5
 * 'unavailable'): a seeked stream is verified per piece instead, by the P2P
 * layer against each piece's hash before use, and FLAC frames still pass
 * their CRC-8/CRC-16 checks in the decoder (bytes straight from the origin
 * have only those; WAV has none). A source that cannot seek (no
 * `seek`/`readHead`) is read whole, with full checks.
 */
import {
  decodeErrorFromWorker,
  type DecodeEnd,
  type FileHead,
  type PcmChunk,
  type SeekPlan,
  type SeekStart,
  type Track,
  type TrackCodec,
  type TrackFormat,
} from '../../../../protocol/index.ts'
import { seekPlan } from '../../../../workers/decoder/seek-plan.ts'
import { meanBytesPerSecond } from '../tracks.ts'
import type { ByteSource } from './byte-source.ts'
import { openDecodeSession } from './decoder-client.ts'

export class IntegrityError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** The calls TrackStream makes on a decode session: the worker through comlink, or the API object itself in Node tests. */
export interface DecodeSessionApi {
  push(sessionId: number, bytes: Uint8Array): Promise<{ format: TrackFormat | null; chunks: PcmChunk[] }>
  end(sessionId: number): Promise<DecodeEnd>
  seek(sessionId: number, from: SeekStart): Promise<void>
  close(sessionId: number): unknown
}

export interface DecodeSessionHandle {
  api: DecodeSessionApi
  id: number
}

export interface TrackStreamOptions {
  /** The track frame playback starts at; 0 or absent: the whole file, fully verified. */
  startFrame?: number
  /** Opens a whole-file decode session; default: the page's decode worker. Node tests pass `createDecodeApi()`. */
  openSession?: (codec: TrackCodec) => Promise<DecodeSessionHandle>
}

/** After this many estimates that landed after the wanted frame, start from the safe point. */
const MAX_ESTIMATES = 2
/**
 * Bytes go to the decoder in slices sized to decode about this much audio,
 * whatever the network hands over (up to 2 MiB at once): the player decides
 * between pulls whether its PCM window is full, so one pull must not decode
 * minutes. Before the ratio is known, the first slice is sized by the
 * library's average bitrate for the track (a file mostly of silence, where
 * FLAC packs ~200 frames in a byte, averages few bytes a second), or small
 * when that is unknown. A fixed 8 KiB holds no whole 4096-frame block of
 * 24/96 (12–24 KiB): on bench/sync's ramp the first three pulls gave no audio
 * at all, three worker round trips before a track could begin.
 */
const SLICE_SECONDS = 1
const FIRST_SLICE_BYTES = 8 * 1024
const MIN_SLICE_BYTES = 2 * 1024
const MAX_SLICE_BYTES = 256 * 1024

interface SeekState {
  head: FileHead
  plan: SeekPlan
  /** Estimates tried so far (the first plan included). */
  estimates: number
  /** The first chunk came at or before the wanted frame: no more retries. */
  settled: boolean
}

export class TrackStream {
  format: TrackFormat | null = null
  /** Highest `startFrame + frames` decoded so far; at the end, the track's exact length. */
  framesDecoded = 0
  /** How the last slice's time went (ms): waiting for its bytes, then for the decoder's answer (for the underrun mark). */
  lastSlice: { bytesMs: number; decodeMs: number } | null = null
  ended = false
  /** Set when the track ended early: what arrived plays, then this is shown. */
  truncatedNote: string | null = null
  /** The frame playback starts at (0: the whole track). */
  readonly startFrame: number
  /** How many times a seek started over earlier, for diagnostics. */
  seekRetries = 0
  private session: Promise<DecodeSessionHandle> | undefined
  /** False once end() has closed the session. */
  private sessionOpen = false
  private seek: SeekState | null = null
  private started = false
  private closed = false
  private readonly openSession: (codec: TrackCodec) => Promise<DecodeSessionHandle>
  /** Bytes read but not yet pushed. */
  private leftover: Uint8Array | null = null
  /** The worker's answer to the last seek, awaited with the push sent behind it (startAt). */
  private seekReply: Promise<void> | null = null
  /** The first read at a seek's start byte, on its way while the worker seeks (startAt). */
  private firstRead: Promise<Uint8Array | null> | null = null
  private sliceBytes: number

  constructor(
    readonly track: Track,
    readonly source: ByteSource,
    options: TrackStreamOptions = {},
  ) {
    const start = options.startFrame ?? 0
    if (!Number.isSafeInteger(start) || start < 0) throw new Error(`${String(start)} is not a frame to start at`)
    this.startFrame = start
    this.openSession = options.openSession ?? openDecodeSession
    this.sliceBytes = firstSliceBytes(track)
  }

  /** Whether this stream decodes only from a point mid-track (its hashes cannot be checked). */
  get seeking(): boolean {
    return this.seek !== null
  }

  /** Decodes the next slice of bytes; null once the whole track is out. */
  async pull(): Promise<PcmChunk[] | null> {
    if (this.ended || this.closed) return null
    try {
      if (!this.started) {
        this.started = true
        await this.begin()
        if (this.closed) return null
      }
      // The bytes are asked for while the session opens: a worker round trip
      // that took 75 ms on the clicking curator's page (bench/sync), and the
      // first read comes before it otherwise.
      const session = this.currentSession()
      session.catch(() => {}) // awaited below, errors included
      const asked = performance.now()
      const bytes = await this.nextSlice()
      const { api, id } = await session
      if (this.closed) return null
      if (bytes) {
        const got = performance.now()
        const pushed = api.push(id, bytes)
        pushed.catch(() => {}) // awaited below
        await this.seekSettled()
        const out = await pushed
        this.lastSlice = { bytesMs: got - asked, decodeMs: performance.now() - got }
        if (out.format) this.format = out.format
        this.adaptSlice(bytes.byteLength, out.chunks)
        return (await this.deliver(out.chunks, false)) ?? []
      }
      await this.seekSettled()
      this.sessionOpen = false // end() closes the session
      const end = await api.end(id)
      if (this.closed) return null
      const chunks = await this.deliver(end.chunks, true)
      if (!chunks) return [] // started over earlier: the track goes on
      this.ended = true
      if (!this.seek && end.sha256 !== this.track.sha256) {
        throw new IntegrityError('integrity', `“${this.track.title}” arrived damaged (its SHA-256 does not match the library's)`)
      }
      if (end.md5 === 'mismatch') {
        throw new IntegrityError('integrity', `“${this.track.title}” decoded to different samples than the file promises (STREAMINFO MD5 mismatch)`)
      }
      if (end.truncated || (this.seek && end.firstFrame === null)) {
        this.truncatedNote = `“${this.track.title}” ended early: ${this.framesDecoded} of its frames arrived and were played.`
      }
      return chunks
    } catch (err) {
      if (this.closed) return null // close() aborted what was in flight
      if (err instanceof IntegrityError) throw err
      const { code, message } = decodeErrorFromWorker(err)
      throw new IntegrityError(code, `“${this.track.title}” cannot be played: ${message}`)
    }
  }

  /** The next slice to push; `slice` copies, so the worker is not sent the whole network buffer. */
  private async nextSlice(): Promise<Uint8Array | null> {
    if (!this.leftover || this.leftover.byteLength === 0) {
      const pending = this.firstRead
      this.firstRead = null
      this.leftover = await (pending ?? this.source.read())
      if (!this.leftover) return null
    }
    const slice = this.leftover.slice(0, this.sliceBytes)
    this.leftover = this.leftover.subarray(slice.byteLength)
    return slice
  }

  private adaptSlice(bytes: number, chunks: readonly PcmChunk[]): void {
    const frames = chunks.reduce((n, c) => n + c.frames, 0)
    if (frames === 0 || bytes === 0) return
    const wanted = Math.round((this.track.sampleRate * SLICE_SECONDS) / (frames / bytes))
    this.sliceBytes = Math.min(MAX_SLICE_BYTES, Math.max(MIN_SLICE_BYTES, wanted))
  }

  get bytesFromOrigin(): number {
    return this.source.bytesFromOrigin
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.source.close()
    void this.session?.then(({ api, id }) => api.close(id)).catch(() => {})
  }

  /** The last seek's answer, taken once: a failed seek is the stream's error, whatever the push behind it met. */
  private async seekSettled(): Promise<void> {
    const reply = this.seekReply
    this.seekReply = null
    await reply
  }

  /** Seek mode when asked for and the source can do it: head, plan, session, source at the planned byte. */
  private async begin(): Promise<void> {
    const src = this.source
    if (this.startFrame === 0 || !src.seek || !src.readHead) return
    const codec = this.track.codec
    // The session opens meanwhile; startAt waits for it (and hears of its failure).
    void this.currentSession().catch(() => {})
    const head = await src.readHead(codec)
    const plan = seekPlan(codec, head, this.track.bytes, this.startFrame)
    this.seek = { head, plan, estimates: plan.exact ? 0 : 1, settled: plan.exact }
    await this.startAt(plan.startByte)
  }

  private currentSession(): Promise<DecodeSessionHandle> {
    if (!this.session) {
      this.session = this.openSession(this.track.codec)
      this.sessionOpen = true
    }
    return this.session
  }

  /** Points the source and the session at `startByte` (a new session if end() closed the last). */
  private async startAt(startByte: number): Promise<void> {
    const seek = this.seek!
    if (!this.sessionOpen) this.session = undefined
    const session = this.currentSession()
    this.leftover = null // bytes from the old position
    // A source seeks between reads: one still on its way from an earlier start is let land first.
    if (this.firstRead) await this.firstRead.catch(() => null)
    this.firstRead = null
    this.source.seek!(startByte)
    // The first bytes are asked for while the worker opens and seeks: after
    // those, they came two worker round trips later (~30 ms each on a busy
    // joiner, bench/sync).
    const first = this.source.read()
    first.catch(() => {}) // nextSlice() takes it, errors included
    this.firstRead = first
    const { api, id } = await session
    // Answered with the first push (pull): the worker takes messages in
    // order (decode-api.ts), so that push goes right behind the seek. Awaited
    // here, the seek was one more worker round trip before a joiner's first
    // decode, on a page busy joining.
    const reply = api.seek(id, { header: seek.head.header, audioStart: seek.head.audioStart, startByte })
    reply.catch(() => {}) // awaited in pull()
    this.seekReply = reply
  }

  /**
   * Chunks as they go out. In seek mode, the first chunk decides: after the
   * wanted frame, the attempt is dropped and an earlier one begins (null);
   * at or before it, the stream is settled. Chunks ending before the wanted
   * frame are counted but not handed out.
   */
  private async deliver(chunks: PcmChunk[], atEnd: boolean): Promise<PcmChunk[] | null> {
    const seek = this.seek
    if (seek && !seek.settled && (chunks.length > 0 || atEnd)) {
      const first = chunks[0]?.startFrame ?? this.format?.totalFrames ?? Infinity
      if (first > seek.plan.wantedFrame && seek.plan.startByte > seek.plan.safeByte) {
        await this.retryEarlier(first)
        return null
      }
      seek.settled = true
    }
    const out: PcmChunk[] = []
    for (const c of chunks) {
      this.framesDecoded = Math.max(this.framesDecoded, c.startFrame + c.frames)
      if (c.startFrame + c.frames > this.startFrame) out.push(c)
    }
    return out
  }

  private async retryEarlier(firstFrame: number): Promise<void> {
    const seek = this.seek!
    const prev = seek.plan
    let plan = seek.estimates < MAX_ESTIMATES ? seekPlan(this.track.codec, seek.head, this.track.bytes, this.startFrame, { startByte: prev.startByte, firstFrame: Number.isFinite(firstFrame) ? firstFrame : prev.wantedFrame + 1 }) : null
    if (!plan || plan.startByte >= prev.startByte) plan = { ...prev, startByte: prev.safeByte, expectedFrame: prev.safeFrame, exact: true }
    if (!plan.exact) seek.estimates++
    seek.plan = plan
    seek.settled = plan.exact
    this.seekRetries++
    await this.startAt(plan.startByte)
  }
}

function firstSliceBytes(t: Track): number {
  const perSecond = meanBytesPerSecond(t) ?? 0
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) return FIRST_SLICE_BYTES
  return Math.min(MAX_SLICE_BYTES, Math.max(MIN_SLICE_BYTES, Math.round(perSecond * SLICE_SECONDS)))
}
