/**
 * Starting to decode mid-file: the head collected without what the decoder
 * does not need, the seek plan, FLAC resynchronisation on the next real
 * frame (false syncs inside audio data included), WAV offset arithmetic,
 * true track frame numbers on every chunk, and clear errors for damage.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { PcmChunk, TrackCodec } from '../../protocol/worker-api.ts'
import { decodeErrorFromWorker } from '../../protocol/worker-api.ts'
import { createDecodeApi } from '../../workers/decode-api.ts'
import { ByteQueue } from '../../workers/decoder/byte-queue.ts'
import { parseFrameHeader } from '../../workers/decoder/flac/frame-header.ts'
import { FlacFramer } from '../../workers/decoder/flac/framer.ts'
import { MetadataReader } from '../../workers/decoder/flac/metadata.ts'
import { DecodeError, HeadReader, StreamDecoder, parseHead, seekPlan } from '../../workers/decoder/index.ts'
import { decodeOk, fixtureBytes, randomSlices } from '../support/decode.ts'
import { RAMPS, expectedRampSample, type RampFixture, type RampName } from '../support/fixtures.ts'
import { frameHeader } from '../support/flac-writer.ts'
import { decodeFrom, headOf, seekDecode, seekFlac, type SeekFlacSpec } from '../support/seek.ts'

const FLAC_RAMPS = (Object.keys(RAMPS) as RampName[]).filter((n) => RAMPS[n].codec === 'flac')
const WAV_RAMPS = (Object.keys(RAMPS) as RampName[]).filter((n) => RAMPS[n].codec === 'wav')

type Expected = (frame: number, channel: number) => number

/** Problems with `chunks`: not contiguous from `from`, a sample off, or not ending at `to`. */
function checkFrom(chunks: PcmChunk[], channels: number, expected: Expected, from: number, to: number): string[] {
  const problems: string[] = []
  let next = from
  for (const c of chunks) {
    if (c.startFrame !== next) problems.push(`chunk starts at ${c.startFrame}, expected ${next}`)
    if (c.channels.length !== channels) problems.push(`chunk has ${c.channels.length} channels`)
    for (let ch = 0; ch < c.channels.length && problems.length < 5; ch++) {
      const data = c.channels[ch]!
      for (let i = 0; i < c.frames; i++) {
        if (data[i] !== expected(c.startFrame + i, ch)) {
          problems.push(`frame ${c.startFrame + i} channel ${ch}: got ${data[i]}, expected ${expected(c.startFrame + i, ch)}`)
          break
        }
      }
    }
    next = c.startFrame + c.frames
  }
  if (next !== to) problems.push(`decoding ended at ${next}, expected ${to}`)
  return problems
}

function assertCode(err: unknown, code: DecodeError['code'], pattern?: RegExp): void {
  assert.instance(err, DecodeError, `expected a DecodeError, got ${String(err)}`)
  const e = err as DecodeError
  assert.is(e.code, code, e.message)
  if (pattern) assert.match(e.message, pattern)
}

/** File offset and first sample of every frame of a committed FLAC, by the whole-file framer. */
function frameMap(bytes: Uint8Array): { byte: number; frame: number }[] {
  const q = new ByteQueue()
  q.append(bytes)
  const m = new MetadataReader()
  m.read(q)
  let at = bytes.length - q.length
  const framer = new FlacFramer(m.streamInfo!, q, at)
  const out: { byte: number; frame: number }[] = []
  let frame = 0
  const emit = (f: { bytes: Uint8Array; header: { blockSize: number } }) => {
    out.push({ byte: at, frame })
    at += f.bytes.length
    frame += f.header.blockSize
  }
  framer.take().forEach(emit)
  const last = framer.finish().frame
  if (last) emit(last)
  return out
}

/** The frame that starts first at or after `byte`; null when none does. */
function frameAtOrAfter(map: { byte: number; frame: number }[], byte: number): number | null {
  return map.find((f) => f.byte >= byte)?.frame ?? null
}

const intSample = (bits: number) => (v: number) => Math.fround(v / 2 ** (bits - 1))

// ── the head ────────────────────────────────────────────────────────────────

