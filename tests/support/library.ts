/** Fixtures for library tests: a log that records, hand-built WAVs, temp folders. */
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import type { Logger } from '../../signal/log.ts'

export interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

/** A real pino logger whose lines land in `lines`, parsed. */
export function recordingLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const log = pino({ level: 'debug', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) })
  return { log, lines }
}

/** A fresh folder under the OS temp dir, as a real path (macOS's /tmp is a symlink). */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export async function sha256Of(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex')
}

export interface WavSpec {
  rate: number
  bits: 16 | 24
  channels: number
  frames: number
  /** 1 PCM, 3 IEEE float, 0xfffe WAVE_FORMAT_EXTENSIBLE. */
  formatTag?: 1 | 3 | 0xfffe
  /** With 0xfffe: the SubFormat GUID's leading tag (1 PCM, 3 float). */
  subFormat?: 1 | 3
  /** Varies the samples, so two specs can differ only in content. */
  seed?: number
}

/** An untagged RIFF/WAVE file with a ramp for samples. */
export function buildWav(spec: WavSpec): Buffer {
  const { rate, bits, channels, frames, formatTag = 1, subFormat = 1, seed = 0 } = spec
  const blockAlign = (channels * bits) / 8
  const data = Buffer.alloc(frames * blockAlign)
  for (let i = 0; i < frames * channels; i++) {
    const v = ((i * 37 + seed * 101) % 2000) - 1000
    if (bits === 16) data.writeInt16LE(v, i * 2)
    else data.writeIntLE(v * 256, i * 3, 3)
  }
  const extensible = formatTag === 0xfffe
  const fmt = Buffer.alloc(extensible ? 40 : 16)
  fmt.writeUInt16LE(formatTag, 0)
  fmt.writeUInt16LE(channels, 2)
  fmt.writeUInt32LE(rate, 4)
  fmt.writeUInt32LE(rate * blockAlign, 8)
  fmt.writeUInt16LE(blockAlign, 12)
  fmt.writeUInt16LE(bits, 14)
  if (extensible) {
    fmt.writeUInt16LE(22, 16) // cbSize
    fmt.writeUInt16LE(bits, 18) // valid bits
    fmt.writeUInt32LE(channels === 2 ? 3 : 4, 20) // channel mask
    fmt.writeUInt16LE(subFormat, 24)
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(fmt, 26)
  }
  const chunk = (id: string, body: Buffer) => {
    const head = Buffer.alloc(8)
    head.write(id, 0, 'latin1')
    head.writeUInt32LE(body.length, 4)
    return Buffer.concat([head, body, Buffer.alloc(body.length & 1)])
  }
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), chunk('data', data)])
  return chunk('RIFF', body)
}
