/**
 * A file's head, collected for seeking: enough of the metadata to decode from
 * the middle and to plan where to start. Pure (no wasm, no I/O), so the page
 * can use it to fetch the head range by range and the worker to parse it.
 *
 * FLAC (RFC 9639 §8): STREAMINFO and SEEKTABLE are kept; every other block
 * (a PICTURE can be megabytes) is stepped over by its length without being
 * fetched. WAV: the RIFF header, `fmt ` and the `data` chunk's 8-byte header
 * are kept; other chunks are stepped over. The kept parts, in file order,
 * make a compact header the decoders parse like a real one (the last kept
 * FLAC block is flagged last); `audioStart` says where the audio really
 * begins in the file.
 */
import type { FileHead, TrackCodec, TrackFormat } from '../../protocol/worker-api.ts'
import { DecodeError } from './errors.ts'
import { parseStreamInfo, type StreamInfo } from './flac/metadata.ts'
import { parseWavFormat, type WavFormat } from './wav/wav-format.ts'

/** What a head reader fetches beyond what it strictly needs, to save round trips. */
export const HEAD_READ_AHEAD = 16 * 1024
/** A hostile file could chain metadata blocks forever; real ones have a handful. */
const MAX_BLOCKS = 1024
const MAX_FMT_BYTES = 4096
const BLOCK_STREAMINFO = 0
const BLOCK_SEEKTABLE = 3
const UNKNOWN_SIZE = 0xffffffff

/** An exactly known frame start: `frame` (a track frame) begins at file offset `byte`. */
export interface SeekPoint {
  frame: number
  byte: number
}

export interface ParsedHead extends FileHead {
  codec: TrackCodec
  format: TrackFormat
  /** FLAC: STREAMINFO's largest block; WAV: 1. */
  blockFrames: number
  /** FLAC SEEKTABLE points (placeholders dropped), by frame; empty for WAV. */
  seekPoints: SeekPoint[]
  /** WAV: bytes per sample frame; FLAC: null. */
  blockAlign: number | null
  /** WAV: the `data` chunk's size, null when unknown; FLAC: null. */
  dataBytes: number | null
  /** FLAC only. */
  streamInfo: StreamInfo | null
}

type Step = { need: number } | 'progress' | 'done'

/**
 * Collects a file's head from ranges of its bytes: ask need() for the next
 * range, fetch it, give() it, until need() returns null; then result().
 */
export class HeadReader {
  private pos = 0
  private winFrom = 0
  private win: Uint8Array = new Uint8Array(0)
  private eofAt: number | null = null
  private stage: 'start' | 'blocks' | 'chunks' | 'done' = 'start'
  private readonly kept: Uint8Array[] = []
  private blocks = 0
  private info: StreamInfo | null = null
  private seekTable: Uint8Array | null = null
  private wav: WavFormat | null = null
  private dataBytes: number | null = null
  private audioStart = 0
  private lastKeptFlag = -1

  constructor(readonly codec: TrackCodec) {}

  /** The next range to fetch, `to` exclusive (a read-ahead beyond what is needed), or null once the head is complete. */
  need(): { from: number; to: number } | null {
    const n = this.run()
    if (n === null) return null
    return { from: this.pos, to: this.pos + Math.max(n, HEAD_READ_AHEAD) }
  }

  /**
   * Bytes of the file from offset `from`; they must include the offset need()
   * asked for. `eof`: the file ends where these bytes end (a short read).
   */
  give(from: number, bytes: Uint8Array, eof = false): void {
    if (eof) this.eofAt = from + bytes.length
    if (from === this.winFrom + this.win.length && from > this.pos) {
      const joined = new Uint8Array(this.win.length + bytes.length)
      joined.set(this.win)
      joined.set(bytes, this.win.length)
      this.win = joined
    } else {
      if (from > this.pos || from + bytes.length < this.pos) throw new Error(`HeadReader.give(): bytes from ${from} do not cover offset ${this.pos}`)
      this.winFrom = from
      this.win = bytes
    }
  }

