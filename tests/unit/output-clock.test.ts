/**
 * The output clock's mapping from getOutputTimestamp() readings, fed the
 * kinds of series a probe of four busy pages gave (2400 readings at the
 * player's 40 ms tick): ±0.3 ms of noise, a lone reading up to 6 ms off, and
 * now and then an audio glitch that moves the mapping for good by a device
 * buffer (10 ms there, 21.3 ms in CI).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { OutputClock } from '../../client/src/lib/sync/output-clock.ts'

/** A context whose readings are `offset(i)` seconds (context minus performance time) at the i-th tick. */
function rig(offset: (i: number) => number) {
  let i = 0
  const ctx = {
    sampleRate: 96000,
    getOutputTimestamp: () => {
      const perfMs = 1000 + i * 40
      return { contextTime: perfMs / 1000 + offset(i), performanceTime: perfMs }
    },
  }
  const clock = new OutputClock(ctx as unknown as AudioContext)
  return {
    clock,
    tick(n = 1) {
      for (let k = 0; k < n; k++, i++) clock.sample()
    },
  }
}

/** Deterministic noise in [-amp, amp]. */
function noise(seed: number, amp: number): (i: number) => number {
  return (i) => {
    const x = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453
    return (x - Math.floor(x) - 0.5) * 2 * amp
  }
}

const ms = (sec: number | null) => (sec === null ? NaN : sec * 1000)

test('noise and lone bad readings never move the mapping by more than the noise', () => {
  const n = noise(1, 0.0003)
  const spikes = new Set([20, 47, 48 + 30, 130, 131 + 40])
  const { clock, tick } = rig((i) => 2 + n(i) + (spikes.has(i) ? (i % 2 ? -0.006 : 0.0045) : 0))
  for (let k = 0; k < 300; k++) {
    tick()
    if (clock.ready) assert.ok(Math.abs(ms(clock.offsetSec()) - 2000) <= 0.3, `tick ${k}: ${ms(clock.offsetSec()).toFixed(3)} ms`)
  }
})

test('a glitch that moves the mapping for good is followed within five readings, not the median window', () => {
  const n = noise(2, 0.0003)
  const stepAt = 100
  const { clock, tick } = rig((i) => 2 + n(i) - (i >= stepAt ? 0.0213 : 0))
  tick(stepAt)
  assert.ok(Math.abs(ms(clock.offsetSec()) - 2000) <= 0.3)
  tick(5)
  assert.ok(Math.abs(ms(clock.offsetSec()) - (2000 - 21.3)) <= 0.3, `5 readings after the step: ${ms(clock.offsetSec()).toFixed(3)} ms`)
  tick(200)
  assert.ok(Math.abs(ms(clock.offsetSec()) - (2000 - 21.3)) <= 0.3, 'and it stays there')
})

test('a few readings off together, then back, are not a step', () => {
  const n = noise(3, 0.0003)
  const { clock, tick } = rig((i) => 2 + n(i) + (i >= 80 && i < 84 ? 0.005 : 0))
  for (let k = 0; k < 200; k++) {
    tick()
    if (clock.ready) assert.ok(Math.abs(ms(clock.offsetSec()) - 2000) <= 0.3, `tick ${k}: ${ms(clock.offsetSec()).toFixed(3)} ms`)
  }
})

test.run()
