/**
 * Splits the frame section of a FLAC stream into whole frames as bytes
 * arrive. A frame does not state its length (RFC 9639 §9), so a frame ends
 * where the next one's header starts; that header is trusted only when its
 * CRC-8 holds (§9.1.8), its number is the one expected next (§9.1.5), and
 * the bytes before it pass the frame's CRC-16 (§9.3). Audio data can spell
 * such a header (a false sync); one that fails the CRC-16 is passed over,
 * and the frame is called damaged only once the frame after it proves real
 * (passes its own CRC-16), or no boundary comes at all. The wasm decoder's own
 * parser does the same search but skips a damaged frame silently and may
 * buffer 512 KiB looking for sync; here a damaged frame is an error at once.
 */
import type { ByteQueue } from '../byte-queue.ts'
import { DecodeError } from '../errors.ts'
import { crc16 } from './crc.ts'
import { MAX_HEADER_BYTES, parseFrameHeader, type FrameHeader } from './frame-header.ts'
import type { StreamInfo } from './metadata.ts'

export interface Frame {
  /** A view into the queue, valid until the queue's next append. */
  bytes: Uint8Array
  header: FrameHeader
}

export class FlacFramer {
  /** Header of the frame at the head of the queue, once parsed. */
  private current: FrameHeader | null = null
  private variable: boolean | null = null
  /** An error found after frames that take() returned; thrown next time. */
  private pending: unknown = null
  /** Where to resume looking for the next header. */
  private scanAt = 0
  /** CRC-16 of the current frame's bytes [0, crcTo), kept as the search advances. */
  private crc = 0
  private crcTo = 0
  /** A next header that the CRC-16 did not confirm (damage, or a false sync), if any. */
  private suspect: { at: number; header: FrameHeader } | null = null
  private frameIndex = 0
  private sampleIndex = 0
  /** Position in the file of the queue's first byte, for messages. */
  private fileOffset: number
  /** Beyond this without a next header, the frame cannot be real. */
  private readonly maxFrameBytes: number

  /**
   * `start`: where in the track the queue's first frame is, for a stream that
   * begins mid-track (a seek); the frame there must carry that number.
   */
  constructor(
    private readonly info: StreamInfo,
    private readonly q: ByteQueue,
    fileOffset: number,
    start: { frameIndex: number; sampleIndex: number } = { frameIndex: 0, sampleIndex: 0 },
  ) {
    this.fileOffset = fileOffset
    this.frameIndex = start.frameIndex
    this.sampleIndex = start.sampleIndex
    this.maxFrameBytes = maxFrameBytes(info)
  }

  /**
   * Every frame whose end is known: its successor's header has arrived.
   * Damage found after some good frames is thrown by the next call, so the
   * good ones still get decoded.
   */
  take(): Frame[] {
    this.throwPending()
    const out: Frame[] = []
    try {
      for (;;) {
        if (!this.current && !this.startFrame()) return out
        const end = this.findEnd()
        if (end === null) return out
        out.push(this.emit(end))
      }
    } catch (err) {
      if (out.length === 0) throw err
      this.pending = err
      return out
    }
  }

  /**
   * At the end of the stream: the last frame runs to the last byte. Returns
   * null and `partial` when those bytes are not a whole frame (the stream
   * was cut mid-frame, or its last frame is damaged: the two look alike).
   */
  finish(): { frame: Frame | null; partial: boolean } {
    this.throwPending()
    if (this.q.length === 0) return { frame: null, partial: false }
    if (!this.current && parseFrameHeader(this.q.view(0, MAX_HEADER_BYTES), 0) === 'incomplete') {
      return { frame: null, partial: true }
    }
    if (!this.current) this.startFrame()
    let end = this.q.length
    this.crc = crc16(this.q.view(this.crcTo, end), this.crc)
    if (this.crc !== 0 && end > 128 && isId3v1(this.q.view(end - 128, end - 125))) {
      end -= 128 // some taggers append an ID3v1 tag, which libFLAC tolerates too
      this.crc = crc16(this.q.view(0, end))
    }
    if (this.crc === 0) return { frame: this.emit(end), partial: false }
    // A later frame's header after this one means this frame is damaged, not cut short.
    if (this.suspect) throw this.corrupt(`frame ${this.frameIndex} fails its CRC check`)
    if (this.laterHeader()) throw this.corrupt(`frame ${this.frameIndex} or the header after it is damaged`)
    return { frame: null, partial: true }
  }

  /** Whether a well-formed header numbered after the current frame follows it in the queue. */
  private laterHeader(): boolean {
    const cur = this.current!
    const b = this.q.view()
    const next = cur.variable ? this.sampleIndex + cur.blockSize : this.frameIndex + 1
    for (let i = b.indexOf(0xff, cur.length); i >= 0; i = b.indexOf(0xff, i + 1)) {
      const h = parseFrameHeader(b, i)
      if (typeof h === 'object' && h.variable === cur.variable && h.number >= next && !headerDisagrees(h, this.info)) return true
    }
    return false
  }

  private throwPending(): void {
    if (this.pending !== null) throw this.pending
  }

