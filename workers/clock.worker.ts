/**
 * The clock worker (see clock-api.ts): the page hands it each peer link's
 * clock channel as the channel is created, and times the page against the
 * signal server's clock (probeServer). Its first call says which page clock
 * to stamp with.
 */
import { expose } from 'comlink'
import type { ClockExchange } from '../client/src/lib/clock-sample.ts'
import { pageClockReader, type PageClock } from '../client/src/lib/sync/sync-clock.ts'
import { SERVER_CLOCK_PATH } from '../protocol/index.ts'
import { createClockApi, serverClockProbe, type ClockSocketLike, type ClockWorkerApi } from './clock-api.ts'

let api: ClockWorkerApi | null = null
let probeServer: (() => Promise<ClockExchange | null>) | null = null

/** The signal server's clock socket: same host as the page (the worker's script comes from there). */
function clockSocketUrl(): string {
  const url = new URL(SERVER_CLOCK_PATH, self.location.href)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return url.href
}

const worker = {
  configure(clock: PageClock): void {
    const now = pageClockReader(clock, performance.timeOrigin, () => performance.now())
    api = createClockApi(now)
    // The socket as the probe sees it (what it uses of it).
    probeServer = serverClockProbe(() => new WebSocket(clockSocketUrl()) as unknown as ClockSocketLike, now)
  },
  /** `count` exchanges with the server's clock, one after the other, here: a busy page's main thread does not space them out. */
  async probeServer(count: number): Promise<ClockExchange[]> {
    const out: ClockExchange[] = []
    for (let i = 0; i < count && probeServer; i++) {
      const e = await probeServer()
      if (e) out.push(e)
    }
    return out
  },
  attach: (...a: Parameters<ClockWorkerApi['attach']>) => api?.attach(...a),
  probe: (...a: Parameters<ClockWorkerApi['probe']>) => api?.probe(...a) ?? false,
  burst: (...a: Parameters<ClockWorkerApi['burst']>) => api?.burst(...a),
  detach: (...a: Parameters<ClockWorkerApi['detach']>) => api?.detach(...a),
}
export type ClockWorker = typeof worker

expose(worker)
