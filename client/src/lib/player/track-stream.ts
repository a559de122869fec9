/**
 * One track on its way from bytes to PCM: reads its byte source, feeds the
 * decode worker, and checks integrity at the end (SHA-256 against the
 * library, FLAC STREAMINFO MD5 against the decoded samples).
 */
import { decodeErrorFromWorker, type PcmChunk, type Track, type TrackFormat } from '../../../../protocol/index.ts'
import type { ByteSource } from './byte-source.ts'
import { openDecodeSession, type DecodeSession } from './decoder-client.ts'

export class IntegrityError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export class TrackStream {
  format: TrackFormat | null = null
  /** Frames decoded so far; at the end, the track's exact length. */
  framesDecoded = 0
  ended = false
  /** Set when the track ended early: what arrived plays, then this is shown. */
  truncatedNote: string | null = null
  private session: Promise<DecodeSession> | undefined
  private closed = false

  constructor(
    readonly track: Track,
    private readonly source: ByteSource,
  ) {}

  /** Decodes the next slice of bytes; null once the whole track is out. */
  async pull(): Promise<PcmChunk[] | null> {
    if (this.ended || this.closed) return null
    this.session ??= openDecodeSession(this.track.codec)
    const { api, id } = await this.session
    try {
      const bytes = await this.source.read()
      if (this.closed) return null
      if (bytes) {
        const out = await api.push(id, bytes)
        if (out.format) this.format = out.format
        return this.count(out.chunks)
      }
      const end = await api.end(id)
      this.ended = true
      if (end.sha256 !== this.track.sha256) {
        throw new IntegrityError('integrity', `“${this.track.title}” arrived damaged (its SHA-256 does not match the library's)`)
      }
      if (end.md5 === 'mismatch') {
        throw new IntegrityError('integrity', `“${this.track.title}” decoded to different samples than the file promises (STREAMINFO MD5 mismatch)`)
      }
      if (end.truncated) {
        this.truncatedNote = `“${this.track.title}” ended early: ${this.framesDecodedAfter(end.chunks)} of its frames arrived and were played.`
      }
      return this.count(end.chunks)
    } catch (err) {
      if (err instanceof IntegrityError) throw err
      const { code, message } = decodeErrorFromWorker(err)
      throw new IntegrityError(code, `“${this.track.title}” cannot be played: ${message}`)
    }
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

  private framesDecodedAfter(chunks: PcmChunk[]): number {
    return chunks.reduce((n, c) => Math.max(n, c.startFrame + c.frames), this.framesDecoded)
  }

  private count(chunks: PcmChunk[]): PcmChunk[] {
    for (const c of chunks) this.framesDecoded = Math.max(this.framesDecoded, c.startFrame + c.frames)
    return chunks
  }
}
