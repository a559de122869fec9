/**
 * TrackStream in seek mode against a real server: HttpByteSource fetches the
 * head (stepping over an embedded picture) and a `Range: bytes=N-` from the
 * planned byte, the decode session starts there, and what comes out is the
 * track's exact samples from at or before the wanted frame, without the
 * bytes before it. Whole-file mode, sources that cannot seek, servers that
 * ignore Range, damage, and the worker across a real thread boundary too.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { wrap } from 'comlink'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { HttpByteSource, type ByteSource } from '../../client/src/lib/player/byte-source.ts'
import { IntegrityError, TrackStream, type DecodeSessionHandle } from '../../client/src/lib/player/track-stream.ts'
import type { DecodeWorkerApi, PcmChunk, Track, TrackCodec } from '../../protocol/index.ts'
import { createDecodeApi } from '../../workers/decode-api.ts'
import { nodeEndpoint } from '../support/comlink-node.ts'
import { fixtureBytes } from '../support/decode.ts'
import { RAMPS, expectedRampSample, fixtureUrl, type FixtureName, type RampFixture, type RampName } from '../support/fixtures.ts'
import { seekFlac, type SeekFlacSpec } from '../support/seek.ts'

process.env.LOG_LEVEL ??= 'error'
const { startTestServer } = await import('../support/server.ts')

type Expected = (frame: number, channel: number) => number
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

// A 24/96 stereo file with a SEEKTABLE behind a 1 MB cover picture, and one whose bitrate jumps (quiet, then loud).
const BIG: SeekFlacSpec = { sampleRate: 96000, channels: 2, bits: 24, blockSize: 4096, totalFrames: 4096 * 150 + 123, sample: (i, c) => ((i * 4097 + c * 999) % (1 << 24)) - (1 << 23), seekEvery: 96000, picture: 1 << 20, padding: 8192 }
const JUMP: SeekFlacSpec = { sampleRate: 48000, channels: 2, bits: 16, blockSize: 2048, totalFrames: 2048 * 100, sample: (f, c) => (f < 2048 * 60 ? 0 : ((((f * 2654435761) >>> 16) + c * 77) & 0xffff) - 32768) }
const generated = { 'big.flac': seekFlac(BIG).bytes, 'jump.flac': seekFlac(JUMP).bytes }
const FIXTURES = ['ramp-24-96k.flac', 'ramp-16-44k-bs1153.flac', 'ramp-24-48k-8ch.flac', 'ramp-24-96k.wav', 'ramp-16-44k.wav', 'truncated.flac', 'corrupt-frame.flac'] as const satisfies FixtureName[]

const dir = mkdtempSync(join(tmpdir(), 'aula-seek-'))
for (const name of FIXTURES) copyFileSync(fixtureUrl(name), join(dir, name))
for (const [name, bytes] of Object.entries(generated)) writeFileSync(join(dir, name), bytes)
const server = await startTestServer({ libraryDir: dir })
const tracks: Track[] = await (await fetch(`${server.url}/api/tracks`)).json()

function trackOf(bytes: Uint8Array): Track {
  const t = tracks.find((x) => x.sha256 === sha256(bytes))
  if (!t) throw new Error('track not in the library')
  return t
}
const url = (t: Track) => `${server.url}/api/stream/${t.id}`

let nextId = 1
const api = createDecodeApi()
const direct = async (codec: TrackCodec): Promise<DecodeSessionHandle> => {
  const id = nextId++
  await api.open(id, codec)
  return { api, id }
}

/** Pulls a stream to its end; the chunks, and when the first one came. */
async function drain(stream: TrackStream): Promise<PcmChunk[]> {
  const chunks: PcmChunk[] = []
  for (let got = await stream.pull(); got; got = await stream.pull()) chunks.push(...got)
  return chunks
}