test('HeadReader: every fixture’s head, compact, with where its audio starts', () => {
  for (const name of FLAC_RAMPS) {
    const bytes = fixtureBytes(name)
    const head = headOf('flac', bytes)
    assert.is(head.audioStart, frameMap(bytes)[0]!.byte, name)
    assert.is(head.format.totalFrames, RAMPS[name].frames, name)
    assert.is(head.format.channels, RAMPS[name].channels, name)
  }
  const tone = headOf('flac', fixtureBytes('tone-24-96k.flac'))
  assert.is(tone.audioStart, 8348) // STREAMINFO, SEEKTABLE, tags, 8 KiB of padding
  assert.ok(tone.header.length < 100, `the compact head keeps STREAMINFO and SEEKTABLE only (${tone.header.length} bytes)`)
  const id3 = fixtureBytes('id3-prefixed.flac')
  assert.is(headOf('flac', id3).audioStart, frameMap(fixtureBytes('ramp-16-44k.flac'))[0]!.byte + (id3.length - fixtureBytes('ramp-16-44k.flac').length))
  for (const name of WAV_RAMPS) {
    const head = headOf('wav', fixtureBytes(name))
    assert.is(head.format.totalFrames, RAMPS[name].frames, name)
    assert.is(head.dataBytes, RAMPS[name].frames * head.blockAlign!, name)
  }
  // ramp-16-44k.wav has a JUNK chunk before fmt: stepped over, not kept.
  assert.is(headOf('wav', fixtureBytes('ramp-16-44k.wav')).header.length, 12 + 24 + 8)
})

test('HeadReader: a 3 MB PICTURE is stepped over without being fetched; the SEEKTABLE after it is read', () => {
  const file = seekFlac({ sampleRate: 44100, channels: 2, bits: 16, blockSize: 4096, totalFrames: 4096 * 30, sample: (f, c) => (f * 3 + c) % 30000, seekEvery: 4096 * 5, picture: 3 << 20, padding: 8192 })
  const r = new HeadReader('flac')
  let fetched = 0
  let requests = 0
  for (let want = r.need(); want; want = r.need()) {
    const got = file.bytes.subarray(want.from, want.to)
    fetched += got.length
    requests++
    r.give(want.from, got, got.length < want.to - want.from)
  }
  const head = r.result()
  assert.ok(fetched < 64 * 1024, `fetched ${fetched} bytes`)
  assert.is(requests, 2)
  assert.is(head.audioStart, file.audioStart)
  assert.equal(head.seekPoints, file.frames.filter((f) => f.frame % (4096 * 5) === 0))
  // The compact head parses like the real one, given where the audio starts.
  assert.equal(parseHead('flac', head.header, head.audioStart).seekPoints, head.seekPoints)
  // A literal prefix works too, audio start inferred.
  assert.is(parseHead('flac', file.bytes.subarray(0, file.audioStart + 100)).audioStart, file.audioStart)
})

test('HeadReader: a file that ends inside its head is "truncated"; not the codec is "corrupt"/"unsupported"', () => {
  const cut = fixtureBytes('ramp-16-44k.flac').subarray(0, 50)
  assert.throws(() => headOf('flac', cut), (e: unknown) => e instanceof DecodeError && e.code === 'truncated')
  assert.throws(() => headOf('flac', fixtureBytes('not-flac.flac')), (e: unknown) => e instanceof DecodeError && e.code === 'corrupt')
  assert.throws(() => headOf('wav', fixtureBytes('adpcm.wav')), (e: unknown) => e instanceof DecodeError && e.code === 'unsupported')
  assert.throws(() => headOf('wav', fixtureBytes('ramp-16-44k.flac')), (e: unknown) => e instanceof DecodeError && e.code === 'corrupt')
  assert.throws(() => parseHead('wav', fixtureBytes('ramp-16-44k.wav').subarray(0, 40)), /ends before the WAV data chunk/)
})

// ── the plan ────────────────────────────────────────────────────────────────

