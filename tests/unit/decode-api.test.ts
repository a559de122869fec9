import { Worker } from 'node:worker_threads'
import { wrap, type Remote } from 'comlink'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeErrorFromWorker, type DecodeWorkerApi, type PcmChunk } from '../../protocol/worker-api.ts'
import { MAX_SESSIONS, createDecodeApi } from '../../workers/decode-api.ts'
import { nodeEndpoint } from '../support/comlink-node.ts'
import { compareSamples, fixtureBytes, randomSlices } from '../support/decode.ts'
import { RAMPS, expectedRampSample } from '../support/fixtures.ts'

/** The rejection of `p`, read back as the player will read it. */
async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p
  } catch (err) {
    assert.instance(err, Error)
    return decodeErrorFromWorker(err)
  }
  throw new assert.Assertion({ message: 'expected a rejection', generated: false, operator: 'rejects', expects: 'rejection', actual: 'resolved' })
}

async function decodeVia(api: DecodeWorkerApi | Remote<DecodeWorkerApi>, id: number, bytes: Uint8Array): Promise<PcmChunk[]> {
  await api.open(id, 'flac')
  const chunks: PcmChunk[] = []
  for (const piece of randomSlices(bytes, id)) chunks.push(...(await api.push(id, piece)).chunks)
  const end = await api.end(id)
  assert.is(end.md5, 'match')
  return [...chunks, ...end.chunks]
}

test('decodeErrorFromWorker reads `<code>: <sentence>` and calls anything else corrupt', () => {
  assert.equal(decodeErrorFromWorker(new Error('truncated: The FLAC file ends early.')), { code: 'truncated', message: 'The FLAC file ends early.' })
  assert.equal(decodeErrorFromWorker(new Error('unsupported: WAV format MP3 is not supported.')).code, 'unsupported')
  assert.equal(decodeErrorFromWorker(new Error('worker crashed')), { code: 'corrupt', message: 'worker crashed' })
  assert.equal(decodeErrorFromWorker('nope: x'), { code: 'corrupt', message: 'nope: x' })
})

test('the API decodes a session and closes it at end()', async () => {
  const api = createDecodeApi()
  const chunks = await decodeVia(api, 1, fixtureBytes('ramp-24-96k.flac'))
  assert.equal(compareSamples(chunks, 2, (f, c) => expectedRampSample('ramp-24-96k.flac', f, c)), [])
  assert.is(api.sessionCount(), 0)
  api.close(1) // already closed: fine
})

test('decode errors arrive as `<code>: <sentence>`', async () => {
  const api = createDecodeApi()
  await api.open(1, 'flac')
  assert.equal((await rejection(api.push(1, fixtureBytes('not-flac.flac')))).code, 'corrupt')
  assert.equal((await rejection(api.end(1))).code, 'corrupt') // the error sticks; end() also closes the session
  await api.open(2, 'wav')
  assert.equal(await rejection(api.push(2, fixtureBytes('adpcm.wav'))), { code: 'unsupported', message: 'WAV format IMA ADPCM is not supported (PCM and 32-bit float are).' })
  api.close(2)
  await api.open(3, 'flac')
  await api.push(3, fixtureBytes('ramp-16-44k.flac').subarray(0, 30))
  assert.is((await rejection(api.end(3))).code, 'truncated')
  assert.is((await rejection(api.open(4, 'mp3' as 'flac'))).code, 'unsupported')
  assert.is(api.sessionCount(), 0)
})

test('misuse is refused: unknown or duplicate sessions, too many open, a push that is not bytes', async () => {
  const api = createDecodeApi()
  assert.match((await rejection(api.push(7, new Uint8Array(4)))).message, /not open/)
  await api.open(7, 'wav')
  assert.match((await rejection(api.open(7, 'wav'))).message, /already open/)
  assert.match((await rejection(api.push(7, [1, 2] as unknown as Uint8Array))).message, /Uint8Array/)
  for (let i = 100; api.sessionCount() < MAX_SESSIONS; i++) await api.open(i, 'wav')
  assert.match((await rejection(api.open(99, 'wav'))).message, /too many/)
  api.close(7)
  await api.open(99, 'wav')
})

test('through a real worker thread: PCM transferred back, errors keep their code', async () => {
  // Node 20 does not apply tsx's loader to a worker's entry file, so the entry registers it first.
  const entry = new URL('../support/decode-node-worker.ts', import.meta.url).href
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(entry)}))`
  const worker = new Worker(boot, { eval: true })
  try {
    const api = wrap<DecodeWorkerApi>(nodeEndpoint(worker))
    const [a, b] = await Promise.all([
      decodeVia(api, 1, fixtureBytes('ramp-a.flac')),
      decodeVia(api, 2, fixtureBytes('ramp-b.flac')),
    ])
    const frames = RAMPS['ramp-a.flac'].frames
    assert.equal(compareSamples(a!, 2, (f, c) => expectedRampSample('ramp-a.flac', f, c)), [])
    assert.equal(compareSamples(b!, 2, (f, c) => expectedRampSample('ramp-16-44k.flac', frames + f, c)), [], 'ramp-b continues ramp-a')
    assert.instance(a![0]!.channels[0], Float32Array)
    await api.open(3, 'flac')
    await api.push(3, fixtureBytes('corrupt-frame.flac'))
    assert.equal((await rejection(api.end(3))).code, 'corrupt')
  } finally {
    await worker.terminate()
  }
})

test.run()
