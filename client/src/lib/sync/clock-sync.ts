/**
 * Listener-side estimate of the curator's clock: offset(t) = offset0 +
 * skew·(t − tRef), t on the listener's clock, from NTP-style exchanges
 * (RFC 5905 §8). Pure: the peer link feeds it samples, the player and the
 * sync panel read it.
 *
 * What one exchange can tell (RFC 5905 §8). With one-way delays d→ = b→ + q→
 * and d← = b← + q← (fixed path part b, queueing q ≥ 0), the measured offset
 * is θ + (d→ − d←)/2 and the round trip is δ = d→ + d←, hence
 *   |measured − θ| ≤ δ/2                           (hard: delays are ≥ 0)
 *   measured − θ = (b→ − b←)/2 + (q→ − q←)/2.
 * The first term, half the path asymmetry, is the same for every exchange
 * and no two-way method can see it; it is at most δmin/2. The second is
 * bounded by (δ − δbase)/2 and vanishes for exchanges that met no queue,
 * which is why the smallest round trips are kept (min-RTT filtering).
 * For exponential queueing, given the sum q→ + q← = δ − δbase, q→ is uniform,
 * so that term has std (δ − δbase)/(2√3): the weights of the fit.
 *
 * Method:
 *  1. gate each sample: finite numbers, a fresh seq (replay window), a round
 *     trip at most `rttGateFactor`·δmin + `rttGateSlackMs`, and, once the
 *     estimate rests on enough points, an offset consistent with it:
 *     |measured − predicted| ≤ δ/2 + δmin/2 + uncertainty + slack;
 *  2. keep a sliding history (`historyMs`) and refit on each accepted
 *     sample: median consistency pass, min-RTT per window, weighted least
 *     squares with a prior on the skew (min-rtt-fit.ts says how and why).
 * The uncertainty is 2σ of the fit's prediction (scaled up when the scatter
 * exceeds the model), combined with the bias queueing could still carry and
 * a wander term growing with the time since the last sample.
 *
 * Honest state: 'lost' once nothing was accepted for `lostAfterMs` (the
 * estimate keeps extrapolating so playback continues); 'converging' while
 * answers arrive that contradict the estimate; 'locked' only when at least
 * `minLockPoints` exchanges agree and the ≈95 % uncertainty, one locked-probe
 * interval ahead, is under `lockUncertaintyMs`. The uncertainty excludes path
 * asymmetry, which is reported apart as `asymmetryBoundMs` (= δmin/2).
 *
 * Recovery, from samples that agree among themselves only (as NTP steps
 * after a sustained, consistent offset rather than one spike, RFC 5905 §10):
 * `reseedCount` contradictions in a row mean the curator's clock stepped;
 * `lostAfterMs` of nothing but outliers means the path changed (longer round
 * trips from now on). Either way start over from them, keeping the skew:
 * neither event changes an oscillator.
 */
import type { ClockSample } from '../clock-sample.ts'
import { predict, predictStd, type LineFit } from './linear-fit.ts'
import { robustFit, type FitOptions, type Point, type SkewPrior } from './min-rtt-fit.ts'
import { ReplayWindow } from './replay-window.ts'

export { burstSchedule, DEFAULT_PROBE_SCHEDULE, type BurstSchedule, type ProbeSchedule } from './probe-schedule.ts'

export type SyncState = 'locked' | 'converging' | 'lost'
export type AddResult = 'accepted' | 'reset' | 'rejected-invalid' | 'rejected-replay' | 'rejected-outlier'

export interface ClockEstimate {
  /** Curator clock minus listener clock at the asked instant (ms). */
  offsetMs: number
  /** Rate difference: how many ms per million the curator's clock gains on ours. */
  skewPpm: number
  /** ≈95 % (2σ) bound on the error of skewPpm. */
  skewUncertaintyPpm: number
  /** ≈95 % (2σ) bound on the error of offsetMs, path asymmetry excluded. */
  uncertaintyMs: number
  /** What an unknown path asymmetry could add on top (smallest round trip / 2). */
  asymmetryBoundMs: number
  /** Smallest round trip among the samples in use (ms). */
  rttMs: number
  /** Exchanges the current fit rests on. */
  samples: number
  /** Time since the last accepted sample (ms). */
  sinceSampleMs: number
  state: SyncState
}

export interface ClockEstimatorOptions extends FitOptions {
  historyMs: number
  /** History kept whatever its age, so a long silence does not erase the skew. */
  minKeep: number
  maxSamples: number
  lostAfterMs: number
  lockUncertaintyMs: number
  /** How far ahead 'locked' must hold: one locked probe interval. */
  lockHorizonMs: number
  maxRttMs: number
  /** Mutually consistent exchanges needed before claiming 'locked': a lone answer could be a lie. */
  minLockPoints: number
  /** Mutually consistent exchanges needed before the offset gate judges new samples. */
  minGatePoints: number
  skewPriorPpm: number
  /** Quartz pairs differ by up to ~200 ppm; the prior's std. */
  skewPriorStdPpm: number
  /** Random frequency wander assumed between samples (uncertainty growth in silence). */
  wanderPpm: number
  reseedCount: number
}