test('seekPlan: WAV is exact; FLAC starts on a seek point, estimates between points, clamps past the end', () => {
  const wav = fixtureBytes('ramp-24-96k.wav')
  const wh = headOf('wav', wav)
  assert.equal(seekPlan('wav', wh, wav.length, 1234), { startByte: wh.audioStart + 1234 * 6, expectedFrame: 1234, exact: true, safeByte: wh.audioStart + 1234 * 6, safeFrame: 1234, wantedFrame: 1234 })
  assert.is(seekPlan('wav', wh, wav.length, 1e9).wantedFrame, 9999)

  const bs = 4096
  const f = seekFlac({ sampleRate: 96000, channels: 2, bits: 24, blockSize: bs, totalFrames: bs * 100 + 77, sample: (i, c) => ((i * 4097 + c * 999) % (1 << 24)) - (1 << 23), seekEvery: bs * 10 })
  const h = headOf('flac', f.bytes)
  const at = (frame: number) => f.frames.find((x) => x.frame === frame)!.byte
  // On a seek point, and less than a block after one: that point, exactly.
  assert.equal(seekPlan('flac', h, f.bytes.length, bs * 30), { startByte: at(bs * 30), expectedFrame: bs * 30, exact: true, safeByte: at(bs * 30), safeFrame: bs * 30, wantedFrame: bs * 30 })
  assert.is(seekPlan('flac', h, f.bytes.length, bs * 30 + 100).startByte, at(bs * 30))
  // Between points: an estimate after the point before, before the frame wanted.
  const p = seekPlan('flac', h, f.bytes.length, bs * 35 + 5)
  assert.is(p.exact, false)
  assert.is(p.safeByte, at(bs * 30))
  assert.ok(p.startByte > at(bs * 32) && p.startByte <= at(bs * 35), `${p.startByte}`)
  // An overshoot moves the start earlier; never before the safe start.
  const q = seekPlan('flac', h, f.bytes.length, bs * 35 + 5, { startByte: at(bs * 36), firstFrame: bs * 36 })
  assert.ok(q.startByte < at(bs * 36) && q.startByte >= at(bs * 30), `${q.startByte}`)
  // Past the end: the last frame.
  assert.is(seekPlan('flac', h, f.bytes.length, 1e12).wantedFrame, bs * 100 + 76)
})

// ── FLAC: committed fixtures ────────────────────────────────────────────────

for (const name of FLAC_RAMPS) {
  test(`${name}: seeking to many frames gives exact samples from at or before the wanted frame`, async () => {
    const r = RAMPS[name]
    const bytes = fixtureBytes(name)
    const bs = (r as RampFixture).blockSize ?? 4096
    const total = r.frames
    const mid = Math.floor(total / 2)
    const wanted = [0, 1, bs - 1, bs, bs + 1, 2 * bs - 1, 2 * bs, mid, mid - (mid % bs), mid - (mid % bs) - 1, total - bs, total - bs - 1, total - 2, total - 1, total, total * 3]
    for (const w of wanted) {
      const clamped = Math.min(w, total - 1)
      const out = await seekDecode('flac', bytes, w, w + 1)
      assert.is(out.error, null, `${name} @${w}: ${String(out.error)}`)
      const first = out.chunks[0]!.startFrame
      assert.ok(first <= clamped, `${name} @${w}: decoding starts at ${first}, after the wanted frame`)
      assert.equal(checkFrom(out.chunks, r.channels, (f, c) => expectedRampSample(name, f, c), first, total), [], `${name} @${w}`)
      assert.equal({ first: out.end!.firstFrame, frames: out.end!.frames, truncated: out.end!.truncated, md5: out.end!.md5, sha256: out.end!.sha256 }, { first, frames: total - first, truncated: false, md5: 'unavailable', sha256: null }, `${name} @${w}`)
      assert.ok(out.starts.length <= 3, `${out.starts.length} attempts`)
    }
  })
}

test('every start byte of a file resynchronises on the next whole frame (odd 1153-frame blocks)', async () => {
  const name = 'ramp-16-44k-bs1153.flac'
  const bytes = fixtureBytes(name)
  const head = headOf('flac', bytes)
  const map = frameMap(bytes)
  const lastStart = map.at(-1)!.byte
  for (let start = 0; start < bytes.length + 2; start += start < 200 || start > lastStart - 20 ? 1 : 5) {
    const out = await decodeFrom('flac', bytes, head, start, start)
    assert.is(out.error, null, `from byte ${start}: ${String(out.error)}`)
    const expected = frameAtOrAfter(map, Math.max(start, head.audioStart))
    if (expected === null) {
      // Inside the last frame or past the end: nothing whole to decode, which is not damage.
      assert.equal([out.chunks.length, out.end!.firstFrame, out.end!.truncated], [0, null, false], `from byte ${start}`)
      continue
    }
    assert.is(out.end!.firstFrame, expected, `from byte ${start}`)
    assert.equal(checkFrom(out.chunks, 2, (f, c) => expectedRampSample(name, f, c), expected, RAMPS[name].frames), [], `from byte ${start}`)
  }
})

