/**
 * Anchors (curator time ↔ track frame) and the drift corrector, then both
 * with the clock estimator over a simulated hour of playback.
 *
 * Expected corrections. The player chains buffers on its sound card's
 * clock; the ideal frame comes from the anchor through the skew-aware
 * estimator. The error therefore grows at ρ·rate frames per second, ρ the
 * rate difference between the listener's sound card and the curator's clock
 * (the listener's system clock cancels out): D = ρ·rate·3600 frames an hour,
 * 34 560 at 200 ppm and 48 kHz. Each correction removes the whole error once
 * it passes the tolerance T, i.e. between T + 1 and T + 1 + 2·⌈ρ·buffer⌉
 * frames (the second confirming boundary), so the count lies in
 * [D/(T + 3), D/T] = [677, 720] at 200 ppm, 48 kHz, T = 48 frames (1 ms),
 * 4096-frame buffers — and is 0 when the clocks agree.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { curatorTimeOfFrame, frameAt, nextFrameAt, type Anchor } from '../../client/src/lib/sync/anchor.ts'
import { ClockEstimator, type ClockEstimatorOptions } from '../../client/src/lib/sync/clock-sync.ts'
import { DriftCorrector, toleranceFrames } from '../../client/src/lib/sync/drift.ts'
import { PathSim, ProbeSession, quantile, type PathOptions } from '../support/clock-sim.ts'

const playing = (positionFrames: number, atCuratorTime: number): Anchor => ({ seq: 1, trackId: 't', state: 'playing', positionFrames, atCuratorTime })

test('anchor: the sounding frame is the floor, the next frame to start on is the ceiling', () => {
  const a = playing(1000, 5000)
  assert.is(frameAt(a, 5000, 48000), 1000)
  assert.is(nextFrameAt(a, 5000, 48000), 1000)
  assert.is(frameAt(a, 5000 + 1000 / 48000 / 2, 48000), 1000, 'half a frame in: still frame 1000')
  assert.is(nextFrameAt(a, 5000 + 1000 / 48000 / 2, 48000), 1001)
  assert.is(frameAt(a, 6000, 48000), 49000)
  assert.is(frameAt(a, 6000, 44100), 45100)
  assert.is(frameAt(a, 4999.99, 48000), 999, 'before the anchor: below its position')
  assert.is(frameAt(playing(0, 5000), 4000, 48000), -48000, 'a start scheduled ahead: negative until then')
})

test('anchor: frameAt(curatorTimeOfFrame(k)) === k at every common rate, hours in, on epoch-sized clocks', () => {
  for (const rate of [44100, 48000, 88200, 96000, 176400, 192000]) {
    const a = playing(123_457, 1_700_000_003_456.789)
    for (const k of [123_457, 123_458, 200_000, 1_000_001, rate * 3600 + 7, rate * 3 * 3600 + 1]) {
      const t = curatorTimeOfFrame(a, k, rate)!
      assert.is(frameAt(a, t, rate), k, `frame ${k} at ${rate} Hz`)
      assert.is(nextFrameAt(a, t, rate), k)
      assert.is(frameAt(a, t - 1e-3, rate), k - 1 - Math.floor((1e-3 * rate) / 1000), 'a microsecond earlier: the previous frame')
    }
  }
})

test('anchor: paused sits still and never sounds; a bad rate throws', () => {
  const p: Anchor = { seq: 2, trackId: 't', state: 'paused', positionFrames: 777, atCuratorTime: 5000 }
  assert.is(frameAt(p, 1e9, 48000), 777)
  assert.is(nextFrameAt(p, 0, 48000), 777)
  assert.is(curatorTimeOfFrame(p, 800, 48000), null)
  assert.throws(() => frameAt(playing(0, 0), 1, 0), RangeError)
  assert.throws(() => curatorTimeOfFrame(playing(0, 0), 1, NaN), RangeError)
})

test('toleranceFrames: the syncTolerance setting in whole frames', () => {
  assert.is(toleranceFrames(1, 48000), 48)
  assert.is(toleranceFrames(1, 44100), 44)
  assert.is(toleranceFrames(0.1, 44100), 4)
  assert.is(toleranceFrames(0.001, 44100), 1, 'at least one frame')
})

test('corrector: nothing within tolerance; beyond it, after `confirm` boundaries, the whole error at once', () => {
  const d = new DriftCorrector({ sampleRate: 48000, toleranceFrames: 48 })
  assert.equal(d.correction(48), { kind: 'none' })
  assert.equal(d.correction(-48), { kind: 'none' })
  assert.equal(d.correction(50), { kind: 'none' }, 'one reading is not enough')
  assert.equal(d.correction(51), { kind: 'drop', frames: 51 }, 'behind: skip ahead')
  assert.equal(d.correction(-49.4), { kind: 'none' })
  assert.equal(d.correction(-49.6), { kind: 'repeat', frames: 50 }, 'ahead: repeat, rounded')
  assert.equal(d.correction(60), { kind: 'none' })
  assert.equal(d.correction(10), { kind: 'none' }, 'back within tolerance: the streak resets')
  assert.equal(d.correction(60), { kind: 'none' })
  assert.equal(d.correction(-60), { kind: 'none' }, 'a sign change restarts the streak')
  assert.is(d.corrections, 2)
  assert.is(d.droppedFrames, 51)
  assert.is(d.repeatedFrames, 50)
})

test('corrector: settling trims a start once, finer than the tolerance, then T applies; only early on', () => {
  const d = new DriftCorrector({ sampleRate: 48000, toleranceFrames: 48, settleFrames: 24, settleChecks: 4 })
  assert.equal(d.correction(20), { kind: 'none' }, 'within the settle tolerance')
  assert.equal(d.correction(30), { kind: 'none' }, 'one reading is not enough')
  assert.equal(d.correction(30), { kind: 'drop', frames: 30 }, 'past 24 frames, under T: trimmed while settling')
  assert.equal(d.correction(-30), { kind: 'none' })
  assert.equal(d.correction(-30), { kind: 'none' }, 'settled: T applies again')
  const late = new DriftCorrector({ sampleRate: 48000, toleranceFrames: 48, settleFrames: 24, settleChecks: 2 })
  for (let i = 0; i < 2; i++) late.correction(0)
  assert.equal([late.correction(30), late.correction(30), late.correction(30)], [{ kind: 'none' }, { kind: 'none' }, { kind: 'none' }], 'past the settling checks: T applies')
  assert.is(late.corrections, 0)
})

test('corrector: an error inside the clock estimate\'s own uncertainty is not chased; once the estimate firms up, it is', () => {
  const d = new DriftCorrector({ sampleRate: 48000, toleranceFrames: 48 })
  // A young estimate says 2 ms off, give or take 3 ms: a correction could as well be the mistake.
  for (let i = 0; i < 4; i++) assert.equal(d.correction(96, 144), { kind: 'none' })
  assert.is(d.corrections, 0)
  // Good to 0.4 ms now, and still 2 ms off: mended.
  assert.equal([d.correction(96, 19), d.correction(96, 19)], [{ kind: 'none' }, { kind: 'drop', frames: 96 }])
  // Far past its uncertainty, a young estimate is still acted on (a rough placement).
  const rough = new DriftCorrector({ sampleRate: 48000, toleranceFrames: 48, confirm: 1 })
  assert.equal(rough.correction(-400, 144), { kind: 'repeat', frames: 400 })
})

test('corrector: steps are capped; an error past the step threshold asks for a resync; NaN never acts', () => {
  const d = new DriftCorrector({ sampleRate: 48000, toleranceFrames: 48, confirm: 1 })
  assert.is(d.maxStepFrames, 480, '10 ms')
  assert.is(d.resyncFrames, 6144, "128 ms, NTP's step threshold")
  assert.equal(d.correction(2000), { kind: 'drop', frames: 480 })
  assert.equal(d.correction(-7000), { kind: 'resync', errorFrames: -7000 })
  assert.equal(d.correction(NaN), { kind: 'none' })
  assert.equal(d.correction(Infinity), { kind: 'none' })
  assert.is(d.corrections, 1)
  assert.is(d.resyncs, 1)
  assert.throws(() => new DriftCorrector({ sampleRate: 48000, toleranceFrames: 0 }), RangeError)
})

interface Playback {
  corrections: number
  dropped: number
  repeated: number
  flips: number
  resyncs: number
  /** Drift over one buffer, frames (ρ·buffer). */
  perBuffer: number
  /** |ideal − scheduled| per buffer boundary, frames, as the player sees it (from the estimate). */
  errors: number[]
  /** The same against the truth (θ + a/2: path asymmetry is invisible, see clock-sync.test.ts). */
  trueErrors: number[]
  /** ρ·rate·duration: frames the sound card and the curator's clock drift apart. */
  driftFrames: number
}

