/**
 * Segment scheduling against a stand-in for Web Audio that records each
 * node's start and buffer, so the frames that would reach the output can be
 * laid out and checked one by one: a drift correction takes back what is not
 * sounding yet and is heard from the next node on, dropping or repeating
 * exactly its frames and nothing else.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { PcmChunk } from '../../protocol/index.ts'
import { PcmLedger } from '../../client/src/lib/player/buffer-budget.ts'
import { START_GUARD_FRAMES } from '../../client/src/lib/player/frame-time.ts'
import { Segment } from '../../client/src/lib/player/segment.ts'
import type { TrackStream } from '../../client/src/lib/player/track-stream.ts'

const RATE = 48_000

class FakeBuffer {
  readonly data: Float32Array[]
  constructor(
    readonly numberOfChannels: number,
    readonly length: number,
  ) {
    this.data = Array.from({ length: numberOfChannels }, () => new Float32Array(length))
  }
  getChannelData(ch: number): Float32Array {
    return this.data[ch]!
  }
  copyToChannel(src: Float32Array, ch: number, offset = 0): void {
    this.data[ch]!.set(src, offset)
  }
}

class FakeNode {
  static made: FakeNode[] = []
  readonly buffer: FakeBuffer
  when: number | null = null
  stopped = false
  /** stop(when): it falls silent from then on. */
  stopWhen: number | null = null
  onended: (() => void) | null = null
  constructor(_ctx: unknown, o: { buffer: FakeBuffer }) {
    this.buffer = o.buffer
    FakeNode.made.push(this)
  }
  connect(): void {}
  disconnect(): void {}
  start(when: number): void {
    // As Web Audio does: a start already past begins at once, whole.
    this.when = Math.max(when, renderedFrame / RATE)
  }
  stop(when?: number): void {
    if (when === undefined) this.stopped = true
    else this.stopWhen = when
  }
}
;(globalThis as unknown as { AudioBufferSourceNode: unknown }).AudioBufferSourceNode = FakeNode
/** The frame the context has rendered to (its currentTime); where it starts, a node at frame 0 is still ahead. */
let renderedFrame = -START_GUARD_FRAMES
const ctx = {
  sampleRate: RATE,
  get currentTime() {
    return renderedFrame / RATE
  },
  createBuffer: (channels: number, length: number) => new FakeBuffer(channels, length),
} as unknown as AudioContext
const dest = {} as AudioNode

/** Track frame f carries the value f (one channel). */
function rampChunks(count: number, frames: number): PcmChunk[] {
  return Array.from({ length: count }, (_, k) => ({ startFrame: k * frames, frames, channels: [Float32Array.from({ length: frames }, (_, i) => k * frames + i)] }))
}

/** What reaches the output from `from` to `to` (context frames): one value per frame, NaN where nothing plays, a throw where two nodes overlap. */
function output(from: number, to: number): number[] {
  const out = new Array<number>(to - from).fill(NaN)
  for (const n of FakeNode.made) {
    if (n.stopped || n.when === null) continue
    const start = Math.round(n.when * RATE)
    const data = n.buffer.getChannelData(0)
    const silentFrom = n.stopWhen === null ? Infinity : Math.round(n.stopWhen * RATE)
    for (let i = 0; i < data.length && start + i < silentFrom; i++) {
      const f = start + i - from
      if (f < 0 || f >= out.length) continue
      if (!Number.isNaN(out[f]!)) throw new Error(`two nodes play context frame ${start + i}`)
      out[f] = data[i]!
    }
  }
  return out
}

function placedSegment(startFrame: number, streamStart = 0): Segment {
  FakeNode.made = []
  const stream = { track: { id: 't' }, close() {}, ended: false, framesDecoded: 0, startFrame: streamStart } as unknown as TrackStream
  const seg = new Segment(stream, new PcmLedger(), 0)
  seg.startFrame = startFrame
  seg.accept(rampChunks(6, 8192))
  return seg
}

