/**
 * The swarm surface of the signal server, as a room uses it: the track's
 * .torrent at /api/torrent/:id, the WebSocket tracker at /tracker answering
 * only for the swarms the room's curator listed (room.swarm), and the
 * figures in /metrics (cache plays, origin bytes per track).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WebSocket } from 'ws'
import { readTrackTorrent } from '../../client/src/lib/p2p/track-torrent.ts'
import type { Track } from '../../protocol/index.ts'
import { serverWithMembers, sleep } from '../support/server.ts'

const { server, join, dispose } = await serverWithMembers()
test.after(dispose)

const track: Track = server.library.tracks[0]!
const hex = (s: string) => Buffer.from(s, 'hex').toString('binary')

/** One announce over a fresh WebSocket; resolves with the tracker's answer. */
async function announce(infoHash: string): Promise<Record<string, unknown>> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/tracker`)
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  try {
    const answer = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))))
    ws.send(JSON.stringify({ action: 'announce', info_hash: hex(infoHash), peer_id: 'A'.repeat(20), numwant: 0, uploaded: 0, downloaded: 0, left: 1, event: 'started', offers: [] }))
    return await answer
  } finally {
    ws.close()
  }
}

async function roomWithListener() {
  const curator = await join()
  const created = await curator.request({ type: 'room.create', name: 'Swarm', visibility: 'public', maxListeners: 5, displayName: 'Cur' })
  if (!created.ok) throw new Error('create failed')
  const listener = await join()
  await listener.request({ type: 'room.join', roomId: created.room.id, displayName: 'Lis', lurker: false })
  return { roomId: created.room.id, curator, listener }
}

async function torrentOf(id: string) {
  const res = await fetch(`${server.url}/api/torrent/${id}`)
  assert.is(res.status, 200)
  assert.is(res.headers.get('content-type'), 'application/x-bittorrent')
  return readTrackTorrent(new Uint8Array(await res.arrayBuffer()), track)
}

test('a library track has a torrent that describes it; an unknown id is 404', async () => {
  const t = await torrentOf(track.id)
  assert.match(t.infoHash, /^[a-f0-9]{40}$/)
  assert.is(t.length, track.bytes)
  assert.is((await fetch(`${server.url}/api/torrent/${'0'.repeat(64)}`)).status, 404)
})

test('the tracker answers only for swarms a curator listed, and only the curator may list', async () => {
  const { roomId, curator, listener } = await roomWithListener()
  const { infoHash } = await torrentOf(track.id)
  const before = await announce(infoHash)
  assert.match(String(before['failure reason']), /unknown infohash/, 'refused before the room lists it')

  const refused = await listener.request({ type: 'room.swarm', roomId, infoHashes: [infoHash] })
  assert.ok(!refused.ok && refused.error.code === 'not_curator', 'a listener cannot open swarms')
  assert.match(String((await announce(infoHash))['failure reason']), /unknown infohash/)

  const ok = await curator.request({ type: 'room.swarm', roomId, infoHashes: [infoHash] })
  assert.ok(ok.ok)
  const after = await announce(infoHash)
  assert.is(after['failure reason'], undefined)
  assert.is(after.info_hash, hex(infoHash))

  // The curator's next list replaces this one.
  await curator.request({ type: 'room.swarm', roomId, infoHashes: [] })
  assert.match(String((await announce(infoHash))['failure reason']), /unknown infohash/)
})

test('a malformed swarm list is refused', async () => {
  const { roomId, curator } = await roomWithListener()
  const r = await curator.request({ type: 'room.swarm', roomId, infoHashes: ['not-a-hash'] })
  assert.ok(!r.ok && r.error.code === 'invalid_message')
})

test('metrics: cache plays make the hit ratio; origin bytes are counted per track', async () => {
  const m = await join()
  m.send({ type: 'cache.report', hit: true })
  m.send({ type: 'cache.report', hit: true })
  m.send({ type: 'cache.report', hit: true })
  m.send({ type: 'cache.report', hit: false })
  const res = await fetch(`${server.url}/api/stream/${track.id}`, { headers: { Range: 'bytes=0-999' } })
  await res.arrayBuffer()
  await sleep(100)
  const text = await (await fetch(`${server.url}/metrics`)).text()
  assert.match(text, /^sonantica_stream_cache_hit_ratio 0\.75$/m)
  const sent = new RegExp(`^sonantica_stream_origin_bytes_total\\{track="${track.id}"\\} (\\d+)$`, 'm').exec(text)
  assert.ok(sent && Number(sent[1]) >= 1000, `origin bytes counted for the track (${sent?.[1]})`)
})

test.run()