export const DEFAULT_CLOCK_OPTIONS: Readonly<ClockEstimatorOptions> = {
  windowMs: 1000,
  keepPerWindow: 2,
  historyMs: 5 * 60_000,
  minKeep: 16,
  maxSamples: 2048,
  lostAfterMs: 10_000,
  lockUncertaintyMs: 0.5,
  lockHorizonMs: 1000,
  noiseFloorMs: 0.1,
  maxRttMs: 5000,
  rttGateFactor: 3,
  rttGateSlackMs: 2,
  minLockPoints: 4,
  minGatePoints: 3,
  consistencySlackMs: 1,
  skewPriorPpm: 0,
  skewPriorStdPpm: 150,
  wanderPpm: 1,
  reseedCount: 6,
}

export class ClockEstimator {
  readonly options: Readonly<ClockEstimatorOptions>
  private readonly replays = new ReplayWindow()
  private history: Point[] = []
  /** Rejected since the last accepted sample (within lostAfterMs), and whether each contradicted the estimate outright. */
  private suspects: Array<Point & { contradicts: boolean }> = []
  private contradictions = 0
  private fit: LineFit | null = null
  private used: Point[] = []
  private rttMin = Infinity
  private queueBoundMs = 0
  private agreeing = 0
  private lastArrival = -Infinity
  private lastAccepted: number | null = null
  private counts = { accepted: 0, rejected: 0, resets: 0 }
  private skewPrior: SkewPrior

  constructor(options: Partial<ClockEstimatorOptions> = {}) {
    this.options = { ...DEFAULT_CLOCK_OPTIONS, ...options }
    this.skewPrior = { mean: this.options.skewPriorPpm * 1e-6, std: this.options.skewPriorStdPpm * 1e-6 }
  }

  /** Totals since construction, for the sync panel. */
  get stats(): Readonly<{ accepted: number; rejected: number; resets: number }> {
    return this.counts
  }

  /**
   * One exchange, in arrival order. `seq` must be the number of a probe we
   * sent and had not yet seen answered (the peer link checks that): the
   * replay window is defence in depth, and a forged seq far ahead would
   * make it refuse the genuine ones.
   */
  add(sample: ClockSample & { seq: number }): AddResult {
    const r = this.judge(sample)
    if (r === 'accepted' || r === 'reset') this.counts.accepted++
    else this.counts.rejected++
    if (r === 'reset') this.counts.resets++
    return r
  }

  private judge({ rttMs, offsetMs, at, seq }: ClockSample & { seq: number }): AddResult {
    const o = this.options
    if (!Number.isSafeInteger(seq) || seq < 0) return 'rejected-invalid'
    if (!Number.isFinite(rttMs) || !Number.isFinite(offsetMs) || !Number.isFinite(at)) return 'rejected-invalid'
    if (rttMs < 0 || rttMs > o.maxRttMs) return 'rejected-invalid'
    if (!this.replays.accept(seq)) return 'rejected-replay'
    // `at` is our own arrival time: it cannot go backwards.
    if (at < this.lastArrival) return 'rejected-invalid'
    this.lastArrival = at
    // The offset belongs to the middle of the exchange, not its end; with
    // skew s the difference is s·δ/2 (20 µs at 200 ppm and δ = 200 ms).
    const p: Point = { x: at - rttMs / 2, y: offsetMs, rtt: rttMs }
    const outlier = this.outlier(p)
    if (outlier) return this.suspect({ ...p, contradicts: outlier === 'offset' }, at)
    this.insert(p)
    this.lastAccepted = at
    this.suspects = []
    this.contradictions = 0
    this.prune()
    this.refit()
    return 'accepted'
  }

  /**
   * 'rtt': queued too long to say much (proves nothing about the estimate);
   * 'offset': a round trip short enough that causality bounds the true
   * offset, and the estimate lies outside that bound.
   */
  private outlier(p: Point): 'rtt' | 'offset' | null {
    const o = this.options
    if (this.history.length === 0) return null
    if (p.rtt > o.rttGateFactor * this.rttMin + o.rttGateSlackMs) return 'rtt'
    const fit = this.fit
    if (!fit || this.agreeing < o.minGatePoints) return null
    const bound = p.rtt / 2 + this.rttMin / 2 + this.uncertaintyAt(p.x) + o.consistencySlackMs
    return Math.abs(p.y - predict(fit, p.x)) > bound ? 'offset' : null
  }

