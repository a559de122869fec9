/**
 * The part of a FLAC stream before the first frame (RFC 9639 §8): the `fLaC`
 * marker and metadata blocks. Only STREAMINFO (§8.2) matters for decoding;
 * every other block (pictures can be megabytes) is skipped as it streams by.
 */
import type { ByteQueue } from '../byte-queue.ts'
import { DecodeError } from '../errors.ts'

export interface StreamInfo {
  minBlockSize: number
  maxBlockSize: number
  sampleRate: number
  channels: number
  bitsPerSample: number
  /** Null when the encoder did not know it (0 in the file). */
  totalSamples: number | null
  /** Null when all zero, which means "not computed" (§8.2). */
  md5: string | null
  /** The 34-byte block body, re-sent to libFLAC so it decodes with the same parameters. */
  body: Uint8Array
}

const STREAMINFO_LENGTH = 34
const BLOCK_STREAMINFO = 0

type State =
  | { at: 'marker' }
  | { at: 'block-header' }
  | { at: 'block-body'; type: number; length: number; last: boolean }
  | { at: 'skip'; remaining: number; then: 'marker' | 'block-header' | 'done' }
  | { at: 'done' }

export class MetadataReader {
  private state: State = { at: 'marker' }
  private blocksSeen = 0
  streamInfo: StreamInfo | null = null

  get done(): boolean {
    return this.state.at === 'done'
  }

  /** Consumes what it can from `q`; returns true once the frames begin. */
  read(q: ByteQueue): boolean {
    for (;;) {
      const s = this.state
      switch (s.at) {
        case 'marker': {
          if (q.length < 4) return false
          if (isTag(q, 'ID3')) {
            if (q.length < 10) return false
            // An ID3v2 tag before `fLaC` is not allowed by RFC 9639 but common
            // in the wild, and libFLAC skips it; so do we. Size is syncsafe.
            const size = ((q.at(6) & 0x7f) << 21) | ((q.at(7) & 0x7f) << 14) | ((q.at(8) & 0x7f) << 7) | (q.at(9) & 0x7f)
            const footer = q.at(5) & 0x10 ? 10 : 0
            q.consume(10)
            this.state = { at: 'skip', remaining: size + footer, then: 'marker' }
            continue
          }
          if (!isTag(q, 'fLaC')) throw new DecodeError('corrupt', `This is not a FLAC file: ${describeStart(q)}.`)
          q.consume(4)
          this.state = { at: 'block-header' }
          continue
        }
        case 'block-header': {
          if (q.length < 4) return false
          const h = q.at(0)
          const length = (q.at(1) << 16) | (q.at(2) << 8) | q.at(3)
          q.consume(4)
          const type = h & 0x7f
          const last = (h & 0x80) !== 0
          if (this.blocksSeen === 0 && type !== BLOCK_STREAMINFO) {
            throw new DecodeError('corrupt', 'The FLAC file does not start with a STREAMINFO block.')
          }
          if (type === 127) throw new DecodeError('corrupt', 'The FLAC file has a forbidden metadata block type.')
          this.blocksSeen++
          this.state = type === BLOCK_STREAMINFO ? { at: 'block-body', type, length, last } : { at: 'skip', remaining: length, then: last ? 'done' : 'block-header' }
          continue
        }
        case 'block-body': {
          if (s.length !== STREAMINFO_LENGTH || this.streamInfo) {
            throw new DecodeError('corrupt', 'The FLAC file has a malformed STREAMINFO block.')
          }
          if (q.length < s.length) return false
          this.streamInfo = parseStreamInfo(q.view(0, s.length).slice())
          q.consume(s.length)
          this.state = s.last ? { at: 'done' } : { at: 'block-header' }
          continue
        }
        case 'skip': {
          const n = Math.min(s.remaining, q.length)
          q.consume(n)
          s.remaining -= n
          if (s.remaining > 0) return false
          this.state = { at: s.then }
          continue
        }
        case 'done':
          return true
      }
    }
  }
}

/** RFC 9639 §8.2, big-endian bit fields. */
export function parseStreamInfo(body: Uint8Array): StreamInfo {
  const d = new DataView(body.buffer, body.byteOffset, body.byteLength)
  const minBlockSize = d.getUint16(0)
  const maxBlockSize = d.getUint16(2)
  // bytes 4..9: min/max frame size, unused (the framer bounds frames itself)
  const sampleRate = (d.getUint16(10) << 4) | (body[12]! >> 4)
  const channels = ((body[12]! >> 1) & 0x07) + 1
  const bitsPerSample = (((body[12]! & 0x01) << 4) | (body[13]! >> 4)) + 1
  const totalSamples = (body[13]! & 0x0f) * 2 ** 32 + d.getUint32(14)
  const md5Bytes = body.subarray(18, 34)
  const md5 = md5Bytes.some((b) => b !== 0) ? hex(md5Bytes) : null

  if (sampleRate === 0) throw new DecodeError('corrupt', 'The FLAC file declares a sample rate of 0 Hz.')
  if (maxBlockSize < 16 || minBlockSize > maxBlockSize) {
    throw new DecodeError('corrupt', `The FLAC file declares impossible block sizes (${minBlockSize} to ${maxBlockSize}).`)
  }
  if (bitsPerSample < 4) throw new DecodeError('corrupt', `The FLAC file declares ${bitsPerSample}-bit samples.`)
  // The wasm decoder scales 8/16/24-bit output by a known divisor we can undo;
  // at 12 and 20 bits it divides by zero (every sample comes out ±Infinity)
  // and its codec parser drops 32-bit frames, so those are refused up front.
  if (bitsPerSample !== 8 && bitsPerSample !== 16 && bitsPerSample !== 24) {
    throw new DecodeError('unsupported', `FLAC with ${bitsPerSample}-bit samples is not supported (8, 16 and 24-bit are).`)
  }
  return { minBlockSize, maxBlockSize, sampleRate, channels, bitsPerSample, totalSamples: totalSamples || null, md5, body }
}

function isTag(q: ByteQueue, tag: string): boolean {
  for (let i = 0; i < tag.length; i++) if (q.at(i) !== tag.charCodeAt(i)) return false
  return true
}

/** A hint at what the bytes are instead, for the error message. */
function describeStart(q: ByteQueue): string {
  if (isTag(q, 'RIFF')) return 'it looks like a WAV file'
  if (isTag(q, 'OggS')) return 'it is an Ogg stream (Ogg FLAC is not supported)'
  if (q.at(0) === 0xff && (q.at(1) & 0xe0) === 0xe0) return 'it looks like MP3 or AAC audio'
  return 'it does not start with "fLaC"'
}

function hex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}
