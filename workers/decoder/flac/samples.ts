/**
 * From libFLAC-in-wasm's floats back to exact samples.
 *
 * The wasm write callback computes `(float)int / (float)(2^(bits-1) - 1)`,
 * one correctly rounded float32 division. For |int| <= 2^23 the result is
 * within half an ulp, so `x * (2^(bits-1) - 1)` lands within 0.5 of `int`
 * (the worst case, int = -2^23, is 0.00000012 off) and Math.round recovers it
 * exactly; a unit test checks every 24-bit value through the real decoder.
 * `int / 2^(bits-1)` is then exact in float32, and is what Web Audio and
 * Chromium's own FLAC decoder produce.
 *
 * The same pass writes the samples as RFC 9639 §8.2 hashes them for the
 * STREAMINFO MD5: interleaved, little-endian, signed, bits/8 bytes each.
 */
export interface ByteSink {
  update(bytes: Uint8Array): unknown
}

const BLOCK_FRAMES = 16384

export class SampleRecovery {
  private scratch = new Uint8Array(0)
  private readonly wasmScale: number
  private readonly toWebAudio: number
  private readonly bytesPerSample: number

  constructor(private readonly bits: 8 | 16 | 24) {
    this.wasmScale = 2 ** (bits - 1) - 1
    this.toWebAudio = 1 / 2 ** (bits - 1)
    this.bytesPerSample = bits / 8
  }

  /** Rewrites `channels` in place; feeds `md5` the samples' bytes when given. */
  apply(channels: Float32Array[], frames: number, md5: ByteSink | null): void {
    if (!md5) {
      for (const ch of channels) this.rescale(ch, 0, frames, null, 0, 0)
      return
    }
    // In blocks, so the bytes for MD5 never need more than a small scratch buffer.
    const n = channels.length
    const bps = this.bytesPerSample
    for (let from = 0; from < frames; from += BLOCK_FRAMES) {
      const to = Math.min(frames, from + BLOCK_FRAMES)
      const size = (to - from) * n * bps
      if (this.scratch.length < size) this.scratch = new Uint8Array(size)
      for (let c = 0; c < n; c++) this.rescale(channels[c]!, from, to, this.scratch, c * bps, n * bps)
      md5.update(this.scratch.subarray(0, size))
    }
  }

  private rescale(ch: Float32Array, from: number, to: number, bytes: Uint8Array | null, first: number, stride: number): void {
    const scale = this.wasmScale
    const out = this.toWebAudio
    let o = first
    if (!bytes) {
      for (let i = from; i < to; i++) ch[i] = Math.round(ch[i]! * scale) * out
    } else if (this.bytesPerSample === 2) {
      for (let i = from; i < to; i++, o += stride) {
        const v = Math.round(ch[i]! * scale)
        ch[i] = v * out
        bytes[o] = v // a Uint8Array store keeps the low 8 bits: two's complement for free
        bytes[o + 1] = v >> 8
      }
    } else if (this.bytesPerSample === 3) {
      for (let i = from; i < to; i++, o += stride) {
        const v = Math.round(ch[i]! * scale)
        ch[i] = v * out
        bytes[o] = v
        bytes[o + 1] = v >> 8
        bytes[o + 2] = v >> 16
      }
    } else {
      for (let i = from; i < to; i++, o += stride) {
        const v = Math.round(ch[i]! * scale)
        ch[i] = v * out
        bytes[o] = v
      }
    }
  }
}
