/**
 * The `fmt ` chunk of a RIFF/WAVE file: which sample encodings we decode.
 * WAVE_FORMAT_EXTENSIBLE keeps the real encoding in the first two bytes of
 * its SubFormat GUID, whose other 14 bytes are a fixed suffix
 * (https://learn.microsoft.com/en-us/windows/win32/api/mmreg/ns-mmreg-waveformatextensible).
 */
import { DecodeError } from '../errors.ts'

export type SampleEncoding = 'u8' | 's16' | 's24' | 's32' | 'f32'

export interface WavFormat {
  encoding: SampleEncoding
  sampleRate: number
  channels: number
  /** Significant bits: wValidBitsPerSample when an extensible header gives it. */
  bitsPerSample: number
  /** Bytes per frame (all channels). */
  blockAlign: number
}

const PCM = 0x0001
const IEEE_FLOAT = 0x0003
const EXTENSIBLE = 0xfffe
const GUID_SUFFIX = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]

const NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MP3',
}

export function parseWavFormat(body: Uint8Array): WavFormat {
  if (body.length < 16) throw new DecodeError('corrupt', 'The WAV file has a malformed fmt chunk.')
  const d = new DataView(body.buffer, body.byteOffset, body.byteLength)
  let tag = d.getUint16(0, true)
  const channels = d.getUint16(2, true)
  const sampleRate = d.getUint32(4, true)
  const blockAlign = d.getUint16(12, true)
  const container = d.getUint16(14, true)
  let bits = container
  if (tag === EXTENSIBLE) {
    if (body.length < 40) throw new DecodeError('corrupt', 'The WAV file has a malformed extensible fmt chunk.')
    const valid = d.getUint16(18, true)
    if (valid > 0 && valid <= container) bits = valid
    tag = d.getUint16(24, true)
    if (!GUID_SUFFIX.every((b, i) => body[26 + i] === b)) {
      throw new DecodeError('unsupported', 'WAV with a non-standard SubFormat is not supported.')
    }
  }

  const encoding = encodingOf(tag, container)
  if (channels < 1 || channels > 8) throw new DecodeError('unsupported', `WAV with ${channels} channels is not supported (1 to 8 are).`)
  if (sampleRate === 0) throw new DecodeError('corrupt', 'The WAV file declares a sample rate of 0 Hz.')
  if (blockAlign !== (channels * container) / 8) {
    throw new DecodeError('corrupt', `The WAV header is inconsistent: ${channels} channels of ${container} bits but ${blockAlign} bytes per frame.`)
  }
  return { encoding, sampleRate, channels, bitsPerSample: bits, blockAlign }
}

function encodingOf(tag: number, container: number): SampleEncoding {
  if (tag === PCM) {
    if (container === 8) return 'u8'
    if (container === 16) return 's16'
    if (container === 24) return 's24'
    if (container === 32) return 's32'
    throw new DecodeError('unsupported', `WAV format PCM ${container}-bit is not supported (8, 16, 24 and 32-bit are).`)
  }
  if (tag === IEEE_FLOAT) {
    if (container === 32) return 'f32'
    throw new DecodeError('unsupported', `WAV format ${container}-bit float is not supported (32-bit float is).`)
  }
  const name = NAMES[tag] ?? `0x${tag.toString(16).padStart(4, '0')}`
  throw new DecodeError('unsupported', `WAV format ${name} is not supported (PCM and 32-bit float are).`)
}
