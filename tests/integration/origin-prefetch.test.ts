/**
 * A joiner's bytes fetched ahead (origin-prefetch.ts): a stream opened inside
 * the prefetched range reads the file's own bytes from memory, and from the
 * real server only past it; the swarm's piece fetches use it too. Against
 * the real server and its demo library.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { OriginFetcher } from '../../client/src/lib/p2p/origin-fetcher.ts'
import { prefetchRange } from '../../client/src/lib/p2p/origin-prefetch.ts'
import { pieceLayout } from '../../client/src/lib/p2p/piece-plan.ts'
import { OriginStream } from '../../client/src/lib/p2p/origin-stream.ts'
import { startTestServer } from '../support/server.ts'

const server = await startTestServer()
test.after(() => server.dispose())

const track = server.library.tracks.reduce((a, b) => (b.bytes > a.bytes ? b : a))
const url = `${server.url}/api/stream/${track.id}`
const file = await readFile(server.library.get(track.id)!.path)

/** Real fetch, with the ranges asked for written down. */
function counted(): { fetch: typeof fetch; ranges: string[] } {
  const ranges: string[] = []
  return {
    ranges,
    fetch: (input, init) => {
      ranges.push(new Headers(init?.headers).get('Range') ?? 'whole')
      return fetch(input, init)
    },
  }
}

async function readAll(s: OriginStream): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for (let b = await s.read(); b; b = await s.read()) parts.push(b)
  return Buffer.concat(parts)
}

test('a stream opened inside a prefetched range reads it from memory, then the rest from the server', async () => {
  const from = 1000
  const to = Math.min(track.bytes - 5000, from + 300_000)
  const ahead = counted()
  prefetchRange(url, from, to, ahead.fetch)
  assert.equal(ahead.ranges, [`bytes=${from}-${to - 1}`])
  const net = counted()
  const s = new OriginStream(url, net.fetch, new AbortController().signal)
  // A reader a little past where the prefetch began, reading on past its end.
  await s.open(from + 777, to + 4000)
  const got = await readAll(s)
  assert.ok(got.equals(file.subarray(from + 777, to + 4000)), 'the file’s own bytes, in order')
  assert.equal(net.ranges, [`bytes=${to}-${to + 3999}`], 'only what the prefetch did not hold')
  assert.is(s.bytes, got.byteLength)
})

test('adjacent prefetched ranges read on from one to the next without asking the server', async () => {
  const a = 400_000
  const b = Math.min(track.bytes - 10_000, a + 100_000)
  const c = Math.min(track.bytes, b + 200_000)
  prefetchRange(url, a, b)
  prefetchRange(url, b, c)
  const net = counted()
  const s = new OriginStream(url, net.fetch, new AbortController().signal)
  await s.open(a + 5, c)
  assert.ok((await readAll(s)).equals(file.subarray(a + 5, c)))
  assert.equal(net.ranges, [])
})

test('outside the prefetched range, or to the end of the file, the stream reads as without it', async () => {
  const tail = track.bytes - 70_000
  prefetchRange(url, tail, track.bytes)
  const before = counted()
  const s = new OriginStream(url, before.fetch, new AbortController().signal)
  await s.open(tail - 10, tail + 10)
  assert.ok((await readAll(s)).equals(file.subarray(tail - 10, tail + 10)))
  assert.equal(before.ranges, [`bytes=${tail - 10}-${tail + 9}`])
  // Opened to the end inside it: the prefetched bytes reach the end, and nothing more is asked.
  const toEnd = counted()
  const e = new OriginStream(url, toEnd.fetch, new AbortController().signal)
  await e.open(tail + 5)
  assert.ok((await readAll(e)).equals(file.subarray(tail + 5)))
  assert.equal(toEnd.ranges, [`bytes=${track.bytes}-`], 'one look past the end, answered 416')
})

test('the swarm’s origin fetches take whole pieces from a prefetched range, and check them', async () => {
  const layout = pieceLayout(track.bytes, 4096)
  // Past the ranges the tests above prefetched (they stay for KEEP_MS).
  const b = Math.ceil(705_000 / layout.pieceLength)
  assert.ok((b + 14) * layout.pieceLength < track.bytes - 70_000, 'the track is long enough for this test')
  const sha1 = (i: number) => createHash('sha1').update(file.subarray(i * layout.pieceLength, (i + 1) * layout.pieceLength)).digest('hex')
  prefetchRange(url, (b + 5) * layout.pieceLength + 100, (b + 9) * layout.pieceLength)
  const net = counted()
  const fetcher = new OriginFetcher(url, net.fetch)
  for (const i of [b + 6, b + 7, b + 8]) assert.ok(Buffer.from(await fetcher.fetchPiece(layout, i, sha1(i))).equals(file.subarray(i * layout.pieceLength, (i + 1) * layout.pieceLength)))
  assert.equal(net.ranges, [], 'the three pieces inside the range')
  // The piece the range begins inside of, and the one after it: the network serves them.
  await fetcher.fetchPiece(layout, b + 5, sha1(b + 5))
  await fetcher.fetchPiece(layout, b + 9, sha1(b + 9))
  assert.is(net.ranges.length, 2)
  assert.is(fetcher.bytes, 5 * layout.pieceLength)
  // Prefetched bytes that fail the piece's hash are not used: the server's own are.
  const damaged: typeof fetch = async (input, init) => {
    const res = await fetch(input, init)
    const body = new Uint8Array(await res.arrayBuffer())
    body[10] = body[10]! ^ 0xff
    return new Response(body, { status: res.status, headers: res.headers })
  }
  prefetchRange(url, (b + 12) * layout.pieceLength, (b + 14) * layout.pieceLength, damaged)
  const again = counted()
  const good = await new OriginFetcher(url, again.fetch).fetchPiece(layout, b + 12, sha1(b + 12))
  assert.ok(Buffer.from(good).equals(file.subarray((b + 12) * layout.pieceLength, (b + 13) * layout.pieceLength)))
  assert.equal(again.ranges, [`bytes=${(b + 12) * layout.pieceLength}-${(b + 13) * layout.pieceLength - 1}`])
})

test('a prefetch the server refuses leaves the stream to the network', async () => {
  const bad = `${server.url}/api/stream/${'0'.repeat(24)}`
  prefetchRange(bad, 0, 1000)
  const s = new OriginStream(bad, fetch, new AbortController().signal)
  try {
    await s.open(10, 20)
    assert.unreachable('an unknown track opened')
  } catch (err) {
    assert.match((err as Error).message, /404/)
  }
})

test.run()
