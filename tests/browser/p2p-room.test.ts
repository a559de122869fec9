/**
 * Peer-to-peer delivery as people see it: three pages in a room play a
 * track; listeners get some of its bytes from each other (shown in the
 * Quality panel), the origin serves about one copy, and a listener who
 * reloads plays the track again from their browser's cache.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { createRoom, joinFromLink, screenshot, until } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'
import { makeLongLibrary } from '../support/sync-library.ts'

const TITLE = 'Swarm tone'
const SECONDS = 16
const stage = await openStage(await makeLongLibrary([TITLE], SECONDS))
const { origin } = stage
test.after(() => stage.dispose())

interface Delivery {
  bytesFromPeers: number
  bytesFromOrigin: number
  bytesFromCache: number
  peers: number
}
type Dbg = { aulaDebug: { player: { status: string; delivery: Delivery | null; nowPlaying: { title: string; bytes: number } | null } } }
const delivery = (p: Page) => p.evaluate(() => (window as unknown as Dbg).aulaDebug.player.delivery)
const status = (p: Page) => p.evaluate(() => (window as unknown as Dbg).aulaDebug.player.status)
const originBytes = async () => {
  const text = await (await fetch(`${origin}/metrics`)).text()
  return [...text.matchAll(/^sonantica_stream_origin_bytes_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
}
const trackBytes = async () => {
  const tracks = (await (await fetch(`${origin}/api/tracks`)).json()) as { title: string; bytes: number }[]
  return tracks.find((t) => t.title === TITLE)!.bytes
}

test('three pages share a track over the swarm; a reload plays it from cache', async () => {
  const ana = await stage.person()
  const link = await createRoom(ana, origin, { room: 'Swarm', me: 'Ana' })
  const bo = await stage.person()
  const cy = await stage.person()
  for (const [n, p] of [['ana', ana], ['bo', bo], ['cy', cy]] as const) p.on('console', (m) => process.env.DEBUG_PAGES && console.log(`[${n}] ${m.type()} ${m.text()}`))
  await joinFromLink(bo, link, 'Bo')
  await joinFromLink(cy, link, 'Cy')
  for (const p of [ana, bo, cy]) await p.getByLabel('Presence').filter({ hasText: '3 in the room' }).waitFor()

  await ana.getByRole('button', { name: `Add ${TITLE} to queue` }).click()
  for (const p of [ana, bo, cy]) await until('everyone plays', async () => (await status(p)) === 'playing')

  // Every byte of the track reaches every page; who fetched which piece from
  // the origin is random, but pieces fetched once travel to the others.
  const size = await trackBytes()
  const got = async (p: Page) => {
    const d = await delivery(p)
    return d ? d.bytesFromPeers + d.bytesFromOrigin : 0
  }
  await until('each page has the whole track', async () => (await Promise.all([ana, bo, cy].map(got))).every((n) => n >= size), (SECONDS + 10) * 1000)
  const all = await Promise.all([ana, bo, cy].map(delivery))
  const fromPeers = all.reduce((n, d) => n + d!.bytesFromPeers, 0)
  assert.ok(fromPeers > 0, `bytes travelled between peers (${fromPeers})`)
  assert.ok(all.some((d) => d!.peers > 0), 'pages count their peers')
  const served = await originBytes()
  console.log(`  origin ${(served / size).toFixed(2)}× the track; ${fromPeers} bytes from peers`)
  // One copy per page would be 3×. Three pages starting together each read
  // their opening from the origin before their peers deliver: 1.35-1.53×
  // over 7 runs here, at this commit and at the one before the session's
  // changes alike (the room-of-ten figure, 1.3×, is bench/p2p's and
  // p2p-swarm's). 1.5 failed CI now and then.
  assert.ok(served < 1.6 * size, `the origin sent ${(served / size).toFixed(2)}× the track, not one copy per listener`)
  // What a person reads in the Quality panel.
  const withPeers = [ana, bo, cy][all.findIndex((d) => d!.bytesFromPeers > 0)]!
  const shown = await withPeers.getByLabel('Delivery').innerText()
  // "2.0 MB from peers" is as good as "512 KB": a number above 0.
  const peersShown = /([\d.]+) (KB|MB) from peers/.exec(shown)
  assert.ok(peersShown && Number(peersShown[1]) > 0, `the Quality panel shows bytes from peers: "${shown}"`)
  await screenshot(withPeers, 'p2p-delivery')

  // Cy reloads and joins again; the curator plays the queue once more.
  await until('the track ends', async () => (await status(ana)) === 'idle', (SECONDS + 10) * 1000)
  await cy.reload() // a returning person's link joins at once
  await cy.getByRole('button', { name: 'Leave' }).waitFor()
  const before = await originBytes()
  // The queue played out: Play starts it again.
  await ana.getByRole('region', { name: 'Player' }).getByRole('button', { name: 'Play' }).click()
  await until('Cy plays again', async () => (await status(cy)) === 'playing')
  await until('Cy reads the track from its cache', async () => ((await delivery(cy))?.bytesFromCache ?? 0) >= size)
  const again = (await delivery(cy))!
  assert.is(again.bytesFromOrigin, 0, 'nothing from the origin for a cached track')
  await cy.getByLabel('Delivery').filter({ hasText: /from cache/ }).waitFor()
  assert.ok((await originBytes()) - before < size, 'the replay did not cost the origin another copy per listener')
  const ratio = Number(/^sonantica_stream_cache_hit_ratio (\S+)$/m.exec(await (await fetch(`${origin}/metrics`)).text())?.[1])
  assert.ok(ratio > 0, `the server counts the cache hit (ratio ${ratio})`)
})

test.run()
