/**
 * The one place that touches `@wasm-audio-decoders/flac` (libFLAC in wasm).
 *
 * Its public `decodeFrames()` is async, but only by declaration: the work is
 * done by an inner decoder whose `decodeFrames()` is synchronous. We call
 * that inner one so `StreamDecoder.push()` can stay synchronous (no
 * interleaving between pushes); the shape is checked at start-up so a
 * library update that changes it fails loudly, not silently.
 *
 * We hand it whole frames only (see framer.ts): its native `decode()` runs
 * the bytes through codec-parser, which silently drops frames failing their
 * CRC and returns each frame only once the next one's header has arrived.
 */
import { FLACDecoder } from '@wasm-audio-decoders/flac'
import { DecodeError } from '../errors.ts'

export interface LibFlacOutput {
  channelData: Float32Array[]
  samplesDecoded: number
  sampleRate: number
  bitDepth: number
  errors: { message: string }[]
}

interface InnerDecoder {
  decodeFrames(frames: Uint8Array[]): LibFlacOutput
  free(): void
}

export class LibFlac {
  private constructor(
    private readonly outer: FLACDecoder,
    private readonly inner: InnerDecoder,
  ) {}

  static async create(): Promise<LibFlac> {
    const outer = new FLACDecoder()
    await outer.ready
    const inner = (outer as unknown as { _decoder?: Partial<InnerDecoder> })._decoder
    if (typeof inner?.decodeFrames !== 'function' || typeof inner.free !== 'function') {
      outer.free()
      throw new DecodeError('unsupported', 'This build of the FLAC decoder has an unexpected shape; the page needs an update.')
    }
    return new LibFlac(outer, inner as InnerDecoder)
  }

  /**
   * Tells libFLAC the stream's parameters by feeding it `fLaC` and the
   * STREAMINFO block marked last (RFC 9639 §8.1), so frames whose headers say
   * "get from STREAMINFO" (§9.1.2, §9.1.4) decode too.
   */
  start(streamInfoBody: Uint8Array): void {
    const head = new Uint8Array(4 + 4 + streamInfoBody.length)
    head.set([0x66, 0x4c, 0x61, 0x43, 0x80, 0, 0, streamInfoBody.length])
    head.set(streamInfoBody, 8)
    this.inner.decodeFrames([head])
  }

  /**
   * Decodes whole frames. Samples come out as float `int / (2^(bits-1) - 1)`
   * (its write callback divides by 0x7FFF or 0x7FFFFF), not Web Audio's
   * `int / 2^(bits-1)`: see samples.ts for the exact way back.
   */
  decode(frames: Uint8Array[]): LibFlacOutput {
    return this.inner.decodeFrames(frames)
  }

  free(): void {
    this.outer.free()
  }
}
