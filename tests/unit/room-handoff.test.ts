import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkHandover, CuratorWatch, electSuccessor, resolveClaims, successionOrder } from '../../client/src/lib/room/handoff.ts'

const m = (peerId: string, joinedAt: number) => ({ peerId, joinedAt })
const members = [m('cur', 0), m('ben', 20), m('ana', 10), m('cy', 30)]

test('the longest-present visible listener succeeds, whatever order the list arrives in', () => {
  assert.is(electSuccessor(members, [], 'cur'), 'ana')
  assert.is(electSuccessor([...members].reverse(), [], 'cur'), 'ana')
  assert.is(electSuccessor(members, ['ana'], 'cur'), 'ben', 'lurkers come after visible listeners')
  assert.equal(successionOrder(members, ['ana'], 'cur'), ['ben', 'cy', 'ana'])
})

test('ties in joinedAt go to the smaller peerId', () => {
  const tied = [m('cur', 0), m('zed', 5), m('amy', 5), m('bob', 5)]
  assert.is(electSuccessor(tied, [], 'cur'), 'amy')
  assert.is(electSuccessor([...tied].reverse(), [], 'cur'), 'amy')
})

test('only lurkers left: the longest-present lurker keeps the room going; nobody left: null', () => {
  assert.is(electSuccessor([m('cur', 0), m('l2', 9), m('l1', 3)], ['l1', 'l2'], 'cur'), 'l1')
  assert.is(electSuccessor([m('cur', 0)], [], 'cur'), null)
  assert.is(electSuccessor([], [], 'cur'), null)
})

test('the gone curator is never elected, even as the most senior', () => {
  assert.is.not(electSuccessor(members, [], 'cur'), 'cur')
  assert.is(electSuccessor(members, [], 'ana'), 'cur', 'someone else gone: the senior member remains')
})

test('simultaneous claims: the server\'s curatorId decides; without it, seniority', () => {
  const claims = [m('ben', 20), m('ana', 10)]
  assert.is(resolveClaims(claims, 'ben'), 'ben')
  assert.is(resolveClaims(claims, null), 'ana')
  assert.is(resolveClaims([m('b', 10), m('a', 10)]), 'a')
  assert.is(resolveClaims([]), null)
})

test('voluntary hand-over: only the curator, only to a visible member other than itself', () => {
  const view = { curatorId: 'cur', members }
  assert.equal(checkHandover(view, 'cur', 'ben'), { ok: true })
  assert.equal(checkHandover(view, 'ana', 'ben'), { ok: false, reason: 'not_curator' })
  assert.equal(checkHandover(view, 'cur', 'cur'), { ok: false, reason: 'self' })
  assert.equal(checkHandover(view, 'cur', 'lurker'), { ok: false, reason: 'not_member' })
})

test('the watch claims after the curator falls silent, the senior first, the next one later', () => {
  const view = { curatorId: 'cur', epoch: 4, members }
  const ana = new CuratorWatch('ana', 0, { unreachableMs: 6000, staggerMs: 2000, retryMs: 10_000 })
  const ben = new CuratorWatch('ben', 0, { unreachableMs: 6000, staggerMs: 2000, retryMs: 10_000 })
  ana.observe(view, 0)
  ben.observe(view, 0)
  ana.heard(3000)
  ben.heard(3000)
  assert.equal(ana.shouldClaim(view, 8999), { claim: false })
  assert.equal(ana.shouldClaim(view, 9000), { claim: true, epoch: 4 })
  assert.equal(ben.shouldClaim(view, 9000), { claim: false }, 'second in line waits one stagger more')
  assert.equal(ben.shouldClaim(view, 11_000), { claim: true, epoch: 4 }, '...and claims if ana did not')
  ana.claimed(9000)
  assert.equal(ana.shouldClaim(view, 15_000), { claim: false }, 'no repeat claim within the retry period')
  assert.equal(ana.shouldClaim(view, 19_000), { claim: true, epoch: 4 })
})

test('a new curator or epoch gets a full grace period; the curator and lurkers never claim', () => {
  const w = new CuratorWatch('ana', 0, { unreachableMs: 6000 })
  w.observe({ curatorId: 'cur', epoch: 1, members }, 0)
  const granted = { curatorId: 'ben', epoch: 2, members: members.filter((x) => x.peerId !== 'cur') }
  assert.equal(w.shouldClaim(granted, 10_000), { claim: false }, 'ben just took over')
  assert.equal(w.shouldClaim(granted, 16_000), { claim: true, epoch: 2 })
  const self = new CuratorWatch('cur', 0)
  assert.equal(self.shouldClaim({ curatorId: 'cur', epoch: 1, members }, 60_000), { claim: false })
  const hidden = new CuratorWatch('lurk', 0)
  assert.equal(hidden.shouldClaim({ curatorId: 'cur', epoch: 1, members }, 60_000), { claim: false })
})

test.run()
