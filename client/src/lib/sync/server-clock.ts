/**
 * This page's clock against the signal server's, from NTP-style exchanges
 * over a WebSocket (protocol's SERVER_CLOCK_PATH), stamped in the clock
 * worker. It lets a joiner start its sound before its links are up
 * (relayed-clock.ts): the curator keeps the server told where its clock
 * stands against the server's (`room.anchor`), and a joiner that knows its
 * own clock against the same server maps the curator's through both. The
 * peer-to-peer clock takes over as soon as it is as good; this is a bridge,
 * not the room's clock.
 */
import { clockSample, type ClockExchange } from '../clock-sample.ts'
import type { CuratorServerClock } from '../../../../protocol/index.ts'
import { ClockEstimator } from './clock-sync.ts'
import { syncNow } from './sync-clock.ts'

/** A curator tells the server where its clock stands only when it knows this well (ms, asymmetry included). */
export const CURATOR_CLOCK_MAX_UNCERTAINTY_MS = 5
/** Exchanges in a burst, one after the other (each answer before the next probe: none queues behind another). */
const BURST = 8

export class ServerClock {
  /** The server's clock as seen from here (server minus page). */
  readonly estimator = new ClockEstimator()
  private seq = 0
  private bursting: Promise<void> | null = null
  private lastBurst = -Infinity

  /** `probe(count)`: that many exchanges with the server, one after the other (stamped in the clock worker). */
  constructor(
    private readonly probe: (count: number) => Promise<ClockExchange[]>,
    private readonly now: () => number = syncNow,
  ) {}

  /** `count` exchanges; resolves to how many the estimate took. */
  async exchange(count = 1): Promise<number> {
    const exchanges = await this.probe(count).catch(() => [])
    let took = 0
    for (const e of exchanges) {
      const s = clockSample(e)
      const r = s && this.estimator.add({ ...s, seq: this.seq++ })
      if (r === 'accepted' || r === 'reset') took++
    }
    return took
  }

  /** A burst of exchanges, unless one ran within `freshMs`; resolves when it is over. */
  burst(freshMs = 10_000): Promise<void> {
    if (this.bursting) return this.bursting
    if (this.now() - this.lastBurst < freshMs) return Promise.resolve()
    this.lastBurst = this.now()
    this.bursting = this.exchange(BURST)
      .then(() => {})
      .finally(() => (this.bursting = null))
    return this.bursting
  }

  /**
   * What a curator tells the server (protocol's CuratorServerClock): the
   * server's clock minus this page's, now, and how fast it moves. Null until
   * it is known within CURATOR_CLOCK_MAX_UNCERTAINTY_MS.
   */
  curatorClock(): CuratorServerClock | null {
    const now = this.now()
    const est = this.estimator.estimate(now)
    if (!est || est.state === 'lost') return null
    const uncertaintyMs = est.uncertaintyMs + est.asymmetryBoundMs
    if (!(uncertaintyMs <= CURATOR_CLOCK_MAX_UNCERTAINTY_MS)) return null
    return { serverMinusCuratorMs: est.offsetMs, atServerMs: now + est.offsetMs, skewPpm: Math.max(-2000, Math.min(2000, est.skewPpm)), uncertaintyMs }
  }
}
