import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { electorateOf, VoteBox, votesNeeded, type Proposal } from '../../client/src/lib/room/votes.ts'

const T = 'c'.repeat(64)
const ADD: Proposal = `add:${T}`
const view = (curatorId: string, ...listeners: string[]) => ({
  curatorId,
  members: [curatorId, ...listeners].map((peerId, i) => ({ peerId, name: peerId, joinedAt: i })),
})

test('a majority is strictly more than half of the electorate', () => {
  assert.equal([1, 2, 3, 4, 5, 10].map(votesNeeded), [1, 2, 2, 3, 3, 6])
})

test('the electorate is the visible members plus the curator; lurkers are not in it', () => {
  // RoomView.members never lists lurkers; a curator who lurks is still counted.
  assert.equal([...electorateOf(view('cur', 'ana', 'ben'))].sort(), ['ana', 'ben', 'cur'])
  assert.equal([...electorateOf({ curatorId: 'hid', members: [{ peerId: 'ana' }] })].sort(), ['ana', 'hid'])
})

test('in a room of two (curator + one listener) a skip needs both', () => {
  const box = new VoteBox()
  const e = electorateOf(view('cur', 'ana'))
  const first = box.cast('skip', 'ana', e, 0)
  assert.equal(first.ok && [first.tally.votes, first.tally.needed, first.passed], [1, 2, false])
  const second = box.cast('skip', 'cur', e, 10)
  assert.equal(second.ok && [second.tally.votes, second.passed], [2, true])
  assert.equal(box.tallies(e, 20), [], 'a passed proposal closes')
  const again = box.cast('skip', 'ana', e, 30)
  assert.equal(again.ok && again.tally.votes, 1, 'a later vote starts afresh')
})

test('with curator and three listeners, 3 of 4 are needed; lurker and stranger votes are refused', () => {
  const box = new VoteBox()
  const e = electorateOf(view('cur', 'ana', 'ben', 'cy'))
  assert.ok(box.cast(ADD, 'ana', e, 0).ok)
  const two = box.cast(ADD, 'ben', e, 1)
  assert.equal(two.ok && [two.tally.votes, two.tally.needed, two.passed], [2, 3, false])
  assert.equal(box.cast(ADD, 'lurker1', e, 2), { ok: false, reason: 'not_member' })
  assert.equal(box.cast(ADD, 'mallory', e, 2), { ok: false, reason: 'not_member' })
  const three = box.cast(ADD, 'cy', e, 3)
  assert.ok(three.ok && three.passed)
})

test('one vote per peer: repeats are refused and do not count', () => {
  const box = new VoteBox()
  const e = electorateOf(view('cur', 'ana', 'ben'))
  assert.ok(box.cast('skip', 'ana', e, 0).ok)
  for (let i = 0; i < 50; i++) assert.equal(box.cast('skip', 'ana', e, i), { ok: false, reason: 'duplicate_vote' })
  assert.equal(box.tallies(e, 60).map((t) => [t.proposal, t.votes, t.needed, t.voters]), [['skip', 1, 2, ['ana']]])
})

test('flooding proposals is bounded per voter and per room', () => {
  const e = electorateOf(view('cur', 'ana', 'ben', 'cy', 'dee'))
  const box = new VoteBox({ maxOpenPerVoter: 3, maxProposals: 4 })
  const add = (n: number): Proposal => `add:${String(n).padStart(16, '0')}`
  assert.ok(box.cast(add(1), 'ana', e, 0).ok)
  assert.ok(box.cast(add(2), 'ana', e, 0).ok)
  assert.ok(box.cast('skip', 'ana', e, 0).ok)
  assert.equal(box.cast(add(3), 'ana', e, 0), { ok: false, reason: 'too_many_proposals' }, 'per voter')
  assert.ok(box.cast(add(4), 'ben', e, 0).ok)
  assert.equal(box.cast(add(5), 'ben', e, 0), { ok: false, reason: 'too_many_proposals' }, 'per room')
  assert.ok(box.cast(add(4), 'cy', e, 0).ok, 'joining an open proposal is always possible')
  assert.ok(box.withdraw(add(1), 'ana'))
  assert.ok(box.cast(add(3), 'ana', e, 0).ok, 'withdrawing frees a place')
})

test('skip votes end with the track; every proposal times out', () => {
  const box = new VoteBox({ timeoutMs: 1000 })
  const e = electorateOf(view('cur', 'ana', 'ben', 'cy'))
  assert.ok(box.cast('skip', 'ana', e, 0).ok)
  assert.ok(box.cast(ADD, 'ana', e, 0).ok)
  box.trackChanged()
  assert.equal(box.tallies(e, 10).map((t) => t.proposal), [ADD], 'add votes survive a track change')
  assert.equal(box.tallies(e, 999)[0]?.expiresAt, 1000)
  assert.equal(box.tallies(e, 1000), [])
  assert.ok(box.cast(ADD, 'ben', e, 1001).ok)
  const t = box.tallies(e, 1001)[0]
  assert.equal(t && [t.votes, t.expiresAt], [1, 2001], "ana's vote expired with the old proposal")
})

test('tallies follow the electorate: a voter who leaves stops counting; a shrinking room can pass a proposal', () => {
  const box = new VoteBox()
  let e = electorateOf(view('cur', 'ana', 'ben', 'cy'))
  assert.ok(box.cast('skip', 'ana', e, 0).ok)
  assert.ok(box.cast('skip', 'ben', e, 0).ok)
  assert.equal(box.settle(e, 1), [], '2 of 4 is not a majority')
  e = electorateOf(view('cur', 'ana', 'cy'))
  assert.equal(box.tallies(e, 2).map((t) => [t.votes, t.needed]), [[1, 2]], 'ben left')
  e = electorateOf(view('cur', 'ana'))
  assert.equal(box.settle(e, 3), [], '1 of 2 still is not')
  e = electorateOf(view('ana'))
  assert.equal(box.settle(e, 4), ['skip'], 'ana alone now: 1 of 1')
  assert.equal(box.tallies(e, 5), [])
})

test('forget drops a departed member\'s votes and empty proposals', () => {
  const box = new VoteBox()
  const e = electorateOf(view('cur', 'ana', 'ben', 'cy'))
  assert.ok(box.cast('skip', 'ana', e, 0).ok)
  assert.ok(box.cast(ADD, 'ben', e, 0).ok)
  assert.ok(box.cast(ADD, 'ana', e, 0).ok)
  box.forget('ana')
  assert.equal(box.tallies(e, 1).map((t) => [t.proposal, t.voters]), [[ADD, ['ben']]])
})

test.run()
