/**
 * WAV sample bytes (interleaved, little-endian) to one Float32Array per
 * channel in Web Audio's convention: integers become `int / 2^(bits-1)`
 * (8-bit WAV is unsigned, offset by 128), floats pass through untouched.
 * Exact up to 24 bits; 32-bit integers round to float32's 24-bit mantissa,
 * which is as close as a Float32Array can hold.
 */
import type { SampleEncoding } from './wav-format.ts'

const BYTES: Record<SampleEncoding, number> = { u8: 1, s16: 2, s24: 3, s32: 4, f32: 4 }

export function deinterleave(bytes: Uint8Array, frames: number, channels: number, encoding: SampleEncoding): Float32Array[] {
  const out: Float32Array[] = []
  const width = BYTES[encoding]
  const stride = channels * width
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let c = 0; c < channels; c++) {
    const ch = new Float32Array(frames)
    let o = c * width
    switch (encoding) {
      case 'u8':
        for (let i = 0; i < frames; i++, o += stride) ch[i] = (bytes[o]! - 128) / 128
        break
      case 's16':
        for (let i = 0; i < frames; i++, o += stride) ch[i] = view.getInt16(o, true) / 32768
        break
      case 's24':
        // Shift the three bytes to the top of an int32 and back down to sign-extend.
        for (let i = 0; i < frames; i++, o += stride) ch[i] = (((bytes[o + 2]! << 24) | (bytes[o + 1]! << 16) | (bytes[o]! << 8)) >> 8) / 8388608
        break
      case 's32':
        for (let i = 0; i < frames; i++, o += stride) ch[i] = view.getInt32(o, true) / 2147483648
        break
      case 'f32':
        for (let i = 0; i < frames; i++, o += stride) ch[i] = view.getFloat32(o, true)
        break
    }
    out.push(ch)
  }
  return out
}
