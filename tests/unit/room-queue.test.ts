import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LIMITS, type ControlMode } from '../../protocol/index.ts'
import { apply, EMPTY_QUEUE, reduce, type QueueRequest, type QueueResult, type QueueRules, type QueueState } from '../../client/src/lib/room/queue.ts'

const id = (c: string) => c.repeat(16)
const [A, B, C, D] = ['a', 'b', 'c', 'd'].map(id) as [string, string, string, string]
const library = new Set([A, B, C, D])
const rules: QueueRules = { isKnownTrack: (t) => library.has(t) }
const curator = { isCurator: true, lurker: false }
const listener = { isCurator: false, lurker: false }
const lurker = { isCurator: false, lurker: true }
const q = (tracks: string[], index = 0): QueueState => ({ tracks, index })

function ok(r: QueueResult) {
  if (r.kind !== 'applied') throw new Error(`expected applied, got ${JSON.stringify(r)}`)
  return r
}
const refused = (r: QueueResult) => (r.kind === 'refused' ? r.reason : `not refused: ${r.kind}`)

test('add: to the end by default, at a place on request; the current entry stays current', () => {
  let r = ok(reduce(EMPTY_QUEUE, { action: 'queue.add', trackId: A }, rules))
  assert.equal([r.state, r.currentChanged], [q([A], 0), true], 'into an empty queue the track becomes current')
  r = ok(reduce(q([A, B], 1), { action: 'queue.add', trackId: C }, rules))
  assert.equal([r.state, r.currentChanged], [q([A, B, C], 1), false])
  r = ok(reduce(q([A, B], 1), { action: 'queue.add', trackId: C, at: 1 }, rules))
  assert.equal(r.state, q([A, C, B], 2), 'inserted before the current entry: it moves along')
  r = ok(reduce(q([A, B], 0), { action: 'queue.add', trackId: A, at: 2 }, rules))
  assert.equal(r.state, q([A, B, A], 0), 'the same track twice is fine')
})

test('add: unknown tracks, a full queue and a place past the end are refused', () => {
  assert.is(refused(reduce(q([A]), { action: 'queue.add', trackId: 'f'.repeat(64) }, rules)), 'unknown_track')
  const full = q(Array.from({ length: LIMITS.maxQueue }, () => A))
  assert.is(refused(reduce(full, { action: 'queue.add', trackId: B }, rules)), 'queue_full')
  assert.is(refused(reduce(q([A, B]), { action: 'queue.add', trackId: B }, { ...rules, maxEntries: 2 })), 'queue_full')
  assert.is(refused(reduce(q([A]), { action: 'queue.add', trackId: B, at: 2 }, rules)), 'out_of_range')
})

test('remove: names the entry; a stale or missing one is refused', () => {
  let r = ok(reduce(q([A, B, C], 2), { action: 'queue.remove', index: 0, trackId: A }, rules))
  assert.equal([r.state, r.currentChanged], [q([B, C], 1), false])
  r = ok(reduce(q([A, B, C], 0), { action: 'queue.remove', index: 2, trackId: C }, rules))
  assert.equal([r.state, r.currentChanged], [q([A, B], 0), false])
  r = ok(reduce(q([A, B, C], 1), { action: 'queue.remove', index: 1, trackId: B }, rules))
  assert.equal([r.state, r.currentChanged, r.ended], [q([A, C], 1), true, false], 'removing the current entry plays the next')
  r = ok(reduce(q([A, B], 1), { action: 'queue.remove', index: 1, trackId: B }, rules))
  assert.equal([r.state, r.currentChanged, r.ended], [q([A], 0), true, true], 'removing the last, current entry ends playback')
  r = ok(reduce(q([A], 0), { action: 'queue.remove', index: 0, trackId: A }, rules))
  assert.equal([r.state, r.ended], [EMPTY_QUEUE, true])
  assert.is(refused(reduce(q([A, B]), { action: 'queue.remove', index: 0, trackId: B }, rules)), 'stale')
  assert.is(refused(reduce(q([A, B]), { action: 'queue.remove', index: 2, trackId: A }, rules)), 'out_of_range')
})

