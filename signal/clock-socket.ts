/**
 * The server's clock for pages to time themselves against (protocol's
 * SERVER_CLOCK_PATH), on the signal server's HTTP port: each `{ seq }` is
 * answered at once with the server's monotonic clock. A curator tells the
 * server where its clock stands against it, and a joiner maps the
 * curator's clock through it until its own link to the curator times it
 * (client/src/lib/sync/relayed-clock.ts). The server holds no state here.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import * as v from 'valibot'
import { WebSocketServer, type WebSocket } from 'ws'
import { SERVER_CLOCK_PATH, SERVER_CLOCK_RATE, ServerClockProbe, type ServerClockReading } from '../protocol/index.ts'
import { TokenBucket } from '../protocol/token-bucket.ts'
import type { Logger } from './log.ts'

/** Probes over the rate before a socket is closed (the excess is dropped until then). */
const MAX_DROPPED = 100

export function mountClockSocket(http: HttpServer, log: Logger): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: SERVER_CLOCK_RATE.maxMessageBytes, perMessageDeflate: false })

  const serve = (ws: WebSocket) => {
    const bucket = new TokenBucket(SERVER_CLOCK_RATE.perSecond, SERVER_CLOCK_RATE.burst, Date.now())
    let dropped = 0
    ws.on('message', (data, isBinary) => {
      // Read first: the answer should leave as close to this instant as it can.
      const serverMs = performance.timeOrigin + performance.now()
      if (!bucket.take(Date.now())) {
        if (++dropped > MAX_DROPPED) ws.close(1008, 'too many clock probes')
        return
      }
      let probe: unknown
      try {
        probe = isBinary ? null : JSON.parse(String(data))
      } catch {
        probe = null
      }
      const parsed = v.safeParse(ServerClockProbe, probe)
      if (!parsed.success) return ws.close(1003, 'not a clock probe')
      ws.send(JSON.stringify({ seq: parsed.output.seq, serverMs } satisfies ServerClockReading))
    })
    // A socket torn down mid-message (maxPayload, a reset) reports here; nothing to keep.
    ws.on('error', (err) => log.debug({ err: err.message }, 'clock socket error'))
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Other upgrades (Socket.IO's, the tracker's) belong to their own listeners.
    if ((req.url ?? '').split('?', 1)[0] !== SERVER_CLOCK_PATH) return
    wss.handleUpgrade(req, socket, head, serve)
  }
  http.on('upgrade', onUpgrade)
  return {
    close() {
      http.off('upgrade', onUpgrade)
      for (const ws of wss.clients) ws.terminate()
      wss.close()
    },
  }
}
