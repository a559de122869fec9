/**
 * The library's HTTP surface: `GET /api/tracks` and `GET /api/stream/:trackId`.
 * A track is looked up by its content id and nothing else, so no part of the
 * URL ever becomes a filesystem path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { log as rootLog, type Logger } from '../log.ts'
import { sendHttpError } from '../http-errors.ts'
import { TRACK_ID_PATTERN, type Library } from './scan.ts'
import { sendTrack } from './stream.ts'

const STREAM_PREFIX = '/api/stream/'

/**
 * The path exactly as the client sent it, without the query. Deliberately not
 * decoded or normalised: `/api/stream/../x` must stay a (bad) stream request
 * rather than become `/x`. Absolute-form targets (`GET http://host/path`) are
 * reduced to their path.
 */
function rawPath(url: string | undefined): string {
  let target = url ?? '/'
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target)
  if (scheme) target = target.slice(scheme[0].length) || '/'
  return target.split(/[?#]/, 1)[0]!
}

/** Returns false for paths it does not own, so the caller can try its other routes. */
export function libraryRoutes(
  library: Library,
  log: Logger = rootLog.child({ mod: 'library' }),
  /** Bytes of a track sent, for the per-track origin counter. */
  onSent?: (trackId: string, bytes: number) => void,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  // The library does not change while the server runs, so the list is serialised once.
  const tracksJson = JSON.stringify(library.tracks)

  return (req, res) => {
    const path = rawPath(req.url)
    const isTracks = path === '/api/tracks'
    const isStream = path === '/api/stream' || path.startsWith(STREAM_PREFIX)
    if (!isTracks && !isStream) return false

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendHttpError(res, 405, 'method_not_allowed', { Allow: 'GET, HEAD' })
      return true
    }
    if (isTracks) {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(tracksJson),
        'Cache-Control': 'no-cache',
      })
      res.end(tracksJson)
      return true
    }

    const id = path.slice(STREAM_PREFIX.length)
    const entry = TRACK_ID_PATTERN.test(id) ? library.get(id) : undefined
    if (!entry) {
      sendHttpError(res, 404, 'track_not_found')
      return true
    }
    sendTrack(req, res, entry, log, onSent && ((n) => onSent(entry.track.id, n))).catch((err: unknown) => {
      log.error({ err, trackId: id }, 'track request failed')
      if (!res.headersSent) sendHttpError(res, 500, 'track_unreadable')
      else res.destroy()
    })
    return true
  }
}
