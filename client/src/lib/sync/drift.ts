/**
 * Drift correction by whole frames, never by resampling or playbackRate
 * (the samples reaching the output must be the file's samples).
 *
 * Where drift comes from. The player chains buffers back to back on the
 * AudioContext clock, i.e. the sound card's crystal; the anchor timeline
 * advances on the curator's clock. The listener's own system clock cancels
 * out: the estimator maps it onto the curator's, skew included. What is left
 * is the rate difference ρ between the listener's sound card and the curator's
 * timeline: ρ·sampleRate frames per second (200 ppm at 48 kHz: 9.6 frames/s,
 * 34 560 frames an hour), whatever the estimator does. No scheduling trick
 * absorbs it without resampling: those frames must be dropped or repeated.
 *
 * Design: the player computes the ideal frame with the skew-corrected mapping
 * (anchor.ts ∘ ClockEstimator.toCurator), so the error it hands in is that
 * physical drift plus a small, smooth estimation error, not the saw-tooth an
 * offset-only estimate would add (its stale offset drifting ρ·probe interval
 * between probes, then jumping). The corrector then spends the fewest
 * corrections that keep |error| within tolerance T:
 *  - it acts only when |error| > T, at `confirm` consecutive buffer
 *    boundaries (one noisy reading after a refit does not cost a glitch);
 *  - it then drops or repeats round(|error|) frames, back to zero error:
 *    trigger at T, release at 0, which is the hysteresis — the next
 *    correction needs a whole T of drift, and estimation noise well under T
 *    cannot make it flip between drop and repeat;
 *  - so a steady rate difference costs ρ·rate·duration / T corrections, each
 *    a jump of about T frames (1 ms at the default tolerance). Jumping edge
 *    to edge (−T to +T) would halve the count but double every jump; many
 *    1-frame nudges would make each jump tiny but the count ~T times higher.
 *  - a step is capped at `maxStepFrames` (default 10 ms) so an odd reading
 *    becomes several bounded steps; beyond `resyncFrames` (default 128 ms,
 *    NTP's step threshold, RFC 5905 §10) the error is no drift: the player
 *    should restart at the right frame instead of mangling audio.
 *
 * Sign convention: error = ideal frame − scheduled frame. Positive: the
 * listener is behind, drop (skip) frames. Negative: it is ahead, repeat.
 */
export type Correction =
  | { kind: 'none' }
  | { kind: 'drop' | 'repeat'; frames: number }
  | { kind: 'resync'; errorFrames: number }

export interface DriftOptions {
  sampleRate: number
  toleranceFrames: number
  maxStepFrames?: number
  resyncFrames?: number
  /** Consecutive boundaries beyond tolerance before acting. */
  confirm?: number
  /**
   * Settling: for the first `settleChecks` decisions after a start, the
   * tighter `settleFrames` applies, until one correction is made. A start is
   * placed on the clock estimate of its moment (a joiner's is young, from few
   * exchanges); left alone, what it missed by stays up to T, and T plus the
   * estimate's own error passes a millisecond. One early trim, at most,
   * instead. Off by default.
   */
  settleFrames?: number
  settleChecks?: number
}

/** The `syncTolerance` setting (ms) as whole frames, at least one. */
export function toleranceFrames(syncToleranceMs: number, sampleRate: number): number {
  return Math.max(1, Math.round((syncToleranceMs * sampleRate) / 1000))
}

export class DriftCorrector {
  readonly toleranceFrames: number
  readonly maxStepFrames: number
  readonly resyncFrames: number
  readonly confirm: number
  readonly settleFrames: number
  readonly settleChecks: number
  corrections = 0
  droppedFrames = 0
  repeatedFrames = 0
  resyncs = 0
  private streak = 0
  private streakSign = 0
  private checks = 0

  constructor(o: DriftOptions) {
    if (!(o.sampleRate > 0) || !(o.toleranceFrames >= 1)) throw new RangeError('sampleRate and toleranceFrames must be positive')
    this.toleranceFrames = o.toleranceFrames
    this.maxStepFrames = Math.max(1, Math.floor(o.maxStepFrames ?? Math.max(o.toleranceFrames, Math.ceil(o.sampleRate / 100))))
    this.resyncFrames = Math.max(this.maxStepFrames, o.resyncFrames ?? Math.round(o.sampleRate * 0.128))
    this.confirm = Math.max(1, Math.floor(o.confirm ?? 2))
    this.settleFrames = Math.max(1, Math.min(this.toleranceFrames, Math.floor(o.settleFrames ?? this.toleranceFrames)))
    this.settleChecks = Math.max(0, Math.floor(o.settleChecks ?? 0))
  }

  /**
   * Decide at a buffer boundary. A non-finite error (no estimate yet) never
   * acts. `uncertaintyFrames`: how far the error itself may be off (the clock
   * estimate's bound); an error inside it is not acted on, whatever the
   * tolerance, since the correction could as well be the mistake.
   */
  correction(errorFrames: number, uncertaintyFrames = 0): Correction {
    const settling = this.checks++ < this.settleChecks && this.corrections === 0
    const tolerance = Math.max(settling ? this.settleFrames : this.toleranceFrames, uncertaintyFrames)
    if (!Number.isFinite(errorFrames) || Math.abs(errorFrames) <= tolerance) {
      this.streak = 0
      return { kind: 'none' }
    }
    const sign = Math.sign(errorFrames)
    if (Math.abs(errorFrames) > this.resyncFrames) {
      this.streak = 0
      this.resyncs++
      return { kind: 'resync', errorFrames: Math.round(errorFrames) }
    }
    this.streak = sign === this.streakSign ? this.streak + 1 : 1
    this.streakSign = sign
    if (this.streak < this.confirm) return { kind: 'none' }
    this.streak = 0
    const frames = Math.min(Math.round(Math.abs(errorFrames)), this.maxStepFrames)
    this.corrections++
    if (sign > 0) {
      this.droppedFrames += frames
      return { kind: 'drop', frames }
    }
    this.repeatedFrames += frames
    return { kind: 'repeat', frames }
  }
}
