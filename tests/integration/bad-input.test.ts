/** Hostile and broken clients get clear errors; the server and other rooms carry on. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LIMITS } from '../../protocol/index.ts'
import { serverWithMembers, sleep } from '../support/server.ts'

const { server, join, dispose } = await serverWithMembers()
test.after(dispose)

test('malformed messages get an error naming the problem', async () => {
  const m = await join()
  for (const [bad, expect] of [
    [{ type: 'room.create', name: '', visibility: 'public', maxListeners: 5, displayName: 'A' }, /name: must not be empty/],
    [{ type: 'room.create', name: 'x', visibility: 'secret', maxListeners: 5, displayName: 'A' }, /visibility/],
    [{ type: 'room.create', name: 'x', visibility: 'public', maxListeners: 1e9, displayName: 'A' }, /maxListeners/],
    [{ type: 'room.join', roomId: '../../etc', displayName: 'A', lurker: false }, /roomId: is not a room id/],
    [{ type: 'launch.missiles' }, /type/],
    ['just a string', /malformed/],
  ] as const) {
    const r = await m.request(bad as Record<string, unknown>)
    assert.not.ok(r.ok)
    if (!r.ok) {
      assert.is(r.error.code, 'invalid_message')
      assert.match(r.error.message, expect)
    }
  }
  const pushed = (async () => m.next('error'))()
  m.send({ type: 'room.leave' })
  assert.is((await pushed).error.code, 'invalid_message', 'without an ack the error is pushed')
})

test('oversized signaling payloads are refused', async () => {
  const a = await join()
  const r = await a.request({ type: 'room.create', name: 'Big', visibility: 'public', maxListeners: 5, displayName: 'A' })
  if (!r.ok) return assert.unreachable()
  a.send({ type: 'signal', roomId: r.room.id, to: r.peerId, data: { type: 'offer', sdp: 'x'.repeat(LIMITS.maxSignalPayloadBytes + 10) } })
  assert.match((await a.next('error')).error.message, /too large/)
})

test('a flood is rate limited and finally disconnected, while other rooms carry on', async () => {
  const calm = await join()
  const room = await calm.request({ type: 'room.create', name: 'Calm', visibility: 'public', maxListeners: 5, displayName: 'C' })
  const friend = await join()
  if (!room.ok) return assert.unreachable()
  const flooder = await join()
  const disconnected = new Promise<void>((r) => flooder.socket.once('disconnect', () => r()))
  for (let i = 0; i < 200; i++) flooder.send({ type: 'room.join', roomId: 'doesnotexist1', displayName: 'F', lurker: false })
  await flooder.next('error', (m) => m.error.code === 'rate_limited')
  await disconnected
  const ok = await friend.request({ type: 'room.join', roomId: room.room.id, displayName: 'Friend', lurker: false })
  assert.ok(ok.ok, 'another member still joins a room normally')
})

test('a burst of playback reports is thinned out, not punished: the listener stays connected', async () => {
  const m = await join()
  const room = await m.request({ type: 'room.create', name: 'Struggling', visibility: 'public', maxListeners: 5, displayName: 'S' })
  assert.ok(room.ok)
  for (let i = 0; i < 3 * LIMITS.abuseStrikes; i++) m.send({ type: 'quality.report', reason: 'underrun' })
  await sleep(300)
  assert.ok(m.socket.connected, 'still connected')
  assert.is(m.inbox.filter((x) => x.type === 'error').length, 0, 'no error sent back for telemetry')
  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  const counted = Number(/^sonantica_audio_quality_degradation_count\{reason="underrun"\} (\d+)/m.exec(metrics)?.[1])
  assert.ok(counted >= 1 && counted <= LIMITS.rate.report.burst + 2, `counted within the rate (${counted})`)
})

test('a socket may curate only a few rooms at once', async () => {
  const m = await join()
  const results = []
  for (let i = 0; i <= LIMITS.maxRoomsPerSocket; i++) {
    results.push(await m.request({ type: 'room.create', name: `R${i}`, visibility: 'invite', maxListeners: 5, displayName: 'M' }))
  }
  const last = results.at(-1)!
  assert.equal(last.ok ? null : last.error.code, 'too_many_rooms')
  assert.ok(results.slice(0, -1).every((r) => r.ok))
})

test('metrics and health reflect rooms and listeners', async () => {
  const before = await (await fetch(`${server.url}/metrics`)).text()
  const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1])
  const a = await join()
  const r = await a.request({ type: 'room.create', name: 'Metrics', visibility: 'public', maxListeners: 5, displayName: 'A' })
  const b = await join()
  await b.request({ type: 'room.join', roomId: r.ok ? r.room.id : '', displayName: 'B', lurker: true })
  const res = await fetch(`${server.url}/metrics`)
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/)
  const after = await res.text()
  assert.is(gauge(after, 'sonantica_room_active_count'), gauge(before, 'sonantica_room_active_count') + 1)
  assert.is(gauge(after, 'sonantica_room_listeners_total'), gauge(before, 'sonantica_room_listeners_total') + 2)
  for (const name of ['sonantica_stream_cache_hit_ratio', 'sonantica_audio_quality_degradation_count', 'process_resident_memory_bytes']) {
    assert.match(after, new RegExp(`^# TYPE ${name} `, 'm'))
  }
  const health = await fetch(`${server.url}/healthz`)
  assert.is(health.status, 200)
  assert.is(((await health.json()) as { ok: boolean }).ok, true)
})

test('a member that vanishes mid-signal leaves the room cleanly', async () => {
  const a = await join()
  const r = await a.request({ type: 'room.create', name: 'Vanish', visibility: 'public', maxListeners: 5, displayName: 'A' })
  const b = await join()
  const rb = await b.request({ type: 'room.join', roomId: r.ok ? r.room.id : '', displayName: 'B', lurker: false })
  if (!r.ok || !rb.ok) return assert.unreachable()
  b.socket.disconnect()
  await a.next('room.state', (m) => m.room.total === 1)
  a.send({ type: 'signal', roomId: r.room.id, to: rb.peerId, data: { type: 'candidate' } })
  assert.is((await a.next('error')).error.code, 'unknown_peer')
  await sleep(50)
  assert.is((await fetch(`${server.url}/healthz`)).status, 200)
})

test.run()
