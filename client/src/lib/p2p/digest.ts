/**
 * Hashes of pieces and whole tracks, as hex. WebCrypto where the page has
 * it: native, and off the main thread. In JS there, SHA-1 of its first
 * origin pieces held a mid-track joiner's main thread 350 ms (a CPU profile
 * of bench/sync's joiner; 267 ms of it in one go, hashing the bytes that
 * bridged its start into the torrent) between placing its start and
 * sounding it. A LAN http:// address is not a secure context and
 * has no crypto.subtle; rooms must still work there, so @noble/hashes
 * stands in.
 */
import { sha1 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'

const JS: Record<string, (d: Uint8Array) => Uint8Array> = { 'sha-1': sha1, sha1, 'sha-256': sha256, sha256 }

/** `algo` as WebCrypto names it (any case); without WebCrypto, SHA-1 or SHA-256 only. */
export async function digest(algo: string, bytes: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle
  if (subtle) return new Uint8Array(await subtle.digest(algo, bytes as Uint8Array<ArrayBuffer>))
  const fn = JS[algo.toLowerCase()]
  if (!fn) throw new Error(`no ${algo} without WebCrypto`)
  return fn(bytes)
}

/** A torrent piece's SHA-1. */
export async function sha1Hex(bytes: Uint8Array): Promise<string> {
  return bytesToHex(await digest('SHA-1', bytes))
}

/** A whole track's SHA-256 (tens of MB on its way into or out of the cache). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return bytesToHex(await digest('SHA-256', bytes))
}
