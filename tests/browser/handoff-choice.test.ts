/**
 * The curator hands the room to a listener by choice (issue #7): the chosen
 * listener curates from then on under a key of its own, the old curator
 * listens on as anyone else, and nobody hears a gap. A refused hand-over
 * says why and changes nothing.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { findInCapture, firstSound, readCaptures, type Capture, longestSilence } from '../support/capture.ts'
import { createRoom, joinFromLink, waitLocked } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'
import { LONG_RAMP, makeSyncLibrary } from '../support/sync-library.ts'

const stage = await openStage(await makeSyncLibrary())
const { origin } = stage
test.after(() => stage.dispose())

/**
 * Places where the left channel leaves the ramp (sync-library.ts: each frame
 * is 4097 above the last, mod 2^24, in 24-bit units): a sample dropped,
 * repeated or jumped over. Silence is counted by longestSilence instead.
 */
function rampBreaks(samples: Float32Array): number {
  let breaks = 0
  for (let i = firstSound(samples) + 1; i > 0 && i < samples.length; i++) {
    if (samples[i] === 0 || samples[i - 1] === 0) continue
    const step = Math.round((samples[i]! - samples[i - 1]!) * 2 ** 23)
    if ((step + 2 ** 24) % 2 ** 24 !== 4097) breaks++
  }
  return breaks
}

/** The capture hands over its samples in chunks of this many frames (capture.ts). */
const CHUNK_FRAMES = 16384
type Heard = { aulaCapture: { L: unknown[] }[]; aulaDebug: { player: { corrections: number; underruns: number; status: string } } }
/** How many capture chunks the page's (one) output has produced so far, and the player's drift corrections and underruns. */
const heardSoFar = (p: Page) =>
  p.evaluate(() => {
    const w = window as unknown as Heard
    const { corrections, underruns } = w.aulaDebug.player
    return { chunks: w.aulaCapture[0]?.L.length ?? 0, corrections, underruns }
  })

/**
 * When the same audio reached the output on each page (ms), for a stretch
 * near the end of `ref`.
 */
function outputTimes(ref: Capture, caps: Capture[]): number[] {
  // Half a second back: the pages' captures were cut at slightly different points.
  const at = ref.L.length - ref.rate / 2
  return caps.map((cap) => {
    const i = findInCapture(cap.L, ref.L, at)
    assert.ok(i >= 0, 'all play the same audio')
    return cap.outputTimeOfFrame(cap.frameAt(i))
  })
}

const player = (p: Page) => p.getByRole('region', { name: 'Player' })

