/**
 * Three people in three browser profiles: one creates an invite-only room,
 * two join from the invite link, everyone sees everyone with a live round
 * trip over the data channel, one leaves and the others see it. Then the same
 * at a LAN-style origin, which browsers do not treat as a secure context.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { launchChromium, type LaunchedBrowser } from '../support/chromium.ts'
import { createRoom, ensureClientBuilt, joinFromLink, listedNames, screenshot, waitForRtt } from '../support/pages.ts'
import { startTestServer } from '../support/server.ts'

ensureClientBuilt()
const server = await startTestServer()
const browsers: LaunchedBrowser[] = []
test.after(async () => {
  for (const b of browsers) await b.close()
  await server.dispose()
})

async function threePeople(origin: string, extraArgs: string[] = []): Promise<[Page, Page, Page]> {
  const b = await launchChromium(extraArgs)
  browsers.push(b)
  const pages = await Promise.all([0, 1, 2].map(async () => (await b.context()).newPage()))
  return pages as [Page, Page, Page]
}

async function eveningFlow(origin: string, tag: string, extraArgs: string[] = []) {
  const [ana, bo, cy] = await threePeople(origin, extraArgs)
  const link = await createRoom(ana, origin, { room: 'Late night FLAC', me: 'Ana' })
  assert.match(link, new RegExp(`^${origin}/room/[A-Za-z0-9_-]+#t=[A-Za-z0-9_-]{22,}$`), 'an invite link with an unguessable token')

  await Promise.all([joinFromLink(bo, link, 'Bo'), joinFromLink(cy, link, 'Cy')])
  for (const page of [ana, bo, cy]) {
    await page.getByLabel('Presence').filter({ hasText: '3 in the room' }).waitFor()
    assert.equal((await listedNames(page)).sort(), ['Ana', 'Bo', 'Cy'])
  }
  // Every page measures a live round trip to every other person.
  const rtts = await Promise.all([
    waitForRtt(ana, 'Bo'), waitForRtt(ana, 'Cy'),
    waitForRtt(bo, 'Ana'), waitForRtt(bo, 'Cy'),
    waitForRtt(cy, 'Ana'), waitForRtt(cy, 'Bo'),
  ])
  assert.ok(rtts.every((ms) => ms >= 0 && ms < 500), `plausible loopback round trips: ${rtts.join(', ')}`)
  await ana.getByRole('table', { name: 'Tracks' }).getByText('FLAC · 96 kHz · 24-bit').waitFor()
  await screenshot(ana, `${tag}-curator`)
  await screenshot(bo, `${tag}-listener`)

  await cy.getByRole('button', { name: 'Leave' }).click()
  await cy.waitForURL(`${origin}/`)
  for (const page of [ana, bo]) {
    await page.getByLabel('Presence').filter({ hasText: '2 in the room' }).waitFor()
    assert.equal((await listedNames(page)).sort(), ['Ana', 'Bo'])
  }
  return { ana, bo, cy }
}

test('three people meet in an invite-only room and see live round trips', async () => {
  const origin = `http://localhost:${server.port}`
  const { ana } = await eveningFlow(origin, 'localhost')
  assert.is(await ana.evaluate(() => isSecureContext), true)
})

test('the same at a LAN address, which is not a secure context', async () => {
  const origin = `http://aula.lan:${server.port}`
  const { ana, bo } = await eveningFlow(origin, 'lan', ['--host-resolver-rules=MAP aula.lan 127.0.0.1'])
  assert.is(await ana.evaluate(() => isSecureContext), false, 'the test really runs without a secure context')
  assert.is(await ana.evaluate(() => typeof crypto.subtle), 'undefined', 'no WebCrypto here: states are signed with @noble/curves')
  await bo.getByRole('button', { name: 'Copy invite link' }).click()
  await bo.getByRole('status').filter({ hasText: 'Copied' }).waitFor()
  // Signed playback state, decoding and sound all work without secure-context APIs.
  await ana.getByRole('button', { name: 'Play Aurora (16-bit, 44.1 kHz)' }).click()
  await bo.waitForFunction(
    () => (window as unknown as { aulaDebug: { player: { status: string; nowPlaying: { title: string } | null } } }).aulaDebug.player.nowPlaying?.title === 'Aurora (16-bit, 44.1 kHz)',
    null,
    { timeout: 10_000 },
  )
})

test('a wrong invite token and an unknown room get clear messages', async () => {
  const [ana, eve] = await threePeople('')
  const origin = `http://localhost:${server.port}`
  const link = await createRoom(ana, origin, { room: 'Private', me: 'Ana' })
  await eve.goto(link.replace(/#t=.*/, '#t=AAAAAAAAAAAAAAAAAAAAAA'))
  await eve.getByLabel('Your name').fill('Eve')
  await eve.getByRole('button', { name: 'Join', exact: true }).click()
  await eve.getByRole('alert').filter({ hasText: 'Invite required' }).waitFor()
  await eve.goto(`${origin}/room/nosuchroom123`)
  await eve.getByRole('button', { name: 'Join', exact: true }).click()
  await eve.getByRole('alert').filter({ hasText: 'Room not found' }).waitFor()
  await screenshot(eve, 'room-not-found')
})

test.run()
