/**
 * Seeking in a room: the curator drags the position bar and everyone jumps
 * to the same frame together, still within 1 ms of each other at the
 * output, listeners with skewed clocks included. A listener in curator mode
 * has no seek bar.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { longestSilence, outputOffsetsMs, readCaptures } from '../support/capture.ts'
import { clockDiagnosis, createRoom, joinFromLink, screenshot, waitLocked, withClock } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'
import { LONG_RAMP, makeSyncLibrary } from '../support/sync-library.ts'

const stage = await openStage(await makeSyncLibrary())
const { origin } = stage
test.after(() => stage.dispose())

const position = (p: Page) => p.evaluate(() => (window as unknown as { aulaDebug: { player: { positionSec: number } } }).aulaDebug.player.positionSec)

test('the curator seeks; everyone lands on the same frame together', async () => {
  const ana = await stage.person()
  const link = await createRoom(ana, origin, { room: 'Seek', me: 'Ana' })
  const bo = await stage.person()
  const cy = await stage.person()
  const bosClock = { offsetMs: 2500, skewPpm: 150 }
  const cysClock = { offsetMs: -900, skewPpm: -120 }
  await joinFromLink(bo, withClock(link, bosClock.offsetMs, bosClock.skewPpm), 'Bo')
  await joinFromLink(cy, withClock(link, cysClock.offsetMs, cysClock.skewPpm), 'Cy')
  for (const p of [bo, cy]) await waitLocked(p)

  await ana.getByRole('button', { name: `Play ${LONG_RAMP}`, exact: true }).click()
  for (const p of [ana, bo, cy]) await p.waitForFunction(() => (window as unknown as { aulaDebug: { player: { status: string } } }).aulaDebug.player.status === 'playing')
  assert.is(await bo.getByRole('slider', { name: 'Seek' }).count(), 0, 'a listener in curator mode cannot seek')

  await ana.waitForTimeout(1500)
  await ana.getByRole('slider', { name: 'Seek' }).fill('12')
  await ana.waitForTimeout(3500)
  const positions = await Promise.all([ana, bo, cy].map(position))
  for (const [i, pos] of positions.entries()) assert.ok(pos > 13 && pos < 17, `page ${i} plays from the new point (${pos.toFixed(2)} s)`)
  await screenshot(ana, 'room-seek-curator')
  for (const [name, p, c] of [['Bo', bo, bosClock], ['Cy', cy, cysClock]] as const) {
    const d = await clockDiagnosis(p, c)
    console.log(`  ${name}: clock estimate off by ${d.clockErrorMs?.toFixed(3)} ms (± ${d.uncertaintyMs?.toFixed(3)}), corrector sees ${d.correctorSeesMs?.toFixed(3)} ms`)
  }

  await assertLanded('the seek', [ana, bo, cy])

  // A resume starts every page on the audio it held at the paused frame (warm): in step too.
  // Bo's page is busy as the pause comes (its main thread held 700 ms), so
  // the pause reaches it after its moment, when it has played past the
  // paused frame: it must neither hear those frames twice nor fall out of step.
  const bar = ana.getByRole('region', { name: 'Player' })
  // Cy's is held 80 ms, as a page busy with its swarm is: the pause's lead
  // (PAUSE_LEAD_MS) covers that, the output's latency and a device callback.
  const busy = bo.evaluate('(() => { const t = performance.now(); while (performance.now() - t < 700) {} })()')
  const held = cy.evaluate('(() => { const t = performance.now(); while (performance.now() - t < 80) {} })()')
  await bar.getByRole('button', { name: 'Pause' }).click()
  await Promise.all([busy, held])
  for (const p of [ana, bo, cy]) await p.waitForFunction(() => (window as unknown as { aulaDebug: { player: { status: string } } }).aulaDebug.player.status === 'idle')
  await ana.waitForTimeout(800)
  await bar.getByRole('button', { name: 'Play' }).click()
  await ana.waitForTimeout(3000)
  await assertLanded('the resume', [ana, bo, cy])
  const lateOnBo = (await bo.evaluate("performance.getEntriesByName('aula:pause-late').length")) as number
  assert.ok(lateOnBo > 0, 'the pause reached busy Bo after its moment (else this checks nothing more than Cy)')
  const lateOnCy = (await cy.evaluate("performance.getEntriesByName('aula:pause-late').map((m) => JSON.stringify(m.detail)).join(' ')")) as string
  assert.is(lateOnCy, '', 'the pause reached Cy, held 80 ms, in time to stop on the paused frame itself')
  // Everyone stopped on a frame and went on from the next one: nothing heard
  // twice or skipped across the pause (Ana and Cy on the paused frame, Bo a moment after it).
  for (const [name, p] of [['Ana', ana], ['Bo', bo], ['Cy', cy]] as const) {
    const cap = (await readCaptures(p)).at(-1)!
    const gap = longestSilence(cap.L)
    const before = cap.L[gap.at - 1]!
    const after = cap.L[gap.at + gap.frames]!
    // A pause that reached a page after its moment stops it a moment past the paused frame (printed).
    const late = await p.evaluate("performance.getEntriesByName('aula:pause-late').map((m) => JSON.stringify(m.detail)).join(' ')")
    assert.is(rampFrames(before, after), 1, `${name}: across the pause (${gap.frames} frames of silence), frames from the last one heard to the next${late ? `; the pause came late: ${late}` : ''}`)
  }
})

/**
 * How many frames of the sync library's ramp lie from value `a` to value `b`
 * (negative: `b` came earlier in the track). The ramp steps by 4097 (of 2^24)
 * a frame (tests/support/sync-library.ts); 16773121 is 4097's inverse mod 2^24.
 */
function rampFrames(a: number, b: number): number {
  const d = ((Math.round((b - a) * 2 ** 23) % 2 ** 24) + 2 ** 24) % 2 ** 24
  const frames = (d * 16_773_121) % 2 ** 24
  return frames >= 2 ** 23 ? frames - 2 ** 24 : frames
}

/** The last moments each listener heard sit within 1 ms of the curator's at the output. */
async function assertLanded(after: string, [ana, bo, cy]: Page[]): Promise<void> {
  const [ref, ...caps] = (await Promise.all([ana!, bo!, cy!].map(readCaptures))).map((c) => c.at(-1)!)
  for (const [name, cap] of [['Bo', caps[0]!], ['Cy', caps[1]!]] as const) {
    const offs = outputOffsetsMs(ref!, cap)
    assert.ok(offs.length >= 3, `${name}: heard the curator's samples after ${after} (${offs.length} points)`)
    console.log(`  ${name} after ${after}: output offset to curator ${offs.map((x) => x.toFixed(3)).join(', ')} ms`)
    // Where the start landed is what this test is about: the typical offset.
    // (A lone point off by a millisecond or more, between neighbours in step,
    // is the measurement around a stall of the page; see sync.test.)
    const inStep = offs.filter((x) => Math.abs(x) <= 1).length
    const median = [...offs].sort((a, b) => a - b)[Math.floor(offs.length / 2)]!
    assert.ok(Math.abs(median) <= 1, `${name} landed ${median.toFixed(3)} ms off the curator after ${after}`)
    assert.ok(inStep >= offs.length - 1, `${name}: ${offs.length - inStep} of ${offs.length} points more than 1 ms off after ${after}`)
  }
}

test.run()
