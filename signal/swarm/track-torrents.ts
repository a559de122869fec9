/**
 * The torrent of each library track, built on first request and remembered
 * (a few KB each), with the reverse map the tracker needs: infohash → track.
 * Built by the same module browsers use (client/src/lib/p2p/track-torrent.ts),
 * so a curator's or a cache's copy of the file lands in the same swarm.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { buildTrackTorrent, type TrackTorrent } from '../../client/src/lib/p2p/track-torrent.ts'
import { SWARM_PIECE_LENGTH } from '../../protocol/index.ts'
import type { Library } from '../library/scan.ts'

export class TrackTorrents {
  private readonly byTrack = new Map<string, Promise<TrackTorrent | null>>()
  private readonly trackByHash = new Map<string, string>()
  /** One file in memory at a time: a 24/192 album side can be hundreds of MB. */
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

  /** The library track a swarm belongs to, once its torrent was built. */
  trackIdOf(infoHash: string): string | undefined {
    return this.trackByHash.get(infoHash)
  }

  private build(trackId: string): Promise<TrackTorrent | null> {
    const run = this.queue.then(async () => {
      const entry = this.library.get(trackId)
      if (!entry) return null
      const bytes = await readFile(entry.path).catch(() => null)
      if (!bytes || createHash('sha256').update(bytes).digest('hex') !== entry.track.sha256) return null
      const torrent = await buildTrackTorrent(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), entry.track, this.pieceLength)
      this.trackByHash.set(torrent.infoHash, trackId)
      return torrent
    })
    this.queue = run.catch(() => {})
    return run
  }
}