test('one byte at a time from mid-frame decodes like one push', async () => {
  const name = 'ramp-24-96k.flac'
  const bytes = fixtureBytes(name)
  const head = headOf('flac', bytes)
  const start = frameMap(bytes)[7]!.byte + 11
  const d = await StreamDecoder.create('flac', { header: head.header, audioStart: head.audioStart, startByte: start })
  const chunks: PcmChunk[] = []
  for (let i = start; i < bytes.length; i++) chunks.push(...d.push(bytes.subarray(i, i + 1)))
  chunks.push(...d.end().chunks)
  assert.equal(checkFrom(chunks, 2, (f, c) => expectedRampSample(name, f, c), 8 * 4096, RAMPS[name].frames), [])
})

// ── FLAC: generated files ───────────────────────────────────────────────────

test('a SEEKTABLE: first chunk on the point or within 2 blocks before the wanted frame; without one, as close', async () => {
  const bs = 4096
  const spec: SeekFlacSpec = { sampleRate: 96000, channels: 2, bits: 24, blockSize: bs, totalFrames: bs * 120 + 77, sample: (i, c) => ((i * 4097 + c * 999) % (1 << 24)) - (1 << 23), seekEvery: bs * 10 + 100, placeholders: 3, padding: 4096 }
  const expected: Expected = (f, c) => intSample(24)(spec.sample(f, c))
  for (const withTable of [true, false]) {
    const f = seekFlac(withTable ? spec : { ...spec, seekEvery: undefined })
    for (const w of [5, bs * 10 + 99, bs * 10 + 100, bs * 11, bs * 15 - 1, bs * 15, bs * 15 + 1, bs * 59 + 2000, bs * 99, bs * 119 + 50, bs * 120 + 76]) {
      const out = await seekDecode('flac', f.bytes, w, w)
      assert.is(out.error, null, String(out.error))
      const first = out.chunks[0]!.startFrame
      const early = w - first
      const limit = withTable ? 2 * bs : 2 * bs + 0.01 * w
      assert.ok(early >= 0 && early <= limit, `${withTable ? 'seek table' : 'no seek table'} @${w}: starts ${early} frames early`)
      assert.is(out.starts.length, 1, `@${w}: one attempt (constant bitrate)`)
      assert.equal(checkFrom(out.chunks, 2, expected, first, spec.totalFrames), [], `@${w}`)
    }
  }
})

