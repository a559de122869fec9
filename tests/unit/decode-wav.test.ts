import { createHash } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DecodeError } from '../../workers/decoder/index.ts'
import { compareSamples, decode, decodeOk, fixtureBytes, planes, randomSlices } from '../support/decode.ts'
import { RAMPS, expectedRampSample, type RampName } from '../support/fixtures.ts'

const WAV_RAMPS = (Object.keys(RAMPS) as RampName[]).filter((n) => RAMPS[n].codec === 'wav')

function assertCode(err: unknown, code: DecodeError['code'], pattern?: RegExp): void {
  assert.instance(err, DecodeError, `expected a DecodeError, got ${String(err)}`)
  const e = err as DecodeError
  assert.is(e.code, code, e.message)
  if (pattern) assert.match(e.message, pattern)
}

/** A WAV's bytes with its header rewritten by `edit` (offsets as in a plain 16-byte-fmt file). */
function patched(name: RampName, edit: (d: DataView) => void): Uint8Array {
  const bytes = fixtureBytes(name).slice()
  edit(new DataView(bytes.buffer))
  return bytes
}

for (const name of WAV_RAMPS) {
  test(`${name}: every sample as Web Audio expects it, in one push and in random slices`, async () => {
    const r = RAMPS[name]
    const bytes = fixtureBytes(name)
    const { format, chunks, end } = await decodeOk('wav', [bytes])
    assert.equal(format, { codec: 'wav', sampleRate: r.sampleRate, channels: r.channels, bitsPerSample: r.bits, totalFrames: r.frames, md5: null })
    assert.equal(compareSamples(chunks, r.channels, (f, c) => expectedRampSample(name, f, c)), [])
    assert.equal({ frames: end.frames, truncated: end.truncated, md5: end.md5 }, { frames: r.frames, truncated: false, md5: 'unavailable' })
    assert.is(end.sha256, createHash('sha256').update(bytes).digest('hex'))
    for (const seed of [1, 2]) {
      const sliced = await decodeOk('wav', randomSlices(bytes, seed))
      assert.equal(planes(sliced.chunks), planes(chunks), `seed ${seed}`)
      assert.is(sliced.end.sha256, end.sha256)
    }
  })
}

test('float WAV passes through unclamped; 32-bit integers round to float32', async () => {
  const f32 = planes((await decodeOk('wav', [fixtureBytes('ramp-f32-48k.wav')])).chunks)
  assert.is(f32[0]![0], -2) // (0 - 2048) / 1024
  assert.ok(f32[0]!.some((v) => v > 1))
  const s32 = planes((await decodeOk('wav', [fixtureBytes('ramp-32-48k.wav')])).chunks)
  assert.is(s32[0]![0], -1)
})

test('unsupported encodings: ADPCM, 64-bit float, RF64, 12-bit PCM, 9 channels', async () => {
  assertCode((await decode('wav', [fixtureBytes('adpcm.wav')])).error, 'unsupported', /WAV format IMA ADPCM is not supported/)
  assertCode((await decode('wav', [fixtureBytes('float64.wav')])).error, 'unsupported', /64-bit float/)
  const rf64 = patched('ramp-16-44k.wav', (d) => d.setUint32(0, 0x52463634)) // "RF64"
  assertCode((await decode('wav', [rf64])).error, 'unsupported', /RF64/)
  // ramp-8-8k.wav: RIFF(12) + fmt header(8), so fmt fields start at byte 20.
  const twelve = patched('ramp-8-8k.wav', (d) => d.setUint16(20 + 14, 12, true))
  assertCode((await decode('wav', [twelve])).error, 'unsupported', /PCM 12-bit/)
  const nine = patched('ramp-8-8k.wav', (d) => d.setUint16(20 + 2, 9, true))
  assertCode((await decode('wav', [nine])).error, 'unsupported', /9 channels/)
})

test('a header that lies about its frame size is "corrupt"', async () => {
  const lying = patched('ramp-8-8k.wav', (d) => d.setUint16(20 + 12, 3, true)) // blockAlign 3 for mono 8-bit
  assertCode((await decode('wav', [lying])).error, 'corrupt', /1 channels of 8 bits but 3 bytes per frame/)
})

test('not a WAV: FLAC bytes, random bytes, too few bytes → "corrupt"', async () => {
  assertCode((await decode('wav', [fixtureBytes('ramp-16-44k.flac')])).error, 'corrupt', /not a WAV file/)
  assertCode((await decode('wav', [new Uint8Array(5000).fill(0x5a)])).error, 'corrupt')
  assertCode((await decode('wav', [new Uint8Array(7)])).error, 'corrupt', /too short/)
})

test('a WAV cut mid-sample: whole frames come back, flagged truncated', async () => {
  const bytes = fixtureBytes('ramp-24-96k.wav')
  const cut = bytes.subarray(0, bytes.length - 1000)
  const { chunks, end } = await decodeOk('wav', randomSlices(cut, 3))
  assert.ok(end.truncated)
  const frames = RAMPS['ramp-24-96k.wav'].frames - Math.ceil(1000 / 6)
  assert.is(end.frames, frames)
  assert.equal(compareSamples(chunks, 2, (f, c) => expectedRampSample('ramp-24-96k.wav', f, c)), [])
})

test('a WAV cut inside its header is a "truncated" error', async () => {
  assertCode((await decode('wav', [fixtureBytes('ramp-16-44k.wav').subarray(0, 40)])).error, 'truncated', /before its audio/)
})

test('a data chunk of unknown size (streamed WAV) reads to the end', async () => {
  // ramp-24-96k.wav: RIFF(12) + fmt(8 + 40), so the data chunk's size is at byte 64.
  const streamed = patched('ramp-24-96k.wav', (d) => d.setUint32(64, 0xffffffff, true))
  const { format, end } = await decodeOk('wav', randomSlices(streamed, 8))
  assert.is(format?.totalFrames, null)
  assert.is(end.frames, RAMPS['ramp-24-96k.wav'].frames)
  assert.is(end.truncated, false)
})

test.run()
