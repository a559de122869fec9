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
 * The browser's default, not 'playback': every start (a join, Play, Next, a
 * seek) sounds one output latency after its first node is handed over, and
 * 'playback' doubles that (headless Chromium: ~85 ms from context time to
 * output against ~40). All audio is scheduled seconds ahead as buffer
 * sources, so the render thread's work per quantum stays tiny either way.
 */
const LATENCY_HINT: AudioContextLatencyCategory = 'balanced'

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
 */
export function outputDeviceRate(): Promise<number> {
  deviceRate ??= (async () => {
    const probe = new AudioContext()
    const rate = probe.sampleRate
    await probe.close().catch(() => {})
    return rate
  })()
  return deviceRate
}
