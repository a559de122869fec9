import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { RoomRegistry, roomView } from '../../signal/rooms.ts'
import { TokenBucket } from '../../protocol/token-bucket.ts'

function registry(graceMs = 1000) {
  let now = 0
  let n = 0
  const rooms = new RoomRegistry({
    now: () => now,
    randomId: () => `id${String(++n).padStart(8, '0')}`,
    sameSecret: (a, b) => a === b,
    graceMs,
    maxRooms: 3,
  })
  return { rooms, advance: (ms: number) => (now += ms) }
}
const peer = (id: string, lurker = false) => ({ peerId: id, name: id.toUpperCase(), lurker })

test('the curator is not counted against maxListeners; lurkers are', () => {
  const { rooms } = registry()
  const r = rooms.create(peer('cur'), { name: 'R', visibility: 'public', maxListeners: 2 })
  if (!r.ok) return assert.unreachable()
  const id = r.value.room.id
  assert.ok(rooms.join(peer('a'), { roomId: id }).ok)
  assert.ok(rooms.join(peer('l', true), { roomId: id }).ok)
  const full = rooms.join(peer('b'), { roomId: id })
  assert.equal(full.ok ? null : full.error.code, 'room_full')
  const view = roomView(r.value.room)
  assert.equal([view.total, view.lurkerCount, view.members.map((m) => m.peerId)], [3, 1, ['cur', 'a']])
})

test('joining twice is idempotent', () => {
  const { rooms } = registry()
  const r = rooms.create(peer('cur'), { name: 'R', visibility: 'public', maxListeners: 1 })
  if (!r.ok) return assert.unreachable()
  assert.ok(rooms.join(peer('a'), { roomId: r.value.room.id }).ok)
  assert.ok(rooms.join(peer('a'), { roomId: r.value.room.id }).ok, 'a repeated join is not "full"')
})

test('invite tokens are checked; a wrong token is "Invite required"', () => {
  const { rooms } = registry()
  const r = rooms.create(peer('cur'), { name: 'R', visibility: 'invite', maxListeners: 5 })
  if (!r.ok) return assert.unreachable()
  const { room, token } = r.value
  assert.ok(token)
  for (const t of [undefined, 'wrong']) {
    const res = rooms.join(peer('x'), { roomId: room.id, token: t })
    assert.equal(res.ok ? null : res.error.message, 'Invite required')
  }
  assert.ok(rooms.join(peer('x'), { roomId: room.id, token }).ok)
})

test('hand-off: the longest-present visible listener, else a lurker', () => {
  const { rooms, advance } = registry()
  const r = rooms.create(peer('cur'), { name: 'R', visibility: 'public', maxListeners: 5 })
  if (!r.ok) return assert.unreachable()
  const id = r.value.room.id
  rooms.join(peer('l1', true), { roomId: id })
  advance(1)
  rooms.join(peer('v1'), { roomId: id })
  advance(1)
  rooms.join(peer('v2'), { roomId: id })
  rooms.leave(id, 'cur')
  assert.is(rooms.get(id)!.curatorId, 'v1')
  rooms.leave(id, 'v1')
  assert.is(rooms.get(id)!.curatorId, 'v2')
  rooms.leave(id, 'v2')
  assert.is(rooms.get(id)!.curatorId, 'l1', 'only a lurker is left')
  assert.is(rooms.leave(id, 'ghost'), undefined, 'leaving a room one is not in changes nothing')
})

test('empty rooms survive the grace period, then go; a rejoin within it curates', () => {
  const { rooms, advance } = registry(1000)
  const r = rooms.create(peer('cur'), { name: 'R', visibility: 'public', maxListeners: 5 })
  if (!r.ok) return assert.unreachable()
  const id = r.value.room.id
  rooms.leave(id, 'cur')
  advance(999)
  assert.equal(rooms.sweep(), [])
  assert.ok(rooms.join(peer('back'), { roomId: id }).ok)
  assert.is(rooms.get(id)!.curatorId, 'back')
  rooms.leave(id, 'back')
  advance(1000)
  assert.equal(rooms.sweep(), [id])
  assert.is(rooms.get(id), undefined)
})

