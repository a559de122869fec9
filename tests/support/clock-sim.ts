/**
 * Deterministic simulator of a listener probing a curator's clock over a
 * lossy, jittery, asymmetric path. True time τ (ms from the start) drives
 * two clocks that disagree by seconds and run at different rates; one-way
 * delays = fixed base (different each way) + exponential queueing + rare
 * spikes; packets get lost, answers duplicated, old answers replayed and
 * some answers carry absurd stamps. Everything comes from one seed.
 */
import { clockSample, type ClockExchange } from '../../client/src/lib/clock-sample.ts'
import { ClockEstimator, burstSchedule, type AddResult, type BurstSchedule } from '../../client/src/lib/sync/clock-sync.ts'

/** mulberry32: tiny, fast, good enough for simulation, fully reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface PathOptions {
  seed: number
  /** Listener clock reading at τ = 0 (performance.timeOrigin-like epoch ms). */
  listenerStartMs: number
  /** Curator clock minus listener clock at τ = 0. */
  offsetMs: number
  /** Each clock's rate error against true time, in ppm. */
  listenerPpm: number
  curatorPpm: number
  baseForwardMs: number
  baseBackMs: number
  /** Mean of the exponential queueing delay, each direction. */
  queueForwardMs: number
  queueBackMs: number
  spikeProb: number
  spikeMinMs: number
  spikeMaxMs: number
  /** Probability that a request or its answer is lost (each way). */
  lossProb: number
  duplicateProb: number
  /** Probability that an old answer is replayed later. */
  replayProb: number
  absurdProb: number
  /** Curator's turnaround between t1 and t2 (mean of an exponential). */
  turnaroundMs: number
  /** Timestamp resolution (performance.now() is clamped to 0.1 ms without isolation). */
  resolutionMs: number
}

export const DEFAULT_PATH: PathOptions = {
  seed: 1,
  listenerStartMs: 1_700_000_000_000,
  offsetMs: 3456.789,
  listenerPpm: -90,
  curatorPpm: 110,
  baseForwardMs: 2,
  baseBackMs: 1,
  queueForwardMs: 1,
  queueBackMs: 1,
  spikeProb: 0.03,
  spikeMinMs: 50,
  spikeMaxMs: 200,
  lossProb: 0.1,
  duplicateProb: 0.03,
  replayProb: 0.01,
  absurdProb: 0.02,
  turnaroundMs: 0.05,
  resolutionMs: 0.1,
}

export type ArrivalKind = 'normal' | 'duplicate' | 'replay' | 'absurd'

export interface Arrival {
  /** True time of arrival (ms). */
  tau: number
  seq: number
  exchange: ClockExchange
  kind: ArrivalKind
}

export class PathSim {
  readonly o: PathOptions
  private readonly rand: () => number
  private queue: Arrival[] = []
  private past: Arrival[] = []
  /** Answers the curator stops sending in these true-time ranges [from, to). */
  silences: Array<[number, number]> = []

  constructor(options: Partial<PathOptions> = {}) {
    this.o = { ...DEFAULT_PATH, ...options }
    this.rand = rng(this.o.seed)
  }

  listenerAt(tau: number): number {
    return this.o.listenerStartMs + tau * (1 + this.o.listenerPpm * 1e-6)
  }

  curatorAt(tau: number): number {
    return this.o.listenerStartMs + this.o.offsetMs + tau * (1 + this.o.curatorPpm * 1e-6)
  }

  tauOfListener(listenerMs: number): number {
    return (listenerMs - this.o.listenerStartMs) / (1 + this.o.listenerPpm * 1e-6)
  }

  /** The exact curator-minus-listener offset at a listener instant. */
  trueOffsetAt(listenerMs: number): number {
    return this.curatorAt(this.tauOfListener(listenerMs)) - listenerMs
  }

  /** d offset / d listener time, in ppm. */
  get trueSkewPpm(): number {
    return ((1 + this.o.curatorPpm * 1e-6) / (1 + this.o.listenerPpm * 1e-6) - 1) * 1e6
  }

  /** Half the base-delay asymmetry: the bias no two-way exchange can see (RFC 5905 §8). */
  get asymmetryBiasMs(): number {
    return (this.o.baseForwardMs - this.o.baseBackMs) / 2
  }

  get baseRttMs(): number {
    return this.o.baseForwardMs + this.o.baseBackMs
  }

  private exp(mean: number): number {
    return -Math.log(1 - this.rand()) * mean
  }

  private delay(base: number, queueMean: number): number {
    const spike = this.rand() < this.o.spikeProb ? this.o.spikeMinMs + this.rand() * (this.o.spikeMaxMs - this.o.spikeMinMs) : 0
    return base + this.exp(queueMean) + spike
  }

  private stamp(ms: number): number {
    const r = this.o.resolutionMs
    return r > 0 ? Math.floor(ms / r) * r : ms
  }

  private silent(tau: number): boolean {
    return this.silences.some(([a, b]) => tau >= a && tau < b)
  }