/**
 * One hour of playback at 48 kHz in 4096-frame buffers. The sound card runs
 * `audioPpm` off the listener's system clock; at each boundary the player
 * maps its time to the curator's clock, asks the anchor for the ideal frame
 * and the corrector for a decision.
 */
function playHour(path: Partial<PathOptions>, audioPpm = 0, estimator: Partial<ClockEstimatorOptions> = {}): Playback {
  const rate = 48000
  const buffer = 4096
  const sim = new PathSim(path)
  const est = new ClockEstimator(estimator)
  const s = new ProbeSession(sim, est)
  s.run(1000) // the join burst, then playback starts on the first estimate
  const anchor = playing(0, sim.curatorAt(0))
  const corrector = new DriftCorrector({ sampleRate: rate, toleranceFrames: toleranceFrames(1, rate) })
  const start = sim.listenerAt(1000)
  let scheduled = frameAt(anchor, est.toCurator(start)!, rate)
  const out: Playback = { corrections: 0, dropped: 0, repeated: 0, flips: 0, resyncs: 0, perBuffer: 0, errors: [], trueErrors: [], driftFrames: 0 }
  let last = ''
  for (let k = 0; ; k++) {
    const listenerMs = start + (k * buffer * 1000) / (rate * (1 + audioPpm * 1e-6))
    const tau = sim.tauOfListener(listenerMs)
    if (tau > 3_600_000) break
    s.run(tau)
    const error = frameAt(anchor, est.toCurator(listenerMs)!, rate) - scheduled
    const truth = frameAt(anchor, sim.curatorAt(tau) + sim.asymmetryBiasMs, rate) - scheduled
    const c = corrector.correction(error)
    if (c.kind === 'resync') {
      out.resyncs++
      scheduled += c.errorFrames // start over at the right frame
    } else if (c.kind !== 'none') {
      scheduled += c.kind === 'drop' ? c.frames : -c.frames
      if (last && last !== c.kind) out.flips++
      last = c.kind
    }
    out.errors.push(error)
    out.trueErrors.push(truth)
    scheduled += buffer
  }
  out.corrections = corrector.corrections
  out.dropped = corrector.droppedFrames
  out.repeated = corrector.repeatedFrames
  out.driftFrames = (sim.trueSkewPpm - audioPpm) * 1e-6 * rate * 3600
  out.perBuffer = Math.abs(sim.trueSkewPpm - audioPpm) * 1e-6 * buffer
  return out
}

