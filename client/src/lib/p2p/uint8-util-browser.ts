/**
 * A stand-in for `uint8-util` in the browser bundle (Vite: alias the bare
 * specifier `uint8-util` to this file). WebTorrent, parse-torrent,
 * create-torrent and bittorrent-protocol get every helper from it, and
 * uint8-util 2.3's browser build breaks rooms in three ways:
 *
 * - `hash` calls crypto.subtle, which a LAN address (http://192.168.x.y, not
 *   a secure context) does not have: parsing a torrent and verifying every
 *   piece throw, so P2P silently never starts (SwarmByteSource then falls
 *   back to the origin alone). Here: crypto.subtle when present, else
 *   @noble/hashes (SHA-1 and SHA-256, the two WebTorrent asks for; digest.ts).
 * - `arr2hex` is `data.toHex()`: webtorrent 2.8 passes it hex *strings*
 *   (see webtorrent-compat.ts), and Uint8Array.prototype.toHex exists only in
 *   Chromium 140+, Firefox 133+, Safari 18.2+. Here: strings pass through,
 *   and a table lookup when toHex is missing.
 * - `arr2base`/`base2arr` likewise need toBase64/fromBase64.
 *
 * Everything else is re-exported unchanged.
 */
// A file path, not the package name: the alias points the name here, and the
// package's exports map does not expose its browser build by subpath.
import * as real from '../../../../node_modules/uint8-util/dist/src/browser.js'
import { digest } from './digest.ts'

export * from '../../../../node_modules/uint8-util/dist/src/browser.js'

type Bytes = Uint8Array & { toHex?: () => string; toBase64?: () => string }
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function arr2hex(data: Bytes | string): string {
  if (typeof data === 'string') return data
  if (typeof data.toHex === 'function') return data.toHex()
  let out = ''
  for (let i = 0; i < data.length; i++) out += HEX[data[i]!]
  return out
}

export function arr2base(data: Bytes): string {
  if (typeof data.toBase64 === 'function') return data.toBase64()
  let bin = ''
  for (let i = 0; i < data.length; i++) bin += String.fromCharCode(data[i]!)
  return btoa(bin)
}

export function base2arr(str: string): Uint8Array {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64
  if (native) return native(str)
  return Uint8Array.from(atob(str), (c) => c.charCodeAt(0))
}

export async function hash(data: Uint8Array | string, format?: 'hex' | 'base64', algo = 'sha-1'): Promise<Uint8Array | string> {
  const out = await digest(algo, typeof data === 'string' ? real.text2arr(data) : data)
  return format === 'hex' ? arr2hex(out) : format === 'base64' ? arr2base(out) : out
}
