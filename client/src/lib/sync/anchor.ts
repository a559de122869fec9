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
 * Floating point: (t_k − A)·rate/1000 can come out as k − P − 1e-12, so floor
 * and ceil look through a nudge of EPS_FRAMES (1e-6 frame, 21 ps at 48 kHz),
 * which makes frameAt(curatorTimeOfFrame(k)) === k for any track length.
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

/** The track frame sounding at curator time t (paused: the paused position). */
export function frameAt(anchor: Anchor, curatorMs: number, sampleRate: number): number {
  if (anchor.state === 'paused') return anchor.positionFrames
  return anchor.positionFrames + Math.floor(elapsedFrames(anchor, curatorMs, sampleRate) + EPS_FRAMES)
}

/** The first track frame that starts at or after curator time t (paused: the paused position). */
export function nextFrameAt(anchor: Anchor, curatorMs: number, sampleRate: number): number {
  if (anchor.state === 'paused') return anchor.positionFrames
  return anchor.positionFrames + Math.ceil(elapsedFrames(anchor, curatorMs, sampleRate) - EPS_FRAMES)
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