/** Problems with `chunks`: not contiguous, a sample off, not ending at `to`. */
function check(chunks: PcmChunk[], channels: number, expected: Expected, to: number): string[] {
  const problems: string[] = []
  let next = chunks[0]?.startFrame ?? to
  for (const c of chunks) {
    if (c.startFrame !== next) problems.push(`chunk starts at ${c.startFrame}, expected ${next}`)
    for (let ch = 0; ch < channels && problems.length < 5; ch++) {
      for (let i = 0; i < c.frames; i++) {
        if (c.channels[ch]![i] !== expected(c.startFrame + i, ch)) {
          problems.push(`frame ${c.startFrame + i} channel ${ch}: got ${c.channels[ch]![i]}, expected ${expected(c.startFrame + i, ch)}`)
          break
        }
      }
    }
    next = c.startFrame + c.frames
  }
  if (next !== to) problems.push(`ended at ${next}, expected ${to}`)
  return problems
}

const intSample = (spec: SeekFlacSpec): Expected => (f, c) => Math.fround(spec.sample(f, c) / 2 ** (spec.bits - 1))

test('seek mode: exact samples from at or before the wanted frame, fixtures and generated files', async () => {
  const cases: { bytes: Uint8Array; channels: number; total: number; expected: Expected; block: number }[] = [
    ...(['ramp-24-96k.flac', 'ramp-16-44k-bs1153.flac', 'ramp-24-48k-8ch.flac', 'ramp-24-96k.wav', 'ramp-16-44k.wav'] as const).map((n: RampName) => ({
      bytes: fixtureBytes(n),
      channels: RAMPS[n].channels,
      total: RAMPS[n].frames,
      expected: (f: number, c: number) => expectedRampSample(n, f, c),
      block: RAMPS[n].codec === 'wav' ? 1 : ((RAMPS[n] as RampFixture).blockSize ?? 4096),
    })),
    { bytes: generated['big.flac'], channels: 2, total: BIG.totalFrames, expected: intSample(BIG), block: 4096 },
  ]
  for (const c of cases) {
    const track = trackOf(c.bytes)
    for (const wanted of [1, c.block, c.block * 2 + 1, Math.floor(c.total / 2), c.total - 1]) {
      const stream = new TrackStream(track, new HttpByteSource(url(track)), { startFrame: wanted, openSession: direct })
      const chunks = await drain(stream)
      const first = chunks[0]!
      const label = `${track.title}.${track.codec} @${wanted}`
      assert.ok(first.startFrame <= wanted && wanted < first.startFrame + first.frames, `${label}: first chunk ${first.startFrame}+${first.frames}`)
      if (track.codec === 'wav') assert.is(first.startFrame, wanted, label)
      assert.equal(check(chunks, c.channels, c.expected, c.total), [], label)
      assert.equal([stream.seeking, stream.ended, stream.framesDecoded, stream.truncatedNote], [true, true, c.total, null], label)
      assert.equal(stream.format?.totalFrames, c.total)
    }
  }
  assert.is(api.sessionCount(), 0, 'every session ended')
})

test('seek mode fetches the head without the picture and the audio from near the wanted frame only', async () => {
  const bytes = generated['big.flac']
  const track = trackOf(bytes)
  const wanted = Math.floor(BIG.totalFrames * 0.9)
  const stream = new TrackStream(track, new HttpByteSource(url(track)), { startFrame: wanted, openSession: direct })
  const chunks = await drain(stream)
  assert.ok(wanted - chunks[0]!.startFrame <= 2 * 4096, `starts ${wanted - chunks[0]!.startFrame} frames early (seek table)`)
  assert.is(stream.seekRetries, 0)
  const audioBytes = bytes.length - (1 << 20)
  assert.ok(stream.bytesFromOrigin < 64 * 1024 + audioBytes * 0.12, `${stream.bytesFromOrigin} bytes fetched of ${bytes.length}`)
})