  private startFrame(): boolean {
    const h = parseFrameHeader(this.q.view(0, MAX_HEADER_BYTES), 0)
    if (h === 'incomplete') return false
    if (h === 'invalid') throw this.corrupt(`frame ${this.frameIndex} does not start where the previous one ended`)
    this.checkHeader(h)
    this.current = h
    this.scanAt = h.length
    this.crc = 0
    this.crcTo = 0
    this.suspect = null
    return true
  }

  /** A header must continue the numbering and agree with STREAMINFO: anything else is a lying or damaged stream. */
  private checkHeader(h: FrameHeader): void {
    const info = this.info
    this.variable ??= h.variable
    if (h.variable !== this.variable) throw this.corrupt(`frame ${this.frameIndex} switches between fixed and variable block sizes`)
    const expected = h.variable ? this.sampleIndex : this.frameIndex
    if (h.number !== expected) throw this.corrupt(`frame ${this.frameIndex} is numbered ${h.number}: frames are missing or out of order`)
    const lie = headerDisagrees(h, info)
    if (lie) throw this.corrupt(`frame ${this.frameIndex} ${lie}`)
    if (info.totalSamples !== null && this.sampleIndex + h.blockSize > info.totalSamples) {
      throw this.corrupt(`frame ${this.frameIndex} holds audio beyond the ${info.totalSamples} samples STREAMINFO declares`)
    }
  }

  /** Offset of the next frame's header, or null until more bytes arrive. */
  private findEnd(): number | null {
    const cur = this.current!
    const b = this.q.view()
    const nextNumber = cur.variable ? this.sampleIndex + cur.blockSize : this.frameIndex + 1
    let i = this.scanAt
    for (;;) {
      i = b.indexOf(0xff, i)
      if (i < 0 || i + 1 >= b.length) break
      if ((b[i + 1]! & 0xfe) !== 0xf8) {
        i++
        continue
      }
      const h = parseFrameHeader(b, i)
      if (h === 'incomplete') {
        this.scanAt = i
        return null
      }
      if (h !== 'invalid' && h.variable === cur.variable) {
        if (h.number === nextNumber) {
          this.crc = crc16(b.subarray(this.crcTo, i), this.crc)
          this.crcTo = i
          if (this.crc === 0) return i
          // A well-formed next header right here, yet this frame fails its CRC: the frame is
          // damaged, or its audio happens to spell a valid header (a false sync). What follows decides.
          if (!headerDisagrees(h, this.info)) this.suspect ??= { at: i, header: h }
        } else if (this.suspect && h.number === successor(this.suspect.header) && crc16(b.subarray(this.suspect.at, i)) === 0) {
          // The suspect header starts a frame that passes its own CRC: it was real, so this frame is damaged.
          throw this.corrupt(`frame ${this.frameIndex} fails its CRC check`)
        }
      }
      i++
    }
    this.scanAt = Math.max(this.scanAt, b.length - 1) // a trailing 0xff may start a sync code
    if (b.length > this.maxFrameBytes) {
      if (this.suspect) throw this.corrupt(`frame ${this.frameIndex} fails its CRC check`)
      throw this.corrupt(`frame ${this.frameIndex} or the header after it is damaged (no frame boundary in ${this.maxFrameBytes} bytes)`)
    }
    return null
  }

  private emit(end: number): Frame {
    const frame = { bytes: this.q.view(0, end), header: this.current! }
    this.q.consume(end)
    this.fileOffset += end
    this.frameIndex++
    this.sampleIndex += frame.header.blockSize
    this.current = null
    return frame
  }

  private corrupt(what: string): DecodeError {
    return new DecodeError('corrupt', `The FLAC file is damaged: ${what} (byte ${this.fileOffset}).`)
  }
}

/** Beyond this without a next header, a frame cannot be real: twice a verbatim frame (§9.2.4), side channels having one extra bit. */
export function maxFrameBytes(info: StreamInfo): number {
  const verbatim = MAX_HEADER_BYTES + info.channels * (1 + Math.ceil(((info.bitsPerSample + 1) * info.maxBlockSize) / 8)) + 2
  return 2 * verbatim + 1024
}

/** The number the frame after `h` carries (§9.1.5). */
function successor(h: FrameHeader): number {
  return h.variable ? h.number + h.blockSize : h.number + 1
}

/** Why a frame header contradicts STREAMINFO (§8.2), or null when it agrees. */
export function headerDisagrees(h: FrameHeader, info: StreamInfo): string | null {
  if (h.sampleRate !== null && h.sampleRate !== info.sampleRate) return `says ${h.sampleRate} Hz but STREAMINFO says ${info.sampleRate} Hz`
  if (h.channels !== info.channels) return `has ${h.channels} channels but STREAMINFO says ${info.channels}`
  if (h.bitsPerSample !== null && h.bitsPerSample !== info.bitsPerSample) {
    return `has ${h.bitsPerSample}-bit samples but STREAMINFO says ${info.bitsPerSample}-bit`
  }
  if (h.blockSize > info.maxBlockSize) return `has ${h.blockSize} samples, more than STREAMINFO's maximum of ${info.maxBlockSize}`
  return null
}

export function isId3v1(b: Uint8Array): boolean {
  return b[0] === 0x54 && b[1] === 0x41 && b[2] === 0x47 // "TAG"
}
