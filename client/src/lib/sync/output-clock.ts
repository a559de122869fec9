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
 * 0.14 ms; with 75, six runs in six agreed within 1 ms. The cost: a real
 * jump of the device clock is followed ~1.5 s later instead of ~0.5 s.
 */
const KEEP = 75

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
    if (this.offsets.length > KEEP) this.offsets.shift()
  }

  get ready(): boolean {
    return this.offsets.length >= 3
  }

  /** Context seconds minus performance seconds, the median of recent readings. */
  offsetSec(): number | null {
    if (!this.ready) return null
    const sorted = [...this.offsets].sort((a, b) => a - b)
    return sorted[Math.floor(sorted.length / 2)]!
  }

  /** The context frame (fractional) that reaches the output at sync time `syncMs`. */
  frameAtSync(syncMs: number): number | null {
    const offset = this.offsetSec()
    return offset === null ? null : (perfOfSyncTime(syncMs) / 1000 + offset) * this.ctx.sampleRate
  }
}