test('the curator hands over by choice; the music goes on and the new curator controls it', async () => {
  const ana = await stage.person()
  // Ana's socket, through a hook that can make her next hand-over name a
  // stale epoch: the server's refusal must reach her as a sentence.
  let staleNext = false
  await ana.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer()
    ws.onMessage((m) => {
      if (staleNext && typeof m === 'string' && m.includes('"room.handoff"')) {
        staleNext = false
        m = m.replace(/"epoch":\d+/, '"epoch":99')
      }
      server.send(m)
    })
  })
  const link = await createRoom(ana, origin, { room: 'By choice', me: 'Ana' })
  const bo = await stage.person()
  const cy = await stage.person()
  await joinFromLink(bo, link.replace('#', '?clock=2000,150#'), 'Bo')
  await joinFromLink(cy, link.replace('#', '?clock=-900,-120#'), 'Cy')
  for (const p of [bo, cy]) await waitLocked(p)

  // Only the curator is offered the choice, and never for itself.
  await ana.getByRole('button', { name: 'Hand over to Bo' }).waitFor()
  await ana.getByRole('button', { name: 'Hand over to Cy' }).waitFor()
  assert.is(await ana.getByRole('button', { name: 'Hand over to Ana' }).count(), 0)
  for (const p of [bo, cy]) assert.is(await p.getByRole('button', { name: /^Hand over to / }).count(), 0, 'listeners cannot hand over')

  await ana.getByRole('button', { name: `Play ${LONG_RAMP}`, exact: true }).click()
  await ana.getByRole('button', { name: `Add ${LONG_RAMP}-b to queue` }).click()
  // Everyone hears it before Ana lets go (a slow start is the sync tests' business).
  for (const p of [ana, bo, cy]) await p.waitForFunction(() => (window as unknown as Heard).aulaDebug.player.status === 'playing', null, { timeout: 10_000 })
  await bo.waitForTimeout(1000)

  staleNext = true
  await ana.getByRole('button', { name: 'Hand over to Bo' }).click()
  await ana.getByRole('alert').filter({ hasText: 'Could not hand over: The curator changed meanwhile' }).waitFor({ timeout: 5000 })
  assert.ok(await ana.getByText('you are the curator').isVisible(), 'a refused hand-over changes nothing')

  const before = await Promise.all([ana, bo, cy].map(heardSoFar))
  await ana.getByRole('button', { name: 'Hand over to Bo' }).click()
  await bo.getByText('you are the curator').waitFor({ timeout: 5000 })
  for (const p of [ana, cy]) await p.getByText('curated by Bo').waitFor({ timeout: 5000 })
  assert.is(await ana.getByRole('alert').filter({ hasText: 'Could not hand over' }).count(), 0, 'the old refusal is gone')
  // Bo may hand it on; Ana and Cy no longer may, nor touch playback.
  await bo.getByRole('button', { name: 'Hand over to Ana' }).waitFor()
  for (const p of [ana, cy]) assert.is(await p.getByRole('button', { name: /^Hand over to / }).count(), 0)
  assert.ok(await player(bo).getByRole('button', { name: 'Pause' }).isEnabled(), 'Bo controls playback')
  assert.ok(await player(ana).getByRole('button', { name: 'Pause' }).isDisabled(), 'Ana listens like anyone else')
  await bo.waitForTimeout(4000)

  // Nobody heard a gap across the hand-over, and nobody's output was
  // reopened: the sound went on. What counts is from just before the click
  // to now: copying a capture out keeps the 2 cores busy enough to starve
  // the pages' players meanwhile, and the start of play is other
  // tests' business (sync, gapless).
  const people = [['Ana', ana], ['Bo', bo], ['Cy', cy]] as const
  const heard = await Promise.all(people.map(([, p]) => heardSoFar(p)))
  const caps: Capture[] = []
  for (const [k, [name, p]] of people.entries()) {
    const all = await readCaptures(p)
    assert.is(all.length, 1, `${name} played through one output`)
    const [from, to] = [before[k]!.chunks * CHUNK_FRAMES, heard[k]!.chunks * CHUNK_FRAMES]
    const cap = { ...all[0]!, L: all[0]!.L.subarray(0, to) }
    const around = cap.L.subarray(from)
    const seconds = around.length / cap.rate
    assert.ok(seconds >= 3, `${name}'s capture runs on past the hand-over (${seconds.toFixed(1)} s)`)
    assert.is(firstSound(around), 0, `${name} was hearing the music when Ana handed over`)
    const gap = longestSilence(around)
    const ms = (gap.frames / cap.rate) * 1000
    const breaks = rampBreaks(around)
    const made = heard[k]!.corrections - before[k]!.corrections
    // Underruns are printed so a failure on a starved machine reads as one.
    const dry = heard[k]!.underruns - before[k]!.underruns
    console.log(`   ${name}: ${seconds.toFixed(1)} s from the hand-over on: longest silence ${ms.toFixed(2)} ms, ${breaks} breaks in the ramp, ${made} drift corrections, ${dry} underruns`)
    assert.ok(ms < 5, `${name} heard no gap (longest silence ${ms.toFixed(2)} ms, ${(gap.at / cap.rate).toFixed(3)} s after the hand-over)`)
    // Drift correction may drop or add a few frames; nothing else may break the ramp.
    assert.ok(breaks <= made, `${name}: every break in the ramp is a drift correction (${breaks} breaks, ${made} corrections)`)
    caps.push(cap)
  }
  // Still in step after the hand-over (one machine: one clock).
  const [ta, tb, tc] = outputTimes(caps[0]!, caps) as [number, number, number]
  for (const [name, t] of [['Ana', ta], ['Cy', tc]] as const) {
    const off = t - tb
    console.log(`   ${name} vs Bo after the hand-over: ${off.toFixed(3)} ms`)
    assert.ok(Math.abs(off) <= 1, `${name} in step with Bo after the hand-over (${off.toFixed(3)} ms)`)
  }

  // The new curator's word counts everywhere: its states are signed with the
  // key it registered for the new epoch, or the others would drop them.
  await player(bo).getByRole('button', { name: 'Pause' }).click()
  for (const [, p] of people) await player(p).getByRole('button', { name: 'Play' }).waitFor({ timeout: 3000 })
  await bo.waitForTimeout(800)
  for (const [name, p] of people) {
    const cap = (await readCaptures(p))[0]!
    const tail = cap.L.subarray(cap.L.length - Math.round(cap.rate * 0.3))
    assert.ok(tail.every((x) => x === 0), `${name} fell silent on Bo's pause`)
  }
})

test.run()