  private suspect(p: Point & { contradicts: boolean }, at: number): AddResult {
    const o = this.options
    if (p.contradicts) this.contradictions++
    this.suspects.push(p)
    this.suspects = this.suspects.filter((s) => p.x - s.x <= o.lostAfterMs).sort((a, b) => a.x - b.x)
    if (this.suspects.length < o.reseedCount) return 'rejected-outlier'
    // Start over only from samples that agree among themselves, and only
    // when they prove the old estimate wrong (enough contradictions in a
    // row: the curator's clock stepped) or nothing else was heard for
    // lostAfterMs (the path changed: longer round trips from now on).
    const silent = this.lastAccepted === null || at - this.lastAccepted >= o.lostAfterMs
    if (!silent && this.contradictions < o.reseedCount) return 'rejected-outlier'
    const fresh = robustFit(this.suspects, o, null, this.carriedSkewPrior())
    if (!fresh || fresh.consistent.length < o.reseedCount) return 'rejected-outlier'
    if (!silent && fresh.consistent.filter((s) => s.contradicts).length < o.reseedCount) return 'rejected-outlier'
    this.skewPrior = this.carriedSkewPrior()
    this.history = fresh.consistent.map(({ x, y, rtt }) => ({ x, y, rtt }))
    this.suspects = []
    this.contradictions = 0
    this.lastAccepted = at
    this.refit(true)
    return 'reset'
  }

  /**
   * A step of the curator's clock or a new path changes neither oscillator:
   * the skew learnt so far stays the best prior (widened by the wander).
   */
  private carriedSkewPrior(): SkewPrior {
    const fit = this.fit
    if (!fit) return this.skewPrior
    return { mean: fit.b, std: Math.hypot(Math.sqrt(fit.varB), this.options.wanderPpm * 1e-6) }
  }

  /** Keep history sorted by x: midpoints can swap when round trips differ. */
  private insert(p: Point): void {
    let i = this.history.length
    while (i > 0 && this.history[i - 1]!.x > p.x) i--
    this.history.splice(i, 0, p)
  }

  private prune(): void {
    const o = this.options
    const newest = this.history[this.history.length - 1]
    if (!newest) return
    let drop = 0
    while (drop < this.history.length - o.minKeep && newest.x - this.history[drop]!.x > o.historyMs) drop++
    drop = Math.max(drop, this.history.length - o.maxSamples)
    if (drop > 0) this.history = this.history.slice(drop)
  }

  private refit(fromPrior = false): void {
    const r = robustFit(this.history, this.options, fromPrior ? null : this.fit, this.skewPrior)
    if (!r) return
    this.fit = r.fit
    this.used = r.used
    this.rttMin = r.rttMin
    this.queueBoundMs = r.queueBoundMs
    this.agreeing = r.consistent.length
  }

  /** ≈95 % uncertainty of the offset at listener time t, asymmetry excluded. */
  private uncertaintyAt(t: number): number {
    const fit = this.fit
    if (!fit) return Infinity
    const lastX = this.used.length > 0 ? this.used[this.used.length - 1]!.x : fit.xRef
    const silence = Math.max(0, t - lastX) * this.options.wanderPpm * 1e-6
    // hypot: no overflow however far t is from the data.
    return Math.hypot(2 * predictStd(fit, t), silence, this.queueBoundMs)
  }

  /** Curator minus listener at listener time t (ms), or null before the first sample. */
  offsetAt(listenerMs: number): number | null {
    if (!this.fit || !Number.isFinite(listenerMs)) return null
    return predict(this.fit, listenerMs)
  }

  toCurator(listenerMs: number): number | null {
    const off = this.offsetAt(listenerMs)
    return off === null ? null : listenerMs + off
  }

  /** Inverse of toCurator: c = t + a + b·(t − r)  ⇒  t = r + (c − r − a)/(1 + b). */
  toListener(curatorMs: number): number | null {
    const fit = this.fit
    if (!fit || !Number.isFinite(curatorMs)) return null
    return fit.xRef + (curatorMs - fit.xRef - fit.a) / (1 + fit.b)
  }

  estimate(nowListenerMs: number): ClockEstimate | null {
    const fit = this.fit
    if (!fit || this.lastAccepted === null || !Number.isFinite(nowListenerMs)) return null
    const o = this.options
    const since = Math.max(0, nowListenerMs - this.lastAccepted)
    const uncertaintyMs = this.uncertaintyAt(nowListenerMs)
    let state: SyncState = 'converging'
    if (since > o.lostAfterMs) state = 'lost'
    // Answers keep arriving and keep contradicting us: not locked, whatever the maths says.
    else if (this.contradictions > 0) state = 'converging'
    else if (Math.min(this.agreeing, fit.n) >= o.minLockPoints && this.uncertaintyAt(nowListenerMs + o.lockHorizonMs) <= o.lockUncertaintyMs) {
      state = 'locked'
    }
    return {
      offsetMs: predict(fit, nowListenerMs),
      skewPpm: fit.b * 1e6,
      skewUncertaintyPpm: 2 * Math.sqrt(fit.varB) * 1e6,
      uncertaintyMs,
      asymmetryBoundMs: this.rttMin / 2,
      rttMs: this.rttMin,
      samples: fit.n,
      sinceSampleMs: since,
      state,
    }
  }
}
