/**
 * Records what reaches the output: an AudioWorklet inserted after the
 * player's graph (between its unity master gain and the destination) copies
 * every rendered frame, silence included, so gaps and overlaps show.
 */
import type { Page } from 'playwright-core'

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
    this.i = 0
  }
  process(inputs, outputs) {
    if (this.first === undefined) {
      // The context frame of the first captured sample, to place captures in time.
      this.first = currentFrame
      this.port.postMessage({ start: currentFrame })
    }
    const inp = inputs[0]
    const out = outputs[0]
    const n = out[0].length
    for (let ch = 0; ch < out.length; ch++) if (inp[ch]) out[ch].set(inp[ch])
    // An input with no active sources has no channels: that is silence.
    const l = inp[0], r = inp[1] || inp[0]
    for (let k = 0; k < n; k++) {
      this.L[this.i] = l ? l[k] : 0
      this.R[this.i] = r ? r[k] : 0
      if (++this.i === this.size) {
        this.port.postMessage([this.L, this.R], [this.L.buffer, this.R.buffer])
        this.fresh()
      }
    }
    return true
  }
}
registerProcessor('aula-capture', AulaCapture)
`

/** Hooks the page's player so every output it opens is captured from its first frame. */
export async function installCapture(page: Page): Promise<void> {
  await page.evaluate((code) => {
    type Out = { ctx: AudioContext; master: GainNode }
    type Rec = { L: Float32Array[]; R: Float32Array[]; rate: number; start: number; ctx: AudioContext }
    const w = window as unknown as { aulaCapture: Rec[]; aulaDebug: { player: { onOutput?: (o: Out) => Promise<void> } } }
    w.aulaCapture = []
    w.aulaDebug.player.onOutput = async (out) => {
      const url = URL.createObjectURL(new Blob([code], { type: 'application/javascript' }))
      await out.ctx.audioWorklet.addModule(url)
      const tap = new AudioWorkletNode(out.ctx, 'aula-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [2],
        channelCount: 2,
        channelCountMode: 'explicit',
      })
      const rec: Rec = { L: [], R: [], rate: out.ctx.sampleRate, start: -1, ctx: out.ctx }
      w.aulaCapture.push(rec)
      tap.port.onmessage = (e: MessageEvent<[Float32Array, Float32Array] | { start: number }>) => {
        if (!Array.isArray(e.data)) {
          rec.start = e.data.start
          return
        }
        rec.L.push(e.data[0])
        rec.R.push(e.data[1])
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
  /** Context frame of L[0] / R[0]. */
  start: number
  /**
   * When a context frame reached the output, in ms on the machine's clock
   * (timeOrigin + performance time, from the median of getOutputTimestamp
   * readings). Comparable across pages of one renderer process.
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
    return window.aulaCapture.map((c) => ({ rate: c.rate, L: b64(c.L), R: b64(c.R), start: c.start, ctx: c.ctx }))
  })()`)) as { rate: number; L: string; R: string; start: number }[]
  const mappings = (await page.evaluate(`(async () => {
    const out = []
    for (const c of window.aulaCapture) {
      const offsets = []
      for (let i = 0; i < 15 && c.ctx.state === 'running'; i++) {
        const ts = c.ctx.getOutputTimestamp()
        if (ts.contextTime && ts.performanceTime) offsets.push(ts.contextTime - ts.performanceTime / 1000)
        await new Promise((r) => setTimeout(r, 20))
      }
      offsets.sort((a, b) => a - b)
      out.push({ timeOrigin: performance.timeOrigin, offset: offsets.length ? offsets[Math.floor(offsets.length / 2)] : NaN })
    }
    return out
  })()`)) as { timeOrigin: number; offset: number }[]
  const decode = (s: string) => {
    const buf = Buffer.from(s, 'base64')
    return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)
  }
  return encoded.map((c, i) => {
    const { timeOrigin, offset } = mappings[i]!
    return {
      rate: c.rate,
      L: decode(c.L),
      R: decode(c.R),
      start: c.start,
      outputTimeOfFrame: (frame: number) => timeOrigin + (frame / c.rate - offset) * 1000,
    }
  })
}

/** Index of the first non-zero sample, or -1. */
export function firstSound(samples: Float32Array): number {
  return samples.findIndex((x) => x !== 0)
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
