import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PieceAssembler } from '../../client/src/lib/p2p/piece-assembler.ts'
import { PieceBlame } from '../../client/src/lib/p2p/piece-blame.ts'
import {
  DEFAULT_ORIGIN_PLAN,
  deadlineOf,
  pieceBytes,
  pieceLayout,
  ownerOf,
  planOriginFetches,
  urgentWindow,
  type OriginPlanInput,
} from '../../client/src/lib/p2p/piece-plan.ts'
import { decodeOriginIntent, encodeOriginIntent } from '../../protocol/index.ts'
import { SwarmAllowList } from '../../signal/swarm/swarm-allow-list.ts'

const KiB = 1024
// 1 MiB + 100 bytes in 64 KiB pieces, played at 64 KiB/s: piece p is due p seconds after 0.
const layout = pieceLayout(16 * 64 * KiB + 100, 64 * KiB)
const timeline = { playing: true, positionSec: 0, atMs: 1000, bytesPerSecond: 64 * KiB }

function plan(over: Partial<OriginPlanInput> = {}): number[] {
  return picks(over).map((p) => p.piece)
}

function picks(over: Partial<OriginPlanInput> = {}) {
  return planOriginFetches({
    now: 0,
    layout,
    from: 0,
    deadline: (p) => deadlineOf(timeline, p * layout.pieceLength),
    have: () => false,
    fetching: () => false,
    heldByPeer: () => false,
    mine: () => false,
    originEtaMs: () => 100,
    jitter: () => 0,
    slots: 8,
    config: { ...DEFAULT_ORIGIN_PLAN, unheldLeadMs: 500, heldLeadMs: 200, jitterMs: 0 },
    ...over,
  })
}

test('layout: the last piece holds the remainder', () => {
  assert.is(layout.count, 17)
  assert.is(pieceBytes(layout, 0), 64 * KiB)
  assert.is(pieceBytes(layout, 16), 100)
  assert.is(pieceBytes(layout, 17), 0)
})

test('deadlines: bytes behind the play head are due already; nothing is due while paused', () => {
  assert.is(deadlineOf(timeline, 0), 1000)
  assert.is(deadlineOf(timeline, 2 * 64 * KiB), 3000)
  assert.is(deadlineOf({ ...timeline, positionSec: 5 }, 0), 1000 - 5000)
  assert.is(deadlineOf({ ...timeline, playing: false }, 0), Infinity)
})

test('a piece nobody holds goes to the origin once its deadline is within eta + lead', () => {
  // piece 0 due at 1000: slack 1000 > 100 + 500 → not yet.
  assert.equal(plan(), [])
  // at 400 ms: slack 600 ≤ 600 → piece 0.
  assert.equal(plan({ now: 400 }), [0])
  // at 1500 ms: piece 0 late, piece 1 (due 2000) within 600 → both, most urgent first.
  assert.equal(plan({ now: 1500 }), [0, 1])
})

test('a piece a peer holds (or is fetching) waits for the last call', () => {
  const held = { heldByPeer: (p: number) => p === 0 }
  assert.equal(plan({ now: 400, ...held }), [], 'the peer still has 600 ms')
  assert.equal(plan({ now: 700, ...held }), [0], 'at eta + heldLead the peer had its chance')
})

test('pieces here or already on their way are skipped; slots cap the answer', () => {
  assert.equal(plan({ now: 1500, have: (p) => p === 0 }), [1])
  assert.equal(plan({ now: 1500, fetching: (p) => p === 0 }), [1])
  assert.equal(plan({ now: 5000, slots: 2 }), [0, 1])
  assert.equal(plan({ now: 5000, slots: 0 }), [])
  assert.equal(plan({ now: 5000, from: 3, slots: 2 }), [3, 4], 'pieces already read are not fetched')
})

test('paused: nothing is due, nothing is fetched', () => {
  assert.equal(plan({ now: 1e9, deadline: () => Infinity }), [])
})

test('jitter spreads the moment two listeners ask for the same piece', () => {
  const config = { ...DEFAULT_ORIGIN_PLAN, unheldLeadMs: 500, jitterMs: 300 }
  assert.equal(plan({ now: 250, config, jitter: () => 0 }), [], 'no spread: asks at 400')
  assert.equal(plan({ now: 250, config, jitter: () => 0.9 }), [0], 'spread 270 ms: asks by 130')
})

test('far ahead, only the piece\'s owner asks the origin; the others wait for it', () => {
  const config = { ...DEFAULT_ORIGIN_PLAN, unheldLeadMs: 500, jitterMs: 0, aheadLeadMs: 8000 }
  // At 0 ms pieces 0…7 are due within 100 + 8000 ms.
  assert.equal(plan({ config, mine: (p) => p % 2 === 0 }), [0, 2, 4, 6])
  assert.equal(plan({ config, mine: () => false }), [], 'not the owner of any: the short lead applies')
  assert.equal(plan({ config, mine: () => true, aheadSlots: 2 }), [0, 1], 'early fetches are few at a time')
  assert.equal(
    picks({ now: 500, config, mine: () => true, aheadSlots: 1 }),
    [
      { piece: 0, why: 'due' },
      { piece: 1, why: 'ahead' },
    ],
    'a piece due soon is never held back by the early ones',
  )
})

