/**
 * ECDSA P-256 / SHA-256 signatures behind one interface, with two backends:
 * WebCrypto where the page is a secure context, @noble/curves where it is not
 * (a LAN address over http:// has no `crypto.subtle`). Both produce and accept
 * the same bytes: raw uncompressed public keys (65 bytes) and IEEE P1363
 * signatures (r ‖ s, 64 bytes), so either side verifies the other.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { fromBase64url, toBase64url } from './base64url.ts'

export type SignatureBackend = 'webcrypto' | 'noble'

export interface Signer {
  /** Uncompressed P-256 point, base64url (87 characters): what `room.key` registers. */
  readonly publicKey: string
  /** keyId(publicKey), carried in every signed state. */
  readonly keyId: string
  readonly backend: SignatureBackend
  /** Signs SHA-256(bytes); base64url of the 64-byte r ‖ s. */
  sign(bytes: Uint8Array): Promise<string>
}

export type VerifyFn = (publicKey: string, bytes: Uint8Array, sig: string) => Promise<boolean>

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const

/** `crypto.subtle` exists only in secure contexts (https, localhost) and in Node. */
export function webCryptoAvailable(): boolean {
  return typeof globalThis.crypto?.subtle?.importKey === 'function'
}

export function preferredBackend(): SignatureBackend {
  return webCryptoAvailable() ? 'webcrypto' : 'noble'
}

/** First 16 bytes of SHA-256 over the raw key: short, and sync in any context. */
export function keyId(publicKey: string): string | null {
  const raw = decodePublicKey(publicKey)
  return raw ? toBase64url(sha256(raw).subarray(0, 16)) : null
}

/** A fresh key pair for one room and one curatorship; the private key never leaves this object. */
export async function createSigner(backend: SignatureBackend = preferredBackend()): Promise<Signer> {
  if (backend === 'webcrypto') {
    // Not extractable: a script that later reads this object cannot copy the key out.
    const subtle = crypto.subtle
    const pair = await subtle.generateKey(ECDSA, false, ['sign', 'verify'])
    const publicKey = toBase64url(new Uint8Array(await subtle.exportKey('raw', pair.publicKey)))
    return {
      publicKey,
      keyId: keyId(publicKey)!,
      backend,
      sign: async (bytes) => toBase64url(new Uint8Array(await subtle.sign(ECDSA_SHA256, pair.privateKey, bytes as BufferSource))),
    }
  }
  const { p256 } = await noble()
  // getRandomValues (unlike subtle) exists in insecure contexts too.
  const secretKey = p256.utils.randomSecretKey()
  const publicKey = toBase64url(p256.getPublicKey(secretKey, false))
  return {
    publicKey,
    keyId: keyId(publicKey)!,
    backend,
    // Hedged signing (RFC 6979 k mixed with fresh randomness): resists fault attacks.
    sign: async (bytes) => toBase64url(p256.sign(bytes, secretKey, { extraEntropy: true })),
  }
}

/** False, never a throw, for anything malformed. */
export async function verify(
  publicKey: string,
  bytes: Uint8Array,
  sig: string,
  backend: SignatureBackend = preferredBackend(),
): Promise<boolean> {
  const raw = decodePublicKey(publicKey)
  const signature = fromBase64url(sig)
  if (!raw || !signature || signature.length !== 64) return false
  try {
    if (backend === 'webcrypto') {
      const key = await importKey(publicKey, raw)
      return await crypto.subtle.verify(ECDSA_SHA256, key, signature as BufferSource, bytes as BufferSource)
    }
    const { p256 } = await noble()
    // WebCrypto does not normalise s, so about half its signatures are
    // "high-S"; noble v2 refuses those unless told (lowS defaults to true).
    // Malleability is harmless here: the signature is not part of what is signed,
    // and a re-spelled signature over the same seq is still a replay.
    return p256.verify(signature, bytes, raw, { lowS: false })
  } catch {
    return false
  }
}

function decodePublicKey(publicKey: string): Uint8Array | null {
  const raw = fromBase64url(publicKey)
  // Uncompressed points only: Chromium's WebCrypto will not import compressed ones.
  return raw && raw.length === 65 && raw[0] === 4 ? raw : null
}

// Importing a key costs more than a verify; a room sees one key per epoch.
const imported = new Map<string, Promise<CryptoKey>>()
function importKey(publicKey: string, raw: Uint8Array): Promise<CryptoKey> {
  let key = imported.get(publicKey)
  if (!key) {
    key = crypto.subtle.importKey('raw', raw as BufferSource, ECDSA, false, ['verify'])
    key.catch(() => imported.delete(publicKey))
    if (imported.size >= 8) imported.delete(imported.keys().next().value!)
    imported.set(publicKey, key)
  }
  return key
}

// Loaded on first use: secure contexts never fetch the JS curve code.
let nobleModule: Promise<typeof import('@noble/curves/nist.js')> | undefined
function noble() {
  nobleModule ??= import('@noble/curves/nist.js')
  return nobleModule
}
