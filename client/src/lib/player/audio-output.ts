/**
 * The AudioContext, opened at the track's own rate so nothing in the graph
 * resamples. Volume stays at unity (a gain of exactly 1 multiplies exactly).
 */
import { OutputClock } from '../sync/output-clock.ts'

export interface AudioOutput {
  ctx: AudioContext
  master: GainNode
  /** Where the page's clock meets this context's output (for room sync). */
  clock: OutputClock
  /** Set when the browser would not open the context at the wanted rate. */
  refused: boolean
}

/**
 * 'playback', not the browser's default: every start sounds one output
 * latency after its first node is handed over, and 'playback' doubles it
 * (headless Chromium: ~85 ms from context time to output against ~40 with
 * 'balanced'), but its larger device buffers wake the audio thread half as
 * often and leave a busy machine more slack before the device glitches. With
 * 'balanced' (and a 120 ms lead), joins in a five-page room on this 2-core
 * machine were no faster (medians of 8 joins 1225 ms either way, ±200 ms
 * run to run). The room's lead covers the latency (room-playback's LEAD_MS).
 */
const LATENCY_HINT: AudioContextLatencyCategory = 'playback'

export function openOutput(sampleRate: number): AudioOutput {
  let ctx: AudioContext
  let refused = false
  try {
    ctx = new AudioContext({ sampleRate, latencyHint: LATENCY_HINT })
  } catch {
    ctx = new AudioContext({ latencyHint: LATENCY_HINT })
    refused = true
  }
  if (ctx.sampleRate !== sampleRate) refused = true
  const master = new GainNode(ctx, { gain: 1 })
  master.connect(ctx.destination)
  return { ctx, master, refused, clock: new OutputClock(ctx) }
}

let deviceRate: Promise<number> | undefined

/**
 * The rate the browser picks on its own is the output device's: a track above
 * it is resampled by the browser's mixer on the way out, whatever we do.
 *
 * A browser's first AudioContext blocks the page's main thread while the
 * audio service starts (Chromium: ~40 ms on an idle machine, 128 ms in a
 * joiner's mount on a busy one, holding back its link to the curator).
 * Listing the devices starts that service without blocking; the contexts
 * made after it open in 2-4 ms.
 */
export function outputDeviceRate(): Promise<number> {
  deviceRate ??= (async () => {
    // Absent outside secure contexts (a LAN address over http): the probe then pays the start-up.
    await navigator.mediaDevices?.enumerateDevices().catch(() => {})
    const probe = new AudioContext()
    const rate = probe.sampleRate
    await probe.close().catch(() => {})
    return rate
  })()
  return deviceRate
}
