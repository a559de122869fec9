/**
 * The clock worker (see clock-api.ts): the page hands it each peer link's
 * clock channel as the channel is created. Its first call says which page
 * clock to stamp with.
 */
import { expose } from 'comlink'
import { pageClockReader, type PageClock } from '../client/src/lib/sync/sync-clock.ts'
import { createClockApi, type ClockWorkerApi } from './clock-api.ts'

let api: ClockWorkerApi | null = null

const worker = {
  configure(clock: PageClock): void {
    api = createClockApi(pageClockReader(clock, performance.timeOrigin, () => performance.now()))
  },
  attach: (...a: Parameters<ClockWorkerApi['attach']>) => api?.attach(...a),
  probe: (...a: Parameters<ClockWorkerApi['probe']>) => api?.probe(...a) ?? false,
  burst: (...a: Parameters<ClockWorkerApi['burst']>) => api?.burst(...a),
  detach: (...a: Parameters<ClockWorkerApi['detach']>) => api?.detach(...a),
}
export type ClockWorker = typeof worker

expose(worker)
