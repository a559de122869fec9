import { createHash } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Md5 } from '../../workers/decoder/md5.ts'
import { Sha256 } from '../../workers/decoder/sha256.ts'
import { seeded } from '../support/decode.ts'

const HASHES = [
  ['md5', () => new Md5()],
  ['sha256', () => new Sha256()],
] as const

test('published test vectors (RFC 1321, FIPS 180-4 examples)', () => {
  const vectors: [string, string, string][] = [
    ['md5', '', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['md5', 'abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['md5', 'message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['md5', '1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
    ['sha256', '', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['sha256', 'abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['sha256', 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ]
  for (const [name, text, hex] of vectors) {
    const h = HASHES.find(([n]) => n === name)![1]()
    assert.is(h.update(new TextEncoder().encode(text)).digestHex(), hex, `${name}("${text}")`)
  }
})

for (const [name, make] of HASHES) {
  test(`${name}: any length, any slicing, aligned or not, matches node:crypto`, () => {
    const rnd = seeded(42)
    for (let n = 0; n < 300; n++) {
      const len = n < 150 ? n : Math.floor(rnd() * 100_000)
      const backing = new Uint8Array(len + 3).map(() => rnd() * 256)
      const bytes = backing.subarray(n % 4, (n % 4) + len) // every alignment of the view
      const h = make()
      for (let at = 0; at < len; ) {
        const k = 1 + Math.floor(rnd() ** 2 * 5000)
        h.update(bytes.subarray(at, at + k))
        at += k
      }
      assert.is(h.digestHex(), createHash(name).update(bytes).digest('hex'), `length ${len}`)
    }
  })
}

test.run()
