/**
 * Frame-exact times for Web Audio. Chromium computes a source's start frame
 * as `when * sampleRate` in double precision and, when that is not an
 * integer, interpolates the whole buffer (the spec's sub-sample scheduling).
 * Even a miss of 1e-12 frame shows: a sample that should be exactly 0 comes
 * out as ±2e-16. `frame / rate` multiplies back exactly for most frames but
 * not all (about one in eight at 44.1 kHz), so a node meant to start on such
 * a frame starts a few frames early on one that does, padded with zeros,
 * which add exactly to whatever plays there.
 */
export function exactWhen(frame: number, sampleRate: number): number {
  if (!Number.isInteger(frame)) throw new RangeError(`frame ${frame} is not an integer`)
  return frame / sampleRate
}

/** Whether `exactWhen(frame)` multiplies back to exactly `frame`. */
export function isExactFrame(frame: number, sampleRate: number): boolean {
  return (frame / sampleRate) * sampleRate === frame
}

/** The fewest frames to start earlier so the start is exact (0 when it already is). */
export function exactLead(frame: number, sampleRate: number, max = 4096): number {
  for (let k = 0; k <= max; k++) if (isExactFrame(frame - k, sampleRate)) return k
  throw new RangeError(`no exact frame within ${max} before ${frame} at ${sampleRate} Hz`)
}

/**
 * A node must start at least this far after the frame `currentTime` reads:
 * Chromium renders a device callback's quanta in a burst, and `currentTime`
 * moves by whole callbacks, so a start this close still lands on its frame.
 */
export const START_GUARD_FRAMES = 256

/** The first whole frame at or after a context time. */
export function frameAtOrAfter(timeSec: number, sampleRate: number): number {
  return Math.ceil(timeSec * sampleRate - 1e-6)
}
