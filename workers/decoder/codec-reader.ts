import type { Md5Verdict, TrackFormat } from '../../protocol/worker-api.ts'

/** Decoded audio, one array per channel, all the same length; null when nothing new. */
export type Planes = Float32Array[] | null

/**
 * One codec's incremental reader, driven by StreamDecoder (which owns the
 * file hash, frame numbering and error policy). Throws DecodeError.
 */
export interface CodecReader {
  /** Known once the header has been parsed. */
  readonly format: TrackFormat | null
  /**
   * Track frame of the first sample push()/end() return: 0 for a whole file;
   * for a stream that starts mid-track (a seek), null until its first frame is found.
   */
  readonly firstFrame: number | null
  /** Decodes every whole frame the bytes so far complete. */
  push(bytes: Uint8Array): Planes
  /** The stream is over: what remains, and whether it stopped mid-frame. */
  end(): { planes: Planes; partial: boolean }
  /** RFC 9639 §8.2 verdict, asked once the whole stream has been decoded. */
  md5Verdict(): Md5Verdict
  destroy(): void
}
