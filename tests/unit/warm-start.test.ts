/**
 * Warm start bookkeeping (client/src/lib/player/warm-start.ts): which queue
 * entry is held warm, when what is held can stand for a fresh start, and the
 * slot's life: kept while it covers the entry wanted, replaced when the queue
 * moves, handed over once, stopped when dropped. Stand-in segments, no I/O.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Track } from '../../protocol/index.ts'
import type { ByteSource } from '../../client/src/lib/player/byte-source.ts'
import { ExpectedSource } from '../../client/src/lib/player/expected-source.ts'
import { covers, heldSec, NEXT_SEC, serves, WARM_SEC, warmEnough, warmEntry, WarmSlot, type WarmEntry, type WarmSegment } from '../../client/src/lib/player/warm-start.ts'

const track = (id: string, sampleRate = 96000): Track => ({
  id: id.padEnd(16, '0'),
  title: id,
  artist: '',
  album: '',
  codec: 'flac',
  sampleRate,
  bitsPerSample: 24,
  channels: 2,
  durationSec: 60,
  bytes: 1,
  sha256: 'a'.repeat(64),
})

const [A, B, C] = [track('a'), track('b'), track('c', 44100)]
const queue = [A, B, C]
const nothingInHand = () => false

class FakeSegment implements WarmSegment {
  startFrame: number | null = null
  error: Error | null = null
  pulling = false
  stopped = 0
  readonly stream: { startFrame: number; framesDecoded: number; ended: boolean }

  constructor(
    readonly track: Track,
    public index: number,
    fromFrame: number,
  ) {
    this.stream = { startFrame: fromFrame, framesDecoded: fromFrame, ended: false }
  }

  stop(): void {
    this.stopped++
  }
}

function slot(): { slot: WarmSlot<FakeSegment>; opened: FakeSegment[] } {
  const opened: FakeSegment[] = []
  const s = new WarmSlot<FakeSegment>((e: WarmEntry) => {
    const seg = new FakeSegment(e.track, e.index, e.fromFrame)
    opened.push(seg)
    return seg
  })
  return { slot: s, opened }
}

test('warmEntry: the entry after the one sounding, from its first frame', () => {
  assert.equal(warmEntry(queue, 0, null, nothingInHand), { index: 1, track: B, fromFrame: 0 })
  assert.equal(warmEntry(queue, 1, null, nothingInHand), { index: 2, track: C, fromFrame: 0 })
  assert.is(warmEntry(queue, 2, null, nothingInHand), null, 'nothing after the last entry')
  assert.is(warmEntry(queue, null, null, nothingInHand), null, 'stopped with nothing cued')
})

test('warmEntry: a cued entry (what Play would start) wins, at its frame', () => {
  assert.equal(warmEntry(queue, null, { index: 2, fromFrame: 4410 }, nothingInHand), { index: 2, track: C, fromFrame: 4410 })
  assert.equal(warmEntry(queue, 0, { index: 0, fromFrame: 0 }, nothingInHand), { index: 0, track: A, fromFrame: 0 })
  assert.is(warmEntry(queue, null, { index: 3, fromFrame: 0 }, nothingInHand), null, 'a cue past the queue')
})

test('warmEntry: none when the player already holds that entry (a gapless successor)', () => {
  assert.is(warmEntry(queue, 0, null, (i) => i === 1), null)
  assert.equal(warmEntry(queue, 0, null, (i) => i === 0), { index: 1, track: B, fromFrame: 0 })
})

test('covers/serves: same track, opened at or up to WARM_SEC before the start', () => {
  const held = { trackId: B.id, startFrame: 0, broken: false }
  assert.ok(serves(held, B.id, 0, 96000))
  assert.ok(serves(held, B.id, WARM_SEC * 96000, 96000), 'a start within what is held')
  assert.not.ok(serves(held, B.id, WARM_SEC * 96000 + 1, 96000), 'further in: a seek is cheaper')
  assert.not.ok(serves({ ...held, startFrame: 10 }, B.id, 9, 96000), 'opened after the start: its first frames are missing')
  assert.not.ok(serves(held, A.id, 0, 96000), 'another track')
  assert.ok(covers({ ...held, broken: true }, B.id, 0, 96000), 'a broken stream still covers its entry (not reopened)…')
  assert.not.ok(serves({ ...held, broken: true }, B.id, 0, 96000), '…but never stands for a start')
})

test('warmEnough: WARM_SEC past its start, or the whole track', () => {
  assert.not.ok(warmEnough(1000, 1000 + WARM_SEC * 44100 - 1, false, 44100))
  assert.ok(warmEnough(1000, 1000 + WARM_SEC * 44100, false, 44100))
  assert.ok(warmEnough(0, 300, true, 44100), 'a short track that ended')
})

test('WarmSlot: opens the wanted entry once, keeps it while it covers, renumbers it when the queue moves', () => {
  const { slot: s, opened } = slot()
  s.keep({ index: 1, track: B, fromFrame: 0 })
  s.keep({ index: 1, track: B, fromFrame: 0 })
  assert.is(opened.length, 1)
  // An entry was inserted before it: same track, now at 2.
  s.keep({ index: 2, track: B, fromFrame: 0 })
  assert.is(opened.length, 1)
  assert.is(s.segment?.index, 2)
  assert.is(opened[0]!.stopped, 0)
})

test('WarmSlot: the queue changes under it: the old entry is stopped, the new one opened; nothing wanted: dropped', () => {
  const { slot: s, opened } = slot()
  s.keep({ index: 1, track: B, fromFrame: 0 })
  s.keep({ index: 1, track: C, fromFrame: 0 })
  assert.is(opened.length, 2)
  assert.is(opened[0]!.stopped, 1)
  assert.is(s.segment, opened[1])
  s.keep(null)
  assert.is(opened[1]!.stopped, 1)
  assert.is(s.segment, null)
  s.drop()
  assert.is(opened[1]!.stopped, 1, 'drop is idempotent')
})

test('WarmSlot: hungry until WARM_SEC is decoded, never while a pull is out or after an error', () => {
  const { slot: s, opened } = slot()
  assert.not.ok(s.hungry, 'nothing held')
  s.keep({ index: 1, track: B, fromFrame: 0 })
  const seg = opened[0]!
  assert.ok(s.hungry)
  seg.pulling = true
  assert.not.ok(s.hungry)
  seg.pulling = false
  seg.stream.framesDecoded = WARM_SEC * 96000
  assert.not.ok(s.hungry, 'enough held: the rest waits until it plays')
  seg.stream.framesDecoded = 10
  seg.error = new Error('broken')
  assert.not.ok(s.hungry)
  // A broken one is kept (not reopened every tick) but never handed over.
  s.keep({ index: 1, track: B, fromFrame: 0 })
  assert.is(opened.length, 1)
  assert.is(s.take(B, 1, 0), null)
})

test('WarmSlot: filledOnce tells once that the held segment has enough (its source may rest), again for the next one', () => {
  const { slot: s, opened } = slot()
  s.keep({ index: 1, track: B, fromFrame: 0 })
  assert.is(s.filledOnce(), null, 'nothing decoded yet')
  opened[0]!.stream.framesDecoded = WARM_SEC * 96000
  assert.is(s.filledOnce(), opened[0])
  assert.is(s.filledOnce(), null, 'once')
  s.keep({ index: 1, track: C, fromFrame: 0 })
  opened[1]!.stream.ended = true
  assert.is(s.filledOnce(), opened[1], 'a new segment is told about afresh')
  const broken = slot()
  broken.slot.keep({ index: 1, track: B, fromFrame: 0 })
  broken.opened[0]!.stream.framesDecoded = WARM_SEC * 96000
  broken.opened[0]!.error = new Error('damaged')
  assert.is(broken.slot.filledOnce(), null, 'not a broken one')
})

test('WarmSlot: take hands the segment over once, only for a start it serves', () => {
  const { slot: s, opened } = slot()
  s.keep({ index: 1, track: B, fromFrame: 0 })
  assert.is(s.take(A, 1, 0), null, 'another track')
  assert.is(s.take(B, 1, WARM_SEC * 96000 + 1), null, 'too far in')
  assert.is(s.segment, opened[0], 'a refused take leaves it held')
  const got = s.take(B, 0, 4800)
  assert.is(got, opened[0])
  assert.is(got!.index, 0, 'renumbered to where it starts')
  assert.is(s.segment, null)
  assert.is(got!.stopped, 0, 'handed over, not stopped')
  assert.is(s.take(B, 0, 0), null, 'only once')
})

test('WarmSlot: hold keeps a segment nothing of which was played (a gapless successor) for the start to come', () => {
  const { slot: s, opened } = slot()
  s.keep({ index: 2, track: C, fromFrame: 0 })
  const successor = new FakeSegment(B, 1, 0)
  successor.startFrame = 123_456
  s.hold(successor)
  assert.is(opened[0]!.stopped, 1, 'what was held goes')
  assert.is(successor.startFrame, null, 'unplaced: the start places it anew')
  assert.is(s.take(B, 1, 0), successor)
})
test("expected source: a joiner's track, its head read at once, handed only to its own start; closed when dropped or unclaimed", async () => {
  const log: string[] = []
  const open = (t: Track): ByteSource => ({
    bytesFromOrigin: 0,
    read: async () => null,
    close: () => log.push(`close ${t.title}`),
    setPlayback: (p) => log.push(`${t.title} ${p.playing ? 'playing' : 'not playing'}`),
    readHead: async () => {
      log.push(`head ${t.title}`)
      return { header: new Uint8Array(4), audioStart: 4 }
    },
  })
  const expected = new ExpectedSource(open, 50)
  expected.hold(A)
  assert.equal(log, ['a not playing', 'head a'], 'opened with nothing due, its head read at once')
  assert.ok(expected.holds(A) && !expected.holds(B))
  assert.is(expected.take(B), null, 'not for another track')
  const taken = expected.take(A)
  assert.ok(taken !== null && !expected.holds(A), 'handed over once')
  expected.hold(B)
  expected.hold(C)
  assert.ok(log.includes('close b') && expected.holds(C), 'one at a time: the last one wins')
  await new Promise((r) => setTimeout(r, 80))
  assert.ok(log.includes('close c') && !expected.holds(C), 'let go when no start claims it')
  assert.not.ok(log.includes('close a'), 'a source handed over is the start’s to close')
})

test.run()

test('WarmSlot.deepen: the entry after a track under way is held to NEXT_SEC, its source woken once if it had been told filled', () => {
  const { slot: s, opened } = slot()
  s.keep({ index: 1, track: B, fromFrame: 0 })
  const seg = opened[0]!
  seg.stream.framesDecoded = WARM_SEC * 96000
  assert.is(s.filledOnce(), seg, 'filled at WARM_SEC while shallow')
  assert.not.ok(s.hungry)
  assert.is(s.deepen(true), seg, 'deeper: told filled before, so its source must fetch again')
  assert.is(s.deepen(true), null, 'once')
  assert.ok(s.hungry, 'wants more now')
  assert.is(s.filledOnce(), null, 'not filled at the deeper level')
  seg.stream.framesDecoded = NEXT_SEC * 96000
  assert.not.ok(s.hungry)
  assert.is(s.filledOnce(), seg, 'told again once deep enough')
  assert.is(s.deepen(false), null, 'shallow again: nothing to wake')
  assert.is(s.deepen(true), null, 'already holds NEXT_SEC')
})

test('heldSec: NEXT_SEC for stereo hi-res, less where NEXT_SEC would be over 4 MiB of PCM, never under WARM_SEC', () => {
  assert.is(heldSec(B, false), WARM_SEC)
  assert.is(heldSec(B, true), NEXT_SEC)
  const big = { ...B, sampleRate: 192000, channels: 8 }
  assert.ok(heldSec(big, true) < NEXT_SEC && heldSec(big, true) * 192000 * 8 * 4 <= 4 * 2 ** 20 + 1)
  assert.is(heldSec({ ...big, sampleRate: 2_000_000 }, true), WARM_SEC)
})
