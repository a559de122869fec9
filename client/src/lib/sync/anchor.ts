/**
 * Curator anchors: "track T was at frame P (playing or paused) at curator
 * time A". Pure mapping between curator time and track frames; the clock
 * estimator maps curator time to the listener's clock.
 *
 * Frame k of a playing anchor sounds during [t_k, t_{k+1}) with
 *   t_k = A + (k − P)·1000/sampleRate   (ms on the curator's clock).
 * Integer rules, all explicit:
 *  - frameAt: the frame sounding at t, i.e. floor;
 *  - nextFrameAt: the first frame starting at or after t, i.e. ceil (what a
 *    scheduler starts on, so `when` falls on a frame boundary);
 *  - curatorTimeOfFrame: t_k itself (a float; exact up to rounding of ms).
 * Floating point: curator clocks are epoch-sized (performance.timeOrigin +
 * now() ≈ 1.7e12 ms), where a double resolves 0.24 µs, i.e. 0.05 frame at
 * 192 kHz. t_k is therefore rounded, and can land a hair before the boundary
 * it names; floor and ceil look through a nudge of the double's own relative
 * precision at that magnitude (|t|·2⁻⁵², ≥ half its ulp) plus 1e-6 frame for
 * the arithmetic. So frameAt(curatorTimeOfFrame(k)) === k for any track
 * length, while any instant a microsecond before the boundary (timestamps
 * are never finer than 5 µs in a browser) still maps to the previous frame.
 * Before A a playing anchor has not started: the frames come out below P
 * (possibly negative) and the caller waits for curatorTimeOfFrame(P).
 */
export interface Anchor {
  seq: number
  trackId: string
  state: 'playing' | 'paused'
  /** Integer frame index within the track. */
  positionFrames: number
  /** Curator clock (ms) at which positionFrames sounds (or sat, paused). */
  atCuratorTime: number
}

const EPS_FRAMES = 1e-6

function elapsedFrames(anchor: Anchor, curatorMs: number, sampleRate: number): number {
  checkRate(sampleRate)
  return ((curatorMs - anchor.atCuratorTime) * sampleRate) / 1000
}

/** How far before a frame boundary an instant still counts as on it, in frames. */
function nudge(anchor: Anchor, curatorMs: number, sampleRate: number): number {
  const magnitude = Math.max(Math.abs(curatorMs), Math.abs(anchor.atCuratorTime))
  return EPS_FRAMES + (magnitude * Number.EPSILON * sampleRate) / 1000
}

/** The track frame sounding at curator time t (paused: the paused position). */
export function frameAt(anchor: Anchor, curatorMs: number, sampleRate: number): number {
  if (anchor.state === 'paused') return anchor.positionFrames
  return anchor.positionFrames + Math.floor(elapsedFrames(anchor, curatorMs, sampleRate) + nudge(anchor, curatorMs, sampleRate))
}

/** The first track frame that starts at or after curator time t (paused: the paused position). */
export function nextFrameAt(anchor: Anchor, curatorMs: number, sampleRate: number): number {
  if (anchor.state === 'paused') return anchor.positionFrames
  return anchor.positionFrames + Math.ceil(elapsedFrames(anchor, curatorMs, sampleRate) - nudge(anchor, curatorMs, sampleRate))
}

/** Curator time (ms) at which track frame k starts sounding; null when paused (it never does under this anchor). */
export function curatorTimeOfFrame(anchor: Anchor, frame: number, sampleRate: number): number | null {
  checkRate(sampleRate)
  if (anchor.state === 'paused') return null
  return anchor.atCuratorTime + ((frame - anchor.positionFrames) * 1000) / sampleRate
}

function checkRate(sampleRate: number): void {
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate)) throw new RangeError(`sample rate must be a positive number, got ${sampleRate}`)
}
