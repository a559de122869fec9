/**
 * RIFF/WAVE, parsed incrementally: chunks before `data` are read (`fmt `) or
 * skipped as they stream by, `data` is converted a whole frame at a time,
 * and anything after it (LIST/INFO tags, say) is ignored.
 */
import type { Md5Verdict, SeekStart, TrackFormat } from '../../../protocol/worker-api.ts'
import { ByteQueue } from '../byte-queue.ts'
import type { CodecReader, Planes } from '../codec-reader.ts'
import { DecodeError } from '../errors.ts'
import { deinterleave } from './deinterleave.ts'
import { parseWavFormat, type WavFormat } from './wav-format.ts'

/** A `fmt ` chunk is 16 to 40 bytes; anything this big is not one. */
const MAX_FMT_BYTES = 4096
/** Writers that stream a WAV before knowing its length put this in the `data` size. */
const UNKNOWN_SIZE = 0xffffffff

type State =
  | { at: 'riff' }
  | { at: 'chunk-header' }
  | { at: 'fmt'; size: number }
  | { at: 'skip'; remaining: number }
  | { at: 'data'; remaining: number | null }
  | { at: 'after-data' }

export class WavReader implements CodecReader {
  private readonly q = new ByteQueue()
  private state: State = { at: 'riff' }
  private wav: WavFormat | null = null
  private bytesSeen = 0
  /** Seek mode: bytes still to drop before the first whole sample frame. */
  private skip = 0
  /** While parsing a seek header: stop where the data begins. */
  private headerOnly = false
  format: TrackFormat | null = null
  firstFrame: number | null = 0

  /** With `from`, the bytes pushed are the file from `from.startByte` (see SeekStart). */
  constructor(from?: SeekStart) {
    if (from) this.seekTo(from)
  }

  /**
   * Parses the header, then works out where the pushed bytes fall in the
   * data: the first whole sample frame at or after `startByte` is the first
   * decoded (bytes before it are dropped), so a start that is not
   * block-aligned begins at the next frame.
   */
  private seekTo(from: SeekStart): void {
    this.headerOnly = true
    this.q.append(from.header)
    this.advance()
    this.headerOnly = false
    const s = this.state
    if (s.at !== 'data') throw new DecodeError('truncated', 'The header given for a seek ends before the WAV data chunk begins.')
    const dataStart = from.audioStart ?? from.header.length - this.q.length
    this.q.clear()
    const align = this.wav!.blockAlign
    const into = from.startByte - dataStart
    if (into <= 0) {
      this.skip = -into
      return
    }
    const frame = Math.ceil(into / align)
    this.skip = frame * align - into
    this.firstFrame = frame
    if (s.remaining !== null) {
      s.remaining = Math.max(0, s.remaining - frame * align)
      if (s.remaining < align) this.state = { at: 'after-data' }
    }
  }

  push(bytes: Uint8Array): Planes {
    this.bytesSeen += bytes.length
    if (this.skip > 0) {
      const n = Math.min(this.skip, bytes.length)
      this.skip -= n
      bytes = bytes.subarray(n)
    }
    if (this.state.at === 'after-data') return null
    this.q.append(bytes)
    return this.advance()
  }

  end(): { planes: Planes; partial: boolean } {
    if (!this.format) {
      if (this.state.at === 'riff' && this.bytesSeen < 12) throw new DecodeError('corrupt', 'The file is too short to be a WAV file.')
      throw new DecodeError('truncated', 'The WAV file ends before its audio data.')
    }
    const partial = this.state.at === 'data' && this.q.length > 0
    this.q.clear()
    return { planes: null, partial }
  }

  md5Verdict(): Md5Verdict {
    return 'unavailable' // WAV carries no checksum of its samples
  }

  destroy(): void {
    this.q.clear()
  }

  private advance(): Planes {
    const q = this.q
    for (;;) {
      const s = this.state
      switch (s.at) {
        case 'riff': {
          if (q.length < 12) return null
          const id = ascii(q.view(0, 4))
          if (id === 'RF64' || id === 'RIFX') throw new DecodeError('unsupported', `WAV format ${id} is not supported.`)
          if (id !== 'RIFF' || ascii(q.view(8, 12)) !== 'WAVE') throw new DecodeError('corrupt', 'This is not a WAV file: it does not start with a RIFF/WAVE header.')
          q.consume(12) // the RIFF size is often wrong in streamed files; chunks are what count
          this.state = { at: 'chunk-header' }
          continue
        }
        case 'chunk-header': {
          if (q.length < 8) return null
          const id = ascii(q.view(0, 4))
          const size = u32le(q.view(4, 8))
          q.consume(8)
          if (id === 'fmt ') {
            if (this.wav) throw new DecodeError('corrupt', 'The WAV file has two fmt chunks.')
            if (size > MAX_FMT_BYTES) throw new DecodeError('corrupt', 'The WAV file has a malformed fmt chunk.')
            this.state = { at: 'fmt', size }
          } else if (id === 'data') {
            if (!this.wav) throw new DecodeError('corrupt', 'The WAV file has audio data before its fmt chunk.')
            this.beginData(this.wav, size)
          } else {
            this.state = { at: 'skip', remaining: size + (size & 1) } // chunks are padded to even sizes
          }
          continue
        }
        case 'fmt': {
          const padded = s.size + (s.size & 1)
          if (q.length < padded) return null
          this.wav = parseWavFormat(q.view(0, s.size))
          q.consume(padded)
          this.state = { at: 'chunk-header' }
          continue
        }
        case 'skip': {
          const n = Math.min(s.remaining, q.length)
          q.consume(n)
          s.remaining -= n
          if (s.remaining > 0) return null
          this.state = { at: 'chunk-header' }
          continue
        }
        case 'data':
          if (this.headerOnly) return null
          return this.readData(s)
        case 'after-data':
          q.clear()
          return null
      }
    }
  }

  private beginData(wav: WavFormat, size: number): void {
    const known = size !== UNKNOWN_SIZE
    this.format = {
      codec: 'wav',
      sampleRate: wav.sampleRate,
      channels: wav.channels,
      bitsPerSample: wav.bitsPerSample,
      totalFrames: known ? Math.floor(size / wav.blockAlign) : null,
      md5: null,
    }
    this.state = { at: 'data', remaining: known ? size : null }
  }

  private readData(s: { at: 'data'; remaining: number | null }): Planes {
    const wav = this.wav!
    const avail = s.remaining === null ? this.q.length : Math.min(s.remaining, this.q.length)
    const frames = Math.floor(avail / wav.blockAlign)
    const planes = frames > 0 ? deinterleave(this.q.view(0, frames * wav.blockAlign), frames, wav.channels, wav.encoding) : null
    this.q.consume(frames * wav.blockAlign)
    if (s.remaining !== null) {
      s.remaining -= frames * wav.blockAlign
      if (s.remaining < wav.blockAlign) {
        this.state = { at: 'after-data' }
        this.q.clear()
      }
    }
    return planes
  }
}

function ascii(b: Uint8Array): string {
  return String.fromCharCode(...b)
}

function u32le(b: Uint8Array): number {
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0
}
