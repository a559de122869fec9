/**
 * A temporary library for sync tests: ramp-a/ramp-b (gapless pair) and a
 * long 24-bit 96 kHz ramp whose samples never repeat (for 174 s), so any
 * stretch of one page's output can be found exactly in another's.
 */
import { copyFileSync, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { verbatimFlac } from './flac-writer.ts'
import { fixtureUrl } from './fixtures.ts'
import { buildWav } from './library.ts'

export const LONG_RAMP = 'long-ramp-24-96k'
export const LONG_RAMP_SECONDS = 20

/** `nextSeconds`: the length of the track after the long ramp (what Next plays). */
export async function makeSyncLibrary(seconds = LONG_RAMP_SECONDS, nextSeconds = 10): Promise<{ dir: string; dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'aula-sync-lib-'))
  for (const name of ['ramp-a.flac', 'ramp-b.flac'] as const) copyFileSync(fixtureUrl(name), join(dir, name))
  await writeRamp(join(dir, `${LONG_RAMP}.flac`), seconds, 0)
  // The same ramp further on, at the same rate: "Next" without reopening the output.
  await writeRamp(join(dir, `${LONG_RAMP}-b.flac`), nextSeconds, seconds * 96000)
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * `count` more tracks in `dir`, each a distinct tenth of a second of 16-bit
 * 44.1 kHz WAV: a library the size of a person's, for what its length costs
 * the pages (bench/sync --library=N).
 */
export function padLibrary(dir: string, count: number): void {
  // Each seed gives other samples, so every file hashes to a track id of its own.
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `zz-filler-${String(i).padStart(4, '0')}.wav`), buildWav({ rate: 44100, bits: 16, channels: 2, frames: 4410, seed: i }))
}

/**
 * A 96 kHz ramp of `seconds`, then one at 192 kHz that the queue plays on
 * to: the output is reopened at the new rate between them, mid-room.
 */
export async function makeRateChangeLibrary(seconds = 3): Promise<{ dir: string; dispose(): void; first: string; second: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'aula-rate-lib-'))
  const [first, second] = ['a-ramp-24-96k', 'b-ramp-24-192k']
  await writeRamp(join(dir, `${first}.flac`), seconds, 0)
  await writeRamp(join(dir, `${second}.flac`), 10, 0, 192000)
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }), first, second }
}

async function writeRamp(path: string, seconds: number, offset: number, rate = 96000): Promise<void> {
  const h = 2 ** 23
  const out = createWriteStream(path)
  for (const piece of verbatimFlac({
    sampleRate: rate,
    channels: 2,
    bits: 24,
    blockSize: 4096,
    totalFrames: seconds * rate,
    // Step 4097 walks all 2^24 values before repeating (174 s at 96 kHz).
    sample: (frame, ch) => {
      const x = ((offset + frame) * 4097) % 2 ** 24
      return ch === 0 ? x - h : h - 1 - x
    },
  })) {
    if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()))
  }
  await new Promise<void>((resolve) => {
    out.end(() => resolve())
  })
}

/** A library of `names.length` 16-bit 44.1 kHz tracks of `seconds` each, titled by their file names. */
export async function makeLongLibrary(names: string[], seconds: number): Promise<{ dir: string; dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'aula-long-lib-'))
  const rate = 44100
  for (const [k, name] of names.entries()) {
    const out = createWriteStream(join(dir, `${name}.flac`))
    for (const piece of verbatimFlac({
      sampleRate: rate,
      channels: 2,
      bits: 16,
      blockSize: 4096,
      totalFrames: seconds * rate,
      // A quiet tone per track, so a person listening could tell them apart.
      sample: (frame) => Math.round(3000 * Math.sin((2 * Math.PI * (220 * (k + 2)) * frame) / rate)),
    })) {
      if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()))
    }
    await new Promise<void>((resolve) => {
      out.end(() => resolve())
    })
  }
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) }
}
