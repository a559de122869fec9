/**
 * An incremental FLAC/WAV decoder with no DOM: bytes in, as they arrive and
 * split anywhere; exact PCM out, frame-numbered; a SHA-256 of the file and
 * the FLAC MD5 verdict at the end. Used by the decode worker and by tests.
 */
import type { DecodeEnd, PcmChunk, TrackCodec, TrackFormat } from '../../protocol/worker-api.ts'
import type { CodecReader, Planes } from './codec-reader.ts'
import { DecodeError } from './errors.ts'
import { FlacReader } from './flac/flac-reader.ts'
import { Sha256 } from './sha256.ts'
import { WavReader } from './wav/wav-reader.ts'

type State = { is: 'open' } | { is: 'failed'; error: DecodeError } | { is: 'ended' } | { is: 'destroyed' }

export class StreamDecoder {
  private state: State = { is: 'open' }
  private readonly fileHash = new Sha256()
  private frames = 0

  private constructor(private readonly reader: CodecReader) {}

  /** Async because the FLAC decoder's wasm must be instantiated first. */
  static async create(codec: TrackCodec): Promise<StreamDecoder> {
    return new StreamDecoder(codec === 'flac' ? await FlacReader.create() : new WavReader())
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
    this.fileHash.update(bytes)
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
    const truncated = partial || (total !== null && this.frames < total)
    return {
      chunks,
      md5: truncated ? 'unavailable' : this.reader.md5Verdict(),
      sha256: this.fileHash.digestHex(),
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
    const chunk = { startFrame: this.frames, frames, channels: planes }
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
