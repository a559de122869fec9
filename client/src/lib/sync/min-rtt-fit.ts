/**
 * The refit pipeline of the clock estimator: from accepted exchanges to a
 * line offset(t) = a + b·(t − tRef). Pure.
 *
 *  1. Median consistency pass. Causality puts every honest sample within
 *     δ/2 of the truth, so samples far from the median (detrended with the
 *     last slope, widened by that slope's uncertainty) contradict the
 *     majority: a forged or broken answer among the first few, before the
 *     estimator's gate can judge. Robust to anything short of a majority.
 *  2. Min-RTT filtering: drop round trips above `rttGateFactor`·δmin +
 *     `rttGateSlackMs`, then keep the `keepPerWindow` smallest of each
 *     `windowMs` window, so queued exchanges neither dominate nor crowd out
 *     the lucky ones, and every stretch of time gets its say for the skew.
 *  3. Weighted least squares (linear-fit.ts), sample std
 *     floor + (δ − δmin)/(2√3): for exponential queueing, given the excess
 *     δ − δbase, the forward share is uniform, so the error (q→ − q←)/2 is
 *     uniform over ±(δ − δbase)/2 (RFC 5905 §8 gives the ±δ/2 bound).
 *
 * Why least squares rather than Theil–Sen or a convex hull: after min-RTT
 * filtering the residual errors are small, bounded and roughly symmetric,
 * where least squares is efficient; it gives a covariance, hence an honest
 * uncertainty for the UI; it is O(n). Theil–Sen is O(n²) and has no error
 * bar; a convex hull of the per-direction delay bounds is very precise but
 * hinges on single extreme samples, so one forged or quantised stamp moves
 * it. Robustness comes from the gates and the median pass instead.
 */
import { fitLine, type FitPoint, type LineFit } from './linear-fit.ts'

/** A sample as stored: x = listener time of the exchange's midpoint, y = measured offset, both ms. */
export interface Point {
  x: number
  y: number
  rtt: number
}

/** Gaussian prior on the skew (dimensionless: ms per ms). */
export interface SkewPrior {
  mean: number
  std: number
}

export interface FitOptions {
  windowMs: number
  keepPerWindow: number
  /** Per-sample error floor (timestamp resolution: 0.1 ms in browsers without cross-origin isolation). */
  noiseFloorMs: number
  rttGateFactor: number
  rttGateSlackMs: number
  consistencySlackMs: number
}

export interface RobustFit<P extends Point> {
  fit: LineFit
  used: P[]
  /** Agree with the majority and have a usable round trip. */
  consistent: P[]
  rttMin: number
  /** Bound on the bias queueing could still carry if it leans one way (ms). */
  queueBoundMs: number
}

/**
 * Median consistency pass → min-RTT per window → WLS, over points sorted by
 * x. `previous` supplies the slope used to detrend for the median pass
 * (null: the prior), its uncertainty widening the tolerance with distance.
 */
export function robustFit<P extends Point>(
  points: readonly P[],
  o: FitOptions,
  previous: LineFit | null,
  prior: SkewPrior,
): RobustFit<P> | null {
  if (points.length === 0) return null
  const slope = previous ? previous.b : prior.mean
  const slopeStd = previous ? Math.sqrt(previous.varB) : prior.std
  const x0 = points[0]!.x
  const detrended = points.map((p) => p.y - slope * (p.x - x0))
  const m = median(detrended)
  const xm = median(points.map((p) => p.x))
  const rttMed = median(points.map((p) => p.rtt))
  const inliers = new Set<P>()
  points.forEach((p, i) => {
    // Causality bounds each sample within δ/2 of the truth, the median within
    // about the median δ/2; an unknown slope error spreads points linearly.
    const tol = p.rtt / 2 + rttMed / 2 + 2 * slopeStd * Math.abs(p.x - xm) + o.consistencySlackMs
    if (Math.abs(detrended[i]! - m) <= tol) inliers.add(p)
  })
  if (inliers.size === 0) return null
  let rttMin = Infinity
  for (const p of inliers) rttMin = Math.min(rttMin, p.rtt)
  const gate = o.rttGateFactor * rttMin + o.rttGateSlackMs
  const consistent = points.filter((p) => inliers.has(p) && p.rtt <= gate)
  const used = minRttPerWindow(consistent, x0, o.windowMs, o.keepPerWindow)
  // The smallest round trip still exceeds the path's bare delay by an
  // unknown amount; the gap to the second smallest is a fair guess of it
  // (the lowest order statistics are spaced alike). It matters after a burst
  // of a few exchanges and fades as the history fills.
  const rtts = used.map((p) => p.rtt).sort((a, b) => a - b)
  // A lone exchange gives no such hint: its whole round trip may be queueing.
  const floorGap = (rtts.length > 1 ? rtts[1]! - rtts[0]! : rtts[0]!) / (2 * Math.sqrt(3))
  // Never zero: a zero sigma would be an infinite weight.
  const floor = Math.max(Math.hypot(o.noiseFloorMs, floorGap), 1e-6)
  const fitPoints: FitPoint[] = used.map((p) => ({
    x: p.x,
    y: p.y,
    sigma: floor + (p.rtt - rttMin) / (2 * Math.sqrt(3)),
  }))
  const fit = fitLine(fitPoints, prior.mean, prior.std)
  if (!fit) return null
  // Least squares assumes the queueing errors average out. If congestion
  // leans one way, they all share a sign instead: each exchange is off by at
  // most (δ − δmin)/2, so their weighted mean bounds that bias.
  let sw = 0
  let swq = 0
  used.forEach((p, i) => {
    const w = 1 / fitPoints[i]!.sigma ** 2
    sw += w
    swq += (w * (p.rtt - rttMin)) / 2
  })
  return { fit, used, consistent, rttMin, queueBoundMs: swq / sw }
}

/** The `keep` smallest round trips of each window, in time order. */
function minRttPerWindow<P extends Point>(points: readonly P[], x0: number, windowMs: number, keep: number): P[] {
  const out: P[] = []
  let group: P[] = []
  let key: number | null = null
  const flush = () => {
    group.sort((a, b) => a.rtt - b.rtt)
    out.push(...group.slice(0, keep).sort((a, b) => a.x - b.x))
    group = []
  }
  for (const p of points) {
    const k = Math.floor((p.x - x0) / windowMs)
    if (k !== key) {
      flush()
      key = k
    }
    group.push(p)
  }
  flush()
  return out
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[(s.length - 1) >> 1]!
}
