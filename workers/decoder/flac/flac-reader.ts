/**
 * FLAC: metadata, then frames split by the framer, decoded by libFLAC in
 * wasm, rescaled to exact `int / 2^(bits-1)` and hashed for the MD5 check.
 */
import type { Md5Verdict, TrackFormat } from '../../../protocol/worker-api.ts'
import { ByteQueue } from '../byte-queue.ts'
import type { CodecReader, Planes } from '../codec-reader.ts'
import { DecodeError } from '../errors.ts'
import { Md5 } from '../md5.ts'
import { FlacFramer, type Frame } from './framer.ts'
import { LibFlac } from './libflac.ts'
import { MetadataReader, type StreamInfo } from './metadata.ts'
import { SampleRecovery } from './samples.ts'

export class FlacReader implements CodecReader {
  private readonly q = new ByteQueue()
  private readonly metadata = new MetadataReader()
  private metadataBytes = 0
  private info: StreamInfo | null = null
  private framer: FlacFramer | null = null
  private recovery: SampleRecovery | null = null
  private hasher: Md5 | null = null
  format: TrackFormat | null = null

  private constructor(private readonly lib: LibFlac) {}

  static async create(): Promise<FlacReader> {
    return new FlacReader(await LibFlac.create())
  }

  push(bytes: Uint8Array): Planes {
    this.q.append(bytes)
    if (!this.framer) {
      const before = this.q.length
      const done = this.metadata.read(this.q)
      this.metadataBytes += before - this.q.length
      if (!done) return null
      this.begin(this.metadata.streamInfo!)
    }
    return this.decode(this.framer!.take())
  }

  end(): { planes: Planes; partial: boolean } {
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

  private begin(info: StreamInfo): void {
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
    this.hasher = info.md5 ? new Md5() : null
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