test('lobby lists public, non-empty rooms, most listened first, hiding lurker names', () => {
  const { rooms } = registry()
  const a = rooms.create(peer('a'), { name: 'A', visibility: 'public', maxListeners: 5 })
  const b = rooms.create(peer('b', true), { name: 'B', visibility: 'public', maxListeners: 5 })
  rooms.create(peer('c'), { name: 'C', visibility: 'invite', maxListeners: 5 })
  if (!a.ok || !b.ok) return assert.unreachable()
  rooms.join(peer('x'), { roomId: b.value.room.id })
  assert.equal(
    rooms.publicSummaries().map((s) => [s.name, s.listeners, s.curatorName]),
    [['B', 2, 'A hidden listener'], ['A', 1, 'A']],
  )
  const full = rooms.create(peer('d'), { name: 'D', visibility: 'public', maxListeners: 5 })
  assert.equal(full.ok ? null : full.error.code, 'server_full')
})

// ---- curator authority: epochs, keys, claims, hand-overs --------------------

const KEY_A = 'key-a'
const KEY_B = 'key-b'
const code = (r: { ok: true } | { ok: false; error: { code: string } }) => (r.ok ? null : r.error.code)

function curated(maxListeners = 5) {
  const reg = registry()
  const r = reg.rooms.create(peer('cur'), { name: 'R', visibility: 'public', maxListeners })
  if (!r.ok) throw new Error('create failed')
  return { ...reg, room: r.value.room, id: r.value.room.id }
}

test('a room starts at epoch 0 without a key; the view carries both', () => {
  const { room } = curated()
  assert.is(room.epoch, 0)
  assert.is(room.curatorKey, undefined)
  const view = roomView(room)
  assert.is(view.epoch, 0)
  assert.not.ok('curatorKey' in view, 'no key, no field')
})

test('room.key: only the curator, only for the current epoch, one key per epoch', () => {
  const { rooms, room, id } = curated()
  rooms.join(peer('a'), { roomId: id })
  const rev = room.rev
  assert.is(code(rooms.setKey(id, 'a', { publicKey: KEY_A, epoch: 0 })), 'not_curator')
  assert.is(code(rooms.setKey(id, 'ghost', { publicKey: KEY_A, epoch: 0 })), 'not_in_room')
  assert.is(code(rooms.setKey('nope', 'cur', { publicKey: KEY_A, epoch: 0 })), 'not_in_room')
  assert.is(code(rooms.setKey(id, 'cur', { publicKey: KEY_A, epoch: 1 })), 'stale_epoch')
  assert.is(room.rev, rev, 'refusals change nothing')

  const set = rooms.setKey(id, 'cur', { publicKey: KEY_A, epoch: 0 })
  assert.ok(set.ok && set.value.changed)
  assert.is(room.rev, rev + 1)
  assert.is(roomView(room).curatorKey, KEY_A)

  const again = rooms.setKey(id, 'cur', { publicKey: KEY_A, epoch: 0 })
  assert.ok(again.ok && !again.value.changed, 'the same key again is fine')
  assert.is(room.rev, rev + 1, 'and changes nothing')
  const other = rooms.setKey(id, 'cur', { publicKey: KEY_B, epoch: 0 })
  assert.is(code(other), 'key_already_set')
  assert.is(other.ok ? null : other.error.message, 'This curatorship already has a key')
  assert.is(room.curatorKey, KEY_A)
})

test('every change of curator starts a new epoch without a key', () => {
  const { rooms, room, id, advance } = curated()
  advance(1)
  rooms.join(peer('a'), { roomId: id })
  rooms.setKey(id, 'cur', { publicKey: KEY_A, epoch: 0 })
  const rev = room.rev

  rooms.leave(id, 'cur')
  assert.equal([room.curatorId, room.epoch, room.curatorKey], ['a', 1, undefined], 'successor on leave')
  assert.ok(room.rev > rev)
  assert.ok(rooms.setKey(id, 'a', { publicKey: KEY_B, epoch: 1 }).ok, 'the new curator registers its own key')

  advance(1)
  rooms.join(peer('b'), { roomId: id })
  assert.is(room.epoch, 1, 'a listener joining changes no epoch')
  rooms.leave(id, 'b')
  assert.is(room.epoch, 1, 'nor a listener leaving')

  rooms.leave(id, 'a')
  assert.is(room.epoch, 1, 'an empty room keeps its epoch')
  rooms.join(peer('back'), { roomId: id })
  assert.equal([room.curatorId, room.epoch, room.curatorKey], ['back', 2, undefined], 'an empty room takes a new curator')
  assert.is(roomView(room).epoch, 2)
})