test('rendezvous owner: every listener with the same peers picks the same one, and pieces spread', () => {
  const ids = Array.from({ length: 10 }, (_, i) => `2d5757303230372d${i.toString(16).padStart(8, '0')}`)
  const counts = new Map<string, number>()
  for (let piece = 0; piece < 1000; piece++) {
    const owner = ownerOf(ids, piece)!
    assert.is(ownerOf([...ids].reverse(), piece), owner, 'order of the peer list does not matter')
    counts.set(owner, (counts.get(owner) ?? 0) + 1)
  }
  assert.is(counts.size, 10)
  for (const n of counts.values()) assert.ok(n > 60 && n < 140, `each owns about a tenth: ${[...counts.values()]}`)
  // A peer leaving moves only its own pieces.
  const gone = ids[3]!
  const rest = ids.filter((id) => id !== gone)
  for (let piece = 0; piece < 200; piece++) {
    const before = ownerOf(ids, piece)
    if (before !== gone) assert.is(ownerOf(rest, piece), before)
  }
  assert.is(ownerOf([], 1), undefined)
})

test('a slow origin is asked earlier', () => {
  assert.equal(plan({ now: 100 }), [])
  assert.equal(plan({ now: 100, originEtaMs: () => 500 }), [0])
})

test('urgent window: from the read cursor through what is due soon, bounded', () => {
  const deadline = (p: number) => deadlineOf(timeline, p * layout.pieceLength)
  const w = (now: number, windowMs: number) => urgentWindow({ now, layout, from: 2, deadline, windowMs, minPieces: 2, maxPieces: 8 })
  assert.equal(w(0, 0), { from: 2, to: 3 })
  assert.equal(w(0, 5000), { from: 2, to: 4 }, 'pieces 3 and 4 are due by 5 s')
  assert.equal(w(0, 1e9), { from: 2, to: 9 }, 'at most maxPieces')
  assert.is(urgentWindow({ now: 0, layout, from: 17, deadline, windowMs: 0, minPieces: 2, maxPieces: 8 }), null)
})

test('blame: a lone sender of a bad piece is banned at once', () => {
  const b = new PieceBlame(3)
  b.block(4, 'liar')
  b.block(4, 'liar')
  assert.equal(b.failed(4), { ban: ['liar'], contributors: ['liar'] })
  assert.ok(b.isBanned('liar'))
  assert.is(b.bannedCount, 1)
})

test('blame: shared pieces give strikes; an honest co-sender survives, a repeat offender does not', () => {
  const b = new PieceBlame(3)
  for (const piece of [1, 2]) {
    b.block(piece, 'honest')
    b.block(piece, 'liar')
    assert.equal(b.failed(piece).ban, [])
  }
  b.block(3, 'honest')
  b.verified(3)
  b.block(5, 'liar')
  b.block(5, 'other')
  assert.equal(b.failed(5).ban, ['liar'], 'third strike')
  assert.not.ok(b.isBanned('honest'))
  assert.equal(b.failed(99), { ban: [], contributors: [] }, 'a piece nobody sent blames nobody')
})

test('origin intent: 4-byte piece index, anything else refused', () => {
  assert.equal([...encodeOriginIntent(258)], [0, 0, 1, 2])
  assert.is(decodeOriginIntent(encodeOriginIntent(258), 300), 258)
  assert.is(decodeOriginIntent(encodeOriginIntent(300), 300), null, 'out of range')
  assert.is(decodeOriginIntent(new Uint8Array(3), 300), null)
  assert.is(decodeOriginIntent(new Uint8Array(8).subarray(2, 6), 300), 0, 'a view into a larger buffer')
})

test('allow list: a swarm stays allowed while any live room queues it', () => {
  const a = new SwarmAllowList()
  a.set('r1', ['a', 'b'])
  a.set('r2', ['b'])
  assert.ok(a.allows('a') && a.allows('b'))
  a.set('r1', ['c'])
  assert.not.ok(a.allows('a'))
  assert.ok(a.allows('b') && a.allows('c'))
  a.dropRoom('r2')
  assert.not.ok(a.allows('b'))
  a.dropRoom('r1')
  assert.is(a.size, 0)
})

test('bridged bytes become whole pieces, whatever the chunks; a range starting mid-piece yields from the next boundary', () => {
  const layout = pieceLayout(10 * 4 + 3, 10) // 5 pieces, the last of 3 bytes
  const file = Uint8Array.from({ length: layout.length }, (_, i) => i)
  const a = new PieceAssembler(layout)
  const got: number[] = []
  const check = (pieces: { index: number; bytes: Uint8Array }[]) => {
    for (const p of pieces) {
      assert.equal([...p.bytes], [...file.subarray(p.index * 10, p.index * 10 + pieceBytes(layout, p.index))], `piece ${p.index}`)
      got.push(p.index)
    }
  }
  // Odd chunk sizes across boundaries, from byte 0.
  for (const [from, to] of [[0, 7], [7, 23], [23, 30], [30, 31]]) check(a.add(from!, file.subarray(from, to)))
  assert.equal(got, [0, 1, 2])
  // A range from mid-piece 0 yields piece 1 on; a jump drops the unfinished
  // piece 2, nothing is made of half a piece, and the short last piece completes.
  const b = new PieceAssembler(layout)
  got.length = 0
  check(b.add(5, file.subarray(5, 12)))
  check(b.add(12, file.subarray(12, 25)))
  assert.equal(got, [1])
  check(b.add(33, file.subarray(33, 38)))
  check(b.add(30, file.subarray(30, 43)))
  assert.equal(got, [1, 3, 4])
})

test.run()
