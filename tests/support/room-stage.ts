/**
 * The stage for multi-person browser tests: a built client, a real server on
 * a library, and one Chromium. Each person gets a context of their own (their
 * own storage), with the output capture armed before any sound.
 *
 * Output times compare across pages: each is on the machine's clock
 * (timeOrigin + performance time), one clock across renderer processes. A
 * probe of four pages, 400 readings each bracketed by the test process's
 * own: the four pages' bounds on (page − Node) all held [-0.05, 0.12] ms,
 * as wide as the 0.1 ms coarsening of performance.now() leaves them
 * (Chromium derives both from the one monotonic clock). Each context has a renderer process
 * of its own, as each person's browser does: a page spinning 500 ms did not
 * delay another's timers, --renderer-process-limit=1 or not (contexts never
 * share one). That flag stays, as in every earlier measurement: with it,
 * pages in step measured closer (bench/sync, the three early listeners of
 * three 20 s runs: median p95 0.08 ms against 0.21 without; the same CPU
 * and process count). Why is not known.
 */
import type { Page } from 'playwright-core'
import { installCapture } from './capture.ts'
import { launchChromium, type LaunchedBrowser } from './chromium.ts'
import { ensureClientBuilt } from './pages.ts'
import { startServerProcess, startTestServer } from './server.ts'

export interface PersonOptions {
  savedName?: string
  /**
   * A browser of their own (its own network, audio and GPU processes):
   * closing their tab then costs the others nothing, as on separate
   * machines. Their output times are on the same machine clock.
   */
  ownBrowser?: boolean
}

export interface Stage {
  origin: string
  person(opts?: PersonOptions): Promise<Page>
  dispose(): Promise<void>
}

export interface StageOptions {
  /**
   * The server in a process of its own, as deployed (benchmarks), so its
   * answers never wait on this process's work with the pages. (A cold Play's
   * fetches answered as fast either way, 12-33 ms to the first byte by
   * Resource Timing; their pages saw them 55-80 ms late, busy themselves.)
   */
  serverProcess?: boolean
}

export async function openStage(library: { dir: string; dispose(): void } | null, opts: StageOptions = {}): Promise<Stage> {
  ensureClientBuilt()
  const server = opts.serverProcess
    ? await startServerProcess({ ...(library && { LIBRARY_DIR: library.dir }), ROOM_GRACE_MS: '300' })
    : await startTestServer(library ? { libraryDir: library.dir } : {})
  const browser: LaunchedBrowser = await launchChromium(['--renderer-process-limit=1'])
  const own: LaunchedBrowser[] = []
  return {
    origin: `http://localhost:${server.port}`,
    async person(opts = {}) {
      let b = browser
      if (opts.ownBrowser) own.push((b = await launchChromium()))
      const ctx = await b.context()
      await installCapture(ctx)
      // A returning person: opening a room link joins at once.
      if (opts.savedName) await ctx.addInitScript((n) => localStorage.setItem('aula.displayName', n), opts.savedName)
      const page = await ctx.newPage()
      page.on('pageerror', (e) => console.error('[page]', e.message))
      return page
    },
    async dispose() {
      for (const b of own) await b.close()
      await browser.close()
      await server.dispose()
      library?.dispose()
    },
  }
}
