import { createHash } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DecodeError, StreamDecoder } from '../../workers/decoder/index.ts'
import { compareSamples, decode, decodeOk, fixtureBytes, planes, randomSlices } from '../support/decode.ts'
import { verbatimFlac } from '../support/flac-writer.ts'
import { RAMPS, expectedRampSample, type RampName } from '../support/fixtures.ts'

const FLAC_RAMPS = (Object.keys(RAMPS) as RampName[]).filter((n) => RAMPS[n].codec === 'flac')
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

function assertCode(err: unknown, code: DecodeError['code'], pattern?: RegExp): void {
  assert.instance(err, DecodeError, `expected a DecodeError, got ${String(err)}`)
  const e = err as DecodeError
  assert.is(e.code, code, e.message)
  if (pattern) assert.match(e.message, pattern)
}

for (const name of FLAC_RAMPS) {
  test(`${name}: every sample is int / 2^(bits-1), MD5 and SHA-256 check out`, async () => {
    const r = RAMPS[name]
    const bytes = fixtureBytes(name)
    const { format, chunks, end } = await decodeOk('flac', [bytes])
    assert.equal(
      { ...format, md5: typeof format?.md5 },
      { codec: 'flac', sampleRate: r.sampleRate, channels: r.channels, bitsPerSample: r.bits, totalFrames: r.frames, md5: 'string' },
    )
    assert.equal(compareSamples(chunks, r.channels, (f, c) => expectedRampSample(name, f, c)), [])
    assert.is(end.frames, r.frames)
    assert.is(end.truncated, false)
    assert.is(end.md5, 'match')
    assert.is(end.sha256, sha256(bytes))
  })
}

for (const name of ['ramp-24-192k.flac', 'ramp-16-44k-bs1153.flac', 'ramp-24-48k-8ch.flac', 'tone-24-96k.flac'] as const) {
  test(`${name}: random slices (1 B to 64 KiB) decode exactly as one push`, async () => {
    const bytes = fixtureBytes(name)
    const whole = await decodeOk('flac', [bytes])
    for (const seed of [1, 2, 3]) {
      const sliced = await decodeOk('flac', randomSlices(bytes, seed))
      assert.equal(planes(sliced.chunks), planes(whole.chunks), `seed ${seed}`)
      assert.equal(sliced.end.md5, whole.end.md5)
      assert.is(sliced.end.sha256, whole.end.sha256)
      assert.is(sliced.end.frames, whole.end.frames)
    }
  })
}

test('one byte at a time decodes exactly as one push', async () => {
  const bytes = fixtureBytes('ramp-16-44k-bs1153.flac')
  const whole = await decodeOk('flac', [bytes])
  const bytewise = await decodeOk('flac', Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)))
  assert.equal(planes(bytewise.chunks), planes(whole.chunks))
  assert.is(bytewise.end.md5, 'match')
})

test('tone-24-96k.flac (LPC): the MD5 of the output, recomputed here, is STREAMINFO’s', async () => {
  const { format, chunks, end } = await decodeOk('flac', [fixtureBytes('tone-24-96k.flac')])
  assert.is(end.md5, 'match')
  // Independent of the decoder's own MD5 path: back to integers, interleave, hash (RFC 9639 §8.2).
  const [l, r] = planes(chunks)
  const bytes = Buffer.alloc(l!.length * 6)
  for (let i = 0; i < l!.length; i++) {
    const a = l![i]! * 2 ** 23
    const b = r![i]! * 2 ** 23
    assert.ok(Number.isInteger(a) && Number.isInteger(b), `frame ${i} is not int / 2^23`)
    bytes.writeIntLE(a, i * 6, 3)
    bytes.writeIntLE(b, i * 6 + 3, 3)
  }
  assert.is(createHash('md5').update(bytes).digest('hex'), format?.md5)
})

test('every 24-bit value survives the wasm decoder exactly (2^24 samples, verbatim FLAC)', async () => {
  const d = await StreamDecoder.create('flac')
  const spec = { sampleRate: 96000, channels: 1, bits: 24, blockSize: 4096, totalFrames: 2 ** 24, sample: (f: number) => f - 2 ** 23 } as const
  let bad = 0
  let frames = 0
  const check = (chunks: ReturnType<StreamDecoder['push']>) => {
    for (const c of chunks) {
      const ch = c.channels[0]!
      for (let i = 0; i < c.frames; i++) if (ch[i] !== (c.startFrame + i - 2 ** 23) / 2 ** 23) bad++
      frames += c.frames
    }
  }
  for (const piece of verbatimFlac(spec)) check(d.push(piece))
  const end = d.end()
  check(end.chunks)
  d.destroy()
  assert.is(frames, 2 ** 24)
  assert.is(bad, 0)
})

