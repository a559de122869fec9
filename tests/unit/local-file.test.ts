/**
 * A curator's own files: what the room learns about them (format from the
 * file's header, a content id like the library's, tags or the file name),
 * what is refused with a sentence, and how a .torrent travels between peers
 * in parts.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import * as v from 'valibot'
import { localTrack, LocalFileError, sniffCodec, type TagReader } from '../../client/src/lib/p2p/local-file.ts'
import { PartsCollector, torrentParts } from '../../client/src/lib/p2p/torrent-exchange.ts'
import { buildTrackTorrent } from '../../client/src/lib/p2p/track-torrent.ts'
import { LocalTrack, parsePeerMessage, TORRENT_PART_CHARS, trackIdFor } from '../../protocol/index.ts'
import { fixtureUrl, RAMPS } from '../support/fixtures.ts'

const bytesOf = (name: Parameters<typeof fixtureUrl>[0]) => new Uint8Array(readFileSync(fixtureUrl(name)))
const noTags: TagReader = async () => ({})

test('a FLAC file becomes a track: format from STREAMINFO, id from its SHA-256, title from the file name', async () => {
  const bytes = bytesOf('ramp-24-96k.flac')
  const t = await localTrack('My Ramp.flac', bytes, noTags)
  const sha = createHash('sha256').update(bytes).digest('hex')
  const ramp = RAMPS['ramp-24-96k.flac']
  assert.equal(
    { id: t.id, sha256: t.sha256, codec: t.codec, rate: t.sampleRate, bits: t.bitsPerSample, ch: t.channels, bytes: t.bytes, title: t.title },
    { id: trackIdFor(sha), sha256: sha, codec: 'flac', rate: ramp.sampleRate, bits: ramp.bits, ch: ramp.channels, bytes: bytes.byteLength, title: 'My Ramp' },
  )
  assert.ok(Math.abs(t.durationSec - ramp.frames / ramp.sampleRate) < 1e-9)
})

test('a WAV file: duration from its data chunk; tags when the file has them', async () => {
  const bytes = bytesOf('ramp-16-44k.wav')
  const t = await localTrack('x.wav', bytes, async () => ({ title: 'Tagged', artist: 'Someone' }))
  assert.is(t.codec, 'wav')
  assert.is(t.title, 'Tagged')
  assert.is(t.artist, 'Someone')
  assert.ok(Math.abs(t.durationSec - RAMPS['ramp-16-44k.wav'].frames / 44100) < 1e-9)
})

test('a FLAC stream behind an ID3 tag is FLAC; an MP3 named .flac is refused with a sentence', async () => {
  assert.is(sniffCodec(bytesOf('id3-prefixed.flac')), 'flac')
  try {
    await localTrack('song.flac', bytesOf('not-flac.flac'), noTags)
    assert.unreachable('accepted an MP3')
  } catch (err) {
    assert.instance(err, LocalFileError)
    assert.match((err as Error).message, /“song.flac” is not a FLAC or WAV file/)
  }
  try {
    await localTrack('odd.wav', bytesOf('adpcm.wav'), noTags)
    assert.unreachable('accepted ADPCM')
  } catch (err) {
    assert.instance(err, LocalFileError)
  }
})

test('long tags are clipped so the signed list of local tracks stays small', async () => {
  const t = await localTrack('a.flac', bytesOf('ramp-16-44k.flac'), async () => ({ title: 'x'.repeat(5000) }))
  const local = v.safeParse(LocalTrack, { ...t, infoHash: 'a'.repeat(40) })
  assert.ok(local.success)
})

test('a .torrent in parts: reassembled exactly, each part within the peer message cap', async () => {
  // A torrent big enough to need several parts: many pieces of a large (sparse) file.
  const bytes = new Uint8Array(120 * 2 ** 20)
  bytes[0] = 1
  const meta = await buildTrackTorrent(bytes, { sha256: 'b'.repeat(64), codec: 'flac' })
  const parts = torrentParts(meta.infoHash, meta.file)
  assert.ok(parts.length >= 1)
  const collector = new PartsCollector()
  let whole: Uint8Array | null = null
  for (const p of parts.reverse()) {
    assert.ok(p.data.length <= TORRENT_PART_CHARS)
    const wire = parsePeerMessage(JSON.stringify(p))
    assert.ok(wire.ok, 'each part passes validation')
    whole = collector.add(p)
  }
  assert.equal(whole, meta.file)
})

test.run()
