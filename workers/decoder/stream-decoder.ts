/**
 * An incremental FLAC/WAV decoder with no DOM: bytes in, as they arrive and
 * split anywhere; exact PCM out, frame-numbered; a SHA-256 of the file and
 * the FLAC MD5 verdict at the end. Used by the decode worker and by tests.
 *
 * Seek mode (`create(codec, from)`): the bytes pushed are the file from
 * `from.startByte`, decoding starts at the first whole frame there, chunks
 * carry true track frame numbers, and neither hash can be checked (the
 * result says `md5: 'unavailable'`, `sha256: null`).
 */
import type { DecodeEnd, PcmChunk, SeekStart, TrackCodec, TrackFormat } from '../../protocol/worker-api.ts'
import type { CodecReader, Planes } from './codec-reader.ts'
import { DecodeError } from './errors.ts'
import { FlacReader } from './flac/flac-reader.ts'
import { Sha256 } from './sha256.ts'
import { WavReader } from './wav/wav-reader.ts'

type State = { is: 'open' } | { is: 'failed'; error: DecodeError } | { is: 'ended' } | { is: 'destroyed' }

export class StreamDecoder {
  private state: State = { is: 'open' }
  /** Null in seek mode: a part of the file has no file hash to compare. */
  private readonly fileHash: Sha256 | null
  /** Frames decoded so far. */
  private frames = 0

  private constructor(
    readonly codec: TrackCodec,
    private readonly reader: CodecReader,
    readonly seeking: boolean,
  ) {
    this.fileHash = seeking ? null : new Sha256()
  }

  /**
   * Async because the FLAC decoder's wasm must be instantiated first. With
   * `from`, a seek session; its header is parsed here, so a bad one throws now.
   */
  static async create(codec: TrackCodec, from?: SeekStart): Promise<StreamDecoder> {
    if (from) checkSeekStart(from)
    const reader = codec === 'flac' ? await FlacReader.create(from) : new WavReader(from)
    return new StreamDecoder(codec, reader, from !== undefined)
  }

  get format(): TrackFormat | null {
    return this.reader.format
  }

  /**
   * Decodes what `bytes` complete. When they reveal a damaged stream after
   * some good frames, those frames are returned and the error is thrown by
   * the next push() or end(): nothing good is thrown away, and a caller
   * streaming bytes hears up to the damage. Once thrown, an error sticks.
   */
  push(bytes: Uint8Array): PcmChunk[] {
    this.assertOpen('push')
    this.fileHash?.update(bytes)
    try {
      return this.chunks(this.reader.push(bytes))
    } catch (err) {
      throw this.fail(err)
    }
  }

  /**
   * Flushes the last frame. A stream that stops short of the frame count its
   * header declares is not an error here: its audio is returned with
   * `truncated: true` (the caller decides what to tell the user), and the MD5
   * verdict is then 'unavailable'. A stream with no audio at all throws.
   */
  end(): DecodeEnd {
    this.assertOpen('end')
    let last: { planes: Planes; partial: boolean }
    try {
      last = this.reader.end()
    } catch (err) {
      throw this.fail(err)
    }
    const { planes, partial } = last
    this.state = { is: 'ended' }
    const chunks = this.chunks(planes)
    const total = this.format?.totalFrames ?? null
    const first = this.reader.firstFrame
    // A seek that found no whole frame says nothing about the track's length.
    const truncated = partial || (first !== null && total !== null && first + this.frames < total)
    return {
      chunks,
      md5: truncated || this.seeking ? 'unavailable' : this.reader.md5Verdict(),
      sha256: this.fileHash ? this.fileHash.digestHex() : null,
      firstFrame: first,
      frames: this.frames,
      truncated,
    }
  }

  /** Frees the wasm decoder; safe to call more than once. */
  destroy(): void {
    if (this.state.is === 'destroyed') return
    this.state = { is: 'destroyed' }
    this.reader.destroy()
  }

  private chunks(planes: Planes): PcmChunk[] {
    const frames = planes?.[0]?.length ?? 0
    if (!planes || frames === 0) return []
    const chunk = { startFrame: (this.reader.firstFrame ?? 0) + this.frames, frames, channels: planes }
    this.frames += frames
    return [chunk]
  }

  /** Any other exception (a wasm trap) also ends the stream as corrupt, not as a crashed worker. */
  private fail(err: unknown): DecodeError {
    const error = err instanceof DecodeError ? err : new DecodeError('corrupt', `The track could not be decoded: ${String(err)}.`)
    this.state = { is: 'failed', error }
    return error
  }

  private assertOpen(what: string): void {
    const s = this.state
    if (s.is === 'failed') throw s.error
    if (s.is !== 'open') throw new Error(`StreamDecoder.${what}() after ${s.is === 'ended' ? 'end()' : 'destroy()'}`)
  }
}

/** Limits on what a caller may ask of a seek session (misuse, not a decode error). */
const MAX_SEEK_HEADER_BYTES = 16 << 20

export function checkSeekStart(from: SeekStart): void {
  if (typeof from !== 'object' || from === null) throw new Error('a seek start must be { header, startByte, audioStart? }')
  if (!(from.header instanceof Uint8Array)) throw new Error('a seek start needs its header as a Uint8Array')
  if (from.header.length > MAX_SEEK_HEADER_BYTES) throw new Error(`a seek header of ${from.header.length} bytes is too large (at most ${MAX_SEEK_HEADER_BYTES})`)
  if (!Number.isSafeInteger(from.startByte) || from.startByte < 0) throw new Error(`${String(from.startByte)} is not a byte offset`)
  if (from.audioStart !== undefined && (!Number.isSafeInteger(from.audioStart) || from.audioStart < 0)) {
    throw new Error(`${String(from.audioStart)} is not a byte offset`)
  }
}
