/**
 * Build-time only (vite.config.ts, tests/integration/p2p-bundle.test.ts);
 * never imported by the app. What the browser bundle needs for WebTorrent:
 *
 *   resolve: { alias: p2pBundleAliases() }   in vite.config.ts, and
 *   import './lib/p2p/node-globals.ts'       first in the app's entry.
 */
import { fileURLToPath } from 'node:url'

export function p2pBundleAliases(): { find: RegExp; replacement: string }[] {
  const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
  return [
    { find: /^path$/, replacement: here('./path-browser.ts') },
    { find: /^uint8-util$/, replacement: here('./uint8-util-browser.ts') },
  ]
}