test('every 8 and 16-bit value survives too, with the MD5 over them', async () => {
  for (const bits of [8, 16] as const) {
    const half = 2 ** (bits - 1)
    const spec = { sampleRate: 44100, channels: 2, bits, blockSize: 1000, totalFrames: 2 * half, md5: true, sample: (f: number, c: number) => (c ? half - 1 - f : f - half) }
    const { chunks, end } = await decodeOk('flac', verbatimFlac(spec))
    assert.equal(compareSamples(chunks, 2, (f, c) => spec.sample(f, c) / half), [], `${bits}-bit`)
    assert.is(end.md5, 'match')
  }
})

test('variable block size streams (frames numbered by sample) decode', async () => {
  const spec = { sampleRate: 48000, channels: 2, bits: 16, blockSize: 777, totalFrames: 10_000, variable: true, md5: true, sample: (f: number, c: number) => ((f * (c + 3)) % 65536) - 32768 } as const
  const { chunks, end } = await decodeOk('flac', verbatimFlac(spec))
  assert.equal(compareSamples(chunks, 2, (f, c) => spec.sample(f, c) / 32768), [])
  assert.is(end.md5, 'match')
})

test('frames that take their rate from STREAMINFO, and a STREAMINFO without a length', async () => {
  // 37 800 Hz has no frame header code, so headers say "get from STREAMINFO" (RFC 9639 §9.1.2).
  const spec = { sampleRate: 37800, channels: 2, bits: 24, blockSize: 4096, totalFrames: 9000, md5: true, sample: (f: number, c: number) => (f * 977 * (c + 1)) % 2 ** 23 } as const
  const pieces = [...verbatimFlac(spec)]
  pieces[0]!.fill(0, 8 + 13, 8 + 18) // total samples unknown (keeping the bits-per-sample nibble)
  pieces[0]![8 + 13] = ((24 - 1) & 0x0f) << 4
  const { format, chunks, end } = await decodeOk('flac', pieces)
  assert.is(format?.sampleRate, 37800)
  assert.is(format?.totalFrames, null)
  assert.equal(compareSamples(chunks, 2, (f, c) => spec.sample(f, c) / 2 ** 23), [])
  assert.equal({ frames: end.frames, truncated: end.truncated, md5: end.md5 }, { frames: 9000, truncated: false, md5: 'match' })
})

test('a wrong STREAMINFO MD5 gives md5 "mismatch", samples still decoded', async () => {
  const { chunks, end } = await decodeOk('flac', [fixtureBytes('bad-md5.flac')])
  assert.is(end.md5, 'mismatch')
  assert.is(end.frames, RAMPS['ramp-16-44k.flac'].frames)
  assert.equal(compareSamples(chunks, 2, (f, c) => expectedRampSample('ramp-16-44k.flac', f, c)), [])
})

test('a truncated file: the audio before the cut comes back, flagged truncated, MD5 unavailable', async () => {
  for (const pieces of [[fixtureBytes('truncated.flac')], randomSlices(fixtureBytes('truncated.flac'), 4)]) {
    const { chunks, end } = await decodeOk('flac', pieces)
    assert.ok(end.truncated)
    assert.is(end.md5, 'unavailable')
    assert.ok(end.frames > 0 && end.frames < RAMPS['ramp-16-44k.flac'].frames, `${end.frames} frames`)
    assert.equal(compareSamples(chunks, 2, (f, c) => expectedRampSample('ramp-16-44k.flac', f, c)), [])
  }
})

test('a file that ends inside its header is a "truncated" error; an empty one is "corrupt"', async () => {
  const bytes = fixtureBytes('ramp-16-44k.flac')
  for (const cut of [4, 20, 41]) assertCode((await decode('flac', [bytes.subarray(0, cut)])).error, 'truncated', /before its first audio frame/)
  assertCode((await decode('flac', [])).error, 'corrupt', /too short/)
})

test('a damaged frame is a clear "corrupt" error, after the audio before it', async () => {
  const bytes = fixtureBytes('corrupt-frame.flac')
  for (const pieces of [[bytes], randomSlices(bytes, 5), randomSlices(bytes, 6)]) {
    const { chunks, error } = await decode('flac', pieces)
    assertCode(error, 'corrupt', /fails its CRC check/)
    assert.equal(compareSamples(chunks, 2, (f, c) => expectedRampSample('ramp-16-44k.flac', f, c)), [])
    const got = chunks.reduce((n, c) => n + c.frames, 0)
    assert.ok(got > 0 && got < RAMPS['ramp-16-44k.flac'].frames, `${got} frames before the damage`)
  }
})

test('a damaged frame header is "corrupt", not mistaken for a cut', async () => {
  const spec = { sampleRate: 48000, channels: 1, bits: 16, blockSize: 512, totalFrames: 5000, sample: (f: number) => f } as const
  const pieces = [...verbatimFlac(spec)]
  pieces[3]![5]! ^= 0x01 // frame 2's block size byte: its CRC-8 fails
  for (const stream of [pieces, pieces.slice(0, 5)]) {
    // Long enough to exceed any frame's size (found while streaming), or ending soon after (found at end()).
    const { chunks, error } = await decode('flac', stream)
    assertCode(error, 'corrupt', /frame 1 or the header after it is damaged/)
    assert.is(chunks.reduce((n, c) => n + c.frames, 0), 512)
  }
})

