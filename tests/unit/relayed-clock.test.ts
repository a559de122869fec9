/**
 * A joiner's estimate of the curator's clock through the signal server's
 * (relayed-clock.ts), against the seeded path simulator: the joiner and the
 * curator each time themselves against one server clock over paths of their
 * own (queues, spikes, loss, asymmetry), the curator tells its word
 * (ServerClock.curatorClock) and the joiner maps through both.
 *
 * Bound: each side's estimate is off its path's measurable offset by at most
 * its uncertainty (≈95 %) and by half its path asymmetry, which its
 * asymmetryBoundMs covers (RFC 5905 §8). The relayed uncertainty is the sum
 * of both sides', the curator's asymmetry bound included, so the true error
 * stays within uncertaintyMs + asymmetryBoundMs in ≈95 % of joins or more.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ClockEstimator } from '../../client/src/lib/sync/clock-sync.ts'
import { BRIDGE_MS, RelayedClock } from '../../client/src/lib/sync/relayed-clock.ts'
import { CURATOR_CLOCK_MAX_UNCERTAINTY_MS, ServerClock } from '../../client/src/lib/sync/server-clock.ts'
import { PathSim, ProbeSession, quantile, type PathOptions } from '../support/clock-sim.ts'

const SERVER_START = 1_800_000_000_000

/** A page whose clock starts at `startMs` and runs at `ppm`, timing itself against the server (the sim's "curator" end). */
function pathToServer(seed: number, startMs: number, ppm: number, serverPpm: number, path: Partial<PathOptions> = {}): PathSim {
  return new PathSim({ seed, listenerStartMs: startMs, offsetMs: SERVER_START - startMs, listenerPpm: ppm, curatorPpm: serverPpm, ...path })
}

interface Join {
  relayed: RelayedClock
  /** The joiner's clock at the join's end, and the true curator-minus-joiner offset at a joiner instant. */
  joinerNow: number
  truth: (joinerMs: number) => number
}

/**
 * The curator times itself for `curatorMs` (true time) and tells its word;
 * the joiner arrives then and runs a join burst of 150 ms.
 */
function join(seed: number, curatorMs = 30_000): Join {
  const serverPpm = ((seed * 37) % 200) - 100
  const curatorPpm = ((seed * 53) % 400) - 200
  const joinerPpm = ((seed * 71) % 400) - 200
  // Paths of their own: the curator's slower one way, the joiner's the other.
  const toCurator = pathToServer(seed, SERVER_START - 4321.5 + seed, curatorPpm, serverPpm, { baseForwardMs: 1, baseBackMs: 3 })
  const toJoiner = pathToServer(seed + 1000, SERVER_START + 2500.25 - seed, joinerPpm, serverPpm, { baseForwardMs: 2.5, baseBackMs: 0.5 })
  let curatorTau = 0
  const curatorSide = new ServerClock(async () => [], () => toCurator.listenerAt(curatorTau))
  const cs = new ProbeSession(toCurator, curatorSide.estimator)
  cs.run(curatorMs)
  curatorTau = curatorMs
  const word = curatorSide.curatorClock()
  assert.ok(word, `seed ${seed}: the curator knows its clock against the server's`)
  // The joiner's burst, a moment later (the word is a heartbeat old at most).
  const joinerEst = new ClockEstimator()
  const js = new ProbeSession(toJoiner, joinerEst)
  js.tau = curatorMs + 1500
  js.run(curatorMs + 1650)
  const joinerNow = toJoiner.listenerAt(curatorMs + 1650)
  return {
    relayed: new RelayedClock(joinerEst, word!, joinerNow + BRIDGE_MS),
    joinerNow,
    truth: (j) => toCurator.listenerAt(toJoiner.tauOfListener(j)) - j,
  }
}

