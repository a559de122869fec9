import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile, truncate, unlink } from 'node:fs/promises'
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as v from 'valibot'
import { audioQualityHeader, TrackListSchema, type Track } from '../../protocol/track.ts'
import { demoLibraryDir } from '../../signal/library/demo.ts'
import { libraryRoutes } from '../../signal/library/routes.ts'
import { scanLibrary, type Library } from '../../signal/library/scan.ts'
import { recordingLog, tempDir, type LogLine } from '../support/library.ts'

interface Served {
  server: Server
  base: string
  port: number
  library: Library
  lines: LogLine[]
}

let demo: Served
let scratch: Served
let cleanup: () => Promise<void>
let scratchDir: string

/** Mounts the library routes in front of a fallback, so "not ours" is visible as `fallback`. */
async function serve(dir: string, cacheFile: string): Promise<Served> {
  const { log, lines } = recordingLog()
  const library = await scanLibrary(dir, { hashCacheFile: cacheFile, log })
  const routes = libraryRoutes(library, log)
  const server = createServer((req, res) => {
    if (routes(req, res)) return
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('fallback')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { server, base: `http://127.0.0.1:${port}`, port, library, lines }
}

/** node:http sends the path untouched, where fetch would resolve `..` before sending. */
function raw(
  port: number,
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const streamUrl = (s: Served, id: string) => `${s.base}/api/stream/${id}`
const fileOf = (s: Served, t: Track) => readFile(s.library.get(t.id)!.path)
const byCodecRate = (s: Served, codec: Track['codec'], rate: number) => s.library.tracks.find((t) => t.codec === codec && t.sampleRate === rate)!

async function expectTrackNotFound(res: Response | { status: number; headers: IncomingHttpHeaders; body: Buffer }, what: string) {
  assert.is(res.status, 404, what)
  const body = res instanceof Response ? await res.text() : res.body.toString()
  assert.equal(JSON.parse(body), { error: { code: 'track_not_found', message: 'Track not found' } }, what)
}

test.before(async () => {
  const tmp = await tempDir('aula-stream-')
  cleanup = tmp.cleanup
  demo = await serve(demoLibraryDir, join(tmp.dir, 'demo-hashes.json'))
  scratchDir = join(tmp.dir, 'lib')
  await mkdir(scratchDir)
  for (const name of await readdir(demoLibraryDir)) {
    if (/\.(flac|wav)$/.test(name)) await copyFile(join(demoLibraryDir, name), join(scratchDir, name))
  }
  scratch = await serve(scratchDir, join(tmp.dir, 'scratch-hashes.json'))
})

test.after(async () => {
  for (const s of [demo, scratch]) {
    s.server.closeAllConnections()
    await new Promise((resolve) => s.server.close(resolve))
  }
  await cleanup()
})

test('GET /api/tracks lists the demo library per the contract', async () => {
  const res = await fetch(`${demo.base}/api/tracks`)
  assert.is(res.status, 200)
  assert.match(res.headers.get('content-type')!, /^application\/json/)
  const tracks = v.parse(TrackListSchema, await res.json())
  assert.equal(
    tracks.map((t) => [t.codec, t.sampleRate, t.bitsPerSample, t.channels, t.album, t.artist]),
    [
      ['flac', 44100, 16, 2, 'Aula Sonora Demo', 'Aula Sonora'],
      ['flac', 96000, 24, 2, 'Aula Sonora Demo', 'Aula Sonora'],
      ['flac', 192000, 24, 2, 'Aula Sonora Demo', 'Aula Sonora'],
      ['wav', 48000, 16, 2, 'Aula Sonora Demo', 'Aula Sonora'],
    ],
  )
  assert.equal(tracks, demo.library.tracks)
})

test('full GET of every track: the bytes on disk, with the contract headers', async () => {
  for (const track of demo.library.tracks) {
    const res = await fetch(streamUrl(demo, track.id))
    assert.is(res.status, 200)
    const body = new Uint8Array(await res.arrayBuffer())
    assert.ok(Buffer.from(body).equals(await fileOf(demo, track)), `${track.title}: bytes as on disk`)
    assert.is(sha256(body), track.sha256)
    assert.is(res.headers.get('content-length'), String(track.bytes))
    assert.is(res.headers.get('content-type'), track.codec === 'flac' ? 'audio/flac' : 'audio/wav')
    assert.is(res.headers.get('accept-ranges'), 'bytes')
    assert.is(res.headers.get('etag'), `"${track.sha256}"`)
    assert.is(res.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    assert.is(res.headers.get('x-audio-quality'), audioQualityHeader(track))
    assert.match(res.headers.get('x-audio-quality')!, new RegExp(`^\\d+kbps, ${track.sampleRate}Hz, ${track.bitsPerSample}bit, ${track.codec}$`))
    assert.is(res.headers.get('content-range'), null)
  }
})

test('ranges: first byte, middle, open-ended, suffix, clamped end', async () => {
  const track = byCodecRate(demo, 'flac', 96000)
  const file = await fileOf(demo, track)
  const size = track.bytes
  const cases: [string, number, number][] = [
    ['bytes=0-0', 0, 0],
    ['bytes=1000-1999', 1000, 1999],
    [`bytes=${size - 10}-`, size - 10, size - 1],
    ['bytes=-500', size - 500, size - 1],
    [`bytes=${size - 3}-${size + 1000}`, size - 3, size - 1],
    [`bytes=-${size * 2}`, 0, size - 1],
  ]
  for (const [range, start, end] of cases) {
    const res = await fetch(streamUrl(demo, track.id), { headers: { Range: range } })
    assert.is(res.status, 206, range)
    assert.is(res.headers.get('content-range'), `bytes ${start}-${end}/${size}`, range)
    assert.is(res.headers.get('content-length'), String(end - start + 1), range)
    assert.is(res.headers.get('etag'), `"${track.sha256}"`, range)
    assert.is(res.headers.get('accept-ranges'), 'bytes', range)
    const body = Buffer.from(await res.arrayBuffer())
    assert.ok(body.equals(file.subarray(start, end + 1)), `${range}: the right bytes`)
  }
  const first = await fetch(streamUrl(demo, track.id), { headers: { Range: 'bytes=0-3' } })
  assert.is(await first.text(), 'fLaC')
})

test('unsatisfiable range → 416 with bytes */size', async () => {
  const track = byCodecRate(demo, 'flac', 44100)
  for (const range of [`bytes=${track.bytes}-`, `bytes=${track.bytes + 100}-${track.bytes + 200}`]) {
    const res = await fetch(streamUrl(demo, track.id), { headers: { Range: range } })
    assert.is(res.status, 416, range)
    assert.is(res.headers.get('content-range'), `bytes */${track.bytes}`)
    assert.is((await res.arrayBuffer()).byteLength, 0)
  }
})

test('malformed and multi-range headers get the whole file with 200', async () => {
  const track = byCodecRate(demo, 'wav', 48000)
  for (const range of ['bytes=abc', 'bytes=0-1,', 'lines=1-2', 'bytes=0-9,100-109']) {
    const res = await fetch(streamUrl(demo, track.id), { headers: { Range: range } })
    assert.is(res.status, 200, range)
    assert.is((await res.arrayBuffer()).byteLength, track.bytes, range)
  }
})

test('If-None-Match with the ETag → 304 without a body; If-Range with another tag → 200', async () => {
  const track = byCodecRate(demo, 'flac', 192000)
  const etag = `"${track.sha256}"`
  for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
    const res = await raw(demo.port, `/api/stream/${track.id}`, { headers: { 'If-None-Match': inm } })
    assert.is(res.status, 304, inm)
    assert.is(res.headers.etag, etag)
    assert.is(res.headers['cache-control'], 'public, max-age=31536000, immutable')
    assert.is(res.body.length, 0)
  }
  const other = await fetch(streamUrl(demo, track.id), { headers: { 'If-None-Match': '"0000"' } })
  assert.is(other.status, 200)
  await other.arrayBuffer()
  const stale = await fetch(streamUrl(demo, track.id), { headers: { Range: 'bytes=0-9', 'If-Range': '"0000"' } })
  assert.is(stale.status, 200)
  assert.is((await stale.arrayBuffer()).byteLength, track.bytes)
  const fresh = await fetch(streamUrl(demo, track.id), { headers: { Range: 'bytes=0-9', 'If-Range': etag } })
  assert.is(fresh.status, 206)
  assert.is((await fresh.arrayBuffer()).byteLength, 10)
})

test('HEAD: the same headers, no body', async () => {
  const track = byCodecRate(demo, 'flac', 44100)
  const head = await raw(demo.port, `/api/stream/${track.id}`, { method: 'HEAD' })
  assert.is(head.status, 200)
  assert.is(head.headers['content-length'], String(track.bytes))
  assert.is(head.headers['content-type'], 'audio/flac')
  assert.is(head.headers.etag, `"${track.sha256}"`)
  assert.is(head.headers['x-audio-quality'], audioQualityHeader(track))
  assert.is(head.body.length, 0)
  const ranged = await raw(demo.port, `/api/stream/${track.id}`, { method: 'HEAD', headers: { Range: 'bytes=10-19' } })
  assert.is(ranged.status, 206)
  assert.is(ranged.headers['content-range'], `bytes 10-19/${track.bytes}`)
  assert.is(ranged.headers['content-length'], '10')
  assert.is(ranged.body.length, 0)
  const list = await raw(demo.port, '/api/tracks', { method: 'HEAD' })
  assert.is(list.status, 200)
  assert.is(list.body.length, 0)
})

test('traversal attempts and foreign ids → 404 track_not_found, never a file', async () => {
  const id = demo.library.tracks[0]!.id
  const realPath = demo.library.get(id)!.path
  const attempts = [
    '/api/stream/../package.json',
    '/api/stream/../../../../etc/passwd',
    '/api/stream/..%2F..%2Fetc%2Fpasswd',
    '/api/stream/..%2f..%2fpackage.json',
    '/api/stream/%2e%2e/%2e%2e/package.json',
    '/api/stream/%2e%2e%2f%2e%2e%2fpackage.json',
    '/api/stream/..%5C..%5Cpackage.json',
    '/api/stream/..\\..\\package.json',
    '/api/stream/%252e%252e%252fpackage.json',
    '/api/stream//etc/passwd',
    '/api/stream/%00',
    `/api/stream/${id}/../../package.json`,
    `/api/stream/${id}%2F..%2F..%2Fpackage.json`,
    `/api/stream/${id}/`,
    `/api/stream/${id.toUpperCase()}`,
    `/api/stream/${demo.library.tracks[0]!.sha256}`,
    `/api/stream/${encodeURIComponent(realPath)}`,
    `/api/stream${realPath}`,
    '/api/stream/',
    '/api/stream',
    `/api/stream/${'0'.repeat(24)}`,
  ]
  for (const path of attempts) {
    await expectTrackNotFound(await raw(demo.port, path), path)
  }
  // fetch resolves the dots before sending, so this one reaches the fallback as /package.json.
  const viaFetch = await fetch(`${demo.base}/api/stream/../package.json`)
  assert.is(viaFetch.status, 404)
  assert.is(await viaFetch.text(), 'fallback')
})

test('other methods → 405 with Allow; foreign paths are left to the caller', async () => {
  const id = demo.library.tracks[0]!.id
  for (const [method, path] of [['POST', `/api/stream/${id}`], ['DELETE', '/api/tracks'], ['PUT', '/api/stream/x']] as const) {
    const res = await raw(demo.port, path, { method })
    assert.is(res.status, 405, `${method} ${path}`)
    assert.is(res.headers.allow, 'GET, HEAD')
    assert.is((JSON.parse(res.body.toString()) as { error: { code: string } }).error.code, 'method_not_allowed')
  }
  for (const path of ['/api/tracksx', '/api/tracks/', '/api/streamx', '/', '/api/other']) {
    const res = await raw(demo.port, path)
    assert.is(res.body.toString(), 'fallback', path)
  }
  const withQuery = await raw(demo.port, '/api/tracks?fresh=1')
  assert.is(withQuery.status, 200)
})

test('a file deleted or changed after the scan: a clean JSON error, and the server carries on', async () => {
  const gone = byCodecRate(scratch, 'flac', 96000)
  const shrunk = byCodecRate(scratch, 'wav', 48000)
  await unlink(scratch.library.get(gone.id)!.path)
  await truncate(scratch.library.get(shrunk.id)!.path, 100)

  await expectTrackNotFound(await fetch(streamUrl(scratch, gone.id)), 'deleted file')
  await expectTrackNotFound(await fetch(streamUrl(scratch, gone.id), { headers: { Range: 'bytes=0-9' } }), 'deleted file, ranged')
  const changed = await fetch(streamUrl(scratch, shrunk.id))
  assert.is(changed.status, 500)
  assert.is(changed.headers.get('cache-control'), 'no-store')
  assert.is(((await changed.json()) as { error: { code: string } }).error.code, 'track_changed')
  assert.ok(scratch.lines.some((l) => l.msg === 'track file vanished since scan' && l.trackId === gone.id))

  const alive = byCodecRate(scratch, 'flac', 44100)
  const res = await fetch(streamUrl(scratch, alive.id))
  assert.is(res.status, 200)
  assert.is(sha256(new Uint8Array(await res.arrayBuffer())), alive.sha256)
  assert.is((await fetch(`${scratch.base}/api/tracks`)).status, 200)
})

/** Open descriptors of this process (the server runs in it); Linux only. */
async function openFds(): Promise<number | undefined> {
  return existsSync('/proc/self/fd') ? (await readdir('/proc/self/fd')).length : undefined
}

// Node closes a leaked FileHandle when it is garbage-collected, with a warning;
// forcing a collection turns a handle leak anywhere in this file into that warning.
const leakWarnings: string[] = []
process.on('warning', (w) => {
  if (/Closing file descriptor/.test(w.message)) leakWarnings.push(w.message)
})
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

test('clients aborting mid-body leak no file handles and do not disturb the server', async () => {
  const track = byCodecRate(demo, 'flac', 192000)
  await sleep(50)
  const before = await openFds()
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: demo.port, path: `/api/stream/${track.id}`, agent: false }, (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve() : reject(err)))
      req.end()
    })
  }
  await sleep(200)
  const after = await openFds()
  if (before !== undefined && after !== undefined) assert.ok(after <= before + 2, `fds before ${before}, after ${after}`)
  collectGarbage()
  await sleep(50)
  assert.equal(leakWarnings, [], 'no file handle was left for the garbage collector to close')
  const res = await fetch(streamUrl(demo, track.id), { headers: { Range: 'bytes=-4' } })
  assert.is(res.status, 206)
  assert.is((await res.arrayBuffer()).byteLength, 4)
})

test.run()
