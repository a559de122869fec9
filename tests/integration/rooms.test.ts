import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PROTOCOL_VERSION } from '../../protocol/index.ts'
import { serverWithMembers, sleep, TestMember } from '../support/server.ts'

const { server, open, join, dispose } = await serverWithMembers()
test.after(dispose)

test('create, join and leave: everyone sees the same presence', async () => {
  const curator = await join()
  const created = await curator.request({ type: 'room.create', name: 'Friday', visibility: 'public', maxListeners: 5, displayName: 'Ana' })
  assert.ok(created.ok, 'room created')
  if (!created.ok) return
  assert.is(created.room.curatorId, created.peerId)
  assert.is(created.token, undefined, 'public rooms need no invite token')

  const bob = await join()
  const joined = await bob.request({ type: 'room.join', roomId: created.room.id, displayName: 'Bob', lurker: false })
  assert.ok(joined.ok)
  const seen = await curator.next('room.state', (m) => m.room.total === 2)
  assert.equal(seen.room.members.map((m) => m.name), ['Ana', 'Bob'])

  const lurker = await join()
  const hidden = await lurker.request({ type: 'room.join', roomId: created.room.id, displayName: 'Eve', lurker: true })
  assert.ok(hidden.ok && hidden.lurker)
  const withLurker = await bob.next('room.state', (m) => m.room.total === 3)
  assert.is(withLurker.room.lurkerCount, 1)
  assert.not.ok(withLurker.room.members.some((m) => m.name === 'Eve'), 'a lurker is never named')

  bob.send({ type: 'room.leave', roomId: created.room.id })
  const after = await curator.next('room.state', (m) => m.room.total === 2)
  assert.equal(after.room.members.map((m) => m.name), ['Ana'])
})

test('invite-only rooms need the token; full rooms refuse', async () => {
  const curator = await join()
  const created = await curator.request({ type: 'room.create', name: 'Secret', visibility: 'invite', maxListeners: 1, displayName: 'Ana' })
  assert.ok(created.ok && created.token && created.token.length >= 22, 'an unguessable token (≥128 bits)')
  if (!created.ok) return
  const roomId = created.room.id

  const stranger = await join()
  const noToken = await stranger.request({ type: 'room.join', roomId, displayName: 'X', lurker: false })
  assert.equal(noToken.ok ? null : noToken.error.code, 'invite_required')
  const stale = await stranger.request({ type: 'room.join', roomId, token: 'A'.repeat(22), displayName: 'X', lurker: false })
  assert.equal(stale.ok ? null : stale.error.message, 'Invite required')

  const friend = await join()
  assert.ok((await friend.request({ type: 'room.join', roomId, token: created.token, displayName: 'F', lurker: false })).ok)
  const late = await join()
  const full = await late.request({ type: 'room.join', roomId, token: created.token, displayName: 'L', lurker: false })
  assert.equal(full.ok ? null : full.error.message, 'Room is full')

  const missing = await late.request({ type: 'room.join', roomId: 'nope-nope-nope', displayName: 'L', lurker: false })
  assert.equal(missing.ok ? null : missing.error.message, 'Room not found')
})

test('the curator role passes to the longest-present visible listener', async () => {
  const a = await join()
  const created = await a.request({ type: 'room.create', name: 'Handoff', visibility: 'invite', maxListeners: 5, displayName: 'A' })
  if (!created.ok) return assert.unreachable('create failed')
  const { id: roomId } = created.room
  const token = created.token
  const lurker = await join()
  await lurker.request({ type: 'room.join', roomId, token, displayName: 'L', lurker: true })
  const b = await join()
  const bJoin = await b.request({ type: 'room.join', roomId, token, displayName: 'B', lurker: false })
  const c = await join()
  await c.request({ type: 'room.join', roomId, token, displayName: 'C', lurker: false })
  a.close()
  const state = await c.next('room.state', (m) => m.room.total === 3)
  assert.is(state.room.curatorId, bJoin.ok ? bJoin.peerId : '', 'B, the first visible listener, curates now')
  assert.is(state.room.epoch, 1, 'a new curator, a new epoch')
})

test('public rooms appear in the lobby live and vanish after the grace period', async () => {
  const watcher = await join()
  watcher.send({ type: 'lobby.watch', watch: true })
  const curator = await join()
  const created = await curator.request({ type: 'room.create', name: 'Listed', visibility: 'public', maxListeners: 9, displayName: 'Ana' })
  if (!created.ok) return assert.unreachable('create failed')
  const listed = await watcher.next('lobby.rooms', (m) => m.rooms.some((r) => r.id === created.room.id))
  const entry = listed.rooms.find((r) => r.id === created.room.id)!
  assert.equal([entry.name, entry.curatorName, entry.listeners, entry.maxListeners], ['Listed', 'Ana', 1, 9])

  const secret = await curator.request({ type: 'room.create', name: 'Hidden', visibility: 'invite', maxListeners: 9, displayName: 'Ana' })
  await sleep(250)
  assert.not.ok(watcher.inbox.some((m) => m.type === 'lobby.rooms' && m.rooms.some((r) => secret.ok && r.id === secret.room.id)), 'invite-only rooms are never listed')

  curator.close()
  await watcher.next('lobby.rooms', (m) => !m.rooms.some((r) => r.id === created.room.id))
  await sleep(700) // past the 300 ms grace period and a sweep
  const late = await join()
  const gone = await late.request({ type: 'room.join', roomId: created.room.id, displayName: 'Z', lurker: false })
  assert.equal(gone.ok ? null : gone.error.code, 'room_not_found')
})

