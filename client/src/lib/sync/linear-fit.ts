/**
 * Weighted least squares for a line y = a + b·(x − xRef), with a Gaussian
 * prior on the slope. Pure numbers; the clock estimator feeds it offsets
 * (y, ms) against listener time (x, ms), so b is the clock skew.
 *
 * Why a prior on the slope: a join burst spans a few hundred ms, over which
 * 1 ms of jitter means thousands of ppm of apparent skew. Real oscillators
 * differ by at most a few hundred ppm, so the slope starts at `slopePrior`
 * with std `slopePriorStd` and the data take over as their time span grows
 * (ridge regression / Bayesian linear regression). No cliff, no "wait 10 s
 * before estimating skew" switch.
 *
 * xRef is the weighted centroid of x: there the intercept and slope
 * estimates are uncorrelated, so the variance of a prediction is simply
 * var(a) + (x − xRef)²·var(b).
 */
export interface FitPoint {
  x: number
  y: number
  /** Standard deviation of y (ms); the weight is 1/sigma². */
  sigma: number
}

export interface LineFit {
  a: number
  b: number
  xRef: number
  varA: number
  varB: number
  /** Points that took part. */
  n: number
  /** Reduced χ² of the first pass; > 1 means the sigmas were optimistic and the variances were scaled up. */
  chi2PerDof: number
}

export function fitLine(points: readonly FitPoint[], slopePrior: number, slopePriorStd: number): LineFit | null {
  if (points.length === 0) return null
  const lambda = 1 / (slopePriorStd * slopePriorStd)
  const first = solve(points, 1, lambda, slopePrior)
  if (!first) return null
  // Birge ratio: if the scatter is larger than the sigmas claim, trust the
  // scatter (dof = n − 1: the prior pins the slope, it is not a free parameter
  // for small n). Never scale below 1, so the claimed noise is a floor.
  let chi2 = 0
  for (const p of points) chi2 += ((p.y - first.a - first.b * (p.x - first.xRef)) / p.sigma) ** 2
  const dof = points.length - 1
  const ratio = dof > 0 ? chi2 / dof : 1
  const scale = Math.max(1, ratio)
  const fit = scale === 1 ? first : solve(points, scale, lambda, slopePrior)
  return fit ? { ...fit, chi2PerDof: ratio } : null
}

function solve(points: readonly FitPoint[], scale: number, lambda: number, slopePrior: number): Omit<LineFit, 'chi2PerDof'> | null {
  // Work relative to the first x so sums of large timestamps keep their digits.
  const x0 = points[0]!.x
  let sw = 0
  let swx = 0
  let swy = 0
  for (const p of points) {
    const w = 1 / (p.sigma * p.sigma * scale)
    sw += w
    swx += w * (p.x - x0)
    swy += w * p.y
  }
  if (!(sw > 0) || !Number.isFinite(sw)) return null
  const cx = swx / sw
  const a = swy / sw
  let sxx = 0
  let sxy = 0
  for (const p of points) {
    const w = 1 / (p.sigma * p.sigma * scale)
    const dx = p.x - x0 - cx
    sxx += w * dx * dx
    sxy += w * dx * (p.y - a)
  }
  // Normal equations with the prior term: (Sxx + λ)·b = Sxy + λ·b0.
  const b = (sxy + lambda * slopePrior) / (sxx + lambda)
  const out = { a, b, xRef: x0 + cx, varA: 1 / sw, varB: 1 / (sxx + lambda), n: points.length }
  return Number.isFinite(a) && Number.isFinite(b) ? out : null
}

export function predict(fit: LineFit, x: number): number {
  return fit.a + fit.b * (x - fit.xRef)
}

export function predictStd(fit: LineFit, x: number): number {
  return Math.hypot(Math.sqrt(fit.varA), (x - fit.xRef) * Math.sqrt(fit.varB))
}
