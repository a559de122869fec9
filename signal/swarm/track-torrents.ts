/**
 * The torrent of each library track, built on first request and remembered
 * (a few KB each), with the reverse map the tracker needs: infohash → track.
 * Streamed from disk (streamTorrent) into the same info dictionary browsers
 * build (client/src/lib/p2p/track-torrent.ts), so a curator's or a cache's
 * copy of the file lands in the same swarm.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { toTorrentFile, type ParsedTorrent } from 'parse-torrent'
import { readTrackTorrent, type TrackTorrent } from '../../client/src/lib/p2p/track-torrent.ts'
import { SWARM_PIECE_LENGTH, trackTorrentName, type Track } from '../../protocol/index.ts'
import type { Library } from '../library/scan.ts'

export class TrackTorrents {
  private readonly byTrack = new Map<string, Promise<TrackTorrent | null>>()
  private readonly trackByHash = new Map<string, string>()
  /** One build at a time: each reads a whole file from disk. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly library: Library,
    /** Only for measuring alternatives (bench/p2p.ts). */
    private readonly pieceLength = SWARM_PIECE_LENGTH,
  ) {}

  /** null: no such track, or its file no longer matches the library's SHA-256. */
  forTrack(trackId: string): Promise<TrackTorrent | null> {
    let p = this.byTrack.get(trackId)
    if (!p) {
      p = this.build(trackId)
      this.byTrack.set(trackId, p)
      // A failure (file changed, unreadable) is retried on the next request.
      const forget = () => void this.byTrack.delete(trackId)
      void p.then((t) => t ?? forget(), forget)
    }
    return p
  }

  /**
   * Builds the torrents of the library's first `limit` tracks, one after
   * another, before anyone asks: built at the request, a cold Play's
   * `/api/torrent` took 100-175 ms of the click's time (bench/sync). One at
   * a time, so a request for another track waits behind one build at most.
   * Stops when `signal` aborts.
   */
  async warmUp(limit: number, signal: AbortSignal): Promise<number> {
    let built = 0
    for (const track of this.library.tracks.slice(0, limit)) {
      if (signal.aborted) break
      if (await this.forTrack(track.id).catch(() => null)) built++
    }
    return built
  }

  /** The library track a swarm belongs to, once its torrent was built. */
  trackIdOf(infoHash: string): string | undefined {
    return this.trackByHash.get(infoHash)
  }

  private build(trackId: string): Promise<TrackTorrent | null> {
    const run = this.queue.then(async () => {
      const entry = this.library.get(trackId)
      if (!entry) return null
      const built = await streamTorrent(entry.path, entry.track, this.pieceLength).catch(() => null)
      if (!built || built.sha256 !== entry.track.sha256) return null
      this.trackByHash.set(built.torrent.infoHash, trackId)
      return built.torrent
    })
    this.queue = run.catch(() => {})
    return run
  }
}

/**
 * The torrent of a file read piece by piece: the SHA-1 of each piece and the
 * SHA-256 of the whole, never the whole file in memory, and the event loop
 * free between reads. Building it from a buffer in one go (create-torrent
 * after readFile and a SHA-256) held a 35 MB track's server for seconds on a
 * busy machine: every listener's origin request waited, and every page ran
 * dry at once. The info dictionary is the one buildTrackTorrent makes
 * (length, name, piece length, pieces, private), so the infohash is the same.
 */
export async function streamTorrent(path: string, track: Pick<Track, 'sha256' | 'codec'>, pieceLength: number): Promise<{ torrent: TrackTorrent; sha256: string }> {
  const whole = createHash('sha256')
  const hashes: Buffer[] = []
  let length = 0
  let piece: Buffer = Buffer.alloc(0)
  for await (const chunk of createReadStream(path, { highWaterMark: pieceLength }) as AsyncIterable<Buffer>) {
    whole.update(chunk)
    length += chunk.byteLength
    piece = piece.byteLength === 0 ? chunk : Buffer.concat([piece, chunk])
    while (piece.byteLength >= pieceLength) {
      hashes.push(createHash('sha1').update(piece.subarray(0, pieceLength)).digest())
      piece = piece.subarray(pieceLength)
    }
  }
  if (piece.byteLength > 0) hashes.push(createHash('sha1').update(piece).digest())
  const sha256 = whole.digest('hex')
  const info = { length, name: trackTorrentName(track), 'piece length': pieceLength, pieces: Buffer.concat(hashes), private: 1 }
  const file = toTorrentFile({ info, announce: [], urlList: [] } as unknown as ParsedTorrent)
  return { torrent: await readTrackTorrent(file, { ...track, bytes: length }, pieceLength), sha256 }
}