test('move: reorders and keeps following the current entry', () => {
  const cases: [QueueState, number, number, QueueState][] = [
    [q([A, B, C, D], 1), 0, 3, q([B, C, D, A], 0)],
    [q([A, B, C, D], 1), 3, 0, q([D, A, B, C], 2)],
    [q([A, B, C, D], 1), 1, 3, q([A, C, D, B], 3)],
    [q([A, B, C, D], 1), 2, 3, q([A, B, D, C], 1)],
    [q([A, B, C, D], 2), 0, 2, q([B, C, A, D], 1)],
    [q([A, B, C, D], 2), 3, 2, q([A, B, D, C], 3)],
    [q([A, B, C, D], 2), 2, 2, q([A, B, C, D], 2)],
  ]
  for (const [state, from, to, want] of cases) {
    const trackId = state.tracks[from]!
    const r = ok(reduce(state, { action: 'queue.move', from, to, trackId }, rules))
    assert.equal(r.state, want, `${from}→${to} with current ${state.index}`)
    assert.is(r.state.tracks[r.state.index], state.tracks[state.index], 'the same track is current')
    assert.not.ok(r.currentChanged)
  }
  assert.is(refused(reduce(q([A, B]), { action: 'queue.move', from: 0, to: 1, trackId: B }, rules)), 'stale')
  assert.is(refused(reduce(q([A, B]), { action: 'queue.move', from: 0, to: 2, trackId: A }, rules)), 'out_of_range')
})

test('next and previous stop at the ends and refuse a click made against an older position', () => {
  assert.equal(ok(reduce(q([A, B], 0), { action: 'next' }, rules)).state, q([A, B], 1))
  assert.is(refused(reduce(q([A, B], 1), { action: 'next' }, rules)), 'end_of_queue')
  assert.is(refused(reduce(EMPTY_QUEUE, { action: 'next' }, rules)), 'end_of_queue')
  assert.equal(ok(reduce(q([A, B], 1), { action: 'previous', at: 1 }, rules)).state, q([A, B], 0))
  assert.is(refused(reduce(q([A, B], 0), { action: 'previous' }, rules)), 'start_of_queue')
  assert.is(refused(reduce(EMPTY_QUEUE, { action: 'previous' }, rules)), 'start_of_queue')
  // Two listeners press Next on track 0 at once: only the first skips.
  const first = ok(reduce(q([A, B, C], 0), { action: 'next', at: 0 }, rules))
  assert.is(refused(reduce(first.state, { action: 'next', at: 0 }, rules)), 'stale')
})

test('apply: permissions per mode, votes for feasible requests only', () => {
  const state = q([A, B], 0)
  const add: QueueRequest = { action: 'queue.add', trackId: C }
  const next: QueueRequest = { action: 'next' }
  const run = (mode: ControlMode, actor: typeof curator, req: QueueRequest) => apply(state, req, actor, mode, rules)

  assert.is(run('curator', curator, add).kind, 'applied')
  assert.is(refused(run('curator', listener, add)), 'not_allowed')
  assert.is(refused(run('curator', listener, next)), 'not_allowed')
  assert.is(run('shared', listener, add).kind, 'applied')
  assert.is(run('shared', listener, { action: 'queue.move', from: 0, to: 1, trackId: A }).kind, 'applied')
  assert.equal(run('vote', listener, add), { kind: 'vote', proposal: `add:${C}` })
  assert.equal(run('vote', listener, next), { kind: 'vote', proposal: 'skip' })
  assert.is(refused(run('vote', listener, { action: 'queue.remove', index: 0, trackId: A })), 'not_allowed')
  assert.is(refused(run('vote', listener, { action: 'queue.add', trackId: 'e'.repeat(16) })), 'unknown_track', 'no vote opens for an unknown track')
  assert.is(refused(apply(q([A, B], 1), next, listener, 'vote', rules)), 'end_of_queue', 'no skip vote on the last track')
  assert.is(run('vote', curator, next).kind, 'applied', 'the curator skips without a vote')
  for (const mode of ['curator', 'shared', 'vote'] as const) assert.is(refused(run(mode, lurker, add)), 'lurker')
})

test('requests never mutate the state they are given', () => {
  const tracks = [A, B, C]
  const state = Object.freeze({ tracks: Object.freeze([...tracks]) as readonly string[], index: 1 })
  reduce(state, { action: 'queue.move', from: 0, to: 2, trackId: A }, rules)
  reduce(state, { action: 'queue.remove', index: 1, trackId: B }, rules)
  reduce(state, { action: 'queue.add', trackId: D, at: 0 }, rules)
  assert.equal(state.tracks, tracks)
})

test.run()
