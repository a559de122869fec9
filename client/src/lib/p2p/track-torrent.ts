/**
 * A track's torrent, derived from the file alone so that the library server,
 * a curator seeding a file from disk and a listener seeding from cache all
 * compute the same infohash and meet in one swarm. The info dictionary holds
 * exactly `length`, `name` (sha256.codec), `piece length` (fixed), `pieces`
 * and `private: 1` (no DHT, no peer exchange: peers come from our tracker
 * only). Nothing outside `info` is kept (no announce, url-list or creation
 * date), so the .torrent bytes are identical everywhere too.
 *
 * The server imports this module as well: one code path, one infohash.
 */
import createTorrent from 'create-torrent'
import parseTorrent, { toTorrentFile, type ParsedTorrent } from 'parse-torrent'
import { SWARM_PIECE_LENGTH, SwarmError, trackTorrentName, type Track } from '../../../../protocol/index.ts'

export interface TrackTorrent {
  infoHash: string
  /** The canonical .torrent bytes. */
  file: Uint8Array
  length: number
  pieceLength: number
  /** SHA-1 of every piece, hex. */
  pieceHashes: string[]
}

type TrackId = Pick<Track, 'sha256' | 'codec' | 'bytes'>

export async function buildTrackTorrent(bytes: Uint8Array, track: Pick<Track, 'sha256' | 'codec'>, pieceLength = SWARM_PIECE_LENGTH): Promise<TrackTorrent> {
  const raw = await new Promise<Uint8Array>((resolve, reject) =>
    createTorrent(bytes, { name: trackTorrentName(track), pieceLength, private: true, announceList: [], urlList: [] }, (err, t) =>
      err ? reject(err) : resolve(t),
    ),
  )
  const parsed = await parseTorrent(raw)
  // Re-encode from `info` alone: drops create-torrent's creation date and client name.
  const file = toTorrentFile({ info: parsed.info, announce: [], urlList: [] } as unknown as ParsedTorrent)
  return readTrackTorrent(file, { ...track, bytes: bytes.byteLength }, pieceLength)
}

/** Parses a .torrent and checks that it describes `track`; throws SwarmError('torrent_mismatch'). */
export async function readTrackTorrent(file: Uint8Array, track: TrackId, pieceLength = SWARM_PIECE_LENGTH): Promise<TrackTorrent> {
  let parsed: ParsedTorrent
  try {
    parsed = await parseTorrent(file)
  } catch (err) {
    throw new SwarmError('torrent_mismatch', (err as Error).message)
  }
  const problems: string[] = []
  if (parsed.name !== trackTorrentName(track)) problems.push(`name ${parsed.name}`)
  if (parsed.files.length !== 1) problems.push(`${parsed.files.length} files`)
  if (parsed.length !== track.bytes) problems.push(`length ${parsed.length} ≠ ${track.bytes}`)
  if (parsed.pieceLength !== pieceLength) problems.push(`piece length ${parsed.pieceLength}`)
  if (parsed.private !== true) problems.push('not private')
  if (parsed.pieces.length !== Math.ceil(track.bytes / pieceLength)) problems.push(`${parsed.pieces.length} pieces`)
  if (problems.length > 0) throw new SwarmError('torrent_mismatch', problems.join(', '))
  return { infoHash: parsed.infoHash, file, length: parsed.length, pieceLength: parsed.pieceLength, pieceHashes: parsed.pieces }
}
