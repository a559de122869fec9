/**
 * The clock worker's logic (workers/clock-api.ts) between two pages whose
 * clocks disagree, over a stand-in channel pair: it answers, stamps, and
 * refuses what no honest peer sends.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { clockSample } from '../../client/src/lib/clock-sample.ts'
import { createClockApi, type ClockChannelLike, type ClockExchangeStamps, type ClockLinkEvents } from '../../workers/clock-api.ts'

/** Two connected channel ends; each message arrives after `delayMs` of the shared machine clock. */
function channelPair(machine: { ms: number }, delayMs: number): [FakeChannel, FakeChannel] {
  const a = new FakeChannel(machine, delayMs)
  const b = new FakeChannel(machine, delayMs)
  a.peer = b
  b.peer = a
  return [a, b]
}

class FakeChannel implements ClockChannelLike {
  readyState = 'open'
  onmessage: ((e: { data: unknown }) => void) | null = null
  onopen: (() => void) | null = null
  onclose: (() => void) | null = null
  peer: FakeChannel | null = null
  /** What was sent, for tests that replay or forge it. */
  readonly sent: string[] = []
  constructor(
    private readonly machine: { ms: number },
    private readonly delayMs: number,
  ) {}
  send(data: string): void {
    this.sent.push(data)
    this.machine.ms += this.delayMs
    this.peer?.onmessage?.({ data })
  }
  deliverRaw(data: unknown): void {
    this.onmessage?.({ data })
  }
  close(): void {
    this.readyState = 'closed'
    this.onclose?.()
  }
}

function recorder() {
  const got = { open: 0, exchanges: [] as ClockExchangeStamps[], bad: [] as string[], closed: 0 }
  const events: ClockLinkEvents = {
    open: () => void got.open++,
    exchange: (e) => void got.exchanges.push(e),
    bad: (r) => void got.bad.push(r),
    closed: () => void got.closed++,
  }
  return { got, events }
}

function rig(offsetMs = 1234.5, delayMs = 0.4) {
  const machine = { ms: 1_000_000 }
  const listener = createClockApi(() => machine.ms)
  const curator = createClockApi(() => machine.ms + offsetMs)
  const [mine, theirs] = channelPair(machine, delayMs)
  const me = recorder()
  const them = recorder()
  listener.attach(1, mine, me.events)
  curator.attach(7, theirs, them.events)
  return { machine, listener, curator, mine, theirs, me, them }
}

test('a probe is answered with the curator clock and comes back as an exchange that measures it', () => {
  const { listener, me, them } = rig(1234.5, 0.4)
  assert.is(me.got.open, 1, 'an open channel says so at once')
  assert.ok(listener.probe(1, 0))
  assert.is(me.got.exchanges.length, 1)
  const s = clockSample(me.got.exchanges[0]!)!
  assert.ok(Math.abs(s.offsetMs - 1234.5) < 1e-9, `offset ${s.offsetMs}`)
  assert.ok(Math.abs(s.rttMs - 0.8) < 1e-9, `round trip ${s.rttMs}`)
  assert.equal(them.got.bad, [])
  assert.equal(me.got.bad, [])
})

test('a replayed or forged answer is refused and reported, not counted as an exchange', () => {
  const { listener, mine, me } = rig()
  listener.probe(1, 3)
  const answer = mine.peer!.sent.at(-1)!
  mine.deliverRaw(answer) // the same answer again
  const forged = JSON.parse(answer) as { t0: number }
  mine.deliverRaw(JSON.stringify({ ...forged, seq: 4 })) // never asked
  listener.probe(1, 5)
  mine.deliverRaw(JSON.stringify({ ...forged, seq: 5, t0: forged.t0 - 100 })) // seq 5 again (answered already), another t0
  assert.is(me.got.exchanges.length, 2, 'the two genuine answers')
  assert.is(me.got.bad.length, 3)
  assert.ok(me.got.bad.every((r) => r === 'unexpected clock answer'))
})

test('garbage on the clock channel is reported; nothing is answered or counted', () => {
  const { mine, theirs, them } = rig()
  for (const raw of ['not json', JSON.stringify({ type: 'anchor' }), JSON.stringify({ type: 'clock.req', seq: -1, t0: 1 }), 'x'.repeat(10_000), new Uint8Array(8)]) theirs.deliverRaw(raw)
  assert.is(them.got.bad.length, 5)
  assert.equal(mine.peer!.sent.length, 0, 'no answer went back')
})

test('unanswered probes are bounded: the oldest are forgotten and a late answer to one is refused', () => {
  const { listener, mine, theirs, me } = rig()
  theirs.onmessage = null // the curator's end says nothing
  for (let seq = 0; seq < 100; seq++) listener.probe(1, seq)
  const t0 = (JSON.parse(mine.sent[0]!) as { t0: number }).t0
  mine.deliverRaw(JSON.stringify({ type: 'clock.res', seq: 0, t0, t1: t0, t2: t0 }))
  assert.equal(me.got.bad, ['unexpected clock answer'])
  const t99 = (JSON.parse(mine.sent[99]!) as { t0: number }).t0
  mine.deliverRaw(JSON.stringify({ type: 'clock.res', seq: 99, t0: t99, t1: t99, t2: t99 }))
  assert.is(me.got.exchanges.length, 1, 'a recent one still counts')
})

test('an opening burst waits for the channel, then sends its probes on their own timer, each answered', async () => {
  const { listener, mine, theirs, me } = rig()
  mine.readyState = theirs.readyState = 'connecting'
  listener.burst(1, 8, 4, 5)
  assert.is(mine.sent.length, 0, 'nothing goes before the channel opens')
  mine.readyState = theirs.readyState = 'open'
  mine.onopen?.()
  assert.is(mine.sent.length, 1, 'the first goes as it opens')
  await new Promise((r) => setTimeout(r, 60))
  assert.equal(me.got.exchanges.map((e) => e.seq), [8, 9, 10, 11], 'the rest follow without the page, and every one comes back')
  assert.equal(me.got.bad, [])
})

test('a burst stops when its channel closes', async () => {
  const { listener, mine } = rig()
  listener.burst(1, 0, 50, 2)
  mine.close()
  const sent = mine.sent.length
  await new Promise((r) => setTimeout(r, 30))
  assert.is(mine.sent.length, sent)
})

test('a closed or detached channel takes no probes', () => {
  const { listener, curator, mine, theirs, me } = rig()
  mine.close()
  assert.is(me.got.closed, 1)
  assert.not.ok(listener.probe(1, 0))
  curator.detach(7)
  assert.is(theirs.readyState, 'closed')
  assert.not.ok(curator.probe(7, 0))
})

test.run()
