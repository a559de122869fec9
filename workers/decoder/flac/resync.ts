/**
 * Finds the first whole frame in FLAC bytes that start anywhere (a seek):
 * the frame section has no index, and audio data can hold any byte pattern,
 * the sync code and a header that passes its CRC-8 included (1 in 256 of
 * random sync-like spots do). So a spot is taken for a frame only when
 *
 *  - its header parses, passes CRC-8 (§9.1.8) and agrees with STREAMINFO,
 *  - a second such header follows, numbered as the next frame (§9.1.5),
 *  - and the bytes between pass the frame's CRC-16 (§9.3),
 *
 * or, at the end of the stream, when the bytes to the end pass the CRC-16
 * (the last frame). A false spot survives all three about once in 2^24.
 *
 * Spots are confirmed in file order. Once a later spot is confirmed, an
 * earlier unconfirmed one cannot be a real frame: a real frame ends where
 * the next real frame starts, at or before the confirmed one, and that
 * header (already in the buffer) would have confirmed it.
 */
import type { ByteQueue } from '../byte-queue.ts'
import { DecodeError } from '../errors.ts'
import { crc16 } from './crc.ts'
import { parseFrameHeader, type FrameHeader } from './frame-header.ts'
import { headerDisagrees, isId3v1 } from './framer.ts'
import type { StreamInfo } from './metadata.ts'

interface Spot {
  /** Offset from the first byte given to the scanner (queue offsets shift as bytes are dropped). */
  abs: number
  header: FrameHeader
}

export class FrameSync {
  private spots: Spot[] = []
  /** Absolute offset of the queue's first byte. */
  private dropped = 0
  /** Absolute offset where the search for sync codes resumes. */
  private scanAt = 0
  private readonly tried = new Set<string>()
  /** No frame within this many bytes: the stream is not FLAC frames here. */
  private readonly giveUpAfter: number

  constructor(
    private readonly info: StreamInfo,
    private readonly q: ByteQueue,
    /** File offset of the first byte given, for messages. */
    private readonly fileOffset: number,
    private readonly maxFrameBytes: number,
  ) {
    this.giveUpAfter = 2 * maxFrameBytes + 65536
  }

  /** The track frame a header's frame starts at (§9.1.5). */
  startOf(h: FrameHeader): number {
    return h.variable ? h.number : h.number * this.info.maxBlockSize
  }

  /** File offset of the queue's first byte. */
  get offset(): number {
    return this.fileOffset + this.dropped
  }

  /**
   * The first frame's header once found; the queue then starts with that
   * frame. Null until more bytes arrive, or (when `final`) if there is none.
   */
  find(final: boolean): FrameHeader | null {
    const b = this.q.view()
    this.collect(b, final)
    for (let i = 0; i < this.spots.length; i++) {
      const s = this.spots[i]!
      const next = s.header.variable ? s.header.number + s.header.blockSize : s.header.number + 1
      for (let j = i + 1; j < this.spots.length; j++) {
        const t = this.spots[j]!
        if (t.abs - s.abs > this.maxFrameBytes) break
        if (t.header.variable !== s.header.variable || t.header.number !== next) continue
        const key = `${s.abs}:${t.abs}`
        if (this.tried.has(key)) continue
        this.tried.add(key)
        if (crc16(b.subarray(s.abs - this.dropped, t.abs - this.dropped)) === 0) return this.accept(s)
      }
    }
    if (final) {
      for (const s of this.spots) if (this.isLastFrame(b, s)) return this.accept(s)
      return null
    }
    this.forget(b.length)
    return null
  }

  /** Adds every plausible header the bytes so far reveal. */
  private collect(b: Uint8Array, final: boolean): void {
    let i = this.scanAt - this.dropped
    for (;;) {
      i = b.indexOf(0xff, i)
      if (i < 0) {
        i = b.length
        break
      }
      if (i + 1 >= b.length) break
      if ((b[i + 1]! & 0xfe) !== 0xf8) {
        i++
        continue
      }
      const h = parseFrameHeader(b, i)
      if (h === 'incomplete') {
        if (!final) break
      } else if (h !== 'invalid' && this.plausible(h)) {
        this.spots.push({ abs: this.dropped + i, header: h })
      }
      i++
    }
    this.scanAt = this.dropped + Math.min(i, b.length)
  }

  private plausible(h: FrameHeader): boolean {
    if (headerDisagrees(h, this.info) !== null) return false
    const total = this.info.totalSamples
    return total === null || this.startOf(h) + h.blockSize <= total
  }

  /** The bytes from `s` to the end of the stream are one whole frame, the track's last. */
  private isLastFrame(b: Uint8Array, s: Spot): boolean {
    const total = this.info.totalSamples
    if (total !== null && this.startOf(s.header) + s.header.blockSize !== total) return false
    const from = s.abs - this.dropped
    if (crc16(b.subarray(from)) === 0) return true
    const end = b.length - 128
    return end > from && isId3v1(b.subarray(end, end + 3)) && crc16(b.subarray(from, end)) === 0
  }

  private accept(s: Spot): FrameHeader {
    this.q.consume(s.abs - this.dropped)
    this.dropped = s.abs
    return s.header
  }

  /**
   * Drops spots that can no longer be confirmed (their next header would be
   * further than any frame can be long) and the bytes before the oldest live
   * one, keeping the queue small; gives up when nothing is found for long.
   */
  private forget(length: number): void {
    const end = this.dropped + length
    this.spots = this.spots.filter((s) => end - s.abs <= this.maxFrameBytes)
    const keepFrom = Math.min(this.spots[0]?.abs ?? Infinity, this.scanAt)
    if (keepFrom > this.dropped) {
      this.q.consume(keepFrom - this.dropped)
      this.dropped = keepFrom
    }
    // A real frame starts within maxFrameBytes and its successor within as much again.
    if (end > this.giveUpAfter) {
      throw new DecodeError('corrupt', `The FLAC file is damaged: no valid frame in the ${end} bytes from byte ${this.fileOffset}.`)
    }
    if (this.tried.size > 4096) this.tried.clear()
  }
}
