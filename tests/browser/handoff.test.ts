/**
 * The curator closes their tab mid-track: the longest-present listener
 * becomes curator and the music goes on, in step, with no gap.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findInCapture, firstSound, readCaptures, longestSilence } from '../support/capture.ts'
import { createRoom, joinFromLink, waitLocked } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'
import { LONG_RAMP, makeSyncLibrary } from '../support/sync-library.ts'

const stage = await openStage(await makeSyncLibrary())
const { origin } = stage
const person = () => stage.person()
test.after(() => stage.dispose())

test('when the curator leaves, a listener takes over and the music goes on', async () => {
  // Ana in a browser of her own, as on her own machine: tearing down her tab
  // in the listeners' browser would stall their pages, which no real
  // hand-off does.
  const ana = await stage.person({ ownBrowser: true })
  const link = await createRoom(ana, origin, { room: 'Hand-off', me: 'Ana' })
  const bo = await person()
  const cy = await person()
  await joinFromLink(bo, link.replace('#', '?clock=2000,150#'), 'Bo')
  await joinFromLink(cy, link.replace('#', '?clock=-900,-120#'), 'Cy')
  for (const p of [bo, cy]) await waitLocked(p)

  await ana.getByRole('button', { name: `Play ${LONG_RAMP}`, exact: true }).click()
  await bo.waitForTimeout(3000)
  await ana.close()

  // Bo arrived first: Bo curates now, and says so.
  await bo.getByText('you are the curator').waitFor({ timeout: 5000 })
  await cy.getByText('curated by Bo').waitFor({ timeout: 5000 })
  await bo.waitForTimeout(4000)

  for (const p of [bo, cy]) console.log('  ', await p.evaluate(() => { const pl = (window as unknown as { aulaDebug: { player: { underruns: number; corrections: number; notices: { message: string }[] } } }).aulaDebug.player; return `underruns ${pl.underruns}, corrections ${pl.corrections}, ${pl.notices.map((n) => n.message).join(' | ')}` }))
  const [b, c] = (await Promise.all([bo, cy].map(readCaptures))).map((caps) => caps[0])
  for (const [name, cap] of [['Bo', b!], ['Cy', c!]] as const) {
    const gap = longestSilence(cap.L)
    const ms = (gap.frames / cap.rate) * 1000
    assert.ok(ms < 5, `${name} heard no gap (longest silence ${ms.toFixed(2)} ms, at ${(gap.at / cap.rate).toFixed(3)} s of the capture)`)
  }
  // Still in step after the hand-off: compare the last second.
  const at = c!.L.length - 20_000
  const inB = findInCapture(b!.L, c!.L, at)
  assert.ok(inB >= 0, 'both still play the same audio')
  const offset = c!.outputTimeOfFrame(c!.frameAt(at)) - b!.outputTimeOfFrame(b!.frameAt(inB))
  console.log(`  Cy vs Bo after the hand-off: ${offset.toFixed(3)} ms`)
  assert.ok(Math.abs(offset) <= 1, `in step after the hand-off (${offset.toFixed(3)} ms)`)
})

test.run()
