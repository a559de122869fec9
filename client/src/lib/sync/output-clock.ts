/**
 * Maps the page's sync clock to frames of an AudioContext's output, from
 * `getOutputTimestamp()`: the context time at the output device paired with
 * the performance time it was read. One reading on a busy machine can be off
 * by a millisecond, so readings are taken every tick and the median of the
 * recent ones is used; the mapping also follows the device clock's drift
 * against the system clock.
 */
import { perfOfSyncTime } from './sync-clock.ts'

/**
 * Readings kept: 3 s at the player's 40 ms tick. With 25 (1 s), on a busy
 * machine the median of one page's readings and that of another set taken
 * from the same context (the test harness's) disagreed by 1-3.6 ms in about
 * one run of three of the sync test, with the clock estimate right to
 * 0.14 ms; with 75, six runs in six agreed within 1 ms. A real jump of the
 * device clock, which the median alone followed ~1.5 s late, is taken up by
 * the step rule below.
 */
export const READINGS_KEPT = 75
/**
 * An audio glitch moves the mapping for good: the output falls a device
 * buffer behind (10 ms in a probe here, 21.3 ms in CI), and every reading
 * after it says so, where a busy page's bad reading stands alone (up to 6 ms
 * off, back the next tick: four pages under bursts of load, 2400 readings).
 * This many readings in a row agreeing within STEP_AGREE_SEC, all more than
 * STEP_MIN_SEC off the median, start the window over from them (endsInStep;
 * the test harness splits its captures by the same rule). Left to the
 * median, the page followed ~1.5 s later, playing that far off meanwhile
 * (CI measured one such buffer twice: handoff-choice, Ana 21.36 ms from Bo;
 * sync, Cy -21.36 ms after a resume).
 */
export const STEP_READINGS = 5
const STEP_AGREE_SEC = 0.0005
const STEP_MIN_SEC = 0.001

export class OutputClock {
  /** context seconds minus performance seconds, per reading */
  private readonly offsets: number[] = []

  constructor(private readonly ctx: AudioContext) {}

  sample(): void {
    const ts = this.ctx.getOutputTimestamp()
    const { contextTime, performanceTime } = ts
    // Before the device runs, both are 0: no information.
    if (!contextTime || !performanceTime) return
    this.offsets.push(contextTime - performanceTime / 1000)
    if (this.offsets.length > READINGS_KEPT) this.offsets.shift()
    if (endsInStep(this.offsets)) this.offsets.splice(0, this.offsets.length - STEP_READINGS)
  }

  get ready(): boolean {
    return this.offsets.length >= 3
  }

  /** Context seconds minus performance seconds, the median of recent readings. */
  offsetSec(): number | null {
    return this.ready ? median(this.offsets) : null
  }

  /** The context frame (fractional) that reaches the output at sync time `syncMs`. */
  frameAtSync(syncMs: number): number | null {
    const offset = this.offsetSec()
    return offset === null ? null : (perfOfSyncTime(syncMs) / 1000 + offset) * this.ctx.sampleRate
  }
}

/**
 * Whether the last STEP_READINGS of `offsets` (seconds, oldest first) agree
 * among themselves, away from the median of those before them: the mapping
 * stepped.
 */
export function endsInStep(offsets: readonly number[]): boolean {
  const n = offsets.length
  if (n <= STEP_READINGS) return false
  const recent = offsets.slice(n - STEP_READINGS)
  const lo = Math.min(...recent)
  const hi = Math.max(...recent)
  const before = median(offsets.slice(0, n - STEP_READINGS))
  return hi - lo <= STEP_AGREE_SEC && (lo - before > STEP_MIN_SEC || before - hi > STEP_MIN_SEC)
}

/** The upper middle of `xs` (not empty): the harness's capture mapping takes it the same way. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
