/**
 * Helpers for the seek tests: a small FLAC writer that can add a SEEKTABLE,
 * a PICTURE and padding (tests/support/flac-writer.ts writes STREAMINFO
 * only), and the plan → decode → retry-earlier loop the player's
 * TrackStream runs, over StreamDecoder directly.
 */
import type { DecodeEnd, PcmChunk, TrackCodec } from '../../protocol/worker-api.ts'
import { crc16, crc8 } from '../../workers/decoder/flac/crc.ts'
import { HeadReader, StreamDecoder, seekPlan, type ParsedHead } from '../../workers/decoder/index.ts'
import { randomSlices } from './decode.ts'

export interface SeekFlacSpec {
  sampleRate: number
  channels: number
  bits: 8 | 16 | 24
  blockSize: number
  totalFrames: number
  /** Number frames by their first sample (variable block size strategy). */
  variable?: boolean
  /** Integer sample; a block whose channel holds one value throughout is written as a CONSTANT subframe (tiny). */
  sample(frame: number, channel: number): number
  /** A seek point every this many frames (at the frame holding that sample), in a SEEKTABLE; absent: no SEEKTABLE. */
  seekEvery?: number
  /** Placeholder points appended to the SEEKTABLE, as `flac` leaves room for. */
  placeholders?: number
  /** A PICTURE block (§8.8) holding this many bytes of "image" (noise) before the SEEKTABLE. */
  picture?: number
  /** A PADDING block of this many bytes, last. */
  padding?: number
}

export interface SeekFlacFile {
  bytes: Uint8Array
  audioStart: number
  /** File offset and first sample of every frame. */
  frames: { byte: number; frame: number }[]
}

const RATE_CODES: Record<number, number> = { 88200: 1, 176400: 2, 192000: 3, 8000: 4, 16000: 5, 22050: 6, 24000: 7, 32000: 8, 44100: 9, 48000: 10, 96000: 11 }
const BITS_CODES = { 8: 1, 16: 4, 24: 6 } as const

export function seekFlac(spec: SeekFlacSpec): SeekFlacFile {
  const frames: Uint8Array[] = []
  const starts: number[] = []
  for (let start = 0, n = 0; start < spec.totalFrames; start += spec.blockSize, n++) {
    starts.push(start)
    frames.push(frame(spec, start, Math.min(spec.blockSize, spec.totalFrames - start), spec.variable ? start : n))
  }
  const offsets: number[] = []
  for (let i = 0, at = 0; i < frames.length; at += frames[i]!.length, i++) offsets.push(at)

  const blocks: { type: number; body: Uint8Array }[] = [{ type: 0, body: streamInfo(spec) }]
  if (spec.picture) blocks.push({ type: 6, body: picture(spec.picture) })
  if (spec.seekEvery) {
    const points: [number, number, number][] = []
    for (let target = 0; target < spec.totalFrames; target += spec.seekEvery) {
      const i = Math.floor(target / spec.blockSize)
      if (points.at(-1)?.[0] === starts[i]) continue
      points.push([starts[i]!, offsets[i]!, Math.min(spec.blockSize, spec.totalFrames - starts[i]!)])
    }
    const body = new Uint8Array((points.length + (spec.placeholders ?? 0)) * 18)
    const d = new DataView(body.buffer)
    points.forEach(([sample, offset, n], k) => {
      d.setBigUint64(k * 18, BigInt(sample))
      d.setBigUint64(k * 18 + 8, BigInt(offset))
      d.setUint16(k * 18 + 16, n)
    })
    for (let k = points.length; k < body.length / 18; k++) d.setBigUint64(k * 18, 0xffffffffffffffffn)
    blocks.push({ type: 3, body })
  }
  if (spec.padding) blocks.push({ type: 1, body: new Uint8Array(spec.padding) })

  const audioStart = 4 + blocks.reduce((n, b) => n + 4 + b.body.length, 0)
  const bytes = new Uint8Array(audioStart + frames.reduce((n, f) => n + f.length, 0))
  bytes.set([0x66, 0x4c, 0x61, 0x43])
  let at = 4
  blocks.forEach((b, i) => {
    const len = b.body.length
    bytes.set([b.type | (i === blocks.length - 1 ? 0x80 : 0), len >> 16, (len >> 8) & 0xff, len & 0xff], at)
    bytes.set(b.body, at + 4)
    at += 4 + len
  })
  for (const f of frames) {
    bytes.set(f, at)
    at += f.length
  }
  return { bytes, audioStart, frames: starts.map((frame, i) => ({ frame, byte: audioStart + offsets[i]! })) }
}

function streamInfo(spec: SeekFlacSpec): Uint8Array {
  const s = new Uint8Array(34)
  const bs = spec.blockSize
  s.set([bs >> 8, bs & 0xff, bs >> 8, bs & 0xff], 0)
  const r = spec.sampleRate
  s[10] = r >> 12
  s[11] = (r >> 4) & 0xff
  s[12] = ((r & 0x0f) << 4) | ((spec.channels - 1) << 1) | ((spec.bits - 1) >> 4)
  s[13] = (((spec.bits - 1) & 0x0f) << 4) | Math.floor(spec.totalFrames / 2 ** 32)
  new DataView(s.buffer).setUint32(14, spec.totalFrames >>> 0)
  return s // MD5 all zero: "not computed"
}

