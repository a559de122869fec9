/**
 * Curator authority on a real signal server: the curator's signing key,
 * claims checked against the curator's liveness (`curator.check`),
 * voluntary hand-overs, and the epoch that every change of curator bumps.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Reply, RoomView, ServerMessage } from '../../protocol/index.ts'
import { serverWithMembers, sleep, type TestMember } from '../support/server.ts'

const { server, join, dispose } = await serverWithMembers()
test.after(dispose)

/** A real P-256 public key as the protocol carries it (raw point, base64url). */
async function newKey(): Promise<string> {
  const { publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  return Buffer.from(await crypto.subtle.exportKey('raw', publicKey)).toString('base64url')
}

interface Peer {
  m: TestMember
  id: string
}

/** A room with a curator and `listeners` visible listeners (plus `lurkers` hidden ones), all joined in order. */
async function setup(listeners: number, lurkers = 0): Promise<{ roomId: string; curator: Peer; listeners: Peer[]; lurkers: Peer[] }> {
  const c = await join()
  const created = await c.request({ type: 'room.create', name: 'Authority', visibility: 'public', maxListeners: 20, displayName: 'Cur' })
  if (!created.ok) throw new Error('create failed')
  const roomId = created.room.id
  const add = async (name: string, lurker: boolean): Promise<Peer> => {
    const m = await join()
    const r = await m.request({ type: 'room.join', roomId, displayName: name, lurker })
    if (!r.ok) throw new Error('join failed')
    return { m, id: r.peerId }
  }
  const ls: Peer[] = []
  for (let i = 0; i < listeners; i++) ls.push(await add(`L${i}`, false))
  const hs: Peer[] = []
  for (let i = 0; i < lurkers; i++) hs.push(await add(`H${i}`, true))
  return { roomId, curator: { m: c, id: created.peerId }, listeners: ls, lurkers: hs }
}

/** Makes `m` answer every curator.check with `reply`, after `delayMs`. */
function answerChecks(m: TestMember, reply: unknown, delayMs = 0): void {
  m.socket.on('msg', (msg: ServerMessage, ack?: (r: unknown) => void) => {
    if (msg.type === 'curator.check') setTimeout(() => ack?.(reply), delayMs)
  })
}

const code = (r: Reply) => (r.ok ? null : r.error.code)
const viewOf = (r: Reply): RoomView => {
  if (!r.ok) throw new Error(`refused: ${r.error.code}`)
  return r.room
}
const checksSeen = (m: TestMember) => m.inbox.filter((x) => x.type === 'curator.check').length

test('the curator registers its key; everyone sees it in room.state; one key per epoch', async () => {
  const { roomId, curator, listeners } = await setup(1)
  const [l] = listeners
  const key = await newKey()

  const set = await curator.m.request({ type: 'room.key', roomId, publicKey: key, epoch: 0 })
  assert.equal([viewOf(set).curatorKey, viewOf(set).epoch], [key, 0])
  const seen = await l!.m.next('room.state', (m) => m.room.curatorKey === key)
  assert.is(seen.room.epoch, 0)

  assert.ok((await curator.m.request({ type: 'room.key', roomId, publicKey: key, epoch: 0 })).ok, 'the same key again is fine')
  const other = await curator.m.request({ type: 'room.key', roomId, publicKey: await newKey(), epoch: 0 })
  assert.is(code(other), 'key_already_set')
  assert.is(other.ok ? null : other.error.message, 'This curatorship already has a key')

  const notCurator = await l!.m.request({ type: 'room.key', roomId, publicKey: await newKey(), epoch: 0 })
  assert.is(code(notCurator), 'not_curator')
  assert.is(notCurator.ok ? null : notCurator.error.message, 'Only the curator can do that')
  assert.is(code(await curator.m.request({ type: 'room.key', roomId, publicKey: key, epoch: 1 })), 'stale_epoch')
  assert.is(code(await curator.m.request({ type: 'room.key', roomId, publicKey: 'not-a-key', epoch: 0 })), 'invalid_message')
})

test('a claim is refused while the curator answers alive', async () => {
  const { roomId, curator, listeners } = await setup(1)
  answerChecks(curator.m, { alive: true })
  const refused = await listeners[0]!.m.request({ type: 'room.claim', roomId, epoch: 0 })
  assert.is(code(refused), 'curator_alive')
  assert.is(refused.ok ? null : refused.error.message, 'The curator is still here')
  assert.is(checksSeen(curator.m), 1, 'the curator was asked')
  const still = await curator.m.request({ type: 'room.claim', roomId, epoch: 0 })
  assert.equal([viewOf(still).curatorId, viewOf(still).epoch], [curator.id, 0], 'nothing changed (and the curator claiming itself is a no-op)')
})

test('a claim is granted when the curator does not answer curator.check', async () => {
  const { roomId, curator, listeners } = await setup(2)
  const [a, b] = listeners
  await curator.m.request({ type: 'room.key', roomId, publicKey: await newKey(), epoch: 0 })
  // curator.m has no handler that acks: the check times out.
  const started = Date.now()
  const granted = await a!.m.request({ type: 'room.claim', roomId, epoch: 0 })
  assert.ok(Date.now() - started >= 1900, 'after the check timed out')
  const view = viewOf(granted)
  assert.equal([view.curatorId, view.epoch, view.curatorKey], [a!.id, 1, undefined], 'new curator, new epoch, no key yet')
  const pushed = await b!.m.next('room.state', (m) => m.room.curatorId === a!.id)
  assert.equal([pushed.room.epoch, pushed.room.curatorKey], [1, undefined])

  assert.is(code(await curator.m.request({ type: 'room.key', roomId, publicKey: await newKey(), epoch: 1 })), 'not_curator')
  const key = await newKey()
  assert.is(viewOf(await a!.m.request({ type: 'room.key', roomId, publicKey: key, epoch: 1 })).curatorKey, key, 'the new curator registers its key')
  assert.is(code(await b!.m.request({ type: 'room.claim', roomId, epoch: 0 })), 'stale_epoch', 'a claim of the ended epoch is stale')
})

test('a curator that answers alive: false, or a malformed ack, loses the role to a claim', async () => {
  for (const reply of [{ alive: false }, 'yes', { alive: 'true' }, null]) {
    const { roomId, curator, listeners } = await setup(1)
    answerChecks(curator.m, reply)
    const started = Date.now()
    const granted = await listeners[0]!.m.request({ type: 'room.claim', roomId, epoch: 0 })
    assert.equal([viewOf(granted).curatorId, viewOf(granted).epoch], [listeners[0]!.id, 1], JSON.stringify(reply))
    assert.ok(Date.now() - started < 1500, 'without waiting for the timeout')
  }
})

test('stale-epoch and ineligible claims are refused without asking the curator', async () => {
  const { roomId, curator, listeners, lurkers } = await setup(1, 1)
  answerChecks(curator.m, { alive: false })
  const stale = await listeners[0]!.m.request({ type: 'room.claim', roomId, epoch: 3 })
  assert.is(code(stale), 'stale_epoch')
  assert.is(stale.ok ? null : stale.error.message, 'The curator changed meanwhile')
  assert.is(code(await lurkers[0]!.m.request({ type: 'room.claim', roomId, epoch: 0 })), 'lurker_claim')
  const outsider = await join()
  assert.is(code(await outsider.request({ type: 'room.claim', roomId, epoch: 0 })), 'not_in_room')
  await sleep(50)
  assert.is(checksSeen(curator.m), 0)
})

test('two simultaneous claims: one check, exactly one new curator', async () => {
  const { roomId, curator, listeners } = await setup(3)
  const [a, b, c] = listeners
  answerChecks(curator.m, { alive: false }, 200)
  const results = await Promise.all([a!, b!].map((p) => p.m.request({ type: 'room.claim', roomId, epoch: 0 })))
  assert.is(results.filter((r) => r.ok).length, 1, 'one claim granted')
  assert.equal(results.filter((r) => !r.ok).map(code), ['stale_epoch'], 'the other is stale')
  const winner = results[0]!.ok ? a! : b!
  assert.is(checksSeen(curator.m), 1, 'concurrent claims share one curator.check')
  const state = await c!.m.next('room.state', (m) => m.room.curatorId !== curator.id)
  assert.equal([state.room.curatorId, state.room.epoch], [winner.id, 1])
  await sleep(100)
  assert.not.ok(
    c!.m.inbox.some((m) => m.type === 'room.state' && (m.room.epoch ?? 0) > 1),
    'no second change of curator',
  )
})

test('the curator leaving during a check: the successor takes over, the claim is stale', async () => {
  const { roomId, curator, listeners } = await setup(2)
  const [a, b] = listeners
  const claim = b!.m.request({ type: 'room.claim', roomId, epoch: 0 })
  await curator.m.next('curator.check')
  curator.m.close()
  assert.is(code(await claim), 'stale_epoch')
  const state = await b!.m.next('room.state', (m) => m.room.curatorId === a!.id)
  assert.equal([state.room.epoch, state.room.total], [1, 2], 'the senior listener succeeded, once')
})

test('voluntary hand-off to a visible listener; epochs grow with every change', async () => {
  const { roomId, curator, listeners, lurkers } = await setup(2, 1)
  const [a, b] = listeners
  await curator.m.request({ type: 'room.key', roomId, publicKey: await newKey(), epoch: 0 })

  for (const to of [lurkers[0]!.id, curator.id, 'AAAAAAAAAAAAAAAAAAAAAA']) {
    const r = await curator.m.request({ type: 'room.handoff', roomId, to, epoch: 0 })
    assert.is(code(r), 'handoff_target')
    assert.is(r.ok ? null : r.error.message, 'You can only hand over to a listener in the room')
  }
  assert.is(code(await a!.m.request({ type: 'room.handoff', roomId, to: b!.id, epoch: 0 })), 'not_curator')
  assert.is(code(await curator.m.request({ type: 'room.handoff', roomId, to: b!.id, epoch: 7 })), 'stale_epoch')

  const handed = await curator.m.request({ type: 'room.handoff', roomId, to: b!.id, epoch: 0 })
  assert.equal([viewOf(handed).curatorId, viewOf(handed).epoch, viewOf(handed).curatorKey], [b!.id, 1, undefined])
  const seen = await a!.m.next('room.state', (m) => m.room.curatorId === b!.id)
  assert.is(seen.room.epoch, 1)
  assert.is(code(await curator.m.request({ type: 'room.handoff', roomId, to: a!.id, epoch: 1 })), 'not_curator')

  const back = await b!.m.request({ type: 'room.handoff', roomId, to: curator.id, epoch: 1 })
  assert.is(viewOf(back).epoch, 2, 'and back')
  curator.m.close()
  const after = await a!.m.next('room.state', (m) => m.room.total === 3 && m.room.curatorId === a!.id)
  assert.equal([after.room.curatorId, after.room.epoch], [a!.id, 3], 'the curator leaving hands on to the senior listener')
})

test('a flood of claims is rate limited and costs the curator few checks', async () => {
  const { roomId, curator, listeners } = await setup(1)
  answerChecks(curator.m, { alive: true })
  const results = await Promise.all(Array.from({ length: 30 }, () => listeners[0]!.m.request({ type: 'room.claim', roomId, epoch: 0 })))
  const codes = results.map(code)
  assert.ok(codes.includes('rate_limited'), 'some were rate limited')
  assert.ok(codes.every((c) => c === 'rate_limited' || c === 'curator_alive'), codes.join())
  assert.ok(checksSeen(curator.m) <= 10, `at most a burst of checks (${checksSeen(curator.m)})`)
  assert.is((await fetch(`${server.url}/healthz`)).status, 200, 'the server carries on')
  assert.is(viewOf(await curator.m.request({ type: 'room.claim', roomId, epoch: 0 })).curatorId, curator.id)
})

test.run()
