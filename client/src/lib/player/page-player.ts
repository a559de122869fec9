/**
 * The page's one player. Degradations are reported to the server (counted in
 * sonantica_audio_quality_degradation_count). Exposed on `window.aulaDebug`
 * for browser tests and benchmarks.
 */
import { saveSettings, settings } from '../settings.svelte.ts'
import { signalClient } from '../signal-client.svelte.ts'
import { outputDeviceRate } from './audio-output.ts'
import type { BufferStrategy } from './buffer-budget.ts'
import { warmUpDecoder } from './decoder-client.ts'
import { Player } from './player.svelte.ts'

let player: Player | undefined
const REPORT_EVERY_MS = 2000

export function pagePlayer(): Player {
  if (!player) {
    const p = new Player()
    p.strategy = () => settings.bufferStrategy
    p.syncToleranceMs = () => settings.syncTolerance
    // One report per reason per few seconds: a page short of CPU can underrun many times a second.
    const lastSent = new Map<string, number>()
    p.onDegrade = (reason) => {
      const now = performance.now()
      if (now - (lastSent.get(reason) ?? -Infinity) < REPORT_EVERY_MS) return
      lastSent.set(reason, now)
      signalClient().send({ type: 'quality.report', reason })
    }
    // Browser tests tap the output (tests/support/capture.ts) before any sound.
    p.onOutput = (globalThis as { aulaTestOutputTap?: Player['onOutput'] }).aulaTestOutputTap
    ;(globalThis as { aulaDebug?: object }).aulaDebug = { player: p }
    player = p
    // What the first Play would otherwise wait for: the device rate and a warm decoder.
    void outputDeviceRate()
    void warmUpDecoder().catch((err: Error) => console.warn('[decoder] warm-up failed:', err.message))
  }
  return player
}

export function setStrategy(s: BufferStrategy): void {
  saveSettings({ ...settings, bufferStrategy: s })
}
