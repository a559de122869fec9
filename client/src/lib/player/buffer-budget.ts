/**
 * How much decoded PCM a listener holds. The brief's bound is 64 MB for any
 * track length; the buffer strategies from the plan are decode-ahead targets
 * in seconds, clamped so the worst case (8 channels at 192 kHz) stays inside.
 */
export type BufferStrategy = 'aggressive' | 'balanced' | 'minimal'

export const STRATEGY_SECONDS: Record<BufferStrategy, number> = { aggressive: 30, balanced: 10, minimal: 3 }
export const MAX_PCM_BYTES = 64 * 2 ** 20
/** Room for the chunk being decoded and the nodes already handed to Web Audio. */
const AHEAD_SHARE = 0.75
const BYTES_PER_SAMPLE = 4 // float32

export function decodeAheadFrames(strategy: BufferStrategy, sampleRate: number, channels: number): number {
  const wanted = STRATEGY_SECONDS[strategy] * sampleRate
  const cap = Math.floor((MAX_PCM_BYTES * AHEAD_SHARE) / (channels * BYTES_PER_SAMPLE))
  return Math.min(wanted, cap)
}

/** Bytes held right now and the most ever held, for the quality panel and the benchmark. */
export class PcmLedger {
  held = 0
  peak = 0

  add(bytes: number): void {
    this.held += bytes
    if (this.held > this.peak) this.peak = this.held
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes)
  }
}
