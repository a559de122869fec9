/**
 * Debian's Chromium, driven by playwright-core. No test tool may download a
 * browser of its own; when Chromium is missing we install Debian's package if
 * we are root with apt, and otherwise stop with a clear message.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[]

export function findChromium(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p))
}

export async function ensureChromium(): Promise<string> {
  const found = findChromium()
  if (found) return found
  const root = process.getuid?.() === 0
  if (root && existsSync('/usr/bin/apt-get')) {
    console.log('Chromium not found: installing Debian\'s chromium package (apt-get)…')
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    const now = findChromium()
    if (now) return now
  }
  throw new Error(
    'Browser tests need Chromium and none was found. Install Debian\'s package (`sudo apt-get install chromium`) ' +
      'or set CHROMIUM_PATH to a Chromium binary. They are never skipped.',
  )
}

export interface LaunchedBrowser {
  browser: Browser
  context(): Promise<BrowserContext>
  close(): Promise<void>
}

/**
 * Playwright gives every launch a fresh temporary profile. `extraArgs`: e.g.
 * host-resolver rules for a LAN-style (insecure) origin.
 */
export async function launchChromium(extraArgs: string[] = []): Promise<LaunchedBrowser> {
  const executablePath = await ensureChromium()
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
  })
  return {
    browser,
    context: () => browser.newContext(),
    async close() {
      await browser.close().catch(() => {})
    },
  }
}