  /** The listener sends probe `seq` at true time τ; its fate is decided now, arrivals queue up. */
  send(seq: number, tau: number): void {
    const o = this.o
    const t0 = this.stamp(this.listenerAt(tau))
    // Draw every random number whatever happens, so one scenario's options do
    // not shift the random stream of everything after (comparable runs).
    const lostOut = this.rand() < o.lossProb
    const lostBack = this.rand() < o.lossProb
    const dF = this.delay(o.baseForwardMs, o.queueForwardMs)
    const turn = this.exp(o.turnaroundMs)
    const dB = this.delay(o.baseBackMs, o.queueBackMs)
    const dup = this.rand() < o.duplicateProb
    const dupLag = this.exp(20)
    const absurd = this.rand() < o.absurdProb
    const absurdPick = this.rand()
    const replay = this.rand() < o.replayProb
    const replayPick = this.rand()
    const tau1 = tau + dF
    if (lostOut || this.silent(tau1)) return
    let t1 = this.stamp(this.curatorAt(tau1))
    let t2 = this.stamp(this.curatorAt(tau1 + turn))
    if (lostBack) return
    const tau3 = tau1 + turn + dB
    let kind: ArrivalKind = 'normal'
    if (absurd) {
      kind = 'absurd'
      const bad = absurdStamps(absurdPick, t1, t2)
      t1 = bad.t1
      t2 = bad.t2
    }
    const a: Arrival = { tau: tau3, seq, exchange: { t0, t1, t2, t3: this.stamp(this.listenerAt(tau3)) }, kind }
    this.push(a)
    if (dup) this.push({ ...a, tau: tau3 + dupLag, exchange: { ...a.exchange, t3: this.stamp(this.listenerAt(tau3 + dupLag)) }, kind: 'duplicate' })
    if (replay && this.past.length > 0) {
      const old = this.past[Math.floor(replayPick * this.past.length)]!
      this.push({ ...old, tau: tau3 + 1, exchange: { ...old.exchange, t3: this.stamp(this.listenerAt(tau3 + 1)) }, kind: 'replay' })
    }
    if (kind === 'normal') {
      this.past.push(a)
      if (this.past.length > 200) this.past.shift()
    }
  }

  /** Arrivals up to true time τ, in arrival order. */
  deliverUntil(tau: number): Arrival[] {
    const out: Arrival[] = []
    while (this.queue.length > 0 && this.queue[0]!.tau <= tau) out.push(this.queue.shift()!)
    return out
  }

  private push(a: Arrival): void {
    let i = this.queue.length
    while (i > 0 && this.queue[i - 1]!.tau > a.tau) i--
    this.queue.splice(i, 0, a)
  }
}

/** A broken or lying curator: stamps that are off by far more than any path could explain, or not numbers at all. */
function absurdStamps(pick: number, t1: number, t2: number): { t1: number; t2: number } {
  const k = Math.floor(pick * 6)
  switch (k) {
    case 0:
      return { t1: t1 + 1e9, t2: t2 + 1e9 }
    case 1:
      return { t1: t1 - 5000, t2: t2 - 5000 }
    case 2:
      return { t1: t1 + 250, t2: t2 + 250 }
    case 3:
      return { t1: NaN, t2 }
    case 4:
      return { t1, t2: Infinity }
    default:
      return { t1: t2 + 10, t2 } // answered before it was asked
  }
}

/** Quantiles of a list (nearest rank). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

export type ArrivalResult = AddResult | 'impossible'

/**
 * A listener's probe loop against a simulated path, in true time: sends on
 * the burst schedule (asking the estimator's state as the page would),
 * feeds answers through clockSample and the estimator in arrival order, and
 * calls `onTick` every `tickMs` for the test to look at the estimate.
 */
export class ProbeSession {
  tau = 0
  sent = 0
  private seq = 0
  private nextSend = 0
  readonly log: Array<{ kind: ArrivalKind; result: ArrivalResult; tau: number }> = []

  constructor(
    readonly sim: PathSim,
    readonly est: ClockEstimator,
    readonly schedule: BurstSchedule = burstSchedule(),
  ) {}

  /** A seq the session will never send: for a test's hand-made answer. */
  reserveSeq(): number {
    return this.seq++
  }

  run(untilTau: number, hooks: { tickMs?: number; onTick?: (tau: number) => void } = {}): void {
    let nextTick = hooks.tickMs ? this.tau : Infinity
    for (;;) {
      const t = Math.min(this.nextSend, nextTick)
      if (t > untilTau) break
      this.deliver(t)
      this.tau = t
      if (nextTick <= this.nextSend) {
        hooks.onTick?.(t)
        nextTick += hooks.tickMs!
      } else {
        this.sim.send(this.seq++, t)
        this.sent++
        const state = this.est.estimate(this.sim.listenerAt(t))?.state ?? null
        this.nextSend = t + this.schedule.delayMs(this.sent, state)
      }
    }
    this.deliver(untilTau)
    this.tau = untilTau
  }

  private deliver(t: number): void {
    for (const a of this.sim.deliverUntil(t)) {
      const sample = clockSample(a.exchange)
      const result: ArrivalResult = sample ? this.est.add({ ...sample, seq: a.seq }) : 'impossible'
      this.log.push({ kind: a.kind, result, tau: a.tau })
    }
  }

  /** Estimated minus true offset at true time τ (ms), or null without an estimate. */
  offsetErrorAt(tau: number): number | null {
    const l = this.sim.listenerAt(tau)
    const off = this.est.offsetAt(l)
    return off === null ? null : off - this.sim.trueOffsetAt(l)
  }
}
