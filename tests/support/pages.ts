/** Browser-side helpers shared by the Playwright tests and benchmarks. */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { buildClientIfStale } from '../../signal/client-build.ts'
import { projectRoot } from '../../signal/config.ts'

export function ensureClientBuilt(): void {
  buildClientIfStale(join(projectRoot, 'dist'))
}

/** Screenshots land in test-results/ so a person can look at what a test saw. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(projectRoot, 'test-results')
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true })
}

export async function createRoom(
  page: Page,
  origin: string,
  opts: { room: string; me: string; visibility?: 'public' | 'invite'; mode?: 'curator' | 'shared' | 'vote' },
): Promise<string> {
  await page.goto(`${origin}/`)
  await page.getByLabel('Room name').fill(opts.room)
  if (opts.mode) await page.getByLabel('Who controls playback').selectOption(opts.mode)
  await page.getByLabel('Your name').fill(opts.me)
  if (opts.visibility === 'public') await page.getByLabel('Public (listed in the lobby)').check()
  await page.getByRole('button', { name: 'Create room' }).click()
  await page.waitForURL(/\/room\//)
  return page.getByLabel('Invite link').inputValue()
}

export async function joinFromLink(page: Page, link: string, me: string, opts: { hidden?: boolean } = {}): Promise<void> {
  await page.goto(link)
  await page.getByLabel('Your name').fill(me)
  if (opts.hidden) await page.getByLabel('Join hidden (counted, but not listed)').check()
  await page.getByRole('button', { name: 'Join', exact: true }).click()
  await page.getByRole('button', { name: 'Leave' }).waitFor()
}

export function listedNames(page: Page): Promise<string[]> {
  return page.getByRole('list', { name: 'Listeners' }).locator('li[data-peer] .name').allInnerTexts()
}

/** Waits until this page shows a measured round trip (e.g. "0.8 ms") to `name`. */
export async function waitForRtt(page: Page, name: string, timeout = 15_000): Promise<number> {
  const label = page.getByLabel(`Round trip to ${name}`)
  await label.filter({ hasText: /^\d+(\.\d+)? ms$/ }).waitFor({ timeout })
  return parseFloat(await label.innerText())
}

/** The invite link with a distorted page clock: `?clock=<offsetMs>,<skewPpm>` (client/src/lib/sync/sync-clock.ts). */
export const withClock = (link: string, offsetMs: number, skewPpm: number) => link.replace('#', `?clock=${offsetMs},${skewPpm}#`)

/**
 * For a listener whose page clock was distorted with withClock (the curator's
 * runs on the machine clock): how far its estimate of the curator's clock is
 * from the truth, and the output error its drift corrector sees, in ms. When
 * a listener sits off at the output, this tells the clock apart from what
 * comes after it (the output mapping).
 */
export function clockDiagnosis(page: Page, clock: { offsetMs: number; skewPpm: number }): Promise<{ clockErrorMs: number | null; uncertaintyMs: number | null; correctorSeesMs: number | null }> {
  return page.evaluate(({ offsetMs, skewPpm }) => {
    type Debug = { room: { curatorClock: { estimate(t: number): { offsetMs: number; uncertaintyMs: number } | null } | null }; player: { syncErrorMs: number | null } }
    const dbg = (window as unknown as { aulaDebug: Debug }).aulaDebug
    const perf = performance.now()
    const est = dbg.room.curatorClock?.estimate(performance.timeOrigin + perf * (1 + skewPpm / 1e6) + offsetMs)
    const truth = -offsetMs - perf * skewPpm * 1e-6
    return { clockErrorMs: est ? est.offsetMs - truth : null, uncertaintyMs: est?.uncertaintyMs ?? null, correctorSeesMs: dbg.player.syncErrorMs }
  }, clock)
}

/**
 * Waits until a listener's page says its sync is locked. On a timeout the
 * error says why not, from what the page reports: its state and estimate,
 * and how many clock answers it accepted and rejected.
 */
export async function waitLocked(page: Page, ms = 15_000): Promise<void> {
  try {
    await page.getByLabel('Sync state').filter({ hasText: /^locked$/ }).waitFor({ timeout: ms })
  } catch (err) {
    const why = await page
      .evaluate(() => {
        type Debug = { room: { report: object; curatorClock: { stats: object } | null } }
        const room = (window as unknown as { aulaDebug: Debug }).aulaDebug.room
        return JSON.stringify({ report: room.report, answers: room.curatorClock?.stats ?? null })
      })
      .catch((e: unknown) => `(no report: ${(e as Error).message})`)
    throw new Error(`not locked within ${ms} ms: ${why}`, { cause: err })
  }
}

/** Polls `fn` until it is true; fails the test naming `what` after `ms`. */
export async function until(what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await fn()) return
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new Error(`timed out waiting until ${what}`)
}

/**
 * Each underrun a page marked (player.svelte.ts), as "s after `since`
 * (machine ms):ms cut(ms its last slice waited for bytes/for the decoder)
 * [where its bytes came from]": why a page ran dry, for a failure's message.
 * The first `max` of them, and how many more.
 */
export function underrunLog(page: Page, since: number, max = 12): Promise<string> {
  return page.evaluate(({ since, max }) => {
    type Detail = { ms: number; slice: { bytesMs: number; decodeMs: number } | null; source: { bytesFromPeers: number; bytesFromOrigin: number; peers: number; piecesLate: number } | null } | null
    const all = performance.getEntriesByName('aula:underrun')
    const shown = all
      .slice(0, max)
      .map((m) => {
        const d = (m as PerformanceMark).detail as Detail
        const slice = d?.slice ? `(${d.slice.bytesMs.toFixed(0)}/${d.slice.decodeMs.toFixed(0)})` : ''
        const c = d?.source
        const source = c ? ` [peers ${(c.bytesFromPeers / 1e6).toFixed(1)} MB, origin ${(c.bytesFromOrigin / 1e6).toFixed(1)} MB, ${c.peers} peers, ${c.piecesLate} late]` : ''
        return `${((performance.timeOrigin + m.startTime - since) / 1000).toFixed(1)}:${d?.ms ?? '?'}${slice}${source}`
      })
      .join(' ')
    return all.length > max ? `${shown} … and ${all.length - max} more` : shown
  }, { since, max })
}