test('false sync codes with valid CRC-8 inside audio data do not derail the resync', async () => {
  // 16-bit mono verbatim: each sample is two bytes of the frame, so a frame's
  // audio can spell out whole frame headers that pass their CRC-8, numbered
  // as the frame itself, the next and the one after, with the real block size.
  const bs = 1024
  const base = { sampleRate: 44100, channels: 1, bits: 16 as const, blockSize: bs }
  const total = bs * 40 + 300
  const fakes = new Map<number, number>() // frame -> int sample
  for (let n = 0; n * bs < total; n++) {
    for (const [offset, number] of [[100, n], [301, n + 1], [700, n + 2], [1000, n + 1]] as const) {
      const h = frameHeader(base, number, bs)
      if (h.length % 2) h.push(0x00)
      for (let k = 0; k < h.length / 2; k++) {
        const v = (h[2 * k]! << 8) | h[2 * k + 1]!
        fakes.set(n * bs + offset + k, (v << 16) >> 16)
      }
    }
  }
  const spec: SeekFlacSpec = { ...base, totalFrames: total, sample: (f) => fakes.get(f) ?? (((f * 7) & 0xffff) << 16) >> 16, seekEvery: bs * 8 }
  const file = seekFlac(spec)
  // The fakes are there, and each passes its CRC-8 as a header.
  let passing = 0
  for (let i = file.audioStart; i < file.bytes.length - 16; i++) {
    const h = parseFrameHeader(file.bytes, i)
    if (typeof h === 'object' && !file.frames.some((x) => x.byte === i)) passing++
  }
  assert.ok(passing >= 4 * 40, `${passing} false headers pass their CRC-8`)
  const head = headOf('flac', file.bytes)
  const expected: Expected = (f) => intSample(16)(spec.sample(f, 0))
  // The whole-file framer passes over them too.
  const whole = await decodeOk('flac', randomSlices(file.bytes, 3))
  assert.equal(checkFrom(whole.chunks, 1, expected, 0, total), [])
  for (let n = 1; n < 40; n += 3) {
    const frameByte = file.frames[n]!.byte
    for (const into of [0, 1, 150, 200, 600, 1500, 2000, 2040]) {
      const start = frameByte + into
      const out = await decodeFrom('flac', file.bytes, head, start, start)
      assert.is(out.error, null, `from byte ${start}: ${String(out.error)}`)
      const want = file.frames.find((x) => x.byte >= start)!.frame
      assert.is(out.end!.firstFrame, want, `from ${into} bytes into frame ${n}`)
      assert.equal(checkFrom(out.chunks, 1, expected, want, total), [], `from ${into} bytes into frame ${n}`)
    }
  }
  // And through the plan, to frames right on a fake.
  for (const w of [bs * 9 + 100, bs * 20 + 301, bs * 33 + 700]) {
    const out = await seekDecode('flac', file.bytes, w)
    assert.ok(out.chunks[0]!.startFrame <= w && w - out.chunks[0]!.startFrame <= 2 * bs)
    assert.equal(checkFrom(out.chunks, 1, expected, out.chunks[0]!.startFrame, total), [])
  }
})

test('an estimate that lands after the wanted frame is retried earlier (quiet start, loud end)', async () => {
  // 60 % silence (CONSTANT subframes: a few bytes a frame), then verbatim noise:
  // interpolating over the file puts 80 % of the track far too late.
  const bs = 2048
  const total = bs * 100
  const spec: SeekFlacSpec = { sampleRate: 48000, channels: 2, bits: 16, blockSize: bs, totalFrames: total, sample: (f, c) => (f < total * 0.6 ? 0 : ((((f * 2654435761) >>> 16) + c * 77) & 0xffff) - 32768) }
  const file = seekFlac(spec)
  const head = headOf('flac', file.bytes)
  const expected: Expected = (f, c) => intSample(16)(spec.sample(f, c))
  const w = Math.floor(total * 0.8)
  const firstTry = seekPlan('flac', head, file.bytes.length, w)
  const direct = await decodeFrom('flac', file.bytes, head, firstTry.startByte)
  assert.ok(direct.chunks[0]!.startFrame > w, 'the first estimate overshoots')
  const out = await seekDecode('flac', file.bytes, w)
  assert.ok(out.starts.length >= 2 && out.starts.length <= 3, `${out.starts.length} attempts`)
  assert.ok(out.chunks[0]!.startFrame <= w)
  assert.equal(checkFrom(out.chunks, 2, expected, out.chunks[0]!.startFrame, total), [])
})

test('variable block size streams: chunks start at the frame header’s sample number', async () => {
  const spec: SeekFlacSpec = { sampleRate: 44100, channels: 2, bits: 16, blockSize: 1000, variable: true, totalFrames: 45_678, sample: (f, c) => ((f * 5 + c * 1000) & 0xffff) - 32768, seekEvery: 10_000 }
  const file = seekFlac(spec)
  const expected: Expected = (f, c) => intSample(16)(spec.sample(f, c))
  for (const w of [999, 1000, 12_345, 30_001, 45_677]) {
    const out = await seekDecode('flac', file.bytes, w)
    assert.is(out.error, null, String(out.error))
    const first = out.chunks[0]!.startFrame
    assert.ok(first <= w && w - first <= 2000, `@${w}: ${first}`)
    assert.equal(checkFrom(out.chunks, 2, expected, first, spec.totalFrames), [])
  }
})

// ── WAV ─────────────────────────────────────────────────────────────────────

