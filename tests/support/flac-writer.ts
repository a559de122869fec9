/**
 * A tiny FLAC writer for tests: VERBATIM subframes only (RFC 9639 §9.2.4),
 * so any sample values (all 2^24 of them, say) can be streamed through the
 * real decoder without a fixture file, and headers can be made to lie.
 */
import { md5 } from '@noble/hashes/legacy.js'
import { crc16, crc8 } from '../../workers/decoder/flac/crc.ts'

export interface VerbatimFlac {
  sampleRate: number
  channels: number
  bits: 8 | 16 | 24
  /** Frames per FLAC frame; the last one holds what is left. */
  blockSize: number
  totalFrames: number
  /** Number frames by their first sample (§9.1.5's variable block size strategy). */
  variable?: boolean
  sample(frame: number, channel: number): number
  /** Put the MD5 of the samples in STREAMINFO (costs a first pass over them). */
  md5?: boolean
  /** Values written into frame headers instead of the true ones, to make a lying stream. */
  headerLies?: { sampleRate?: number; channels?: number; bits?: 8 | 16 | 24 }
}

const RATE_CODES: Record<number, number> = { 88200: 1, 176400: 2, 192000: 3, 8000: 4, 16000: 5, 22050: 6, 24000: 7, 32000: 8, 44100: 9, 48000: 10, 96000: 11 }
const BITS_CODES = { 8: 1, 16: 4, 24: 6 } as const

/** The file as a sequence of pieces: `fLaC` + STREAMINFO first, then one piece per frame. */
export function* verbatimFlac(spec: VerbatimFlac): Generator<Uint8Array> {
  yield header(spec)
  for (let start = 0, n = 0; start < spec.totalFrames; start += spec.blockSize, n++) {
    yield frame(spec, start, Math.min(spec.blockSize, spec.totalFrames - start), spec.variable ? start : n)
  }
}

function header(spec: VerbatimFlac): Uint8Array {
  const b = new Uint8Array(4 + 4 + 34)
  b.set([0x66, 0x4c, 0x61, 0x43, 0x80, 0, 0, 34]) // fLaC, last block: STREAMINFO, 34 bytes
  b.set(streamInfo(spec, spec.md5 ? samplesMd5(spec) : undefined), 8)
  return b
}

/** A STREAMINFO body (§8.2, 34 bytes); without `md5`, the MD5 is all zero: "not computed". */
export function streamInfo(spec: FlacFormat & { blockSize: number; totalFrames: number }, md5?: Uint8Array): Uint8Array {
  const s = new Uint8Array(34)
  const bs = spec.blockSize
  s.set([bs >> 8, bs & 0xff, bs >> 8, bs & 0xff], 0)
  const r = spec.sampleRate
  const total = spec.totalFrames
  s[10] = r >> 12
  s[11] = (r >> 4) & 0xff
  s[12] = ((r & 0x0f) << 4) | ((spec.channels - 1) << 1) | ((spec.bits - 1) >> 4)
  s[13] = (((spec.bits - 1) & 0x0f) << 4) | Math.floor(total / 2 ** 32)
  new DataView(s.buffer).setUint32(14, total >>> 0)
  if (md5) s.set(md5, 18)
  return s
}

function samplesMd5(spec: VerbatimFlac): Uint8Array {
  const h = md5.create()
  const width = spec.bits / 8
  const block = new Uint8Array(4096 * spec.channels * width)
  for (let start = 0; start < spec.totalFrames; start += 4096) {
    const n = Math.min(4096, spec.totalFrames - start)
    let o = 0
    for (let f = start; f < start + n; f++) {
      for (let c = 0; c < spec.channels; c++) {
        const v = spec.sample(f, c)
        for (let k = 0; k < width; k++) block[o++] = v >> (8 * k)
      }
    }
    h.update(block.subarray(0, o))
  }
  return h.digest()
}

function frame(spec: VerbatimFlac, start: number, frames: number, number: number): Uint8Array {
  const lies = spec.headerLies ?? {}
  const head = frameHeader({ sampleRate: lies.sampleRate ?? spec.sampleRate, channels: lies.channels ?? spec.channels, bits: lies.bits ?? spec.bits, variable: spec.variable }, number, frames)
  return flacFrame(spec, head, start, frames)
}

/** What a frame header (§9.1) states. */
export interface FlacFormat {
  sampleRate: number
  channels: number
  bits: 8 | 16 | 24
  variable?: boolean | undefined
}

/** A frame header, CRC-8 included: also the bytes a false sync inside audio data would imitate. */
export function frameHeader(f: FlacFormat, number: number, blockSize: number): number[] {
  const head = [0xff, 0xf8 | (f.variable ? 1 : 0), (0b0111 << 4) | (RATE_CODES[f.sampleRate] ?? 0), ((f.channels - 1) << 4) | (BITS_CODES[f.bits] << 1)]
  head.push(...codedNumber(number), (blockSize - 1) >> 8, (blockSize - 1) & 0xff)
  head.push(crc8(Uint8Array.from(head)))
  return head
}

/**
 * One frame after `head`: a VERBATIM subframe per channel, or with
 * `constant`, a CONSTANT one (one sample, tiny) for a channel that holds one
 * value throughout the block. CRC-16 last.
 */
export function flacFrame(
  spec: Pick<VerbatimFlac, 'channels' | 'bits' | 'sample'>,
  head: number[],
  start: number,
  frames: number,
  opts: { constant?: boolean } = {},
): Uint8Array {
  const width = spec.bits / 8
  const out = new Uint8Array(head.length + spec.channels * (1 + frames * width) + 2)
  out.set(head)
  let o = head.length
  for (let c = 0; c < spec.channels; c++) {
    const first = spec.sample(start, c)
    let constant = opts.constant === true
    for (let f = start + 1; f < start + frames && constant; f++) constant = spec.sample(f, c) === first
    if (constant) {
      out[o++] = 0b0000_0000 // CONSTANT subframe: one sample stands for the block
      for (let k = width - 1; k >= 0; k--) out[o++] = first >> (8 * k)
      continue
    }
    out[o++] = 0b0000_0010 // subframe header: VERBATIM, no wasted bits
    for (let f = start; f < start + frames; f++) {
      const v = spec.sample(f, c)
      for (let k = width - 1; k >= 0; k--) out[o++] = v >> (8 * k) // big-endian, two's complement
    }
  }
  const crc = crc16(out.subarray(0, o))
  out[o++] = crc >> 8
  out[o++] = crc & 0xff
  return out.slice(0, o)
}

/** §9.1.5: the UTF-8-like coding of frame and sample numbers. */
export function codedNumber(n: number): number[] {
  if (n < 0x80) return [n]
  let k = 1 // continuation bytes; the first byte keeps 6 - k bits
  while (n >= 2 ** (6 - k + 6 * k)) k++
  const tail: number[] = []
  for (let i = 0; i < k; i++, n = Math.floor(n / 64)) tail.unshift(0x80 | (n % 64))
  return [((0xff << (7 - k)) & 0xff) | n, ...tail]
}
