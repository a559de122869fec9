/**
 * Records what reaches the output: an AudioWorklet inserted after the
 * player's graph (between its unity master gain and the destination) copies
 * every rendered frame, silence included, so gaps and overlaps show.
 */
import type { BrowserContext, Page } from 'playwright-core'
import { endsInStep, median, READINGS_KEPT, STEP_READINGS } from '../../client/src/lib/sync/output-clock.ts'

const PROCESSOR = `
class AulaCapture extends AudioWorkletProcessor {
  constructor() {
    super()
    this.size = 16384
    this.fresh()
  }
  fresh() {
    this.L = new Float32Array(this.size)
    this.R = new Float32Array(this.size)
    // The context frame of every render quantum: captures are placed by
    // these, never by counting samples, so a skipped quantum shows.
    this.F = new Float64Array(this.size / 128)
    this.i = 0
  }
  process(inputs, outputs) {
    const inp = inputs[0]
    const out = outputs[0]
    const n = out[0].length
    for (let ch = 0; ch < out.length; ch++) if (inp[ch]) out[ch].set(inp[ch])
    // An input with no active sources has no channels: that is silence.
    const l = inp[0], r = inp[1] || inp[0]
    this.F[this.i / 128] = currentFrame
    for (let k = 0; k < n; k++) {
      this.L[this.i] = l ? l[k] : 0
      this.R[this.i] = r ? r[k] : 0
      this.i++
    }
    if (this.i === this.size) {
      this.port.postMessage([this.L, this.R, this.F], [this.L.buffer, this.R.buffer, this.F.buffer])
      this.fresh()
    }
    return true
  }
}
registerProcessor('aula-capture', AulaCapture)
`

/**
 * Arms every page opened afterwards in `context`: the app picks up
 * `window.aulaTestOutputTap` when it creates its player, so the tap is in
 * place before the first output opens, whenever that happens.
 */
export async function installCapture(target: Page | BrowserContext): Promise<void> {
  await target.addInitScript((code) => {
    type Out = { ctx: AudioContext; master: GainNode }
    type Rec = { L: Float32Array[]; R: Float32Array[]; F: Float64Array[]; rate: number; ctx: AudioContext; stamps: number[] }
    const w = window as unknown as { aulaCapture: Rec[]; aulaTestOutputTap: (o: Out) => Promise<void> }
    w.aulaCapture = []
    w.aulaTestOutputTap = async (out) => {
      const url = URL.createObjectURL(new Blob([code], { type: 'application/javascript' }))
      await out.ctx.audioWorklet.addModule(url)
      const tap = new AudioWorkletNode(out.ctx, 'aula-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [2],
        channelCount: 2,
        channelCountMode: 'explicit',
      })
      const rec: Rec = { L: [], R: [], F: [], rate: out.ctx.sampleRate, ctx: out.ctx, stamps: [] }
      w.aulaCapture.push(rec)
      // The output mapping can jump (an audio glitch on a busy machine), so
      // it is recorded all along, as (context time, performance time) pairs.
      const stamper = setInterval(() => {
        if (out.ctx.state === 'closed') return clearInterval(stamper)
        const ts = out.ctx.getOutputTimestamp()
        if (ts.contextTime && ts.performanceTime) rec.stamps.push(ts.contextTime, ts.performanceTime)
      }, 20)
      tap.port.onmessage = (e: MessageEvent<[Float32Array, Float32Array, Float64Array]>) => {
        rec.L.push(e.data[0])
        rec.R.push(e.data[1])
        rec.F.push(e.data[2])
      }
      out.master.disconnect()
      out.master.connect(tap)
      tap.connect(out.ctx.destination)
    }
  }, PROCESSOR)
}

export interface Capture {
  rate: number
  L: Float32Array
  R: Float32Array
  /** The context frame at which L[i] / R[i] was rendered. */
  frameAt(i: number): number
  /**
   * When a context frame reached the output, in ms on the machine's clock
   * (timeOrigin + performance time, from getOutputTimestamp readings taken
   * around that frame). Comparable across pages on one machine (room-stage.ts).
   */
  outputTimeOfFrame(frame: number): number
}