for (const [kind, delta] of [['drop', -480], ['repeat', 480]] as const) {
  test(`a ${kind} of 480 frames is heard from the next node, exactly, though 2 s were already scheduled`, () => {
    const start = 1000
    const seg = placedSegment(start)
    seg.schedule(ctx, dest, 0, start + 6 * 8192)
    // Sounding a little into the first node: the corrector moves the timeline.
    const now = start + 5000
    seg.startFrame! += delta
    seg.withdrawFrom(now)
    seg.schedule(ctx, dest, now, now + 6 * 8192)
    const heard = output(start, start + 6 * 8192 + Math.max(0, delta))
    // The first node (2 chunks) plays as scheduled; the rest follows the new timeline.
    const boundary = 2 * 8192
    for (let f = 0; f < boundary; f++) if (heard[f] !== f) assert.unreachable(`frame ${f} before the boundary changed to ${heard[f]}`)
    const expected = (f: number) => (delta < 0 ? f - delta : f < boundary + delta ? f - boundary + boundary : f - delta)
    const last = 6 * 8192 - Math.max(0, -delta)
    for (let f = boundary; f < last; f++) {
      if (heard[f] !== expected(f)) assert.unreachable(`frame ${f}: heard ${heard[f]}, expected ${expected(f)}`)
    }
  })
}

test('a segment opened mid-track sounds from its first frame, not from the FLAC block the decoder began at', () => {
  // Resuming at track frame 10 000: the stream's first chunk starts at 8192, a block boundary.
  const start = 2000 // context frame of track frame 0
  const seg = placedSegment(start, 10_000)
  seg.pending.splice(0, 1) // decoding began at 8192
  const r = seg.schedule(ctx, dest, 0, start + 6 * 8192)
  const heard = output(start + 8192, start + 12_000)
  for (let f = 8192; f < 12_000; f++) {
    const want = f < 10_000 ? NaN : f
    if (!Object.is(heard[f - 8192], want)) assert.unreachable(`track frame ${f}: heard ${heard[f - 8192]}, expected ${want}`)
  }
  // The cut frames were never sound: no underrun counted, none dropped.
  assert.equal([r.late, r.dropped, r.repeated], [0, 0, 0])
})

for (const when of ['after', 'before'] as const) {
  test(`a pause ends the sound on its exact frame (ended ${when} the audio was scheduled), nothing after it`, () => {
    const start = 1000
    const end = start + 20_000 // inside the second node
    const seg = placedSegment(start)
    if (when === 'after') seg.schedule(ctx, dest, 0, start + 6 * 8192)
    seg.endAt(ctx, end)
    seg.schedule(ctx, dest, 0, start + 6 * 8192)
    const heard = output(start, start + 6 * 8192)
    for (let f = 0; f < 6 * 8192; f++) {
      const want = start + f < end ? f : NaN
      if (!Object.is(heard[f], want)) assert.unreachable(`track frame ${f}: heard ${heard[f]}, expected ${want}`)
    }
  })
}

test('a node whose time passed while the page was busy starts cut, on its frame, not late and whole', () => {
  const start = 1000
  const seg = placedSegment(start)
  seg.schedule(ctx, dest, start, start + 1) // the first node: track frames 0-16383
  // The page read the clock (now), then stalled while the context went on
  // 1000 frames past where the second node begins.
  const now = start + 16384 - 100
  renderedFrame = start + 16384 + 1000
  try {
    const r = seg.schedule(ctx, dest, now, now + 6 * 8192)
    const cut = 1000 + START_GUARD_FRAMES
    // Each frame on its own context frame (output() throws where two nodes overlap); the late ones never sound.
    const heard = output(start, start + 6 * 8192)
    for (let f = 0; f < 6 * 8192; f++) {
      const want = f >= 16384 && f < 16384 + cut ? NaN : f
      if (!Object.is(heard[f], want)) assert.unreachable(`track frame ${f}: heard ${heard[f]}, expected ${want}`)
    }
    assert.is(r.late, cut, 'the cut frames count as late (an underrun)')
  } finally {
    renderedFrame = -START_GUARD_FRAMES
  }
})

test('withdrawing with nothing past `from` changes nothing', () => {
  const seg = placedSegment(0)
  seg.schedule(ctx, dest, 0, 8192) // one node: two chunks
  const before = output(0, 16384)
  seg.withdrawFrom(16384)
  assert.equal(output(0, 16384), before)
  assert.is(seg.scheduledEnd, 16384)
})

test.run()
