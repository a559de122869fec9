/**
 * The signal server: HTTP (library origin, metrics, health, static client)
 * and Socket.IO (rooms and peer introduction) on one port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync } from 'node:fs'
import sirv from 'sirv'
import { Server } from 'socket.io'
import { LIMITS, PROTOCOL_VERSION } from '../protocol/index.ts'
import { mountClockSocket } from './clock-socket.ts'
import type { Config } from './config.ts'
import { demoLibraryDir } from './library/demo.ts'
import { sendHttpError } from './http-errors.ts'
import { libraryRoutes } from './library/routes.ts'
import { scanLibrary, type Library } from './library/scan.ts'
import { log as rootLog, type Logger } from './log.ts'
import { createMetrics } from './metrics.ts'
import { randomId, sameSecret } from './ids.ts'
import { RoomRegistry } from './rooms.ts'
import { SignalHub } from './signal-hub.ts'
import { SwarmAllowList } from './swarm/swarm-allow-list.ts'
import { torrentRoutes } from './swarm/torrent-routes.ts'
import { TrackTorrents } from './swarm/track-torrents.ts'
import { mountTracker } from './tracker.ts'
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from './socket-events.ts'

/**
 * The library's first tracks whose torrents are built at start (TrackTorrents.warmUp):
 * all of a demo or a small library, a few KB each; a big one's others on request.
 */
const TORRENTS_AHEAD = 200

export interface AulaServer {
  url: string
  port: number
  library: Library
  hub: SignalHub
  close(): Promise<void>
}

export async function startServer(config: Config, log: Logger = rootLog): Promise<AulaServer> {
  const library = await scanLibrary(config.libraryDir ?? demoLibraryDir, {
    hashCacheFile: config.hashCacheFile,
    log: log.child({ mod: 'library' }),
  })
  const http = createServer()
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(http, {
    maxHttpBufferSize: LIMITS.maxSignalMessageBytes,
    serveClient: false,
  })
  const rooms = new RoomRegistry({ now: Date.now, randomId: () => randomId(), sameSecret, graceMs: config.roomGraceMs })
  const metrics = createMetrics(rooms)
  const swarms = new SwarmAllowList()
  const hub = new SignalHub(io, rooms, { graceMs: config.roomGraceMs, log, metrics, swarms, track: (id) => library.get(id)?.track })
  const tracker = mountTracker(http, { allowInfoHash: (h) => swarms.allows(h), log: log.child({ mod: 'tracker' }) })
  const clockSocket = mountClockSocket(http, log.child({ mod: 'clock' }))

  const library$ = libraryRoutes(library, log.child({ mod: 'library' }), (trackId, bytes) => metrics.originBytes.inc({ track: trackId }, bytes))
  const torrents = new TrackTorrents(library)
  const torrents$ = torrentRoutes(torrents, log.child({ mod: 'torrents' }))
  const clientConfig = JSON.stringify({ iceServers: config.iceServers, protocolVersion: PROTOCOL_VERSION })
  const staticFiles = existsSync(config.clientDir)
    ? sirv(config.clientDir, { single: true, etag: true, gzip: false, brotli: false })
    : undefined

  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!
    try {
      if (path === '/healthz') return send(res, 200, 'application/json', JSON.stringify({ ok: true, rooms: hub.rooms.size }))
      if (path === '/metrics') {
        metrics.register.metrics().then(
          (text) => send(res, 200, metrics.register.contentType, text),
          (err: unknown) => send(res, 500, 'text/plain', String(err)),
        )
        return
      }
      if (path === '/api/config') return send(res, 200, 'application/json', clientConfig)
      if (library$(req, res)) return
      if (torrents$(req, res)) return
      if (path.startsWith('/api/')) return sendHttpError(res, 404, 'not_found')
      if (staticFiles) return staticFiles(req, res, () => send(res, 404, 'text/plain', 'Not found'))
      send(res, 503, 'text/plain', 'The client is not built yet: run `npm run build` (npm start does it for you).')
    } catch (err) {
      log.error({ err, path }, 'request failed')
      if (!res.headersSent) send(res, 500, 'text/plain', 'Internal error')
      else res.destroy()
    }
  })

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(config.port, config.host, () => resolve())
  })
  const port = (http.address() as AddressInfo).port
  const warming = new AbortController()
  void torrents.warmUp(TORRENTS_AHEAD, warming.signal).then((n) => log.debug({ built: n }, 'torrents built ahead'))
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  let closed: Promise<void> | undefined
  return {
    url: `http://${host}:${port}`,
    port,
    library,
    hub,
    close() {
      closed ??= (async () => {
        warming.abort()
        // The tracker's sockets ride on the HTTP server: end them first.
        await tracker.close()
        clockSocket.close()
        hub.destroy()
        io.close()
        http.closeAllConnections()
        await new Promise<void>((resolve) => http.close(() => resolve()))
      })()
      return closed
    },
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}
