/**
 * Helpers for the seek tests: FLAC files with a SEEKTABLE, a PICTURE and
 * padding (frames from tests/support/flac-writer.ts), and the plan → decode
 * → retry-earlier loop the player's TrackStream runs, over StreamDecoder
 * directly.
 */
import type { DecodeEnd, PcmChunk, TrackCodec } from '../../protocol/worker-api.ts'
import { HeadReader, StreamDecoder, seekPlan, type ParsedHead } from '../../workers/decoder/index.ts'
import { randomSlices } from './decode.ts'
import { flacFrame, frameHeader, streamInfo } from './flac-writer.ts'

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

export function seekFlac(spec: SeekFlacSpec): SeekFlacFile {
  const frames: Uint8Array[] = []
  const starts: number[] = []
  for (let start = 0, n = 0; start < spec.totalFrames; start += spec.blockSize, n++) {
    starts.push(start)
    const count = Math.min(spec.blockSize, spec.totalFrames - start)
    frames.push(flacFrame(spec, frameHeader(spec, spec.variable ? start : n, count), start, count, { constant: true }))
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
