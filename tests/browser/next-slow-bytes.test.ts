/**
 * Next at a moment when a page's bytes come slowly (a busy machine, a
 * congested link): the next track is held warm (it sounds at once) and
 * decoded deep enough (warm-start.ts NEXT_SEC) that its sound goes on while
 * the rest of its bytes are late. A page alone in its room once held it only
 * in the first track's last seconds: this Next started cold, a second late.
 * With only its first 0.4-0.65 s in hand, this page ran dry in the new
 * track's first second (and bench/sync's pages, on a loaded machine, 9-30
 * times a run).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findInCapture, readCaptures } from '../support/capture.ts'
import { createRoom } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'
import { makeLongLibrary } from '../support/sync-library.ts'

/** far-two's samples as the output holds them (makeLongLibrary: a 660 Hz tone, 16-bit). */
const farTwo = (frame: number) => Math.fround(Math.round(3000 * Math.sin((2 * Math.PI * 660 * frame) / 44100)) / 32768)
const stage = await openStage(await makeLongLibrary(['far-one', 'far-two'], 12))
test.after(() => stage.dispose())

/** For SLOW_FOR_MS after Next, each request's answer comes this long after it leaves: longer than a start's opening lasts. */
const LATENCY_MS = 1000
const SLOW_FOR_MS = 1200

test(`Next plays on without a gap when requests take ${LATENCY_MS} ms for ${SLOW_FOR_MS / 1000} s`, async () => {
  const ana = await stage.person()
  await createRoom(ana, stage.origin, { room: 'Far', me: 'Ana' })
  await ana.getByRole('button', { name: 'Play far-one', exact: true }).click()
  const player = ana.getByRole('region', { name: 'Player' })
  await player.getByRole('button', { name: 'Next' }).waitFor()
  // Past the first track's start, the next one is held deeper.
  await ana.waitForTimeout(5000)
  const cdp = await ana.context().newCDPSession(ana)
  await cdp.send('Network.enable')
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: LATENCY_MS, downloadThroughput: -1, uploadThroughput: -1 })
  const clickedAt = await ana.evaluate(() => performance.timeOrigin + performance.now())
  await player.getByRole('button', { name: 'Next' }).click()
  await ana.waitForTimeout(SLOW_FOR_MS)
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
  await ana.waitForTimeout(3000)
  const underruns = await ana.evaluate(() => (window as unknown as { aulaDebug: { player: { underruns: number } } }).aulaDebug.player.underruns)
  const [capture] = await readCaptures(ana)
  const heard = capture!.L
  // Where far-two begins, then every one of its samples after it, in order: a gap would shift or silence them.
  const expected = Float32Array.from({ length: 3 * 44100 }, (_, f) => farTwo(f))
  const at = findInCapture(heard, expected, 1, 256) - 1
  assert.ok(at >= 0, 'far-two was heard')
  // Held warm, it sounds within the room's lead; fetched after the click, a request's second later.
  const startedAfter = capture!.outputTimeOfFrame(capture!.frameAt(at)) - clickedAt
  assert.ok(startedAfter < 700, `far-two sounded ${startedAfter.toFixed(0)} ms after Next`)
  const heldFor = expected.findIndex((x, f) => heard[at + f] !== x)
  assert.is(underruns, 0, 'the player never ran dry')
  assert.is(heldFor, -1, `far-two's first ${(heldFor / 44100).toFixed(2)} s played, then a gap`)
})

test.run()
