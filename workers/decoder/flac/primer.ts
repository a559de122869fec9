/**
 * A frame of silence numbered just before the first frame of a stream that
 * starts mid-track, fed to libFLAC (and its output dropped) before the real
 * frames.
 *
 * Why: the wasm build of libFLAC in @wasm-audio-decoders/flac 0.2.11 traps
 * ("memory access out of bounds") on some streams when the first frame it
 * decodes after STREAMINFO is not the track's first frame: seen with
 * ramp-24-48k-8ch.flac from frames 1 and 2, and with a verbatim 8-channel
 * 16-bit stream from its last frame; the same frames decode fine when
 * another frame precedes them, and so does every frame tried once this
 * primer precedes it (tests/unit/decode-seek.test.ts seeks into all of them).
 * libFLAC 1.4 also fills a gap in sample numbers with silence, which the
 * primer's numbering avoids: it ends exactly where the first real frame starts.
 *
 * The frame: blocksize in 16 bits, rate and sample size "from STREAMINFO"
 * (§9.1.2, §9.1.4), independent channels, each a CONSTANT subframe of 0
 * (§9.2.3), then the CRC-16.
 */
import { crc16, crc8 } from './crc.ts'
import type { FrameHeader } from './frame-header.ts'
import type { StreamInfo } from './metadata.ts'

export interface Primer {
  bytes: Uint8Array
  /** Samples it decodes to (dropped). */
  frames: number
}

/** The primer for a stream whose first frame is `first`, starting at track frame `start`; null at frame 0. */
export function primerFor(info: StreamInfo, first: FrameHeader, start: number): Primer | null {
  if (start === 0) return null
  const blockSize = first.variable ? Math.min(start, info.maxBlockSize) : info.maxBlockSize
  const number = first.variable ? start - blockSize : first.number - 1
  const head = [0xff, 0xf8 | (first.variable ? 1 : 0), 0b0111_0000, (info.channels - 1) << 4, ...codedNumber(number), (blockSize - 1) >> 8, (blockSize - 1) & 0xff]
  head.push(crc8(Uint8Array.from(head)))
  const width = info.bitsPerSample / 8 // 8, 16 or 24 bits (others are refused earlier)
  const out = new Uint8Array(head.length + info.channels * (1 + width) + 2)
  out.set(head) // each subframe: header 0x00 (CONSTANT, no wasted bits) and a zero sample, already zero
  const crc = crc16(out.subarray(0, out.length - 2))
  out[out.length - 2] = crc >> 8
  out[out.length - 1] = crc & 0xff
  return { bytes: out, frames: blockSize }
}

/** §9.1.5: the UTF-8-like coding of frame and sample numbers. */
function codedNumber(n: number): number[] {
  if (n < 0x80) return [n]
  let k = 1 // continuation bytes; the first byte keeps 6 - k bits
  while (n >= 2 ** (6 - k + 6 * k)) k++
  const tail: number[] = []
  for (let i = 0; i < k; i++, n = Math.floor(n / 64)) tail.unshift(0x80 | (n % 64))
  return [((0xff << (7 - k)) & 0xff) | n, ...tail]
}
