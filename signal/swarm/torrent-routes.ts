/**
 * `GET /api/torrent/:trackId`: the track's .torrent, so a listener can join
 * the swarm before any peer is connected (there is no one to ask for
 * metadata over ut_metadata yet). The ETag is the infohash.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { TORRENT_PATH_PREFIX } from '../../protocol/index.ts'
import { sendHttpError } from '../http-errors.ts'
import { TRACK_ID_PATTERN } from '../library/scan.ts'
import type { Logger } from '../log.ts'
import type { TrackTorrents } from './track-torrents.ts'

/** Returns false for paths it does not own. */
export function torrentRoutes(torrents: TrackTorrents, log: Logger): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split(/[?#]/, 1)[0]!
    if (!path.startsWith(TORRENT_PATH_PREFIX)) return false
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendHttpError(res, 405, 'method_not_allowed', { Allow: 'GET, HEAD' })
      return true
    }
    const id = path.slice(TORRENT_PATH_PREFIX.length)
    if (!TRACK_ID_PATTERN.test(id)) {
      sendHttpError(res, 404, 'track_not_found')
      return true
    }
    torrents.forTrack(id).then(
      (t) => {
        if (!t) return sendHttpError(res, 404, 'track_not_found')
        res.writeHead(200, {
          'Content-Type': 'application/x-bittorrent',
          'Content-Length': t.file.byteLength,
          ETag: `"${t.infoHash}"`,
          // The bytes depend on SWARM_PIECE_LENGTH too, which a new version may change.
          'Cache-Control': 'no-cache',
        })
        res.end(t.file)
      },
      (err: unknown) => {
        log.error({ err, trackId: id }, 'torrent build failed')
        if (!res.headersSent) sendHttpError(res, 500, 'track_unreadable')
      },
    )
    return true
  }
}
