import { createHash, randomBytes } from 'node:crypto'
import bencode from 'bencode'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { OriginFetcher } from '../../client/src/lib/p2p/origin-fetcher.ts'
import { pieceLayout } from '../../client/src/lib/p2p/piece-plan.ts'
import { buildTrackTorrent, readTrackTorrent } from '../../client/src/lib/p2p/track-torrent.ts'
import { SWARM_PIECE_LENGTH, SwarmError } from '../../protocol/index.ts'

const bytes = new Uint8Array(randomBytes(3 * SWARM_PIECE_LENGTH + 1234))
const track = { sha256: createHash('sha256').update(bytes).digest('hex'), codec: 'flac' as const, bytes: bytes.byteLength }

test('every holder of the file builds the same torrent, byte for byte', async () => {
  const a = await buildTrackTorrent(bytes, track)
  const b = await buildTrackTorrent(bytes.slice(), track)
  assert.is(a.infoHash, b.infoHash)
  assert.equal(a.file, b.file)
  assert.match(a.infoHash, /^[a-f0-9]{40}$/)
  assert.is(a.pieceHashes.length, 4)
  assert.equal(a.pieceHashes[0], createHash('sha1').update(bytes.subarray(0, SWARM_PIECE_LENGTH)).digest('hex'))
})

test('the torrent holds only the info dictionary: content-addressed name, fixed piece length, private', async () => {
  const t = await buildTrackTorrent(bytes, track)
  const decoded = bencode.decode(t.file) as Record<string, unknown> & { info: Record<string, unknown> }
  assert.equal(Object.keys(decoded).sort(), ['announce-list', 'info', 'url-list'])
  assert.equal(decoded['announce-list'], [])
  assert.equal(decoded['url-list'], [])
  assert.equal(Object.keys(decoded.info).sort(), ['length', 'name', 'piece length', 'pieces', 'private'])
  assert.is(new TextDecoder().decode(decoded.info.name as Uint8Array), `${track.sha256}.flac`)
  assert.is(decoded.info['piece length'], SWARM_PIECE_LENGTH)
  assert.is(decoded.info.private, 1)
  const infoHash = createHash('sha1').update(bencode.encode(decoded.info)).digest('hex')
  assert.is(infoHash, t.infoHash, 'the infohash is the SHA-1 of exactly that dictionary')
})

test('metadata that does not describe the track is refused', async () => {
  const t = await buildTrackTorrent(bytes, track)
  const refuse = async (file: Uint8Array, for_: typeof track, why: RegExp) => {
    try {
      await readTrackTorrent(file, for_)
      assert.unreachable('accepted')
    } catch (err) {
      assert.instance(err, SwarmError)
      assert.is((err as SwarmError).code, 'torrent_mismatch')
      assert.match((err as Error).message, why)
    }
  }
  await refuse(t.file, { ...track, bytes: track.bytes + 1 }, /length/)
  await refuse(t.file, { ...track, sha256: 'f'.repeat(64) }, /name/)
  await refuse(t.file, { ...track, codec: 'wav' as never }, /name/)
  await refuse((await buildTrackTorrent(bytes, track, SWARM_PIECE_LENGTH * 2)).file, track, /piece length/)
  await refuse(new TextEncoder().encode('not a torrent'), track, /./)
})

function fakeOrigin(respond: (start: number, end: number) => { status: number; body: Uint8Array }): typeof fetch {
  return (async (_url: string, init?: RequestInit) => {
    const m = /bytes=(\d+)-(\d+)/.exec(String((init?.headers as Record<string, string>).Range))!
    const { status, body } = respond(Number(m[1]), Number(m[2]))
    return new Response(body as Uint8Array<ArrayBuffer>, { status })
  }) as typeof fetch
}

test('origin pieces are checked against the torrent before use', async () => {
  const t = await buildTrackTorrent(bytes, track)
  const layout = pieceLayout(t.length, t.pieceLength)
  const honest = new OriginFetcher('/o', fakeOrigin((s, e) => ({ status: 206, body: bytes.slice(s, e + 1) })))
  const last = await honest.fetchPiece(layout, 3, t.pieceHashes[3]!)
  assert.is(last.byteLength, 1234)
  assert.is(honest.bytes, 1234)

  const flipped = new OriginFetcher('/o', fakeOrigin((s, e) => {
    const body = bytes.slice(s, e + 1)
    body[0]! ^= 1
    return { status: 206, body }
  }))
  const whole = new OriginFetcher('/o', fakeOrigin(() => ({ status: 200, body: bytes })))
  for (const [f, code] of [[flipped, 'origin_corrupt'], [whole, 'origin_failed']] as const) {
    try {
      await f.fetchPiece(layout, 0, t.pieceHashes[0]!)
      assert.unreachable('accepted')
    } catch (err) {
      assert.is((err as SwarmError).code, code)
    }
  }
})

test('the origin estimate follows what it measures', async () => {
  let clock = 0
  const slow = new OriginFetcher('/o', fakeOrigin((s, e) => {
    clock += 400
    return { status: 206, body: bytes.slice(s, e + 1) }
  }), () => clock)
  const t = await buildTrackTorrent(bytes, track)
  const before = slow.etaMs(SWARM_PIECE_LENGTH)
  for (let i = 0; i < 5; i++) await slow.fetchPiece(pieceLayout(t.length, t.pieceLength), 0, t.pieceHashes[0]!)
  assert.ok(slow.etaMs(SWARM_PIECE_LENGTH) > before + 200, `eta rose from ${before} to ${slow.etaMs(SWARM_PIECE_LENGTH)}`)
})

test.run()