const abs = (xs: number[]) => xs.map(Math.abs)
const report = (name: string, p: Playback) =>
  console.log(
    `  ${name}: ${p.corrections} corrections (${p.dropped} dropped, ${p.repeated} repeated, ${p.flips} direction flips) for ${p.driftFrames.toFixed(0)} frames of drift;` +
      ` |error| seen p50 ${quantile(abs(p.errors), 0.5)} p99.9 ${quantile(abs(p.errors), 0.999)} max ${Math.max(...abs(p.errors))},` +
      ` true p50 ${quantile(abs(p.trueErrors), 0.5)} max ${Math.max(...abs(p.trueErrors))} frames` +
      (p.resyncs ? `; ${p.resyncs} resyncs` : ''),
  )

/**
 * The error is a whole number of frames; the corrector acts on the second
 * boundary past T, so it sees at most T + 1 + 2·⌈ρ·buffer⌉ (T + 5 at
 * 250 ppm), and removes that much. The estimator may move the ideal frame
 * by its own error between readings: up to 0.5 ms = 24 frames (its lock
 * threshold) over the hour, a few frames between two boundaries.
 */
function assertMinimal(p: Playback, T: number): void {
  const D = Math.abs(p.driftFrames)
  const overshoot = 1 + 2 * Math.ceil(p.perBuffer)
  assert.is(p.resyncs, 0)
  assert.ok(p.corrections <= Math.ceil(D / T), `${p.corrections} corrections, at most ⌈D/T⌉ = ${Math.ceil(D / T)}`)
  assert.ok(p.corrections >= Math.floor(D / (T + overshoot)), `${p.corrections} corrections, no step larger than needed`)
  assert.is(p.flips, 0, 'never oscillates between drop and repeat')
  assert.is(p.driftFrames > 0 ? p.repeated : p.dropped, 0, 'always the same way')
  assert.ok(Math.abs(p.dropped - p.repeated - p.driftFrames) <= T + 24, 'the frames taken out are the drift')
  assert.ok(quantile(abs(p.errors), 0.999) <= T + overshoot, 'within tolerance (+ the confirming buffer) 99.9 % of the time')
  assert.ok(Math.max(...abs(p.errors)) <= T + overshoot + 8, 'and never far off it')
  assert.ok(Math.max(...abs(p.trueErrors)) <= T + overshoot + 24, 'truly within tolerance plus the estimation error')
}

