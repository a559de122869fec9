/**
 * The stage for multi-person browser tests: a built client, a real server on
 * a library, and one Chromium whose pages all share a renderer process, so
 * their clocks (timeOrigin + performance time) are one clock and output times
 * compare across pages. Each person gets a context of their own (their own
 * storage), with the output capture armed before any sound.
 */
import type { Page } from 'playwright-core'
import { installCapture } from './capture.ts'
import { launchChromium, type LaunchedBrowser } from './chromium.ts'
import { ensureClientBuilt } from './pages.ts'
import { startTestServer } from './server.ts'

export interface PersonOptions {
  savedName?: string
  /**
   * A browser (and renderer process) of their own: closing their tab then
   * costs the others nothing, as on separate machines. Their output times do
   * not compare with the shared process's.
   */
  ownBrowser?: boolean
}

export interface Stage {
  origin: string
  person(opts?: PersonOptions): Promise<Page>
  dispose(): Promise<void>
}

export async function openStage(library: { dir: string; dispose(): void } | null): Promise<Stage> {
  ensureClientBuilt()
  const server = await startTestServer(library ? { libraryDir: library.dir } : {})
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
