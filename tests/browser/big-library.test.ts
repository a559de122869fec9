/**
 * A library the size of a person's: the track list shows a page of rows at
 * a time and search finds the rest; Play on a track queues the whole
 * library, and the queue panel lists the entries around the one sounding.
 * All of it at once held every page's main thread up (bench/sync
 * --library=500: a joiner took 1.4 s instead of 0.85).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createRoom } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'
import { LONG_RAMP, makeSyncLibrary, padLibrary } from '../support/sync-library.ts'

const library = await makeSyncLibrary()
padLibrary(library.dir, 146) // 150 tracks
const stage = await openStage(library)
test.after(() => stage.dispose())

test('150 tracks: 100 rows, then more on request; search reaches any; the queue shows where it is', async () => {
  const ana = await stage.person()
  await createRoom(ana, stage.origin, { room: 'Big shelf', me: 'Ana' })
  const rows = ana.getByRole('table', { name: 'Tracks' }).locator('tbody tr')
  await ana.getByText('100 of 150 shown').waitFor({ timeout: 10_000 })
  assert.is(await rows.count(), 100)
  await ana.getByRole('button', { name: 'Show 50 more' }).click()
  await ana.getByRole('button', { name: 'Play zz-filler-0145', exact: true }).waitFor()
  assert.is(await rows.count(), 150)
  assert.is(await ana.getByText(/of 150 shown/).count(), 0, 'nothing left to show')

  await ana.getByRole('searchbox', { name: 'Search the library' }).fill('filler-0120')
  assert.is(await rows.count(), 1)
  await ana.getByRole('searchbox', { name: 'Search the library' }).fill('')

  await ana.getByRole('button', { name: `Play ${LONG_RAMP}`, exact: true }).click()
  const queue = ana.getByRole('region', { name: 'Queue' })
  await queue.locator('li.current').filter({ hasText: LONG_RAMP }).waitFor({ timeout: 10_000 })
  const listed = await queue.locator('ol.queue > li').count()
  assert.ok(listed > 1 && listed <= 33, `${listed} queue entries listed`)
  await queue.getByText(/^and \d+ more$/).waitFor()
})

test.run()
