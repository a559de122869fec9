/**
 * Piece and track hashes come out the same with WebCrypto and without it (a
 * LAN http:// page has no crypto.subtle): a listener there must accept the
 * same pieces as everyone else, and refuse the same damaged ones.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sha1Hex, sha256Hex } from '../../client/src/lib/p2p/digest.ts'
import { seeded } from '../support/decode.ts'

const text = (s: string) => new TextEncoder().encode(s)

/** Runs `fn` as on a page that is not a secure context: no crypto.subtle. */
async function withoutSubtle<T>(fn: () => Promise<T>): Promise<T> {
  const real = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!
  Object.defineProperty(globalThis, 'crypto', { value: {}, configurable: true })
  try {
    return await fn()
  } finally {
    Object.defineProperty(globalThis, 'crypto', real)
  }
}

test('published vectors, with WebCrypto and without (FIPS 180-4 examples)', async () => {
  for (const hashed of [(f: () => Promise<string>) => f(), withoutSubtle<string>]) {
    assert.is(await hashed(() => sha1Hex(text('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d')
    assert.is(await hashed(() => sha1Hex(text(''))), 'da39a3ee5e6b4b0d3255bfef95601890afd80709')
    assert.is(await hashed(() => sha256Hex(text('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  }
})

test('a piece-sized view hashes only its own bytes, either way', async () => {
  const file = new Uint8Array(3 * 65_536)
  const rand = seeded(7)
  for (let i = 0; i < file.length; i++) file[i] = Math.floor(rand() * 256)
  const piece = file.subarray(65_536, 2 * 65_536)
  const copy = piece.slice()
  const native = await sha1Hex(piece)
  assert.is(native, await sha1Hex(copy))
  assert.is(await withoutSubtle(() => sha1Hex(piece)), native)
  copy[100] = copy[100]! ^ 1
  assert.is.not(await sha1Hex(copy), native, 'one flipped bit changes the hash')
})

test.run()
