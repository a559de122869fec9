/**
 * A whole evening in one room, as people would click through it: an
 * invite-only room, a listener and a hidden listener, a queue of three,
 * shared control, then a vote, chat off until the curator enables it, and
 * the curator leaving while the music goes on.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { createRoom, joinFromLink, listedNames, screenshot, until } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'
import { makeLongLibrary } from '../support/sync-library.ts'

const [ONE, TWO, THREE] = ['Evening one', 'Evening two', 'Evening three'] as const
const stage = await openStage(await makeLongLibrary([ONE, TWO, THREE], 60))
const { origin } = stage
const person = () => stage.person()
test.after(() => stage.dispose())

type Dbg = { aulaDebug: { player: { status: string; nowPlaying: { title: string } | null } } }
const nowPlaying = (p: Page) => p.evaluate(() => (window as unknown as Dbg).aulaDebug.player.nowPlaying?.title ?? null)
const queueNames = (p: Page) => p.getByRole('region', { name: 'Queue' }).locator('ol.queue .name').allInnerTexts()

test('an evening: queue, shared skip, vote, quiet chat, hidden listener, hand-off', async () => {
  const ana = await person()
  const link = await createRoom(ana, origin, { room: 'Evening', me: 'Ana', mode: 'shared' })
  const bo = await person()
  const eve = await person()
  await joinFromLink(bo, link, 'Bo')
  await joinFromLink(eve, link, 'Eve', { hidden: true })
  for (const p of [ana, bo]) await p.getByLabel('Presence').filter({ hasText: '3 in the room · 2 listed · 1 hidden' }).waitFor()
  assert.equal((await listedNames(bo)).sort(), ['Ana', 'Bo'], 'the hidden listener is named nowhere')

  // Ana queues three tracks; Bo sees the same queue.
  for (const title of [ONE, TWO, THREE]) {
    await ana.getByRole('button', { name: `Add ${title} to queue` }).click()
  }
  await until('Bo sees the queue of three', async () => (await queueNames(bo)).length === 3)
  assert.equal(await queueNames(bo), await queueNames(ana))
  await until('Bo hears the first track', async () => (await nowPlaying(bo)) === ONE)

  // Shared mode: Bo may skip.
  await bo.getByText('Shared: anyone controls').waitFor()
  await bo.getByRole('region', { name: 'Player' }).getByRole('button', { name: 'Next' }).click()
  for (const p of [ana, bo]) await until('everyone moves to the second track', async () => (await nowPlaying(p)) === TWO)
  // The hidden listener cannot.
  assert.ok(await eve.getByRole('region', { name: 'Player' }).getByRole('button', { name: 'Next' }).isDisabled(), 'a hidden listener has no controls')

  // Vote mode: Bo's skip is a vote; two voters (Ana and Bo) → needs both.
  await ana.getByLabel('Control mode').selectOption('vote')
  await bo.getByText('Vote: majority decides').waitFor()
  await bo.getByRole('button', { name: 'Vote to skip' }).click()
  await bo.getByText('Skip this track: 1 of 2 votes').waitFor()
  assert.is(await nowPlaying(bo), TWO, 'one vote of two does not skip')
  await ana.getByRole('region', { name: 'Player' }).getByRole('button', { name: 'Next' }).click()
  for (const p of [ana, bo]) await until('the room moves on to the third track', async () => (await nowPlaying(p)) === THREE)

  // Chat is off until Ana turns it on.
  await bo.getByRole('button', { name: 'Chat' }).click()
  await bo.getByText('Chat is off in this room').waitFor()
  await ana.getByRole('button', { name: 'Chat' }).click()
  await ana.getByLabel('Chat on').check()
  await bo.getByRole('textbox', { name: 'Message' }).fill('<b>lovely</b> transition')
  await bo.getByRole('button', { name: 'Send' }).click()
  await ana.getByRole('region', { name: 'Chat' }).getByText('<b>lovely</b> transition').waitFor()
  await screenshot(bo, 'evening-listener')

  // Ana leaves: Bo curates now and the music goes on.
  await ana.close()
  await bo.getByText('you are the curator').waitFor({ timeout: 5000 })
  await until('Bo still hears music', async () => (await bo.evaluate(() => (window as unknown as Dbg).aulaDebug.player.status)) === 'playing')
  await screenshot(bo, 'evening-new-curator')
})

test.run()
