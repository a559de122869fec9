/**
 * The decode worker's API, shared by the worker (`workers/decode-api.ts`) and
 * the player that calls it through comlink. Types only, plus the one helper
 * that recovers a coded error after comlink has flattened it to a plain Error.
 */

export type TrackCodec = 'flac' | 'wav'

/** What the file says about its audio, known once its header has been parsed. */
export interface TrackFormat {
  codec: TrackCodec
  sampleRate: number
  channels: number
  bitsPerSample: number
  /** From STREAMINFO (FLAC) or the `data` chunk's size (WAV); null when the file does not say. */
  totalFrames: number | null
  /** STREAMINFO's MD5 of the decoded samples as hex; null when absent (all zero) or not FLAC. */
  md5: string | null
}

/**
 * Decoded audio, one Float32Array per channel. Integer sources hold exactly
 * `int / 2^(bits-1)`, Web Audio's convention (exact in float32 up to 24 bits;
 * 32-bit integer WAV is rounded to float32). Float WAV passes through as is.
 * Chunks of one stream are contiguous: each starts where the last ended.
 */
export interface PcmChunk {
  startFrame: number
  frames: number
  channels: Float32Array[]
}

/** RFC 9639 §8.2: whether the decoded samples hash to STREAMINFO's MD5. */
export type Md5Verdict = 'match' | 'mismatch' | 'unavailable'

export interface DecodeEnd {
  chunks: PcmChunk[]
  /** 'unavailable' for WAV, FLAC without an MD5, truncated streams and seek sessions. */
  md5: Md5Verdict
  /**
   * SHA-256 (hex) of every byte pushed, to compare with the library's.
   * Null for a seek session: it saw only part of the file, so the whole-file
   * hash cannot be checked. A seeked stream is verified per piece instead:
   * the P2P layer checks each piece's hash before its bytes are used; bytes
   * straight from the origin are covered by FLAC's frame CRCs (WAV has none).
   */
  sha256: string | null
  /**
   * Track frame of the first decoded sample: 0 for a whole file. Null when a
   * seek session found no whole frame (it began inside the last frame, or
   * its bytes stopped before a frame was complete).
   */
  firstFrame: number | null
  /** Frames decoded in this session (from `firstFrame` on). */
  frames: number
  /**
   * The stream ended before `totalFrames`. The audio decoded up to there is
   * still in `chunks`, so a player can play what arrived and then report it.
   */
  truncated: boolean
}

/**
 * Where a seek session starts: the bytes pushed are the file from
 * `startByte` on, not from its beginning.
 *
 * `header` is the file's head as HeadReader (workers/decoder/file-head.ts,
 * used by HttpByteSource.readHead()) collects it, or the file's first bytes:
 * FLAC: `fLaC` and the metadata blocks up to the one flagged last (blocks the
 * decoder does not need, such as pictures, may be left out); WAV: the RIFF
 * header up to and including the `data` chunk's 8-byte header (chunks other
 * than `fmt ` may be left out). Bytes after that are ignored.
 */
export interface SeekStart {
  header: Uint8Array
  /**
   * File offset of the first FLAC frame or of the WAV sample data. Needed
   * when `header` is not the file's literal prefix (blocks left out);
   * default: where the metadata in `header` ends.
   */
  audioStart?: number
  /** File offset of the first byte pushed. Anywhere: FLAC is resynchronised on the next frame, WAV on the next whole sample frame. */
  startByte: number
}

/** A file head collected for seeking (see SeekStart). */
export interface FileHead {
  header: Uint8Array
  audioStart: number
}

/**
 * Where to start fetching so decoding begins at or before a wanted frame.
 * `seekPlan()` in workers/decoder/seek-plan.ts computes it.
 */
export interface SeekPlan {
  /** First byte to fetch (`Range: bytes=<startByte>-`) and SeekStart.startByte. */
  startByte: number
  /** The track frame decoding is expected to start at: exact when `exact`, else an estimate. */
  expectedFrame: number
  /**
   * True when `startByte` is a known frame start at or before the wanted frame
   * (WAV, a FLAC seek point or the first frame): the first chunk starts
   * exactly at `expectedFrame` and cannot overshoot.
   */
  exact: boolean
  /**
   * A start that cannot overshoot: the nearest exactly known frame start at
   * or before the wanted frame. If decoding from `startByte` yields a first
   * chunk after the wanted frame, plan again with `overshoot`, or fall back here.
   */
  safeByte: number
  /** The track frame that starts at `safeByte`. */
  safeFrame: number
  /** The wanted frame, clamped to the track. */
  wantedFrame: number
}

/**
 * - corrupt: not the codec it claims, a frame fails its CRC, or the header lies about the frames
 * - unsupported: a valid file in a format the decoder does not handle (ADPCM WAV, 12-bit FLAC…)
 * - truncated: the stream ended before its header was complete, so there is no audio at all
 * - integrity: decoded samples or file bytes do not match their checksum (raised by the caller)
 */
export type DecodeErrorCode = 'corrupt' | 'unsupported' | 'truncated' | 'integrity'

export const DECODE_ERROR_CODES: readonly DecodeErrorCode[] = ['corrupt', 'unsupported', 'truncated', 'integrity']

/** One sentence per code, for a UI that only has the code. */
export const DECODE_ERRORS: Record<DecodeErrorCode, string> = {
  corrupt: 'The track is damaged and cannot be played',
  unsupported: 'This audio format is not supported',
  truncated: 'The track ended early',
  integrity: 'The track does not match its checksum; the damaged copy was dropped',
}

export interface DecodeWorkerApi {
  /**
   * Starts a decode session; `sessionId` is the caller's, unique among its
   * open sessions. With `from`, a seek session: the bytes pushed are the file
   * from `from.startByte`, chunks carry true track frame numbers, and end()
   * reports `md5: 'unavailable'` and `sha256: null`.
   */
  open(sessionId: number, codec: TrackCodec, from?: SeekStart): Promise<void>
  /**
   * Restarts an open session as a seek session (same codec): whatever was
   * pushed so far is dropped; the next bytes pushed are the file from
   * `from.startByte`. Used to start mid-track, or to retry earlier when a
   * first attempt began after the wanted frame. On failure the session is closed.
   */
  seek(sessionId: number, from: SeekStart): Promise<void>
  /** Feeds the next bytes of the file; the chunks' buffers are transferred back. */
  push(sessionId: number, bytes: Uint8Array): Promise<{ format: TrackFormat | null; chunks: PcmChunk[] }>
  /** Flushes and closes the session (it cannot be pushed to afterwards). */
  end(sessionId: number): Promise<DecodeEnd>
  /** Frees the session; safe to call twice or after a failure. */
  close(sessionId: number): void
}

/**
 * comlink rebuilds a thrown Error with its message but not its class, so the
 * worker throws messages of the form `<code>: <sentence>`; this reads them back.
 * Anything else (a crashed worker, a bug) counts as corrupt input, the safe
 * reading for a track that could not be decoded.
 */
export function decodeErrorFromWorker(err: unknown): { code: DecodeErrorCode; message: string } {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : String(err)
  const m = /^([a-z]+): (.*)$/s.exec(text)
  const code = m?.[1] as DecodeErrorCode | undefined
  if (m && code && DECODE_ERROR_CODES.includes(code)) return { code, message: m[2] ?? '' }
  return { code: 'corrupt', message: text }
}