test('the lobby and joiners learn what a room plays, as only its curator may say', async () => {
  const watcher = await join()
  watcher.send({ type: 'lobby.watch', watch: true })
  const curator = await join()
  const created = await curator.request({ type: 'room.create', name: 'Now playing', visibility: 'public', maxListeners: 9, displayName: 'Ana' })
  if (!created.ok) return assert.unreachable('create failed')
  const track = server.library.tracks.find((t) => t.sampleRate === 96000)!
  const said = await curator.request({ type: 'room.playing', roomId: created.room.id, trackId: track.id })
  assert.ok(said.ok)
  const listed = await watcher.next('lobby.rooms', (m) => m.rooms.some((r) => r.id === created.room.id && r.playing !== undefined))
  assert.equal(listed.rooms.find((r) => r.id === created.room.id)!.playing, {
    title: track.title, artist: track.artist, codec: 'flac', sampleRate: 96000, bitsPerSample: 24,
  })
  const listener = await join()
  // A joiner learns from the join reply what plays, before any link to the curator is up.
  const joined = await listener.request({ type: 'room.join', roomId: created.room.id, displayName: 'Bo', lurker: false })
  assert.is(joined.ok ? joined.room.playingTrackId : null, track.id)
  const notCurator = await listener.request({ type: 'room.playing', roomId: created.room.id, trackId: null })
  assert.equal(notCurator.ok ? null : notCurator.error.code, 'not_curator')
  const unknown = await curator.request({ type: 'room.playing', roomId: created.room.id, trackId: 'f'.repeat(24) })
  assert.equal(unknown.ok ? null : unknown.error.code, 'track_not_found')
  // Stopped: the next joiner is told nothing plays.
  assert.ok((await curator.request({ type: 'room.playing', roomId: created.room.id, trackId: null })).ok)
  const later = await join()
  const joinedLater = await later.request({ type: 'room.join', roomId: created.room.id, displayName: 'Cy', lurker: false })
  assert.ok(joinedLater.ok && joinedLater.room.playingTrackId === undefined, 'no track after a stop')
})

test('a joiner learns about where the room is in its track, carried on by the server', async () => {
  const curator = await join()
  const created = await curator.request({ type: 'room.create', name: 'Where', visibility: 'invite', maxListeners: 9, displayName: 'Ana' })
  if (!created.ok) return assert.unreachable('create failed')
  const roomId = created.room.id
  const track = server.library.tracks[0]!
  assert.ok((await curator.request({ type: 'room.playing', roomId, trackId: track.id, positionSec: 12.5 })).ok)
  await sleep(400)
  const bo = await join()
  const joined = await bo.request({ type: 'room.join', roomId, token: created.token, displayName: 'Bo', lurker: false })
  const at = joined.ok ? joined.room.playingPositionSec : undefined
  // 12.5 s when said, 0.4 s and a few round trips later.
  assert.ok(at !== undefined && at >= 12.9 && at < 13.9, `position ${at}`)
  // Absurd positions are refused with a clear error, and the last good one stays.
  for (const positionSec of [Number.NaN, 1e12, '3'] as unknown as number[]) {
    const r = await curator.request({ type: 'room.playing', roomId, trackId: track.id, positionSec })
    assert.is(r.ok ? null : r.error.code, 'invalid_message', `positionSec ${positionSec}`)
  }
  const cy = await join()
  const again = await cy.request({ type: 'room.join', roomId, token: created.token, displayName: 'Cy', lurker: false })
  assert.ok(again.ok && again.room.playingPositionSec! > at!, 'still carried on')
  // A curator that says only what plays (or that nothing does) gives no position.
  assert.ok((await curator.request({ type: 'room.playing', roomId, trackId: track.id })).ok)
  const dee = await join()
  const noWhere = await dee.request({ type: 'room.join', roomId, token: created.token, displayName: 'Dee', lurker: false })
  assert.ok(noWhere.ok && noWhere.room.playingTrackId === track.id && noWhere.room.playingPositionSec === undefined)
})

test('signaling is relayed only between members of the same room', async () => {
  const a = await join()
  const r1 = await a.request({ type: 'room.create', name: 'One', visibility: 'public', maxListeners: 5, displayName: 'A' })
  const b = await join()
  const rb = await b.request({ type: 'room.join', roomId: r1.ok ? r1.room.id : '', displayName: 'B', lurker: false })
  const outsider = await join()
  const r2 = await outsider.request({ type: 'room.create', name: 'Two', visibility: 'public', maxListeners: 5, displayName: 'O' })
  if (!r1.ok || !rb.ok || !r2.ok) return assert.unreachable('setup failed')

  a.send({ type: 'signal', roomId: r1.room.id, to: rb.peerId, data: { type: 'offer', sdp: 'v=0' } })
  const got = await b.next('signal')
  assert.equal([got.from, got.data], [r1.peerId, { type: 'offer', sdp: 'v=0' }])

  outsider.send({ type: 'signal', roomId: r2.room.id, to: rb.peerId, data: { type: 'offer', sdp: 'x' } })
  const refused = await outsider.next('error')
  assert.is(refused.error.code, 'unknown_peer')
  outsider.send({ type: 'signal', roomId: r1.room.id, to: rb.peerId, data: { type: 'offer', sdp: 'x' } })
  assert.is((await outsider.next('error')).error.code, 'not_in_room')
  await sleep(100)
  assert.not.ok(b.inbox.some((m) => m.type === 'signal'), 'nothing from outside the room reached B')
})

test('a client speaking another protocol version is refused with a reason', async () => {
  const old = new TestMember(server.url, { v: PROTOCOL_VERSION - 1 })
  open.push(old)
  const err = await old.connected().then(
    () => null,
    (e: Error & { data?: { code: string; reason: string } }) => e.data,
  )
  assert.equal(err, { code: 'incompatible_version', reason: 'client_too_old' })
})

test.run()