test('an hour at +200 ppm (curator fast): only drops, the minimum number of them, never outside tolerance', () => {
  const p = playHour({ seed: 7, listenerPpm: -100, curatorPpm: 100 })
  report('+200 ppm', p)
  assertMinimal(p, 48)
})

test('an hour at −200 ppm on a heavy path (30 % loss, spikes): only repeats, still minimal', () => {
  const p = playHour({ seed: 8, listenerPpm: 100, curatorPpm: -100, queueForwardMs: 3, queueBackMs: 2, spikeProb: 0.1, lossProb: 0.3 })
  report('−200 ppm, heavy path', p)
  assertMinimal(p, 48)
})

test("the sound card's own drift (−50 ppm against its system clock) is corrected the same way", () => {
  const p = playHour({ seed: 7, listenerPpm: -100, curatorPpm: 100 }, -50)
  report('+200 ppm, sound card −50 ppm', p)
  assertMinimal(p, 48)
  assert.ok(p.corrections > 850, '250 ppm in all')
})

test('one clock (curator and listener on one machine): no correction in an hour', () => {
  const p = playHour({ seed: 7, offsetMs: 0.2, listenerPpm: 30, curatorPpm: 30, baseForwardMs: 0.15, baseBackMs: 0.15, queueForwardMs: 0.1, queueBackMs: 0.1 })
  report('one clock', p)
  assert.is(p.corrections, 0)
  assert.ok(Math.max(...abs(p.errors)) <= 8, 'estimation noise stays far below tolerance')
})

test('why the skew-aware mapping: an offset-only estimate costs glitches both ways and breaks tolerance', () => {
  // Skew pinned at 0, only the last 3 s of exchanges: the classic "latest best offset".
  const offsetOnly = { skewPriorStdPpm: 1e-3, historyMs: 3000, minKeep: 1 }
  const p = playHour({ seed: 7, listenerPpm: -100, curatorPpm: 100 }, 0, offsetOnly)
  report('+200 ppm, offset-only estimate', p)
  const q = playHour({ seed: 7, listenerPpm: 30, curatorPpm: 30 }, 0, offsetOnly)
  report('one clock, offset-only estimate', q)
  assert.ok(p.flips > 0 && q.flips > 0 && q.corrections > 0)
  assert.ok(q.resyncs > 0, 'and a bad offset slipped through its short history')
  assert.ok(quantile(abs(p.errors), 0.999) > 48)
})

test.run()