test('the first push goes right behind the seek, before its answer; a failed seek is the stream’s error', async () => {
  const name = 'ramp-24-96k.flac'
  const track = trackOf(fixtureBytes(name))
  const wanted = Math.floor(RAMPS[name].frames / 2)
  /** The real API, with each seek's answer held until `release` (as a busy worker's reply waits for the page). */
  const holding = (fail: boolean) => {
    const order: string[] = []
    let release = () => {}
    const held: typeof api = Object.create(api)
    held.seek = (id, from) => {
      order.push('seek')
      // Failing, the worker never hears of it: the push behind it lands in the whole-file session, mid-file.
      const done = fail ? null : api.seek(id, from)
      return new Promise((resolve, reject) => {
        let answered = false
        release = () => {
          if (answered) return
          answered = true
          order.push('seek answered')
          void (done ?? Promise.reject(new Error('truncated: the seek header was cut'))).then(resolve, reject)
        }
        setTimeout(release, 500) // a page that waits for the answer first gets it anyway
      })
    }
    held.push = (id, bytes) => {
      order.push('push')
      release()
      return api.push(id, bytes)
    }
    const open = async (codec: TrackCodec): Promise<DecodeSessionHandle> => {
      const id = nextId++
      await api.open(id, codec)
      return { api: held, id }
    }
    return { order, open }
  }
  const ok = holding(false)
  const stream = new TrackStream(track, new HttpByteSource(url(track)), { startFrame: wanted, openSession: ok.open })
  const chunks = await drain(stream)
  assert.equal(ok.order.slice(0, 3), ['seek', 'push', 'seek answered'], 'the push was sent while the seek was unanswered')
  assert.ok(chunks[0]!.startFrame <= wanted)
  assert.equal(check(chunks, 2, (f, c) => expectedRampSample(name, f, c), RAMPS[name].frames), [])
  const bad = holding(true)
  const failing = new TrackStream(track, new HttpByteSource(url(track)), { startFrame: wanted, openSession: bad.open })
  try {
    await drain(failing)
    assert.unreachable('a failed seek played')
  } catch (err) {
    assert.match((err as Error).message, /seek header was cut/)
  }
  failing.close()
})

test('an estimate that lands after the wanted frame is retried earlier, through a new range request', async () => {
  const bytes = generated['jump.flac']
  const track = trackOf(bytes)
  const wanted = Math.floor(JUMP.totalFrames * 0.8)
  const stream = new TrackStream(track, new HttpByteSource(url(track)), { startFrame: wanted, openSession: direct })
  const chunks = await drain(stream)
  assert.ok(stream.seekRetries >= 1 && stream.seekRetries <= 2, `${stream.seekRetries} retries`)
  assert.ok(chunks[0]!.startFrame <= wanted)
  assert.equal(check(chunks, 2, intSample(JUMP), JUMP.totalFrames), [])
})

test('whole-file mode is unchanged: from byte 0, SHA-256 and MD5 checked', async () => {
  const bytes = fixtureBytes('ramp-24-96k.flac')
  const track = trackOf(bytes)
  for (const options of [undefined, { startFrame: 0, openSession: direct }]) {
    const stream = options ? new TrackStream(track, new HttpByteSource(url(track)), options) : new TrackStream(track, new HttpByteSource(url(track)), { openSession: direct })
    const chunks = await drain(stream)
    assert.is(chunks[0]!.startFrame, 0)
    assert.equal(check(chunks, 2, (f, c) => expectedRampSample('ramp-24-96k.flac', f, c), 100_000), [])
    assert.equal([stream.seeking, stream.bytesFromOrigin], [false, bytes.length])
  }
  // A copy that differs from the library's is refused at the end.
  const liar: ByteSource = { bytesFromOrigin: 0, close() {}, read: (() => { let done = false; return async () => (done ? null : ((done = true), fixtureBytes('ramp-16-44k.flac'))) })() }
  const err = await drain(new TrackStream(track, liar, { openSession: direct })).catch((e: unknown) => e)
  assert.instance(err, IntegrityError)
  assert.is((err as IntegrityError).code, 'integrity')
})

test('a source that cannot seek is read whole and verified; chunks before the wanted frame are not handed out', async () => {
  const bytes = fixtureBytes('ramp-24-96k.flac')
  const track = trackOf(bytes)
  const http = new HttpByteSource(url(track))
  const plain: ByteSource = { get bytesFromOrigin() { return http.bytesFromOrigin }, read: () => http.read(), close: () => http.close() }
  const stream = new TrackStream(track, plain, { startFrame: 50_000, openSession: direct })
  const chunks = await drain(stream)
  assert.ok(chunks[0]!.startFrame <= 50_000 && chunks[0]!.startFrame + chunks[0]!.frames > 50_000)
  assert.equal(check(chunks, 2, (f, c) => expectedRampSample('ramp-24-96k.flac', f, c), 100_000), [])
  assert.equal([stream.seeking, stream.bytesFromOrigin, stream.framesDecoded], [false, bytes.length, 100_000])
})

