/**
 * The WebTorrent tracker for room swarms: a bittorrent-tracker WebSocket
 * server sharing the signal server's HTTP port (path /tracker), so a LAN
 * party needs no second port and no public tracker. It relays WebRTC offers
 * and answers between listeners of the same swarm and nothing else: no HTTP
 * or UDP announces, no stats page, and only for infohashes `allowInfoHash`
 * accepts (tracks queued in live rooms); anything else gets a failure reason
 * and no peers.
 *
 * Usage: `const tracker = mountTracker(httpServer, { allowInfoHash })`, and
 * `await tracker.close()` before closing the HTTP server.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import { Server as TrackerServer } from 'bittorrent-tracker'
import { InfoHashSchema, MAX_TRACKER_MESSAGE_BYTES, TRACKER_PATH } from '../protocol/index.ts'
import { log as rootLog, type Logger } from './log.ts'
import * as v from 'valibot'

export interface TrackerOptions {
  allowInfoHash: (infoHash: string) => boolean
  path?: string
  log?: Logger
}

export interface MountedTracker {
  /** Listeners currently announced in a swarm (0 for unknown infohashes). */
  peers(infoHash: string): number
  /** Announces refused since start (unknown infohash). */
  readonly refused: number
  close(): Promise<void>
}

export function mountTracker(http: HttpServer, opts: TrackerOptions): MountedTracker {
  const log = opts.log ?? rootLog.child({ mod: 'tracker' })
  const path = opts.path ?? TRACKER_PATH
  let refused = 0
  const server = new TrackerServer({
    http: false,
    udp: false,
    stats: false,
    ws: { noServer: true, maxPayload: MAX_TRACKER_MESSAGE_BYTES, perMessageDeflate: false },
    filter: (infoHash, _params, cb) => {
      if (v.is(InfoHashSchema, infoHash) && opts.allowInfoHash(infoHash)) return cb(null)
      refused++
      log.debug({ infoHash }, 'announce refused')
      cb(new Error('unknown infohash: not a track queued in a live room'))
    },
  })
  const wss = server.ws!
  // bittorrent-tracker turns off ws's client tracking; close() must end these itself.
  const sockets = new Set<WebSocket>()
  // Recoverable per-socket trouble (bad JSON, a peer gone mid-offer) arrives as 'warning'.
  server.on('warning', (err: Error) => log.debug({ err: err.message }, 'tracker warning'))
  server.on('error', (err: Error) => log.warn({ err: err.message }, 'tracker error'))

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Other upgrades (Socket.IO's /socket.io/) belong to their own listeners.
    if ((req.url ?? '').split('?', 1)[0] !== path) return
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.once('close', () => sockets.delete(ws))
      wss.emit('connection', ws, req)
    })
  }
  http.on('upgrade', onUpgrade)

  let closed: Promise<void> | undefined
  return {
    peers: (infoHash) => server.torrents[infoHash]?.peers.length ?? 0,
    get refused() {
      return refused
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        http.off('upgrade', onUpgrade)
        for (const ws of sockets) ws.terminate()
        server.close(() => resolve())
      })
      return closed
    },
  }
}
