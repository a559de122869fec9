/**
 * FLAC: metadata, then frames split by the framer, decoded by libFLAC in
 * wasm, rescaled to exact `int / 2^(bits-1)` and hashed for the MD5 check.
 */
import type { Md5Verdict, SeekStart, TrackFormat } from '../../../protocol/worker-api.ts'
import { ByteQueue } from '../byte-queue.ts'
import type { CodecReader, Planes } from '../codec-reader.ts'
import { DecodeError } from '../errors.ts'
import { Md5 } from '../md5.ts'
import { FlacFramer, maxFrameBytes, type Frame } from './framer.ts'
import { LibFlac } from './libflac.ts'
import { MetadataReader, type StreamInfo } from './metadata.ts'
import { primerFor } from './primer.ts'
import { FrameSync } from './resync.ts'
import { SampleRecovery } from './samples.ts'

export class FlacReader implements CodecReader {
  private readonly q = new ByteQueue()
  private readonly metadata = new MetadataReader()
  private metadataBytes = 0
  private info: StreamInfo | null = null
  private framer: FlacFramer | null = null
  private recovery: SampleRecovery | null = null
  private hasher: Md5 | null = null
  /** Seek mode: looks for the first whole frame, then hands over to the framer. */
  private sync: FrameSync | null = null
  /** Seek mode: bytes still to drop before the audio (the push started inside the metadata). */
  private skip = 0
  format: TrackFormat | null = null
  firstFrame: number | null = 0

  private constructor(private readonly lib: LibFlac) {}

  /** With `from`, the bytes pushed are the file from `from.startByte` (see SeekStart). */
  static async create(from?: SeekStart): Promise<FlacReader> {
    const reader = new FlacReader(await LibFlac.create())
    try {
      if (from) reader.seekTo(from)
    } catch (err) {
      reader.destroy()
      throw err
    }
    return reader
  }

  private seekTo(from: SeekStart): void {
    const hq = new ByteQueue()
    hq.append(from.header)
    if (!this.metadata.read(hq)) {
      throw new DecodeError('truncated', 'The header given for a seek ends before the FLAC metadata does.')
    }
    const audioStart = from.audioStart ?? from.header.length - hq.length
    const info = this.metadata.streamInfo!
    this.begin(info, false)
    this.framer = null // made by resync() at the first frame found
    this.firstFrame = null
    this.skip = Math.max(0, audioStart - from.startByte)
    this.sync = new FrameSync(info, this.q, Math.max(audioStart, from.startByte), maxFrameBytes(info))
  }

  push(bytes: Uint8Array): Planes {
    if (this.skip > 0) {
      const n = Math.min(this.skip, bytes.length)
      this.skip -= n
      bytes = bytes.subarray(n)
    }
    this.q.append(bytes)
    if (this.sync) {
      if (!this.resync(false)) return null
    } else if (!this.framer) {
      const before = this.q.length
      const done = this.metadata.read(this.q)
      this.metadataBytes += before - this.q.length
      if (!done) return null
      this.begin(this.metadata.streamInfo!)
    }
    return this.decode(this.framer!.take())
  }

  end(): { planes: Planes; partial: boolean } {
    if (this.sync) {
      // No whole frame found yet: perhaps the stream began inside the last one.
      if (!this.resync(true)) {
        this.q.clear()
        return { planes: null, partial: false }
      }
      const taken = this.framer!.take()
      const { frame, partial } = this.framer!.finish()
      return { planes: this.decode(frame ? [...taken, frame] : taken), partial }
    }
    if (!this.framer) {
      if (this.metadataBytes + this.q.length < 4) throw new DecodeError('corrupt', 'The file is too short to be FLAC.')
      throw new DecodeError('truncated', 'The FLAC file ends before its first audio frame.')
    }
    const { frame, partial } = this.framer.finish()
    return { planes: this.decode(frame ? [frame] : []), partial }
  }

  md5Verdict(): Md5Verdict {
    if (!this.info?.md5 || !this.hasher) return 'unavailable'
    return this.hasher.digestHex() === this.info.md5 ? 'match' : 'mismatch'
  }

  destroy(): void {
    this.lib.free()
    this.q.clear()
  }

  /** Seek mode: true once the first frame is found and the framer starts there. */
  private resync(final: boolean): boolean {
    const sync = this.sync!
    const h = sync.find(final)
    if (!h) return false
    const start = sync.startOf(h)
    this.firstFrame = start
    const primer = primerFor(this.info!, h, start)
    if (primer) {
      const out = this.lib.decode([primer.bytes])
      if (out.errors.length > 0 || out.samplesDecoded !== primer.frames) {
        throw new DecodeError('corrupt', `The FLAC decoder could not start at frame ${start}: ${out.errors[0]?.message ?? `${out.samplesDecoded} samples`}.`)
      }
    }
    this.framer = new FlacFramer(this.info!, this.q, sync.offset, { frameIndex: h.variable ? 0 : h.number, sampleIndex: start })
    this.sync = null
    return true
  }

  private begin(info: StreamInfo, md5 = true): void {
    this.info = info
    this.format = {
      codec: 'flac',
      sampleRate: info.sampleRate,
      channels: info.channels,
      bitsPerSample: info.bitsPerSample,
      totalFrames: info.totalSamples,
      md5: info.md5,
    }
    this.framer = new FlacFramer(info, this.q, this.metadataBytes)
    this.recovery = new SampleRecovery(info.bitsPerSample as 8 | 16 | 24)
    this.hasher = md5 && info.md5 ? new Md5() : null
    this.lib.start(info.body)
  }

  private decode(frames: Frame[]): Planes {
    if (frames.length === 0) return null
    const info = this.info!
    const out = this.lib.decode(frames.map((f) => f.bytes))
    const expected = frames.reduce((n, f) => n + f.header.blockSize, 0)
    const first = out.errors[0]
    if (first) throw new DecodeError('corrupt', `The FLAC decoder rejected a frame: ${first.message}.`)
    if (out.samplesDecoded !== expected || out.channelData.length !== info.channels) {
      throw new DecodeError('corrupt', `The FLAC decoder returned ${out.samplesDecoded} samples in ${out.channelData.length} channels where ${expected} in ${info.channels} were expected.`)
    }
    if (out.sampleRate !== info.sampleRate || out.bitDepth !== info.bitsPerSample) {
      throw new DecodeError('corrupt', `The FLAC frames decode as ${out.bitDepth}-bit ${out.sampleRate} Hz but STREAMINFO says ${info.bitsPerSample}-bit ${info.sampleRate} Hz.`)
    }
    this.recovery!.apply(out.channelData, expected, this.hasher)
    return out.channelData
  }
}
