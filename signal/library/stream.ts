/**
 * Sends one track's file as it is on disk: the HTTP origin that browsers and
 * WebTorrent web-seed/range fetches fall back to when no peer has a piece.
 */
import { constants as fsConstants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { audioQualityHeader, type Track } from '../../protocol/track.ts'
import type { Logger } from '../log.ts'
import { sendHttpError } from '../http-errors.ts'
import { decideRange } from './range.ts'
import type { LibraryEntry } from './scan.ts'

const CONTENT_TYPES: Record<Track['codec'], string> = { flac: 'audio/flac', wav: 'audio/wav' }

/** `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}

export async function sendTrack(req: IncomingMessage, res: ServerResponse, entry: LibraryEntry, log: Logger, onSent?: (bytes: number) => void): Promise<void> {
  const { track, path } = entry
  const etag = `"${track.sha256}"`
  // Content-addressed: the bytes behind this URL never change, so caches may keep them forever.
  const headers: Record<string, string | number> = {
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Cache-Control': 'public, max-age=31536000, immutable',
    'X-Audio-Quality': audioQualityHeader(track),
  }
  if (matchesIfNoneMatch(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers).end()
    return
  }
  // Repeated If-Range headers join into a value that matches no ETag: the full file, the safe answer.
  const ifRange = req.headers['if-range']
  const decision = decideRange(track.bytes, req.headers.range, {
    ifRange: Array.isArray(ifRange) ? ifRange.join(',') : ifRange,
    etag,
  })
  if (decision.kind === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${track.bytes}`, 'Content-Length': 0 }).end()
    return
  }

  let file: FileHandle
  try {
    // `path` was a real path at scan time; refuse it if it has since been swapped for a symlink.
    file = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0))
  } catch (err) {
    const gone = (err as NodeJS.ErrnoException).code === 'ENOENT'
    log.warn({ err, trackId: track.id }, gone ? 'track file vanished since scan' : 'cannot open track file')
    return gone ? sendHttpError(res, 404, 'track_not_found') : sendHttpError(res, 500, 'track_unreadable')
  }
  try {
    // Serving other bytes under this track's immutable ETag would poison every cache downstream.
    const { size } = await file.stat()
    if (size !== track.bytes) {
      log.warn({ trackId: track.id, scanned: track.bytes, now: size }, 'track file changed since scan')
      await file.close()
      return sendHttpError(res, 500, 'track_changed')
    }
  } catch (err) {
    log.warn({ err, trackId: track.id }, 'cannot stat track file')
    await file.close().catch(() => {})
    return sendHttpError(res, 500, 'track_unreadable')
  }

  const [start, end] = decision.kind === 'partial' ? [decision.start, decision.end] : [0, track.bytes - 1]
  res.writeHead(decision.kind === 'partial' ? 206 : 200, {
    ...headers,
    'Content-Type': CONTENT_TYPES[track.codec],
    'Content-Length': end - start + 1,
    ...(decision.kind === 'partial' && { 'Content-Range': `bytes ${start}-${end}/${track.bytes}` }),
  })
  if (req.method === 'HEAD' || end < start || res.destroyed) {
    await file.close()
    res.end()
    return
  }
  // The stream owns the handle from here (autoClose), whether it ends, fails or is aborted.
  const body = file.createReadStream({ start, end })
  res.once('close', () => onSent?.(body.bytesRead))
  try {
    await pipeline(body, res)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // A listener seeking or leaving closes the request mid-body: routine, not a fault.
    if (code === 'ERR_STREAM_PREMATURE_CLOSE') log.debug({ trackId: track.id }, 'client closed stream early')
    else log.warn({ err, trackId: track.id }, 'track stream failed mid-body')
    res.destroy()
  }
}