  result(): ParsedHead {
    if (this.run() !== null) throw new Error('HeadReader.result() before the head is complete')
    const header = concat(this.kept)
    if (this.codec === 'flac') {
      const info = this.info!
      if (this.lastKeptFlag >= 0) header[this.lastKeptFlag] = header[this.lastKeptFlag]! | 0x80
      return {
        codec: 'flac',
        header,
        audioStart: this.audioStart,
        format: { codec: 'flac', sampleRate: info.sampleRate, channels: info.channels, bitsPerSample: info.bitsPerSample, totalFrames: info.totalSamples, md5: info.md5 },
        blockFrames: info.maxBlockSize,
        seekPoints: this.seekTable ? seekPoints(this.seekTable, this.audioStart, info.totalSamples) : [],
        blockAlign: null,
        dataBytes: null,
        streamInfo: info,
      }
    }
    const wav = this.wav!
    return {
      codec: 'wav',
      header,
      audioStart: this.audioStart,
      format: {
        codec: 'wav',
        sampleRate: wav.sampleRate,
        channels: wav.channels,
        bitsPerSample: wav.bitsPerSample,
        totalFrames: this.dataBytes === null ? null : Math.floor(this.dataBytes / wav.blockAlign),
        md5: null,
      },
      blockFrames: 1,
      seekPoints: [],
      blockAlign: wav.blockAlign,
      dataBytes: this.dataBytes,
      streamInfo: null,
    }
  }

  /** Parses what the window holds; the bytes still needed at `pos`, or null when done. */
  private run(): number | null {
    for (;;) {
      const step = this.codec === 'flac' ? this.flacStep() : this.wavStep()
      if (step === 'done') {
        this.stage = 'done'
        return null
      }
      if (step === 'progress') continue
      if (this.eofAt !== null && this.pos + step.need > this.eofAt) {
        throw new DecodeError('truncated', `The ${this.codec === 'flac' ? 'FLAC' : 'WAV'} file ends inside its header (at byte ${this.eofAt}).`)
      }
      return step.need
    }
  }

  /** `n` bytes at `pos`, or null when the window does not hold them. */
  private at(n: number): Uint8Array | null {
    const off = this.pos - this.winFrom
    if (off < 0 || off + n > this.win.length) return null
    return this.win.subarray(off, off + n)
  }

  private flacStep(): Step {
    switch (this.stage) {
      case 'done':
        return 'done'
      case 'start': {
        const b = this.at(4)
        if (!b) return { need: 4 }
        if (ascii(b, 0, 3) === 'ID3') {
          // Not allowed by RFC 9639 but common, and skipped by libFLAC: so by us too.
          const h = this.at(10)
          if (!h) return { need: 10 }
          const size = ((h[6]! & 0x7f) << 21) | ((h[7]! & 0x7f) << 14) | ((h[8]! & 0x7f) << 7) | (h[9]! & 0x7f)
          this.pos += 10 + size + (h[5]! & 0x10 ? 10 : 0)
          return 'progress'
        }
        if (ascii(b, 0, 4) !== 'fLaC') throw new DecodeError('corrupt', 'This is not a FLAC file: it does not start with "fLaC".')
        this.kept.push(b.slice())
        this.pos += 4
        this.stage = 'blocks'
        return 'progress'
      }
      case 'blocks': {
        const h = this.at(4)
        if (!h) return { need: 4 }
        const type = h[0]! & 0x7f
        const last = (h[0]! & 0x80) !== 0
        const length = (h[1]! << 16) | (h[2]! << 8) | h[3]!
        if (this.blocks === 0 && type !== BLOCK_STREAMINFO) throw new DecodeError('corrupt', 'The FLAC file does not start with a STREAMINFO block.')
        if (type === 127) throw new DecodeError('corrupt', 'The FLAC file has a forbidden metadata block type.')
        if (++this.blocks > MAX_BLOCKS) throw new DecodeError('corrupt', `The FLAC file has more than ${MAX_BLOCKS} metadata blocks.`)
        if (type === BLOCK_STREAMINFO || type === BLOCK_SEEKTABLE) {
          const whole = this.at(4 + length)
          if (!whole) return { need: 4 + length }
          const body = whole.subarray(4)
          if (type === BLOCK_STREAMINFO) {
            if (this.info || length !== 34) throw new DecodeError('corrupt', 'The FLAC file has a malformed STREAMINFO block.')
            this.info = parseStreamInfo(body.slice())
          } else if (!this.seekTable) {
            if (length % 18 !== 0) throw new DecodeError('corrupt', 'The FLAC file has a malformed SEEKTABLE block.')
            this.seekTable = body.slice()
          } else {
            this.pos += 4 + length // a second seek table is not allowed; ignore it
            return last ? this.flacDone() : 'progress'
          }
          this.lastKeptFlag = this.kept.reduce((n, k) => n + k.length, 0)
          const copy = whole.slice()
          copy[0] = type // kept blocks are unflagged; result() flags the last one
          this.kept.push(copy)
        }
        this.pos += 4 + length
        return last ? this.flacDone() : 'progress'
      }
      default:
        throw new Error('unreachable')
    }
  }

