import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as v from 'valibot'
import { parseClientMessage, parsePeerMessage, parseServerMessage, ROOM_REFUSALS, SignedBody } from '../../protocol/index.ts'
import { createSigner } from '../../client/src/lib/room/authority.ts'

const roomView = {
  id: 'abcdEFGH', name: 'R', visibility: 'public', maxListeners: 5, curatorId: 'peer_0001', rev: 3,
  members: [{ peerId: 'peer_0001', name: 'Ana', joinedAt: 1 }], lurkerCount: 0, total: 1,
}

test('RoomView parses with and without the curator key and epoch', async () => {
  assert.ok(parseServerMessage({ type: 'room.state', room: roomView }).ok, 'older servers still parse')
  const { publicKey } = await createSigner('noble')
  const r = parseServerMessage({ type: 'room.state', room: { ...roomView, epoch: 2, curatorKey: publicKey } })
  assert.ok(r.ok && r.value.type === 'room.state' && r.value.room.curatorKey === publicKey && r.value.room.epoch === 2)
  assert.not.ok(parseServerMessage({ type: 'room.state', room: { ...roomView, curatorKey: 'abc' } }).ok)
  assert.not.ok(parseServerMessage({ type: 'room.state', room: { ...roomView, epoch: -1 } }).ok)
  assert.ok(parseServerMessage({ type: 'curator.check', roomId: 'abcdEFGH' }).ok)
})

test('room.key, room.claim and room.handoff parse; malformed ones are refused', async () => {
  const { publicKey } = await createSigner('webcrypto')
  assert.ok(parseClientMessage({ type: 'room.key', roomId: 'abcdEFGH', publicKey, epoch: 0 }).ok)
  assert.not.ok(parseClientMessage({ type: 'room.key', roomId: 'abcdEFGH', publicKey: publicKey.slice(1), epoch: 0 }).ok)
  assert.not.ok(parseClientMessage({ type: 'room.key', roomId: 'abcdEFGH', publicKey, epoch: 1.5 }).ok)
  assert.ok(parseClientMessage({ type: 'room.claim', roomId: 'abcdEFGH', epoch: 4 }).ok)
  assert.ok(parseClientMessage({ type: 'room.handoff', roomId: 'abcdEFGH', to: 'peer_0002', epoch: 4 }).ok)
  assert.not.ok(parseClientMessage({ type: 'room.handoff', roomId: 'abcdEFGH', to: 'x', epoch: 4 }).ok)
})

test('every bare anchor is also a valid signed body', () => {
  const anchor = { type: 'anchor', seq: 3, queue: ['a'.repeat(16)], index: 0, state: 'paused', positionFrames: 44100, atCuratorTime: 12.5 }
  const bare = parsePeerMessage(JSON.stringify(anchor))
  assert.ok(bare.ok)
  assert.equal(v.parse(SignedBody, anchor), bare.ok ? bare.value : null)
})

test('requests and their results parse; unknown actions and reasons do not', () => {
  const ok = (m: unknown) => parsePeerMessage(JSON.stringify(m)).ok
  assert.ok(ok({ type: 'request', id: 1, request: { action: 'queue.add', trackId: 'a'.repeat(16) } }))
  assert.ok(ok({ type: 'request', id: 2, request: { action: 'queue.move', from: 0, to: 3, trackId: 'a'.repeat(16) } }))
  assert.ok(ok({ type: 'request', id: 3, request: { action: 'chat.send', text: 'hi' } }))
  assert.not.ok(ok({ type: 'request', id: 4, request: { action: 'sudo' } }))
  assert.not.ok(ok({ type: 'request', id: 5, request: { action: 'chat.send', text: 'x'.repeat(2001) } }))
  assert.ok(ok({ type: 'request.result', id: 1, outcome: 'applied' }))
  assert.ok(ok({ type: 'request.result', id: 1, outcome: 'voted', proposal: 'skip' }))
  assert.ok(ok({ type: 'request.result', id: 1, outcome: 'refused', reason: 'queue_full' }))
  assert.not.ok(ok({ type: 'request.result', id: 1, outcome: 'refused', reason: 'because' }))
  assert.not.ok(ok({ type: 'request.result', id: 1, outcome: 'voted', proposal: 'add:nothex' }))
  for (const sentence of Object.values(ROOM_REFUSALS)) assert.match(sentence, /^[A-Z].*[^.]$/)
})

test('signed envelopes with a malformed signature or key id are refused at the door', () => {
  const base = { type: 'signed', epoch: 0, seq: 0, kid: 'A'.repeat(22), body: { type: 'mode', mode: 'vote' }, sig: 'A'.repeat(86) }
  const ok = (m: unknown) => parsePeerMessage(JSON.stringify(m)).ok
  assert.ok(ok(base))
  assert.not.ok(ok({ ...base, sig: 'A'.repeat(85) }))
  assert.not.ok(ok({ ...base, kid: 'A'.repeat(23) }))
  assert.not.ok(ok({ ...base, body: { type: 'mode', mode: 'anarchy' } }))
  assert.not.ok(ok({ ...base, body: { type: 'chat', from: 'peer_0001', text: '', at: 0 } }))
})

test.run()
