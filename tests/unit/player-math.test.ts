import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeAheadFrames, MAX_PCM_BYTES, PcmLedger } from '../../client/src/lib/player/buffer-budget.ts'
import { exactLead, exactWhen, frameAtOrAfter, isExactFrame } from '../../client/src/lib/player/frame-time.ts'

test('`when` multiplies back to its frame, within an ULP of the frame number', () => {
  let inexact = 0
  for (const rate of [44100, 48000, 88200, 96000, 176400, 192000]) {
    // Frames across an hour, including awkward ones.
    for (let i = 0; i < 20000; i++) {
      const frame = Math.floor(i * 7919.37 * (rate / 44100)) + (i % 13)
      const w = exactWhen(frame, rate)
      if (w * rate !== frame) inexact++
      // Where no double multiplies back exactly, the miss is an ULP or two
      // of the frame number (< 1e-8 of a frame for an hour): an
      // interpolation weight far too small to change a float32 sample.
      const ulp = 2 ** (Math.floor(Math.log2(Math.max(1, frame))) - 52)
      assert.ok(Math.abs(w * rate - frame) <= 2 * ulp, `${frame} @ ${rate}`)
    }
  }
  assert.ok(inexact > 0 && inexact < 120000 / 4, `mostly exact (${inexact} of 120000 miss by an ULP)`)
})

test('every frame has an exact start a few frames before it', () => {
  let worst = 0
  for (const rate of [44100, 48000, 88200, 96000, 176400, 192000]) {
    for (let i = 0; i < 20000; i++) {
      const frame = Math.floor(i * 7919.37 * (rate / 44100)) + (i % 13) + 100
      const k = exactLead(frame, rate)
      assert.ok(isExactFrame(frame - k, rate))
      assert.is(exactWhen(frame - k, rate) * rate, frame - k, 'the start multiplies back exactly')
      for (let j = 0; j < k; j++) assert.not.ok(isExactFrame(frame - j, rate), 'and it is the nearest one')
      worst = Math.max(worst, k)
    }
  }
  assert.ok(worst > 0 && worst < 64, `a short lead suffices (worst ${worst} frames)`)
})

test('non-integer frames are refused', () => {
  assert.throws(() => exactWhen(1.5, 48000), /not an integer/)
})

test('frameAtOrAfter rounds up but tolerates float noise', () => {
  assert.is(frameAtOrAfter(1, 48000), 48000)
  assert.is(frameAtOrAfter(48000.0000000001 / 48000, 48000), 48000)
  assert.is(frameAtOrAfter(48000.5 / 48000, 48000), 48001)
})

test('decode-ahead targets never exceed the PCM budget, even for 8 channels at 192 kHz', () => {
  for (const s of ['aggressive', 'balanced', 'minimal'] as const) {
    for (const [rate, ch] of [[44100, 2], [192000, 2], [192000, 8]] as const) {
      const frames = decodeAheadFrames(s, rate, ch)
      assert.ok(frames * ch * 4 <= MAX_PCM_BYTES * 0.75 + 1, `${s} ${rate}/${ch}`)
      assert.ok(frames > 0)
    }
  }
  assert.is(decodeAheadFrames('balanced', 44100, 2), 441000, 'balanced is 10 s when it fits')
  assert.ok(decodeAheadFrames('aggressive', 192000, 8) < 30 * 192000, 'aggressive is clamped for 8 ch at 192 kHz')
})

test('the ledger tracks held and peak bytes', () => {
  const l = new PcmLedger()
  l.add(100)
  l.add(50)
  l.release(120)
  l.add(10)
  assert.equal([l.held, l.peak], [40, 150])
  l.release(1000)
  assert.is(l.held, 0, 'never negative')
})

test.run()
