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
import { bytesToHex } from '@noble/hashes/utils.js'
import { Sha256 } from '../../../../workers/decoder/sha256.ts'

const subtle = (): SubtleCrypto | undefined => globalThis.crypto?.subtle

/** A torrent piece's SHA-1. */
export async function sha1Hex(bytes: Uint8Array): Promise<string> {
  const s = subtle()
  if (!s) return bytesToHex(sha1(bytes))
  return bytesToHex(new Uint8Array(await s.digest('SHA-1', bytes as Uint8Array<ArrayBuffer>)))
}

/** A whole track's SHA-256 (tens of MB on its way into or out of the cache). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const s = subtle()
  if (!s) return new Sha256().update(bytes).digestHex()
  return bytesToHex(new Uint8Array(await s.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)))
}