test('through the server: the curator offset within uncertainty + asymmetry bound (p95), a few ms at most, over 200 joins', () => {
  const errors: number[] = []
  const ratios: number[] = []
  for (let seed = 1; seed <= 200; seed++) {
    const { relayed, joinerNow, truth } = join(seed)
    const est = relayed.estimate(joinerNow)
    assert.ok(est, `seed ${seed}: an estimate`)
    const err = Math.abs(est!.offsetMs - truth(joinerNow))
    errors.push(err)
    ratios.push(err / (est!.uncertaintyMs + est!.asymmetryBoundMs))
    assert.is(est!.state, 'converging', 'never claims locked')
  }
  console.log(`  relayed offset error: p50 ${quantile(errors, 0.5).toFixed(3)} p95 ${quantile(errors, 0.95).toFixed(3)} max ${Math.max(...errors).toFixed(3)} ms; error / bound p95 ${quantile(ratios, 0.95).toFixed(2)}`)
  assert.ok(quantile(ratios, 0.95) <= 1, `the bound holds in 95 % of joins (p95 error / bound ${quantile(ratios, 0.95).toFixed(2)})`)
  // Queues of 1 ms mean each way on both paths, 1 ms of asymmetry each: a few ms is the worst a join burst may leave.
  assert.ok(Math.max(...errors) < 5, `max error ${Math.max(...errors).toFixed(3)} ms`)
})

test('toCurator and toListener are inverse; the bridge ends after BRIDGE_MS; nothing before the server is timed', () => {
  const { relayed, joinerNow, truth } = join(7)
  for (const dt of [0, 500, 5000, 9000]) {
    const t = joinerNow + dt
    const c = relayed.toCurator(t)!
    // Epoch milliseconds near 1.8e12 are resolved to ~0.25 µs.
    assert.ok(Math.abs(relayed.toListener(c)! - t) < 1e-3, `round trip ${dt} ms on`)
    assert.ok(Math.abs(c - t - truth(t)) < 5, `maps onto the curator's clock ${dt} ms on`)
  }
  assert.ok(relayed.estimate(joinerNow + 5000))
  // Over when the link should long have taken over, or when the joiner's own server estimate goes 'lost' (10 s unheard).
  assert.is(relayed.estimate(joinerNow + BRIDGE_MS + 1), null, 'no estimate once the bridge is over')
  const untimed = new RelayedClock(new ClockEstimator(), { serverMinusCuratorMs: 0, atServerMs: 0, skewPpm: 0, uncertaintyMs: 1 }, Infinity)
  assert.is(untimed.estimate(1000), null)
  assert.is(untimed.toCurator(1000), null)
  assert.is(untimed.toListener(1000), null)
})

test('ServerClock: a curator tells its word only once it is sure within the bound; impossible exchanges are not taken', async () => {
  let now = 10_000
  const answers: Array<{ t0: number; t1: number; t2: number; t3: number }[]> = [
    // Answered before it was asked, and a round trip far too long to say much.
    [{ t0: now, t1: now + 500, t2: now + 500, t3: now - 1 }],
    [{ t0: now, t1: now + 700, t2: now + 700, t3: now + 400 }],
  ]
  const clock = new ServerClock(async () => answers.shift() ?? [], () => now)
  assert.is(await clock.exchange(), 0, 'an impossible exchange is dropped')
  assert.is(await clock.exchange(), 1)
  assert.is(clock.curatorClock(), null, `±200 ms is no word to give (bound ${CURATOR_CLOCK_MAX_UNCERTAINTY_MS} ms)`)
  // Then a burst over a 1 ms path: server ahead by 500 ms.
  const rtt = 1
  const good = (t: number) => ({ t0: t, t1: t + 500 + rtt / 2, t2: t + 500 + rtt / 2, t3: t + rtt })
  now += 5000
  answers.push(Array.from({ length: 8 }, (_, i) => good(now + i * 3)))
  now += 30
  assert.is(await clock.exchange(8), 8)
  const word = clock.curatorClock()
  assert.ok(word, 'a word once sure')
  assert.ok(Math.abs(word!.serverMinusCuratorMs - 500) < 0.1, `server minus curator ${word!.serverMinusCuratorMs}`)
  assert.ok(Math.abs(word!.atServerMs - (now + 500)) < 0.1)
  assert.ok(word!.uncertaintyMs <= CURATOR_CLOCK_MAX_UNCERTAINTY_MS)
  // A probe that fails (no socket, a worker gone) changes nothing.
  const broken = new ServerClock(() => Promise.reject(new Error('gone')), () => now)
  assert.is(await broken.exchange(), 0)
  assert.is(broken.curatorClock(), null)
})

test.run()
