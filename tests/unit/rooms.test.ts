import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { RoomRegistry, roomView } from '../../signal/rooms.ts'
import { TokenBucket } from '../../signal/rate-limit.ts'

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

test('token bucket: burst, then the steady rate', () => {
  const b = new TokenBucket(2, 3, 0)
  assert.equal([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false])
  assert.is(b.take(499), false)
  assert.is(b.take(500), true, 'one token back after half a second at 2/s')
  assert.is(b.take(10_000) && b.take(10_000) && b.take(10_000) && !b.take(10_000), true, 'never above the burst')
})

test.run()
