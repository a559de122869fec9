/**
 * A FLAC frame header (RFC 9639 §9.1). The framer parses headers to find
 * where frames start and to catch a stream that lies about its format.
 */
import { crc8 } from './crc.ts'

export interface FrameHeader {
  /** Inter-channel samples in the frame (§9.1.1, §9.1.6). */
  blockSize: number
  /** Null: "get from STREAMINFO" (§9.1.2). */
  sampleRate: number | null
  channels: number
  /** Null: "get from STREAMINFO" (§9.1.4). */
  bitsPerSample: number | null
  /** Variable block size: `number` counts samples, else frames (§9.1.5). */
  variable: boolean
  number: number
  /** Header bytes including the CRC-8. */
  length: number
}

/** The longest header: 4 fixed bytes, a 7-byte coded number, 2 + 2 uncommon bytes, the CRC. */
export const MAX_HEADER_BYTES = 16

const SAMPLE_RATES = [null, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000] as const
const BIT_DEPTHS = [null, 8, 12, -1, 16, 20, 24, 32] as const

/** Whether bytes `at`, `at+1` can start a frame: the 14-bit sync code then a 0 bit. */
export function isSync(b0: number, b1: number): boolean {
  return b0 === 0xff && (b1 & 0xfe) === 0xf8
}

/**
 * Parses the header at `bytes[at]`. 'incomplete' when more bytes are needed
 * to decide, 'invalid' when these bytes are not a frame header.
 */
export function parseFrameHeader(bytes: Uint8Array, at: number): FrameHeader | 'invalid' | 'incomplete' {
  const avail = bytes.length - at
  if (avail < 2) return 'incomplete'
  if (!isSync(bytes[at]!, bytes[at + 1]!)) return 'invalid'
  if (avail < 5) return 'incomplete'
  const variable = (bytes[at + 1]! & 1) === 1
  const blockCode = bytes[at + 2]! >> 4
  const rateCode = bytes[at + 2]! & 0x0f
  const channelCode = bytes[at + 3]! >> 4
  const depthCode = (bytes[at + 3]! >> 1) & 0x07
  if (blockCode === 0 || rateCode === 0x0f || channelCode > 0x0a || depthCode === 3 || (bytes[at + 3]! & 1) !== 0) return 'invalid'

  // §9.1.5: a UTF-8-like code, up to 36 bits (7 bytes) for sample numbers.
  let p = at + 4
  const first = bytes[p++]!
  let extra = 0
  let number = first
  if (first >= 0x80) {
    if (first < 0xc0 || first === 0xff) return 'invalid'
    while ((first << (extra + 1)) & 0x80) extra++
    number = first & (0x3f >> extra)
    if (extra > (variable ? 6 : 5)) return 'invalid'
  }
  if (bytes.length < p + extra) return 'incomplete'
  for (let i = 0; i < extra; i++) {
    const b = bytes[p++]!
    if ((b & 0xc0) !== 0x80) return 'invalid'
    number = number * 64 + (b & 0x3f)
  }

  const uncommon = (blockCode === 6 ? 1 : blockCode === 7 ? 2 : 0) + (rateCode === 12 ? 1 : rateCode >= 13 ? 2 : 0)
  if (bytes.length < p + uncommon + 1) return 'incomplete'

  let blockSize: number
  if (blockCode === 1) blockSize = 192
  else if (blockCode <= 5) blockSize = 144 << blockCode
  else if (blockCode === 6) blockSize = bytes[p++]! + 1
  else if (blockCode === 7) {
    blockSize = ((bytes[p]! << 8) | bytes[p + 1]!) + 1
    p += 2
  } else blockSize = 1 << blockCode

  let sampleRate: number | null
  if (rateCode <= 11) sampleRate = SAMPLE_RATES[rateCode] ?? null
  else if (rateCode === 12) sampleRate = bytes[p++]! * 1000
  else {
    const v = (bytes[p]! << 8) | bytes[p + 1]!
    p += 2
    sampleRate = rateCode === 13 ? v : v * 10
  }

  // §9.1.8: CRC-8 over everything before it, sync code included.
  if (crc8(bytes.subarray(at, p)) !== bytes[p]) return 'invalid'
  return {
    blockSize,
    sampleRate,
    channels: channelCode < 8 ? channelCode + 1 : 2,
    bitsPerSample: BIT_DEPTHS[depthCode] ?? null,
    variable,
    number,
    length: p + 1 - at,
  }
}
