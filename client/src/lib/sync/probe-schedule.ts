/**
 * When a listener sends the next clock probe to the curator.
 *
 * A burst when a link opens: min-RTT filtering needs several exchanges to
 * find one that met no queue, and a join must be audible within a second,
 * so the first 12 go 8 ms apart. Where the page has a clock worker they are
 * timed there (ClockPath.burst): timed on a joiner's main thread, busy
 * mounting its room page, they went out late and 50 ms apart, and its first
 * good estimate came 30-130 ms after the link opened (10-50 ms from the
 * worker). Then 4 per second while the estimate converges (the skew needs
 * a time span, and more points per min-RTT window), 1 per second once
 * locked (enough to follow oscillator wander; ~100 bytes each way), and 2
 * per second while lost, so a recovering path is noticed quickly without
 * flooding a channel that may be congested.
 */
import type { SyncState } from './clock-sync.ts'

export interface ProbeSchedule {
  burstCount: number
  burstSpacingMs: number
  convergingIntervalMs: number
  lockedIntervalMs: number
  lostIntervalMs: number
}

export const DEFAULT_PROBE_SCHEDULE: Readonly<ProbeSchedule> = {
  burstCount: 12,
  burstSpacingMs: 8,
  convergingIntervalMs: 250,
  lockedIntervalMs: 1000,
  lostIntervalMs: 500,
}

export interface BurstSchedule extends ProbeSchedule {
  /**
   * Milliseconds to wait before the next probe, given how many probes were
   * sent since join (or since the caller restarted the burst) and the
   * estimator's current state (null: no estimate yet).
   */
  delayMs(sent: number, state: SyncState | null): number
}

export function burstSchedule(overrides: Partial<ProbeSchedule> = {}): BurstSchedule {
  const s: ProbeSchedule = { ...DEFAULT_PROBE_SCHEDULE, ...overrides }
  return {
    ...s,
    delayMs(sent, state) {
      if (sent < s.burstCount) return sent === 0 ? 0 : s.burstSpacingMs
      switch (state) {
        case 'locked':
          return s.lockedIntervalMs
        case 'lost':
          return s.lostIntervalMs
        case 'converging':
        case null:
          return s.convergingIntervalMs
      }
    },
  }
}