for (const name of WAV_RAMPS) {
  test(`${name}: seeking is exact, any start byte begins at the next whole frame`, async () => {
    const r = RAMPS[name]
    const bytes = fixtureBytes(name)
    const head = headOf('wav', bytes)
    const align = head.blockAlign!
    const expected: Expected = (f, c) => expectedRampSample(name, f, c)
    for (const w of [0, 1, 777, r.frames - 1, r.frames + 5]) {
      const out = await seekDecode('wav', bytes, w, w)
      const first = Math.min(w, r.frames - 1)
      assert.equal(out.starts.length, 1)
      assert.is(out.end!.firstFrame, first)
      assert.equal(checkFrom(out.chunks, r.channels, expected, first, r.frames), [], `@${w}`)
      assert.equal([out.end!.truncated, out.end!.md5, out.end!.sha256], [false, 'unavailable', null])
    }
    for (const start of [0, 5, head.audioStart - 1, head.audioStart, head.audioStart + 1, head.audioStart + align * 100 - 1, head.audioStart + align * 100 + 1]) {
      const out = await decodeFrom('wav', bytes, head, start, start)
      const first = Math.max(0, Math.ceil((start - head.audioStart) / align))
      assert.is(out.end!.firstFrame, first, `from byte ${start}`)
      assert.equal(checkFrom(out.chunks, r.channels, expected, first, r.frames), [], `from byte ${start}`)
    }
    // At or past the end of the data: nothing to decode, nothing wrong.
    const past = await decodeFrom('wav', bytes, head, head.audioStart + r.frames * align)
    assert.equal([past.error, past.chunks.length, past.end!.truncated], [null, 0, false])
  })
}

// ── damage ──────────────────────────────────────────────────────────────────

