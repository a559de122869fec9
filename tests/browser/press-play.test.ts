/**
 * The curator's press on a track's Play begins preparing it on every page
 * (TrackList's prepare). Nothing it brings may move the page under the
 * pointer before the release: the output it opens for a 96 kHz track once
 * showed its notice at once ("Your output device runs at 44100 Hz…"), the
 * list moved down, the release landed on another row, and nothing played.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createRoom, joinFromLink, waitLocked } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'

const stage = await openStage(null) // the demo library: Meridian is 24-bit/96 kHz, second in the list
test.after(() => stage.dispose())

test('a held press on Play prepares the track without moving the page; the release plays it', async () => {
  const ana = await stage.person()
  const link = await createRoom(ana, stage.origin, { room: 'Press', me: 'Ana' })
  const bo = await stage.person()
  await joinFromLink(bo, link, 'Bo')
  await waitLocked(bo)

  const title = 'Meridian (24-bit, 96 kHz)'
  const play = ana.getByRole('button', { name: `Play ${title}`, exact: true })
  const before = await play.boundingBox()
  await play.hover()
  await ana.mouse.down()
  // A person's press: long enough for the prepared output and opening to arrive.
  await ana.waitForFunction(
    (t) => {
      const p = (window as unknown as { aulaDebug: { player: { queue: { title: string }[]; isWarm(t: unknown, f: number): boolean } } }).aulaDebug.player
      const track = p.queue.find((x) => x.title === t)
      return !!track && p.isWarm(track, 0)
    },
    title,
    { timeout: 5000 },
  )
  const during = await play.boundingBox()
  await ana.mouse.up()
  assert.equal(during, before, 'the Play button stayed under the pointer while pressed')

  const player = ana.getByRole('region', { name: 'Player' })
  await player.getByRole('button', { name: 'Pause' }).waitFor({ timeout: 5000 })
  await bo.getByRole('region', { name: 'Player' }).getByText(title).first().waitFor({ timeout: 5000 })
  // What the output does to the track is still said, once it plays.
  const deviceRate = await ana.evaluate(() => new AudioContext().sampleRate)
  if (deviceRate < 96_000) await player.getByText(`Your output device runs at ${deviceRate} Hz`).waitFor({ timeout: 5000 })
})

test.run()