test('a server that ignores Range: the bytes before the start are dropped client-side', async () => {
  const bytes = generated['big.flac']
  const track = trackOf(bytes)
  const plain = createServer((_req, res) => res.writeHead(200, { 'Content-Length': bytes.length }).end(bytes))
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
  try {
    const wanted = 400_000
    const stream = new TrackStream(track, new HttpByteSource(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/x`), { startFrame: wanted, openSession: direct })
    const chunks = await drain(stream)
    assert.ok(chunks[0]!.startFrame <= wanted && wanted - chunks[0]!.startFrame <= 2 * 4096)
    assert.equal(check(chunks, 2, intSample(BIG), BIG.totalFrames), [])
  } finally {
    plain.close()
  }
})

test('HttpByteSource: a start byte, seek(), and a start past the end', async () => {
  const bytes = fixtureBytes('ramp-24-96k.wav')
  const track = trackOf(bytes)
  const all = async (s: HttpByteSource) => {
    const parts: Uint8Array[] = []
    for (let b = await s.read(); b; b = await s.read()) parts.push(b)
    return Buffer.concat(parts)
  }
  assert.equal(new Uint8Array(await all(new HttpByteSource(url(track), { startByte: 1000 }))), bytes.subarray(1000))
  const s = new HttpByteSource(url(track))
  await s.read()
  s.seek(5000)
  assert.equal(new Uint8Array(await all(s)), bytes.subarray(5000))
  assert.is((await all(new HttpByteSource(url(track), { startByte: bytes.length + 10 }))).length, 0)
  const head = await new HttpByteSource(url(track)).readHead('wav')
  assert.equal(head.audioStart, 68)
})

test('damage after a seek: a cut file ends with a note, a damaged frame is a clear error', async () => {
  const cut = trackOf(fixtureBytes('truncated.flac'))
  const stream = new TrackStream(cut, new HttpByteSource(url(cut)), { startFrame: 30_000, openSession: direct })
  const chunks = await drain(stream)
  assert.ok(chunks.length > 0 && chunks[0]!.startFrame <= 30_000)
  assert.equal(check(chunks, 2, (f, c) => expectedRampSample('ramp-16-44k.flac', f, c), stream.framesDecoded), [])
  assert.ok(stream.framesDecoded < 70_000)
  assert.match(stream.truncatedNote ?? '', /ended early/)

  const hurt = trackOf(fixtureBytes('corrupt-frame.flac'))
  const err = await drain(new TrackStream(hurt, new HttpByteSource(url(hurt)), { startFrame: 20_000, openSession: direct })).catch((e: unknown) => e)
  assert.instance(err, IntegrityError)
  assert.is((err as IntegrityError).code, 'corrupt')
  assert.match((err as Error).message, /cannot be played: The FLAC file is damaged/)
})

test('through a real worker thread (comlink): seek() and the head cross the boundary', async () => {
  const entry = new URL('../support/decode-node-worker.ts', import.meta.url).href
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(entry)}))`
  const worker = new Worker(boot, { eval: true })
  try {
    const remote = wrap<DecodeWorkerApi>(nodeEndpoint(worker))
    let id = 1000
    const viaWorker = async (codec: TrackCodec): Promise<DecodeSessionHandle> => {
      const handle = { api: remote, id: id++ }
      await remote.open(handle.id, codec)
      return handle
    }
    const bytes = generated['big.flac']
    const track = trackOf(bytes)
    const stream = new TrackStream(track, new HttpByteSource(url(track)), { startFrame: 300_001, openSession: viaWorker })
    const chunks = await drain(stream)
    assert.ok(chunks[0]!.startFrame <= 300_001)
    assert.equal(check(chunks, 2, intSample(BIG), BIG.totalFrames), [])
    assert.instance(chunks[0]!.channels[0], Float32Array)
  } finally {
    await worker.terminate()
  }
})

test.after(async () => {
  await server.dispose()
  rmSync(dir, { recursive: true, force: true })
})

test.run()
