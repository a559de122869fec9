/**
 * `npm run bench:decode`: FLAC decode speed in Node as × real time, for
 * 16/44.1, 24/96 and 24/192. Prints figures, never pass/fail.
 *
 * Input is 60 s of music-like sound made here with sox (a chord with pink
 * noise, tremolo and reverb, so the encoder must use LPC and residuals stay
 * large, like real recordings; a ramp would compress to almost nothing and
 * flatter the decoder), encoded with `flac --best`. It is fed in 64 KiB
 * slices as a network would deliver it, through the full path: framing,
 * libFLAC in wasm, exact rescaling, STREAMINFO MD5 and file SHA-256.
 * The same figure in a Chromium Web Worker comes from bench/playback.ts.
 * The generator lives in bench/support/flac-gen.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamDecoder } from '../workers/decoder/index.ts'
import { musicLikeFlac, requireAudioTools } from './support/flac-gen.ts'

const SECONDS = 60
const SLICE = 64 * 1024
const RUNS = 3
const CONFIGS = [
  { rate: 44100, bits: 16 },
  { rate: 96000, bits: 24 },
  { rate: 192000, bits: 24 },
] as const

interface Run {
  ms: number
  frames: number
  md5: string
  /** Largest PCM chunk one 64 KiB push produced, as float32 bytes. */
  peakChunkBytes: number
}

async function decodeOnce(bytes: Uint8Array): Promise<Run> {
  const d = await StreamDecoder.create('flac')
  let peakChunkBytes = 0
  const t0 = performance.now()
  for (let at = 0; at < bytes.length; at += SLICE) {
    for (const c of d.push(bytes.subarray(at, at + SLICE))) peakChunkBytes = Math.max(peakChunkBytes, c.frames * c.channels.length * 4)
  }
  const end = d.end()
  const ms = performance.now() - t0
  d.destroy()
  return { ms, frames: end.frames, md5: end.md5, peakChunkBytes }
}

requireAudioTools('bench/decode')

const dir = mkdtempSync(join(tmpdir(), 'aula-bench-decode-'))
try {
  for (const { rate, bits } of CONFIGS) {
    const bytes = musicLikeFlac(dir, rate, bits, SECONDS)
    await decodeOnce(bytes) // warm-up: wasm compile, JIT
    const runs: Run[] = []
    for (let i = 0; i < RUNS; i++) runs.push(await decodeOnce(bytes))
    runs.sort((a, b) => a.ms - b.ms)
    const median = runs[Math.floor(RUNS / 2)]!
    const seconds = median.frames / rate
    const label = `${bits}/${rate / 1000}`
    console.log(
      `decode node flac ${label}: ${Math.round((seconds * 1000) / median.ms)}x real time (${seconds.toFixed(1)} s in ${Math.round(median.ms)} ms, ` +
        `median of ${RUNS}; ${(bytes.length / 2 ** 20).toFixed(1)} MiB file, MD5 ${median.md5})`,
    )
    console.log(
      `decode node flac ${label}: largest PCM chunk per 64 KiB push ${(median.peakChunkBytes / 2 ** 10).toFixed(0)} KiB ` +
        `(${((median.peakChunkBytes / 8 / rate) * 1000).toFixed(0)} ms of stereo float32)`,
    )
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
