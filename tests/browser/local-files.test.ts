/**
 * The curator's own files: picked from disk, queued, and heard by everyone
 * in the room from the curator's browser and each other; the server never
 * sees a byte of them. A file that is not FLAC or WAV is refused with a
 * sentence and nothing is queued.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { createRoom, joinFromLink, screenshot, until } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'
import { makeLongLibrary } from '../support/sync-library.ts'

const LOCAL = 'Curator tone'
const SECONDS = 8
const stage = await openStage(await makeLongLibrary(['Library tone'], 4))
const own = await makeLongLibrary([LOCAL], SECONDS)
const { origin } = stage
test.after(async () => {
  await stage.dispose()
  own.dispose()
})

interface Delivery {
  bytesFromPeers: number
  bytesFromOrigin: number
}
type Dbg = {
  aulaDebug: { player: { status: string; delivery: Delivery | null; notices: { kind: string }[]; nowPlaying: { title: string; id: string } | null } }
}
const dbg = <T,>(p: Page, fn: (d: Dbg['aulaDebug']['player']) => T) =>
  p.evaluate(`(${fn.toString()})(window.aulaDebug.player)`) as Promise<T>

test('a curator plays a file from disk to the room; nothing reaches the server', async () => {
  const ana = await stage.person()
  const link = await createRoom(ana, origin, { room: 'Own files', me: 'Ana' })
  const bo = await stage.person()
  const cy = await stage.person()
  await joinFromLink(bo, link, 'Bo')
  await joinFromLink(cy, link, 'Cy')
  for (const p of [ana, bo, cy]) await p.getByLabel('Presence').filter({ hasText: '3 in the room' }).waitFor()

  // Something that is not audio is refused, with a reason.
  const junk = join(own.dir, 'notes.flac')
  writeFileSync(junk, 'these are my notes, not music')
  await ana.getByLabel('Add files from this computer').setInputFiles(junk)
  await ana.getByRole('alert').filter({ hasText: '“notes.flac” is not a FLAC or WAV file' }).waitFor()

  await ana.getByLabel('Add files from this computer').setInputFiles(join(own.dir, `${LOCAL}.flac`))
  for (const p of [ana, bo, cy]) await p.getByRole('region', { name: 'Queue' }).getByText(LOCAL).waitFor()
  for (const p of [ana, bo, cy]) await until('everyone plays the file', async () => (await dbg(p, (d) => d.status)) === 'playing' && (await dbg(p, (d) => d.nowPlaying?.title)) === LOCAL)
  await screenshot(bo, 'local-file-listener')

  // It plays to the end everywhere, whole (the player checks its SHA-256), from peers only.
  for (const p of [bo, cy]) await until('the listener has the whole file', async () => ((await dbg(p, (d) => d.delivery?.bytesFromPeers)) ?? 0) > 0, SECONDS * 1000)
  await until('the track ends', async () => (await dbg(ana, (d) => d.status)) === 'idle', (SECONDS + 10) * 1000)
  for (const p of [bo, cy]) {
    const d = await dbg(p, (x) => x.delivery)
    assert.is(d!.bytesFromOrigin, 0, 'no origin for a curator file')
    assert.equal(await dbg(p, (x) => x.notices.map((n) => n.kind).filter((k) => k === 'integrity' || k === 'underrun')), [])
  }
  const id = await bo.evaluate(() => (window as unknown as { aulaDebug: { player: { queueTracks: { id: string; title: string }[] } } }).aulaDebug.player.queueTracks.find((t) => t.title === 'Curator tone')?.id)
  assert.ok(id, 'the listener knows the track')
  assert.is((await fetch(`${origin}/api/stream/${id}`)).status, 404, 'the server does not have the file')
  const metrics = await (await fetch(`${origin}/metrics`)).text()
  assert.not.match(metrics, new RegExp(`track="${id}"`), 'no origin bytes for it')
})

test.run()