test('lying headers: STREAMINFO and frames disagree → "corrupt"', async () => {
  assertCode((await decode('flac', [fixtureBytes('lying-rate.flac')])).error, 'corrupt', /44100 Hz but STREAMINFO says 48000 Hz/)
  const base = { sampleRate: 48000, channels: 2, bits: 16, blockSize: 1024, totalFrames: 5000, sample: () => 0 } as const
  assertCode((await decode('flac', verbatimFlac({ ...base, headerLies: { channels: 1 } }))).error, 'corrupt', /1 channels but STREAMINFO says 2/)
  assertCode((await decode('flac', verbatimFlac({ ...base, headerLies: { bits: 24 } }))).error, 'corrupt', /24-bit samples but STREAMINFO says 16-bit/)
  // More frames than STREAMINFO's total: the header said 5000, the stream holds 6000.
  const long = [...verbatimFlac({ ...base, totalFrames: 6000 })]
  new DataView(long[0]!.buffer).setUint32(8 + 14, 5000)
  assertCode((await decode('flac', long)).error, 'corrupt', /beyond the 5000 samples/)
})

test('not FLAC: an MP3 named .flac, a WAV, random bytes → "corrupt"', async () => {
  assertCode((await decode('flac', [fixtureBytes('not-flac.flac')])).error, 'corrupt', /MP3/)
  assertCode((await decode('flac', [fixtureBytes('ramp-16-44k.wav')])).error, 'corrupt', /WAV/)
  const noise = new Uint8Array(200_000).map((_, i) => (i * 2654435761) >>> 24)
  assertCode((await decode('flac', [noise])).error, 'corrupt')
})

test('an ID3v2 tag before fLaC is skipped', async () => {
  const { chunks, end } = await decodeOk('flac', randomSlices(fixtureBytes('id3-prefixed.flac'), 7))
  assert.is(end.md5, 'match')
  assert.equal(compareSamples(chunks, 2, (f, c) => expectedRampSample('ramp-16-44k.flac', f, c)), [])
})

test('12, 20 and 32-bit FLAC are refused as "unsupported" (the wasm decoder cannot scale them)', async () => {
  for (const bits of [12, 20, 32]) {
    const bytes = fixtureBytes('ramp-16-44k.flac').slice()
    // bits-1 straddles STREAMINFO body bytes 12 (low bit) and 13 (high nibble), RFC 9639 §8.2.
    bytes[8 + 12] = (bytes[8 + 12]! & 0xfe) | ((bits - 1) >> 4)
    bytes[8 + 13] = (((bits - 1) & 0x0f) << 4) | (bytes[8 + 13]! & 0x0f)
    assertCode((await decode('flac', [bytes])).error, 'unsupported', new RegExp(`${bits}-bit`))
  }
})

test('damage anywhere never crashes or hangs: a result or a DecodeError', async () => {
  const good = fixtureBytes('tone-24-96k.flac')
  let errors = 0
  for (let i = 0; i < 60; i++) {
    const bytes = good.slice()
    const at = Math.floor((i / 60) * bytes.length)
    bytes[at] = bytes[at]! ^ (1 << i % 8)
    const r = await decode('flac', randomSlices(bytes, i))
    if (r.error) {
      assert.instance(r.error, DecodeError, `flip at ${at}: ${String(r.error)}`)
      errors++
    }
  }
  assert.ok(errors > 30, `${errors} of 60 flips detected`)
})

test('lifecycle: push after end throws, an error sticks, destroy is idempotent', async () => {
  const d = await StreamDecoder.create('flac')
  d.push(fixtureBytes('ramp-16-48k-mono.flac'))
  d.end()
  assert.throws(() => d.push(new Uint8Array(1)), /after end/)
  d.destroy()
  d.destroy()
  const isCorrupt = (e: unknown) => e instanceof DecodeError && e.code === 'corrupt'
  const bad = await StreamDecoder.create('flac')
  assert.throws(() => bad.push(fixtureBytes('not-flac.flac')), isCorrupt)
  assert.throws(() => bad.push(new Uint8Array(1)), isCorrupt)
  assert.throws(() => bad.end(), isCorrupt)
  bad.destroy()
  // Damage after good frames: this push returns them, the next call throws.
  const damaged = await StreamDecoder.create('flac')
  assert.ok(damaged.push(fixtureBytes('corrupt-frame.flac'))[0]!.frames > 0)
  assert.throws(() => damaged.end(), isCorrupt)
  damaged.destroy()
})

test.run()
