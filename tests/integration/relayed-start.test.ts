/**
 * What lets a joiner start before its links are up, on a real signal
 * server: the server's clock socket (pages time themselves against it) and
 * the curator's last signed anchor, which the server keeps unread and hands
 * to joiners with the join reply. The joiner checks its signature as it
 * checks a peer's copy: a server that alters it is found out.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { clockSample } from '../../client/src/lib/clock-sample.ts'
import { createSigner, StatePublisher, StateVerifier } from '../../client/src/lib/room/authority.ts'
import { SERVER_CLOCK_PATH, type CuratorServerClock, type Reply } from '../../protocol/index.ts'
import type { SignedState } from '../../protocol/room.ts'
import { serverClockProbe, type ClockSocketLike } from '../../workers/clock-api.ts'
import { serverWithMembers, sleep } from '../support/server.ts'

const { server, join, dispose } = await serverWithMembers()
test.after(dispose)

const clockUrl = () => server.url.replace('http', 'ws') + SERVER_CLOCK_PATH
/** This process's clock, as the server reads its own (same machine: the offset is 0). */
const machineNow = () => performance.timeOrigin + performance.now()
const code = (r: Reply) => (r.ok ? null : r.error.code)

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (c) => resolve(c)))
}

test("the clock socket: exchanges stamped at both ends find the server's clock (same machine: offset 0 within the round trip)", async () => {
  const probe = serverClockProbe(() => new WebSocket(clockUrl()) as unknown as ClockSocketLike, machineNow)
  const samples = []
  for (let i = 0; i < 8; i++) {
    const e = await probe()
    assert.ok(e, `exchange ${i} answered`)
    samples.push(clockSample(e!)!)
  }
  const best = samples.reduce((a, b) => (b.rttMs < a.rttMs ? b : a))
  console.log(`  best of 8: round trip ${best.rttMs.toFixed(3)} ms, offset ${best.offsetMs.toFixed(3)} ms`)
  assert.ok(best.rttMs < 20, `loopback round trip ${best.rttMs} ms`)
  assert.ok(Math.abs(best.offsetMs) <= best.rttMs / 2 + 0.01, `one machine's clock: offset ${best.offsetMs} ms within the round trip`)
})

test('the clock socket: junk closes it; a flood is dropped, then closed', async () => {
  const junk = new WebSocket(clockUrl())
  await new Promise((r) => junk.once('open', r))
  const junkClosed = closed(junk)
  junk.send('what time is it')
  assert.is(await junkClosed, 1003)

  const flood = new WebSocket(clockUrl())
  await new Promise((r) => flood.once('open', r))
  let answers = 0
  flood.on('message', () => answers++)
  const floodClosed = closed(flood)
  for (let seq = 0; seq < 200; seq++) flood.send(JSON.stringify({ seq }))
  assert.is(await floodClosed, 1008)
  assert.ok(answers <= 25, `a burst of 20 is answered, the rest dropped (${answers} answers)`)
  // The server goes on answering others.
  const probe = serverClockProbe(() => new WebSocket(clockUrl()) as unknown as ClockSocketLike, machineNow)
  assert.ok(await probe(), 'another page still gets its time')
})

test("a joiner gets the curator's last signed anchor with the join reply; only the curator's, of its epoch; a forged one fails its check", async () => {
  const curator = await join()
  const created = await curator.request({ type: 'room.create', name: 'Relay', visibility: 'public', maxListeners: 5, displayName: 'Ana' })
  if (!created.ok) throw new Error('create failed')
  const roomId = created.room.id
  const signer = await createSigner('webcrypto')
  assert.ok((await curator.request({ type: 'room.key', roomId, publicKey: signer.publicKey, epoch: 0 })).ok)
  const publisher = new StatePublisher(roomId, signer, 0)
  const anchor = { type: 'anchor' as const, seq: 0, queue: ['a'.repeat(24)], index: 0, state: 'playing' as const, positionFrames: 0, atCuratorTime: machineNow() + 150 }
  const state = await publisher.seal(anchor)
  const clock: CuratorServerClock = { serverMinusCuratorMs: 0.25, atServerMs: machineNow(), skewPpm: 12, uncertaintyMs: 0.8 }

  // Nothing relayed before the curator says anything.
  const early = await join()
  const before = await early.request({ type: 'room.join', roomId, displayName: 'Early', lurker: false })
  assert.ok(before.ok && before.relayed === undefined)

  assert.ok((await curator.request({ type: 'room.anchor', roomId, state, clock })).ok)
  const bob = await join()
  const joined = await bob.request({ type: 'room.join', roomId, displayName: 'Bob', lurker: false })
  assert.ok(joined.ok && joined.relayed, 'the join reply carries it')
  if (!joined.ok || !joined.relayed) return
  assert.equal(joined.relayed.state, state, 'as the curator signed it')
  assert.equal(joined.relayed.clock, clock)

  // Bob checks it as he checks a peer's copy; altered on the way, it fails.
  const verifier = new StateVerifier(roomId)
  verifier.setCurator(joined.room.curatorKey ?? null, joined.room.epoch ?? 0)
  const moved = { ...joined.relayed.state, body: { ...anchor, positionFrames: 96_000 } } as SignedState
  assert.equal(await verifier.authentic(moved), { ok: false, reason: 'forged' })
  assert.equal(await verifier.authentic(joined.relayed.state), { ok: true })
  // Checked without being taken in order: the peers' copy of it that follows is no replay.
  assert.equal(await verifier.accept(joined.relayed.state), { ok: true })
  assert.equal(await verifier.authentic({ ...joined.relayed.state, epoch: 1 }), { ok: false, reason: 'wrong-key' })

  // Only the curator's anchors, of its epoch.
  assert.is(code(await bob.request({ type: 'room.anchor', roomId, state, clock })), 'not_curator')
  const mode = await publisher.seal({ type: 'mode', mode: 'shared' })
  assert.is(code(await curator.request({ type: 'room.anchor', roomId, state: mode, clock })), 'invalid_message')
  const later = await new StatePublisher(roomId, signer, 3).seal(anchor)
  assert.is(code(await curator.request({ type: 'room.anchor', roomId, state: later, clock })), 'stale_epoch')
  assert.is(code(await curator.request({ type: 'room.anchor', roomId, state, clock: { ...clock, skewPpm: 1e9 } })), 'invalid_message')

  // A new curator (Ana leaves): her anchor is no longer handed out.
  curator.send({ type: 'room.leave', roomId })
  await sleep(100)
  const carol = await join()
  const after = await carol.request({ type: 'room.join', roomId, displayName: 'Carol', lurker: false })
  assert.ok(after.ok && after.room.curatorId !== created.peerId, 'someone else curates')
  assert.ok(after.ok && after.relayed === undefined, "the old curator's anchor is not relayed")
})

test.run()
