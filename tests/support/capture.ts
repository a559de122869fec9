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
    const w = window as unknown as { aulaCapture: { L: Float32Array[]; R: Float32Array[]; rate: number }[]; aulaDebug: { player: { onOutput?: (o: Out) => Promise<void> } } }
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
      const rec = { L: [] as Float32Array[], R: [] as Float32Array[], rate: out.ctx.sampleRate }
      w.aulaCapture.push(rec)
      tap.port.onmessage = (e: MessageEvent<[Float32Array, Float32Array]>) => {
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
    return window.aulaCapture.map((c) => ({ rate: c.rate, L: b64(c.L), R: b64(c.R) }))
  })()`)) as { rate: number; L: string; R: string }[]
  const decode = (s: string) => {
    const buf = Buffer.from(s, 'base64')
    return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)
  }
  return encoded.map((c) => ({ rate: c.rate, L: decode(c.L), R: decode(c.R) }))
}

/** Index of the first non-zero sample, or -1. */
export function firstSound(samples: Float32Array): number {
  return samples.findIndex((x) => x !== 0)
}
