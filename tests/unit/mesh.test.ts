import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { clockSample } from '../../client/src/lib/clock-sample.ts'
import { inviteUrl, parseRoomLocation } from '../../client/src/lib/invite.ts'
import { acceptsDial, planLinks } from '../../client/src/lib/mesh-plan.ts'

const members = (ids: string[]) => ids.map((peerId, i) => ({ peerId, name: peerId, joinedAt: i }))

test('listeners dial the curator; the curator dials nobody', () => {
  const room = { curatorId: 'cur', members: members(['cur', 'a']) }
  assert.equal(planLinks({ ...room, selfId: 'a', selfLurker: false }), [{ peerId: 'cur', initiator: true }])
  assert.equal(planLinks({ ...room, selfId: 'cur', selfLurker: false }), [])
  assert.ok(acceptsDial({ ...room, selfId: 'cur', selfLurker: false }, 'someone-hidden'), 'the curator accepts lurkers it cannot see')
})

test('listener links agree on both ends: the later arrival dials', () => {
  const ms = members(['cur', 'a', 'b', 'c', 'd', 'e'])
  const input = (selfId: string) => ({ selfId, selfLurker: false, curatorId: 'cur', members: ms, maxListenerLinks: 2 })
  const edges = new Set<string>()
  for (const self of ['a', 'b', 'c', 'd', 'e']) {
    for (const l of planLinks(input(self))) {
      if (l.peerId === 'cur') continue
      // Every planned link is planned by the other end too, with the opposite role.
      const back = planLinks(input(l.peerId)).find((x) => x.peerId === self)
      assert.ok(back, `${self}→${l.peerId} is planned by both`)
      assert.is(back!.initiator, !l.initiator)
      assert.is(acceptsDial(input(l.peerId), self), l.initiator)
      edges.add([self, l.peerId].sort().join('-'))
    }
    assert.ok(planLinks(input(self)).length <= 1 + 2, 'bounded fan-out')
  }
  assert.ok(edges.has('a-b'))
})

test('lurkers link to the curator only', () => {
  const plan = planLinks({ selfId: 'z', selfLurker: true, curatorId: 'cur', members: members(['cur', 'a']) })
  assert.equal(plan, [{ peerId: 'cur', initiator: true }])
  assert.not.ok(acceptsDial({ selfId: 'a', selfLurker: false, curatorId: 'cur', members: members(['cur', 'a']) }, 'z'))
})

test('clock samples: round trip without the answerer\'s delay; impossible answers dropped', () => {
  const s = clockSample({ t0: 1000, t1: 5010, t2: 5012, t3: 1024 })
  assert.equal(s, { rttMs: 22, offsetMs: 3999, at: 1024 })
  assert.is(clockSample({ t0: 1000, t1: 5000, t2: 5100, t3: 1010 }), null, 'answer slower than the trip')
  assert.is(clockSample({ t0: 1000, t1: 5000, t2: 4999, t3: 1010 }), null)
  assert.is(clockSample({ t0: NaN, t1: 1, t2: 1, t3: 1 }), null)
})

test('invite links carry the token in the fragment, and parse back', () => {
  const url = new URL(inviteUrl('http://aula.lan:8080', 'Room_id-123', 'tok_en-1234567890abcdef'))
  assert.is(url.pathname, '/room/Room_id-123')
  assert.is(url.search, '', 'no token in the query, so none in server logs')
  assert.equal(parseRoomLocation(url), { roomId: 'Room_id-123', token: 'tok_en-1234567890abcdef' })
  assert.equal(parseRoomLocation(new URL('http://x/room/Room_id-123?t=abc')), { roomId: 'Room_id-123', token: 'abc' })
  assert.is(parseRoomLocation(new URL('http://x/room/../etc')), null)
  assert.is(parseRoomLocation(new URL('http://x/')), null)
})

test.run()
