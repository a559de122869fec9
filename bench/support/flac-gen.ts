/**
 * FLAC inputs for the benchmarks, made here with sox and flac so no audio
 * is checked in and every run sees the same bytes (`sox -R` seeds the noise).
 *
 * - musicLikeFlac: a chord with pink noise, tremolo and reverb, so the
 *   encoder must use LPC and residuals stay large, like real recordings (a
 *   ramp would compress to almost nothing and flatter the decoder); encoded
 *   with `flac --best`. For decode speed.
 * - longFlac: minutes of two tones over low-level pink noise with a slow
 *   tremolo: cheap to make at 192 kHz (no reverb) and still far from
 *   trivially compressible. For playback memory; optionally opening with
 *   digital silence, which FLAC shrinks to almost nothing.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

export function have(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Exits with a clear message when sox or flac is missing. */
export function requireAudioTools(bench: string): void {
  const missing = ['sox', 'flac'].filter((t) => !have(t))
  if (missing.length > 0) {
    console.error(`${bench} needs the ${missing.join(' and ')} tool${missing.length > 1 ? 's' : ''} (Debian: apt install sox flac)`)
    process.exit(1)
  }
}

function encode(raw: string, flac: string, rate: number, bits: number, level: string): void {
  execFileSync('flac', ['--silent', '--force', level, '--force-raw-format', '--endian=little', '--sign=signed', '--channels=2',
    `--bps=${bits}`, `--sample-rate=${rate}`, '-o', flac, raw])
  rmSync(raw)
}

/** `seconds` of music-like stereo at `rate`/`bits`, as `<dir>/<rate>.flac`; returns its path. */
export function musicLikeFlacFile(dir: string, rate: number, bits: number, seconds = 60): string {
  const raw = join(dir, `${rate}-${bits}.raw`)
  const flac = join(dir, `${rate}-${bits}.flac`)
  execFileSync('sox', ['-R', '-r', `${rate}`, '-c', '4', '-n', '-t', 'raw', '-e', 'signed-integer', '-L', '-b', `${bits}`, '-c', '2', raw,
    'synth', `${seconds}`, 'sine', '220', 'sine', '277.18', 'sine', '329.63', 'pinknoise',
    'remix', '1v0.5,2v0.3,4v0.05', '2v0.3,3v0.5,4v0.05', 'tremolo', '0.4', '20', 'reverb', '40', 'gain', '-n', '-3'])
  encode(raw, flac, rate, bits, '--best')
  return flac
}

/** The same, read into memory. */
export function musicLikeFlac(dir: string, rate: number, bits: number, seconds = 60): Uint8Array {
  return new Uint8Array(readFileSync(musicLikeFlacFile(dir, rate, bits, seconds)))
}

/**
 * A long stereo track as `<dir>/<name>.flac` (the library takes its title from
 * the name); returns its path. `leadingSilenceSec` opens it with that much
 * digital silence (exact zeros, no dither), as before a hidden track.
 */
export function longFlacFile(dir: string, name: string, rate: number, bits: number, seconds: number, leadingSilenceSec = 0): string {
  const raw = join(dir, `${name}.raw`)
  const flac = join(dir, `${name}.flac`)
  const tail = leadingSilenceSec > 0 ? ['pad', `${leadingSilenceSec}`] : []
  execFileSync('sox', ['-R', '-D', '-r', `${rate}`, '-c', '3', '-n', '-t', 'raw', '-e', 'signed-integer', '-L', '-b', `${bits}`, '-c', '2', raw,
    'synth', `${seconds - leadingSilenceSec}`, 'sine', '220', 'sine', '277.18', 'pinknoise',
    'remix', '1v0.4,3v0.01', '2v0.4,3v0.01', 'tremolo', '0.3', '30', 'gain', '-n', '-3', ...tail])
  encode(raw, flac, rate, bits, '-5')
  return flac
}