function frame(spec: SeekFlacSpec, start: number, frames: number, number: number): Uint8Array {
  const width = spec.bits / 8
  const head = [0xff, 0xf8 | (spec.variable ? 1 : 0), (0b0111 << 4) | (RATE_CODES[spec.sampleRate] ?? 0), ((spec.channels - 1) << 4) | (BITS_CODES[spec.bits] << 1)]
  head.push(...codedNumber(number), (frames - 1) >> 8, (frames - 1) & 0xff)
  head.push(crc8(Uint8Array.from(head)))
  const out = new Uint8Array(head.length + spec.channels * (1 + frames * width) + 2)
  out.set(head)
  let o = head.length
  for (let c = 0; c < spec.channels; c++) {
    const first = spec.sample(start, c)
    let constant = true
    for (let f = start + 1; f < start + frames && constant; f++) constant = spec.sample(f, c) === first
    if (constant) {
      out[o++] = 0b0000_0000 // CONSTANT subframe: one sample stands for the block
      for (let k = width - 1; k >= 0; k--) out[o++] = first >> (8 * k)
      continue
    }
    out[o++] = 0b0000_0010 // VERBATIM
    for (let f = start; f < start + frames; f++) {
      const v = spec.sample(f, c)
      for (let k = width - 1; k >= 0; k--) out[o++] = v >> (8 * k)
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
  let k = 1
  while (n >= 2 ** (6 - k + 6 * k)) k++
  const tail: number[] = []
  for (let i = 0; i < k; i++, n = Math.floor(n / 64)) tail.unshift(0x80 | (n % 64))
  return [((0xff << (7 - k)) & 0xff) | n, ...tail]
}

/**
 * The header of a frame as the writer above makes it: the bytes a false
 * sync inside audio data would imitate (valid CRC-8, plausible number).
 */
export function fakeFrameHeader(spec: Pick<SeekFlacSpec, 'sampleRate' | 'channels' | 'bits' | 'variable'>, number: number, blockSize: number): number[] {
  const head = [0xff, 0xf8 | (spec.variable ? 1 : 0), (0b0111 << 4) | (RATE_CODES[spec.sampleRate] ?? 0), ((spec.channels - 1) << 4) | (BITS_CODES[spec.bits] << 1)]
  head.push(...codedNumber(number), (blockSize - 1) >> 8, (blockSize - 1) & 0xff)
  head.push(crc8(Uint8Array.from(head)))
  return head
}

/** A well-formed PICTURE body: front cover, image/png, no description, `n` bytes of noise as the image. */
function picture(n: number): Uint8Array {
  const mime = 'image/png'
  const body = new Uint8Array(32 + mime.length + n)
  const d = new DataView(body.buffer)
  d.setUint32(0, 3) // front cover
  d.setUint32(4, mime.length)
  body.set(Array.from(mime, (c) => c.charCodeAt(0)), 8)
  let o = 8 + mime.length
  d.setUint32(o, 0) // description length
  d.setUint32(o + 4, 1) // width, height, depth, colours
  d.setUint32(o + 8, 1)
  d.setUint32(o + 12, 24)
  d.setUint32(o + 16, 0)
  d.setUint32(o + 20, n)
  o += 24
  body.set(garbage(n, 7), o)
  return body
}

function garbage(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let s = seed
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    out[i] = s >>> 24
  }
  return out
}

/** The head of a whole file in memory, as HttpByteSource.readHead() would collect it. */
export function headOf(codec: TrackCodec, file: Uint8Array): ParsedHead {
  const r = new HeadReader(codec)
  for (let want = r.need(); want; want = r.need()) {
    const got = file.subarray(want.from, want.to)
    r.give(want.from, got, got.length < want.to - want.from)
  }
  return r.result()
}

export interface SeekOutcome {
  chunks: PcmChunk[]
  end: DecodeEnd | null
  error: unknown
  /** Start bytes tried, in order. */
  starts: number[]
}

/** Decodes `file` from `startByte` in seek mode, in seeded random slices. */
export async function decodeFrom(codec: TrackCodec, file: Uint8Array, head: ParsedHead, startByte: number, seed = 1): Promise<{ chunks: PcmChunk[]; end: DecodeEnd | null; error: unknown }> {
  const chunks: PcmChunk[] = []
  let d: StreamDecoder | null = null
  try {
    d = await StreamDecoder.create(codec, { header: head.header, audioStart: head.audioStart, startByte })
    for (const piece of randomSlices(file.subarray(startByte), seed)) chunks.push(...d.push(piece))
    const end = d.end()
    chunks.push(...end.chunks)
    return { chunks, end, error: null }
  } catch (error) {
    return { chunks, end: null, error }
  } finally {
    d?.destroy()
  }
}

/**
 * What TrackStream does: plan, decode, and if the first chunk comes after
 * the wanted frame, plan again with that overshoot (twice), then fall back
 * to the safe start.
 */
export async function seekDecode(codec: TrackCodec, file: Uint8Array, wanted: number, seed = 1, head = headOf(codec, file)): Promise<SeekOutcome> {
  let plan = seekPlan(codec, head, file.length, wanted)
  const starts: number[] = []
  for (let estimates = plan.exact ? 0 : 1; ; ) {
    starts.push(plan.startByte)
    const r = await decodeFrom(codec, file, head, plan.startByte, seed)
    const first = r.chunks[0]?.startFrame ?? head.format.totalFrames ?? Infinity
    if (r.error !== null || plan.exact || first <= plan.wantedFrame) return { ...r, starts }
    let next = estimates < 2 ? seekPlan(codec, head, file.length, wanted, { startByte: plan.startByte, firstFrame: first }) : null
    if (!next || next.startByte >= plan.startByte) next = { ...plan, startByte: plan.safeByte, expectedFrame: plan.safeFrame, exact: true }
    if (!next.exact) estimates++
    plan = next
  }
}
