/**
 * A track nobody holds: when the curator's pointer rests on its Play, every
 * page fetches and decodes its opening before the click (cue.hint), so the
 * click starts it at once, without the cue every page otherwise waits on.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { firstSound, outputOffsetsMs, readCaptures } from '../support/capture.ts'
import { createRoom, joinFromLink, waitLocked, withClock } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'
import { LONG_RAMP, makeSyncLibrary } from '../support/sync-library.ts'

const stage = await openStage(await makeSyncLibrary())
test.after(() => stage.dispose())

/** The playback states this page applied after `since` (performance time), in order. */
const statesSince = (p: Page, since: number) =>
  p.evaluate(
    (t) => performance.getEntriesByName('aula:anchor').filter((m) => m.startTime > t).map((m) => (m as PerformanceMark).detail?.state as string),
    since,
  )
/** In the page: whether its player holds `title` warm from its top (what the curator's hint asked for). */
const holdsWarm = (title: string) =>
  `(() => { const p = aulaDebug.player; const t = p.queue.find((x) => x.title === ${JSON.stringify(title)}); return !!t && p.isWarm(t, 0) })()`

test('a pointer resting on Play prepares every page; the click then starts at once, from the first sample', async () => {
  const ana = await stage.person()
  const link = await createRoom(ana, stage.origin, { room: 'Ready', me: 'Ana' })
  const bo = await stage.person()
  await joinFromLink(bo, withClock(link, 1800, -120), 'Bo')
  await waitLocked(bo)

  const play = ana.getByRole('button', { name: `Play ${LONG_RAMP}`, exact: true })
  await play.hover()
  // Both pages hold the track's opening, decoded, before anything was clicked.
  for (const p of [ana, bo]) await p.waitForFunction(holdsWarm(LONG_RAMP), null, { timeout: 5000 })
  const before = await Promise.all([ana, bo].map((p) => p.evaluate(() => performance.now())))
  await play.click()
  await ana.waitForTimeout(2500)
  // No cue first: the first state either page applied after the click was 'playing'.
  const [anaStates, boStates] = await Promise.all([statesSince(ana, before[0]!), statesSince(bo, before[1]!)])
  assert.is(anaStates[0], 'playing', `Ana's states after the click: ${anaStates.join(', ')}`)
  assert.is(boStates[0], 'playing', `Bo's states after the click: ${boStates.join(', ')}`)
  const [ref, cap] = (await Promise.all([ana, bo].map(readCaptures))).map((c) => c.at(-1)!)
  for (const [name, c] of [['Ana', ref!], ['Bo', cap!]] as const) assert.is(c.L[firstSound(c.L)], -1, `${name} began at the track's first sample`)
  const offs = outputOffsetsMs(ref!, cap!)
  assert.ok(offs.length >= 3 && offs.every((x) => Math.abs(x) <= 1), `Bo within 1 ms of Ana: ${offs.map((x) => x.toFixed(3)).join(', ')}`)
})

test('a click that comes before the pages are ready keeps what the hint began: no page fetches the opening twice', async () => {
  const ana = await stage.person()
  const link = await createRoom(ana, stage.origin, { room: 'Quick', me: 'Ana' })
  const bo = await stage.person()
  await joinFromLink(bo, withClock(link, -900, 80), 'Bo')
  await waitLocked(bo)

  // Reads of a track's opening (from its byte 0), per track, per page: a start from the top opens one.
  const opened = [ana, bo].map((p) => {
    const count = new Map<string, number>()
    p.on('request', (r) => {
      const range = r.headers()['range'] ?? 'bytes=0-'
      if (r.url().includes('/api/stream/') && range.startsWith('bytes=0-')) count.set(r.url(), (count.get(r.url()) ?? 0) + 1)
    })
    return count
  })
  const before = await Promise.all([ana, bo].map((p) => p.evaluate(() => performance.now())))
  // The pointer lands and presses at once (the press hints), so the click finds nobody ready and cues first.
  await ana.getByRole('button', { name: `Play ${LONG_RAMP}`, exact: true }).click()
  await ana.waitForTimeout(2500)
  const [anaStates, boStates] = await Promise.all([statesSince(ana, before[0]!), statesSince(bo, before[1]!)])
  assert.equal(anaStates.slice(0, 2), ['paused', 'playing'], `Ana's states after the click: ${anaStates.join(', ')}`)
  assert.is(boStates.at(-1), 'playing', `Bo's states after the click: ${boStates.join(', ')}`)
  for (const [name, count] of [['Ana', opened[0]!], ['Bo', opened[1]!]] as const) {
    assert.ok(count.size >= 1, `${name} fetched the track`)
    for (const [url, n] of count) assert.is(n, 1, `${name} opened ${url} ${n} times`)
  }
  const [ref, cap] = (await Promise.all([ana, bo].map(readCaptures))).map((c) => c.at(-1)!)
  for (const [name, c] of [['Ana', ref!], ['Bo', cap!]] as const) assert.is(c.L[firstSound(c.L)], -1, `${name} began at the track's first sample`)
})

test.run()