/** Every capture so far (one per output the player opened), copied into Node. */
export async function readCaptures(page: Page): Promise<Capture[]> {
  // A string, not a function: tsx would wrap named inner functions in a
  // helper (`__name`) that does not exist in the page.
  const encoded = (await page.evaluate(`(() => {
    const b64 = (parts) => {
      const total = parts.reduce((n, p) => n + p.length, 0)
      const all = new Float32Array(total)
      let o = 0
      for (const p of parts) { all.set(p, o); o += p.length }
      const bytes = new Uint8Array(all.buffer)
      let s = ''
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
      return btoa(s)
    }
    return window.aulaCapture.map((c) => ({ rate: c.rate, L: b64(c.L), R: b64(c.R), F: c.F.flatMap((f) => Array.from(f)) }))
  })()`)) as { rate: number; L: string; R: string; F: number[] }[]
  const stamps = (await page.evaluate(`window.aulaCapture.map((c) => c.stamps)`)) as number[][]
  const timeOrigin = (await page.evaluate('performance.timeOrigin')) as number
  const decode = (s: string) => {
    const buf = Buffer.from(s, 'base64')
    return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)
  }
  return encoded.map((c, i) => {
    const pairs = stamps[i]!
    const readings: { frame: number; offset: number }[] = []
    for (let k = 0; k + 1 < pairs.length; k += 2) readings.push({ frame: pairs[k]! * c.rate, offset: pairs[k]! - pairs[k + 1]! / 1000 })
    const segment = mappingSegments(readings.map((r) => r.offset))
    return {
      rate: c.rate,
      L: decode(c.L),
      R: decode(c.R),
      frameAt: (i: number) => c.F[Math.floor(i / 128)]! + (i % 128),
      outputTimeOfFrame(frame: number) {
        // The median mapping among readings taken within 1.5 s of that frame,
        // on the same side of any glitch as the reading nearest to it.
        let nearest = -1
        for (const [k, r] of readings.entries()) if (nearest < 0 || Math.abs(r.frame - frame) < Math.abs(readings[nearest]!.frame - frame)) nearest = k
        const near = readings.filter((r, k) => segment[k] === segment[nearest] && Math.abs(r.frame - frame) <= c.rate * 1.5).map((r) => r.offset)
        const offset = near.length > 0 ? median(near) : NaN
        return timeOrigin + (frame / c.rate - offset) * 1000
      },
    }
  })
}

/**
 * Which stretch of a capture's mapping each reading belongs to: an audio
 * glitch moves the mapping for good (a device buffer, 10-21 ms), and a
 * median over readings from both sides of it measured a page up to that far
 * from where it played. A new stretch starts where the page's own output
 * clock would start its window over (output-clock.ts endsInStep, over as many
 * readings as it keeps); a lone bad reading (up to 6 ms off on a busy
 * machine) does not start one.
 */
export function mappingSegments(offsets: readonly number[]): number[] {
  const ids: number[] = []
  let id = 0
  let start = 0
  for (let k = 0; k < offsets.length; k++) {
    ids.push(id)
    if (!endsInStep(offsets.slice(Math.max(start, k + 1 - READINGS_KEPT), k + 1))) continue
    id++
    start = k + 1 - STEP_READINGS
    ids.fill(id, start)
  }
  return ids
}

/**
 * Where a stretch of `b` (from index `from`, `len` samples) appears in `a`:
 * exact sample equality, as both pages play the same bit-perfect audio.
 */
export function findInCapture(a: Float32Array, b: Float32Array, from: number, len = 512): number {
  const first = b[from]
  for (let i = a.indexOf(first!); i >= 0; i = a.indexOf(first!, i + 1)) {
    let k = 0
    while (k < len && a[i + k] === b[from + k]) k++
    if (k === len) return i
  }
  return -1
}

/** Index of the first non-zero sample, or -1. */
export function firstSound(samples: Float32Array): number {
  return samples.findIndex((x) => x !== 0)
}

/** The longest run of silent samples after the first sound: its length and where it starts. */
export function longestSilence(samples: Float32Array): { frames: number; at: number } {
  let longest = { frames: 0, at: -1 }
  let run = 0
  for (let i = firstSound(samples); i >= 0 && i < samples.length; i++) {
    run = samples[i] === 0 ? run + 1 : 0
    if (run > longest.frames) longest = { frames: run, at: i - run + 1 }
  }
  return longest
}

/**
 * Output-time differences (ms) between `other` and `ref` at up to `points`
 * places of what both heard, from the end of `other`'s capture backwards
 * (a joiner converges first).
 */
export function outputOffsetsMs(ref: Capture, other: Capture, points = 8): number[] {
  const out: number[] = []
  const first = firstSound(other.L)
  for (let at = other.L.length - 8192; at > first && out.length < points; at -= 9_973) {
    const offset = offsetAt(ref, other, at)
    if (offset !== null) out.push(offset)
  }
  return out
}

/** How much later `other`'s sample `at` reached its output than the same samples reached `ref`'s (ms); null where `ref` never played them. */
export function offsetAt(ref: Capture, other: Capture, at: number): number | null {
  const inRef = findInCapture(ref.L, other.L, at)
  return inRef < 0 ? null : other.outputTimeOfFrame(other.frameAt(at)) - ref.outputTimeOfFrame(ref.frameAt(inRef))
}
