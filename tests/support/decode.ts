/** Helpers for decoder tests: feeding bytes in seeded random slices, collecting and comparing PCM. */
import { readFileSync } from 'node:fs'
import type { DecodeEnd, PcmChunk, TrackCodec, TrackFormat } from '../../protocol/worker-api.ts'
import { StreamDecoder } from '../../workers/decoder/index.ts'
import { fixtureUrl, type FixtureName } from './fixtures.ts'

export function fixtureBytes(name: FixtureName): Uint8Array {
  return new Uint8Array(readFileSync(fixtureUrl(name)))
}

/** A seeded PRNG (mulberry32), so a failing slicing can be replayed. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** Slices of 1 byte to 64 KiB, skewed small so splits land inside headers and frames often. */
export function* randomSlices(bytes: Uint8Array, seed: number): Generator<Uint8Array> {
  const rnd = seeded(seed)
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(rnd() ** 3 * 65536)
    yield bytes.subarray(at, at + size)
    at += size
  }
}

/** What a decode came to: the chunks decoded, then either the end result or the error thrown. */
export interface Outcome {
  format: TrackFormat | null
  chunks: PcmChunk[]
  end: DecodeEnd | null
  error: unknown
}

export interface Decoded extends Outcome {
  end: DecodeEnd
}

/** Decodes `pieces` to the end, catching an error so tests can check it and the chunks before it. */
export async function decode(codec: TrackCodec, pieces: Iterable<Uint8Array>): Promise<Outcome> {
  const d = await StreamDecoder.create(codec)
  const chunks: PcmChunk[] = []
  try {
    for (const p of pieces) chunks.push(...d.push(p))
    const end = d.end()
    chunks.push(...end.chunks)
    return { format: d.format, chunks, end, error: null }
  } catch (error) {
    return { format: d.format, chunks, end: null, error }
  } finally {
    d.destroy()
  }
}

/** Like decode(), but any error fails the test. */
export async function decodeOk(codec: TrackCodec, pieces: Iterable<Uint8Array>): Promise<Decoded> {
  const r = await decode(codec, pieces)
  if (r.error !== null || !r.end) throw r.error
  return { ...r, end: r.end }
}

/**
 * Checks chunks are contiguous and every sample equals `expected(frame,
 * channel)` exactly; returns a description of the first few differences.
 */
export function compareSamples(chunks: PcmChunk[], channels: number, expected: (frame: number, channel: number) => number): string[] {
  const problems: string[] = []
  let next = 0
  for (const c of chunks) {
    if (c.startFrame !== next) problems.push(`chunk starts at ${c.startFrame}, expected ${next}`)
    if (c.channels.length !== channels) problems.push(`chunk has ${c.channels.length} channels, expected ${channels}`)
    for (let ch = 0; ch < c.channels.length; ch++) {
      const data = c.channels[ch]!
      if (data.length !== c.frames) problems.push(`channel ${ch} holds ${data.length} frames, chunk says ${c.frames}`)
      for (let i = 0; i < c.frames && problems.length < 5; i++) {
        const want = expected(c.startFrame + i, ch)
        if (data[i] !== want) problems.push(`frame ${c.startFrame + i} channel ${ch}: got ${data[i]}, expected ${want}`)
      }
    }
    next = c.startFrame + c.frames
    if (problems.length >= 5) break
  }
  return problems
}

/** Every channel of every chunk, concatenated, for comparing two decodes bit for bit. */
export function planes(chunks: PcmChunk[]): Float32Array[] {
  const channels = chunks[0]?.channels.length ?? 0
  const frames = chunks.reduce((n, c) => n + c.frames, 0)
  return Array.from({ length: channels }, (_, ch) => {
    const out = new Float32Array(frames)
    let at = 0
    for (const c of chunks) {
      out.set(c.channels[ch]!, at)
      at += c.frames
    }
    return out
  })
}
