/**
 * Frame-exact times for Web Audio. `start(when)` with `when * sampleRate`
 * off an integer frame makes Chromium interpolate the buffer (the spec's
 * sub-sample scheduling), altering every sample. So every `when` comes from
 * an integer frame. `frame / rate` does not always multiply back exactly, but
 * the miss is an ULP of the frame number: an interpolation weight around
 * 1e-12, far below what can change a float32 sample (tests/unit/player-math).
 */
export function exactWhen(frame: number, sampleRate: number): number {
  if (!Number.isInteger(frame)) throw new RangeError(`frame ${frame} is not an integer`)
  return frame / sampleRate
}

/** The first whole frame at or after a context time. */
export function frameAtOrAfter(timeSec: number, sampleRate: number): number {
  return Math.ceil(timeSec * sampleRate - 1e-6)
}
