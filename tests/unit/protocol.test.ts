import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { compareVersion, LIMITS, parseClientMessage, parsePeerMessage, parseReply, parseServerMessage, PROTOCOL_VERSION } from '../../protocol/index.ts'

test('valid client messages parse, with names trimmed', () => {
  const r = parseClientMessage({ type: 'room.create', name: '  Friday  ', visibility: 'invite', maxListeners: 10, displayName: 'Ana' })
  assert.ok(r.ok)
  if (r.ok && r.value.type === 'room.create') assert.is(r.value.name, 'Friday')
  assert.ok(parseClientMessage({ type: 'room.join', roomId: 'abcdEFGH_-12', token: 'A'.repeat(22), displayName: 'B', lurker: true }).ok)
  assert.ok(parseClientMessage({ type: 'signal', roomId: 'abcdEFGH', to: 'peer_ID-1', data: { type: 'answer', sdp: 'v=0' } }).ok)
})

test('malformed client messages are refused with the field at fault', () => {
  const cases: [unknown, RegExp][] = [
    [null, /malformed/],
    [{ type: 'room.create', name: 'x'.repeat(LIMITS.roomNameMax + 1), visibility: 'public', maxListeners: 1, displayName: 'A' }, /^.*name: must be at most 60/],
    [{ type: 'room.create', name: '   ', visibility: 'public', maxListeners: 1, displayName: 'A' }, /name: must not be empty/],
    [{ type: 'room.create', name: 'x', visibility: 'public', maxListeners: 1.5, displayName: 'A' }, /maxListeners/],
    [{ type: 'room.join', roomId: 'a/b', displayName: 'A', lurker: false }, /roomId/],
    [{ type: 'room.join', roomId: 'abcdefgh', displayName: 'A', lurker: 'yes' }, /lurker/],
    [{ type: 'room.join', roomId: 'abcdefgh', token: 'short', displayName: 'A', lurker: false }, /token/],
    [{ type: 'signal', roomId: 'abcdefgh', to: 'abcdefgh', data: 'not an object' }, /data/],
    [{ type: 'nope' }, /type/],
  ]
  for (const [input, expected] of cases) {
    const r = parseClientMessage(input)
    assert.not.ok(r.ok, JSON.stringify(input))
    if (!r.ok) {
      assert.is(r.error.code, 'invalid_message')
      assert.match(r.error.message, expected)
    }
  }
})

test('oversized messages are refused before validation', () => {
  const huge = { type: 'signal', roomId: 'abcdefgh', to: 'abcdefgh', data: { sdp: 'x'.repeat(LIMITS.maxSignalMessageBytes) } }
  const r = parseClientMessage(huge)
  assert.equal(r.ok ? null : r.error.code, 'message_too_large')
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  assert.equal(parseClientMessage(cyclic).ok, false)
})

test('server messages and replies are validated on the client too', () => {
  assert.ok(parseServerMessage({ type: 'error', error: { code: 'room_full', message: 'Room is full' } }).ok)
  assert.not.ok(parseServerMessage({ type: 'error', error: { code: 'made_up', message: 'x' } }).ok)
  assert.not.ok(parseReply({ ok: true }).ok)
})

test('peer messages: valid, malformed, non-JSON and oversize', () => {
  assert.ok(parsePeerMessage(JSON.stringify({ type: 'clock.req', seq: 1, t0: 12.5 })).ok)
  assert.ok(parsePeerMessage(new TextEncoder().encode(JSON.stringify({ type: 'hello', v: 1 }))).ok)
  assert.not.ok(parsePeerMessage('{not json').ok)
  assert.not.ok(parsePeerMessage(JSON.stringify({ type: 'clock.req', seq: -1, t0: 1 })).ok)
  assert.not.ok(parsePeerMessage(JSON.stringify({ type: 'clock.res', seq: 1, t0: 1, t1: 'x', t2: 2 })).ok)
  assert.ok(parsePeerMessage(JSON.stringify({ type: 'cue.ready', trackId: 'a'.repeat(16) })).ok)
  assert.not.ok(parsePeerMessage(JSON.stringify({ type: 'cue.ready', trackId: '../etc/passwd' })).ok, 'a cue.ready names a track id, nothing else')
  const big = parsePeerMessage('x'.repeat(LIMITS.maxPeerMessageBytes + 1))
  assert.equal(big.ok ? null : big.error.code, 'message_too_large')
})

test('version mismatches carry a typed reason', () => {
  assert.is(compareVersion(PROTOCOL_VERSION), null)
  assert.is(compareVersion(PROTOCOL_VERSION - 1), 'client_too_old')
  assert.is(compareVersion(PROTOCOL_VERSION + 1), 'client_too_new')
})

test.run()