test('damage: a bad seek header, no frames after the start, a damaged frame, a cut file', async () => {
  const ramp = fixtureBytes('ramp-16-44k.flac')
  const head = headOf('flac', ramp)
  // Seek headers that are cut, not the codec, or an unsupported format.
  const fail = async (codec: TrackCodec, header: Uint8Array) => StreamDecoder.create(codec, { header, startByte: 5000 }).then(() => null, (e: unknown) => e)
  assertCode(await fail('flac', ramp.subarray(0, 30)), 'truncated', /header given for a seek ends/)
  assertCode(await fail('flac', fixtureBytes('not-flac.flac')), 'corrupt', /not a FLAC file/)
  assertCode(await fail('wav', fixtureBytes('ramp-16-44k.wav').subarray(0, 40)), 'truncated', /WAV data chunk/)
  assertCode(await fail('wav', fixtureBytes('adpcm.wav')), 'unsupported', /ADPCM/)

  // Bytes with no frame in them: a clear error once no frame can be there.
  const noise = new Uint8Array(400_000)
  for (let i = 0, s = 9; i < noise.length; i++) noise[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24
  const lost = await decodeFrom('flac', noise, head, 0) // from byte 0: the first `audioStart` bytes count as metadata
  assertCode(lost.error, 'corrupt', new RegExp(`no valid frame in the \\d+ bytes from byte ${head.audioStart}`))

  // A damaged frame after the start: the audio before it, then "corrupt".
  const corrupt = fixtureBytes('corrupt-frame.flac')
  const map = frameMap(ramp)
  const damagedAt = Math.floor(ramp.length / 2)
  const before = map.filter((f) => f.byte < damagedAt).at(-2)!
  const hurt = await decodeFrom('flac', corrupt, head, before.byte - 3)
  assertCode(hurt.error, 'corrupt', /damaged/)
  const next = map.find((f) => f.byte >= before.byte - 3)!.frame
  assert.ok(hurt.chunks.length > 0 && hurt.chunks[0]!.startFrame === next)
  const good = hurt.chunks.reduce((n, c) => n + c.frames, 0)
  assert.equal(checkFrom(hurt.chunks, 2, (f, c) => expectedRampSample('ramp-16-44k.flac', f, c), next, next + good), [])

  // A file cut short: what is there, flagged truncated.
  const cut = fixtureBytes('truncated.flac')
  const out = await decodeFrom('flac', cut, headOf('flac', cut), Math.floor(cut.length / 2))
  assert.is(out.error, null)
  assert.is(out.end!.truncated, true)
  const first = out.chunks[0]!.startFrame
  const upTo = first + out.chunks.reduce((n, c) => n + c.frames, 0)
  assert.ok(upTo < RAMPS['ramp-16-44k.flac'].frames)
  assert.equal(checkFrom(out.chunks, 2, (f, c) => expectedRampSample('ramp-16-44k.flac', f, c), first, upTo), [])
})

test('random damage after a seek never crashes or hangs: a result or a DecodeError', async () => {
  const bytes = fixtureBytes('ramp-24-96k.flac')
  const head = headOf('flac', bytes)
  for (let seed = 1; seed <= 40; seed++) {
    const copy = bytes.slice()
    let s = seed
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32
    for (let k = 0; k < 1 + seed % 4; k++) copy[head.audioStart + Math.floor(rnd() * (copy.length - head.audioStart))]! ^= 1 + Math.floor(rnd() * 255)
    const start = head.audioStart + Math.floor(rnd() * (copy.length - head.audioStart))
    const out = await decodeFrom('flac', copy, head, start, seed)
    if (out.error !== null) assert.instance(out.error, DecodeError, String(out.error))
    for (const c of out.chunks) assert.ok(c.startFrame >= 0 && c.startFrame + c.frames <= RAMPS['ramp-24-96k.flac'].frames)
  }
})

// ── the worker API ──────────────────────────────────────────────────────────

test('worker API: open() in seek mode, seek() restarts a session earlier, misuse is refused', async () => {
  const api = createDecodeApi()
  const name = 'ramp-24-96k.flac'
  const bytes = fixtureBytes(name)
  const head = headOf('flac', bytes)
  const map = frameMap(bytes)
  const expected: Expected = (f, c) => expectedRampSample(name, f, c)
  const run = async (id: number, start: number) => {
    const chunks: PcmChunk[] = []
    for (const piece of randomSlices(bytes.subarray(start), id)) chunks.push(...(await api.push(id, piece)).chunks)
    const end = await api.end(id)
    return { chunks: [...chunks, ...end.chunks], end }
  }
  await api.open(1, 'flac', { header: head.header, audioStart: head.audioStart, startByte: map[12]!.byte + 1 })
  const a = await run(1, map[12]!.byte + 1)
  assert.equal(checkFrom(a.chunks, 2, expected, map[13]!.frame, 100_000), [])
  assert.equal([a.end.firstFrame, a.end.sha256, a.end.md5], [map[13]!.frame, null, 'unavailable'])

  // A whole-file session turned into a seek session, then restarted earlier after some pushes.
  await api.open(2, 'flac')
  await api.seek(2, { header: head.header, audioStart: head.audioStart, startByte: map[20]!.byte })
  await api.push(2, bytes.subarray(map[20]!.byte, map[20]!.byte + 3000))
  await api.seek(2, { header: head.header, audioStart: head.audioStart, startByte: map[3]!.byte - 10 })
  const b = await run(2, map[3]!.byte - 10)
  assert.equal(checkFrom(b.chunks, 2, expected, map[3]!.frame, 100_000), [])

  const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => decodeErrorFromWorker(e))
  assert.equal(await code(api.open(3, 'flac', { header: bytes.subarray(0, 20), startByte: 9000 })), { code: 'truncated', message: 'The header given for a seek ends before the FLAC metadata does.' })
  assert.match(JSON.stringify(await code(api.open(4, 'flac', { header: 'fLaC' as unknown as Uint8Array, startByte: 0 }))), /Uint8Array/)
  assert.match(JSON.stringify(await code(api.open(5, 'wav', { header: bytes, startByte: -1 }))), /not a byte offset/)
  assert.match(JSON.stringify(await code(api.seek(6, { header: head.header, startByte: 0 }))), /not open/)
  assert.is(api.sessionCount(), 0)
})

test('whole-file sessions are unchanged: firstFrame 0, SHA-256 and MD5 checked', async () => {
  const { end } = await decodeOk('flac', [fixtureBytes('ramp-16-44k.flac')])
  assert.equal([end.firstFrame, end.md5, typeof end.sha256], [0, 'match', 'string'])
})

test.run()
