/**
 * A joiner's first estimate of the curator's clock, before its link to the
 * curator is up: through the signal server's clock, which both pages time
 * themselves against (server-clock.ts). With S the server's clock, C the
 * curator's and t this page's:
 *   C − t = (S − t) − (S − C)
 * the first from this page's exchanges with the server, the second as the
 * curator last told the server (protocol's CuratorServerClock), carried on
 * at its skew. Both ends' errors add, and each path's asymmetry is its own,
 * so this is rougher than the peer-to-peer estimate: the room's playback
 * uses it only until that one is as good, and for BRIDGE_MS at most. It
 * never says 'locked'. Pure: tested with simulated clocks.
 */
import type { CuratorServerClock } from '../../../../protocol/index.ts'
import type { ClockEstimate, ClockEstimator } from './clock-sync.ts'

/** What the room's playback reads of an estimate of the curator's clock: a link's ClockEstimator, or this. */
export type CuratorClock = Pick<ClockEstimator, 'estimate' | 'toCurator' | 'toListener' | 'stats'>

/** How long a relayed estimate may stand in: a link that has not come up by then is lost, and so is the bridge. */
export const BRIDGE_MS = 10_000
/** How fast the curator's skew against the server may be off (ppm), for the uncertainty of an old reading. */
const CURATOR_SKEW_SLACK_PPM = 50

export class RelayedClock implements CuratorClock {
  /**
   * `server`: this page's estimate of the server's clock (server minus page);
   * `curator`: the curator's word; `untilMs`: when the bridge ends (page clock).
   */
  constructor(
    private readonly server: Pick<ClockEstimator, 'offsetAt' | 'estimate' | 'stats'>,
    private readonly curator: CuratorServerClock,
    private readonly untilMs: number,
  ) {}

  get stats(): ClockEstimator['stats'] {
    return this.server.stats
  }

  /** Curator minus page at page time t (ms). */
  private offsetAt(t: number): number | null {
    const serverMinusPage = this.server.offsetAt(t)
    if (serverMinusPage === null) return null
    const s = t + serverMinusPage
    const c = this.curator
    return serverMinusPage - (c.serverMinusCuratorMs + c.skewPpm * 1e-6 * (s - c.atServerMs))
  }

  toCurator(t: number): number | null {
    const off = this.offsetAt(t)
    return off === null ? null : t + off
  }

  /** Inverse of toCurator: the offset moves by ppm, so two steps land within nanoseconds. */
  toListener(curatorMs: number): number | null {
    let t = curatorMs
    for (let i = 0; i < 2; i++) {
      const off = this.offsetAt(t)
      if (off === null) return null
      t = curatorMs - off
    }
    return t
  }

  estimate(now: number): ClockEstimate | null {
    const se = this.server.estimate(now)
    const offsetMs = this.offsetAt(now)
    if (!se || offsetMs === null || now > this.untilMs || se.state === 'lost') return null
    const c = this.curator
    const age = Math.abs(now + se.offsetMs - c.atServerMs)
    return {
      offsetMs,
      skewPpm: se.skewPpm - c.skewPpm,
      skewUncertaintyPpm: se.skewUncertaintyPpm + CURATOR_SKEW_SLACK_PPM,
      // The curator's figure has its own asymmetry in it already.
      uncertaintyMs: se.uncertaintyMs + c.uncertaintyMs + age * CURATOR_SKEW_SLACK_PPM * 1e-6,
      asymmetryBoundMs: se.asymmetryBoundMs,
      rttMs: se.rttMs,
      samples: se.samples,
      sinceSampleMs: se.sinceSampleMs,
      state: 'converging',
    }
  }
}