  private flacDone(): Step {
    this.audioStart = this.pos
    return 'done'
  }

  private wavStep(): Step {
    switch (this.stage) {
      case 'done':
        return 'done'
      case 'start': {
        const b = this.at(12)
        if (!b) return { need: 12 }
        const id = ascii(b, 0, 4)
        if (id === 'RF64' || id === 'RIFX') throw new DecodeError('unsupported', `WAV format ${id} is not supported.`)
        if (id !== 'RIFF' || ascii(b, 8, 12) !== 'WAVE') throw new DecodeError('corrupt', 'This is not a WAV file: it does not start with a RIFF/WAVE header.')
        this.kept.push(b.slice())
        this.pos += 12
        this.stage = 'chunks'
        return 'progress'
      }
      case 'chunks': {
        const h = this.at(8)
        if (!h) return { need: 8 }
        const id = ascii(h, 0, 4)
        const size = (h[4]! | (h[5]! << 8) | (h[6]! << 16) | (h[7]! << 24)) >>> 0
        if (id === 'fmt ') {
          if (this.wav) throw new DecodeError('corrupt', 'The WAV file has two fmt chunks.')
          if (size > MAX_FMT_BYTES) throw new DecodeError('corrupt', 'The WAV file has a malformed fmt chunk.')
          const padded = size + (size & 1)
          const whole = this.at(8 + padded)
          if (!whole) return { need: 8 + padded }
          this.wav = parseWavFormat(whole.subarray(8, 8 + size))
          this.kept.push(whole.slice())
          this.pos += 8 + padded
          return 'progress'
        }
        if (id === 'data') {
          if (!this.wav) throw new DecodeError('corrupt', 'The WAV file has audio data before its fmt chunk.')
          this.kept.push(h.slice())
          this.dataBytes = size === UNKNOWN_SIZE ? null : size
          this.pos += 8
          this.audioStart = this.pos
          return 'done'
        }
        if (++this.blocks > MAX_BLOCKS) throw new DecodeError('corrupt', `The WAV file has more than ${MAX_BLOCKS} chunks before its audio.`)
        this.pos += 8 + size + (size & 1)
        return 'progress'
      }
      default:
        throw new Error('unreachable')
    }
  }
}

/**
 * Parses a head the decoder was given: a compact header from HeadReader, or
 * the file's literal first bytes. `audioStart` defaults to where the parsed
 * metadata ends (right for a literal prefix).
 */
export function parseHead(codec: TrackCodec, header: Uint8Array, audioStart?: number): ParsedHead {
  const r = new HeadReader(codec)
  r.give(0, header, true)
  let head: ParsedHead
  try {
    head = r.result()
  } catch (err) {
    if (err instanceof DecodeError && err.code === 'truncated') {
      throw new DecodeError('truncated', `The header given for a seek ends before the ${codec === 'flac' ? 'FLAC metadata does' : 'WAV data chunk begins'}.`)
    }
    throw err
  }
  if (audioStart === undefined || audioStart === head.audioStart) return head
  if (!Number.isSafeInteger(audioStart) || audioStart < 0) throw new Error(`${String(audioStart)} is not a file offset`)
  const shift = audioStart - head.audioStart
  return { ...head, audioStart, seekPoints: head.seekPoints.map((p) => ({ frame: p.frame, byte: p.byte + shift })) }
}

/** SEEKTABLE points (§8.5) as track frames and absolute file offsets, placeholders and nonsense dropped, sorted. */
function seekPoints(table: Uint8Array, audioStart: number, totalSamples: number | null): SeekPoint[] {
  const d = new DataView(table.buffer, table.byteOffset, table.byteLength)
  const out: SeekPoint[] = []
  for (let o = 0; o + 18 <= table.length; o += 18) {
    const sampleHi = d.getUint32(o)
    if (sampleHi === 0xffffffff && d.getUint32(o + 4) === 0xffffffff) continue // placeholder
    const frame = sampleHi * 2 ** 32 + d.getUint32(o + 4)
    const offset = d.getUint32(o + 8) * 2 ** 32 + d.getUint32(o + 12)
    if (!Number.isSafeInteger(frame) || !Number.isSafeInteger(offset + audioStart)) continue
    if (totalSamples !== null && frame >= totalSamples) continue
    out.push({ frame, byte: audioStart + offset })
  }
  out.sort((a, b) => a.frame - b.frame)
  // Offsets must grow with frames; a table that says otherwise is not trusted at those points.
  return out.filter((p, i) => i === 0 || (p.frame > out[i - 1]!.frame && p.byte > out[i - 1]!.byte))
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to))
}