test('succession on leave: earliest joinedAt, then the smaller peerId, visible first', () => {
  const { rooms, room, id, advance } = curated()
  advance(5)
  rooms.join(peer('zed'), { roomId: id })
  rooms.join(peer('lur', true), { roomId: id })
  advance(0)
  rooms.join(peer('amy'), { roomId: id })
  rooms.leave(id, 'cur')
  assert.is(room.curatorId, 'amy', 'same joinedAt as zed; arrival order does not decide')
  rooms.leave(id, 'amy')
  assert.is(room.curatorId, 'zed')
  rooms.leave(id, 'zed')
  assert.is(room.curatorId, 'lur', 'a lurker only when nobody visible is left')
  assert.is(room.epoch, 3)
})

test('room.claim: a visible listener, for the current epoch', () => {
  const { rooms, room, id } = curated()
  rooms.join(peer('a'), { roomId: id })
  rooms.join(peer('l', true), { roomId: id })
  assert.is(code(rooms.checkClaim(id, 'ghost', 0)), 'not_in_room')
  assert.is(code(rooms.checkClaim('nope', 'a', 0)), 'not_in_room')
  assert.is(code(rooms.checkClaim(id, 'l', 0)), 'lurker_claim')
  assert.is(code(rooms.checkClaim(id, 'a', 1)), 'stale_epoch')
  const self = rooms.checkClaim(id, 'cur', 0)
  assert.ok(self.ok && self.value.self, 'the curator claiming its own role is a no-op')
  const ok = rooms.checkClaim(id, 'a', 0)
  assert.ok(ok.ok && !ok.value.self)
  assert.is(room.curatorId, 'cur', 'checking grants nothing')
})

test('a granted claim ends the epoch: a second claim of it is stale', () => {
  const { rooms, room, id } = curated()
  rooms.join(peer('a'), { roomId: id })
  rooms.join(peer('b'), { roomId: id })
  rooms.setKey(id, 'cur', { publicKey: KEY_A, epoch: 0 })
  const rev = room.rev
  const first = rooms.grantClaim(id, 'a', 0)
  assert.ok(first.ok)
  assert.equal([room.curatorId, room.epoch, room.curatorKey, room.rev], ['a', 1, undefined, rev + 1])
  assert.is(code(rooms.grantClaim(id, 'b', 0)), 'stale_epoch')
  assert.is(room.curatorId, 'a')
  assert.is(code(rooms.setKey(id, 'cur', { publicKey: KEY_B, epoch: 0 })), 'not_curator', 'the old curator cannot set a key')
})

test('a claim is not granted to a claimant who left meanwhile', () => {
  const { rooms, room, id } = curated()
  rooms.join(peer('a'), { roomId: id })
  rooms.leave(id, 'a')
  assert.is(code(rooms.grantClaim(id, 'a', 0)), 'not_in_room')
  assert.equal([room.curatorId, room.epoch], ['cur', 0])
})

test('room.handoff: the curator, to a visible listener, for the current epoch', () => {
  const { rooms, room, id } = curated()
  rooms.join(peer('a'), { roomId: id })
  rooms.join(peer('b'), { roomId: id })
  rooms.join(peer('l', true), { roomId: id })
  rooms.setKey(id, 'cur', { publicKey: KEY_A, epoch: 0 })
  assert.is(code(rooms.handoff(id, 'a', { to: 'b', epoch: 0 })), 'not_curator')
  assert.is(code(rooms.handoff(id, 'cur', { to: 'a', epoch: 3 })), 'stale_epoch')
  for (const to of ['l', 'cur', 'ghostpeer']) {
    const r = rooms.handoff(id, 'cur', { to, epoch: 0 })
    assert.is(code(r), 'handoff_target', to)
    assert.is(r.ok ? null : r.error.message, 'You can only hand over to a listener in the room')
  }
  assert.equal([room.curatorId, room.epoch, room.curatorKey], ['cur', 0, KEY_A], 'refusals change nothing')
  const rev = room.rev
  assert.ok(rooms.handoff(id, 'cur', { to: 'b', epoch: 0 }).ok)
  assert.equal([room.curatorId, room.epoch, room.curatorKey, room.rev], ['b', 1, undefined, rev + 1])
  assert.is(code(rooms.handoff(id, 'cur', { to: 'a', epoch: 1 })), 'not_curator', 'the former curator has no say')
  assert.ok(rooms.handoff(id, 'b', { to: 'cur', epoch: 1 }).ok, 'and can get the role back')
  assert.is(roomView(room).epoch, 2)
})

test('token bucket: burst, then the steady rate', () => {
  const b = new TokenBucket(2, 3, 0)
  assert.equal([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false])
  assert.is(b.take(499), false)
  assert.is(b.take(500), true, 'one token back after half a second at 2/s')
  assert.is(b.take(10_000) && b.take(10_000) && b.take(10_000) && !b.take(10_000), true, 'never above the burst')
})

test.run()
