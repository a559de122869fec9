/**
 * libFLAC's wasm and the decoder's JavaScript (framing, MD5, SHA-256) run
 * slowly until V8 has tiered them up: the first slice of a track, 0.4 s of
 * 24/96, took 60-150 ms in a fresh worker against 10-40 ms for the next
 * ones, and a cold Play waits on that slice on every page. Decoding a few
 * frames of noise (warm-up.flac: 80 ms of 24/96 stereo pink noise, LPC
 * subframes, 22 KB) a few times at start-up pays it before anyone waits.
 */
import { StreamDecoder } from './stream-decoder.ts'

const ROUNDS = 3

/** Decodes `flac` ROUNDS times and drops the result; returns the frames of one round. */
export async function warmUp(flac: Uint8Array): Promise<number> {
  let frames = 0
  for (let i = 0; i < ROUNDS; i++) {
    const d = await StreamDecoder.create('flac')
    try {
      frames = d.push(flac.slice()).reduce((n, c) => n + c.frames, 0)
      frames += d.end().chunks.reduce((n, c) => n + c.frames, 0)
    } finally {
      d.destroy()
    }
  }
  return frames
}
