/**
 * The committed audio fixtures in tests/fixtures and the exact samples each
 * ramp holds, so tests (Node or a browser capture) can compare every sample.
 * `make-fixtures.ts` writes the ramps from these same formulas. No Node
 * imports: a browser test may bundle this file too.
 *
 * Integer ramps: x = (offset + frame) * step mod 2^bits, h = 2^(bits-1);
 * channel 2k holds x' - h and channel 2k+1 holds h - 1 - x' (that is -L-1),
 * where x' = (x + k * 2^(bits-3)) mod 2^bits. In Web Audio's convention the
 * sample is int / h. A step of 4097 visits the whole 24-bit range, -2^23 and
 * 2^23 - 1 included, in 4096 frames, and being odd hits every low-bit pattern.
 * Float ramps: channel 2k holds ((frame mod 4096) - 2048) / 1024, which
 * strays outside [-1, 1) to show float WAV is passed through, not clamped;
 * channel 2k+1 holds its negation.
 */

export interface RampFixture {
  codec: 'flac' | 'wav'
  sampleRate: number
  bits: 8 | 16 | 24 | 32
  float?: true
  channels: number
  frames: number
  /** The file's frame 0 is the ramp's frame `offset` (ramp-b continues ramp-a). */
  offset: number
  step: number
  /** For FLAC: the `--blocksize` given to the encoder. */
  blockSize?: number
}

/** Frames in ramp-a.flac; ramp-b.flac holds the next RAMP_AB_FRAMES. Not a multiple of the 4096 block size. */
export const RAMP_AB_FRAMES = 50_000

const STEP_24 = 4097
/** 4097 * 65537: odd, so consecutive 32-bit samples differ in every byte. */
const STEP_32 = 268_500_993

export const RAMPS = {
  'ramp-16-44k.flac': { codec: 'flac', sampleRate: 44100, bits: 16, channels: 2, frames: 70_000, offset: 0, step: 1 },
  'ramp-24-96k.flac': { codec: 'flac', sampleRate: 96000, bits: 24, channels: 2, frames: 100_000, offset: 0, step: STEP_24 },
  'ramp-24-192k.flac': { codec: 'flac', sampleRate: 192000, bits: 24, channels: 2, frames: 200_000, offset: 0, step: STEP_24 },
  'ramp-16-44k-bs1153.flac': { codec: 'flac', sampleRate: 44100, bits: 16, channels: 2, frames: 30_000, offset: 0, step: 1, blockSize: 1153 },
  'ramp-16-48k-mono.flac': { codec: 'flac', sampleRate: 48000, bits: 16, channels: 1, frames: 20_000, offset: 0, step: 3 },
  'ramp-24-48k-8ch.flac': { codec: 'flac', sampleRate: 48000, bits: 24, channels: 8, frames: 20_000, offset: 0, step: STEP_24 },
  'ramp-a.flac': { codec: 'flac', sampleRate: 44100, bits: 16, channels: 2, frames: RAMP_AB_FRAMES, offset: 0, step: 1 },
  'ramp-b.flac': { codec: 'flac', sampleRate: 44100, bits: 16, channels: 2, frames: RAMP_AB_FRAMES, offset: RAMP_AB_FRAMES, step: 1 },
  'ramp-8-8k.wav': { codec: 'wav', sampleRate: 8000, bits: 8, channels: 1, frames: 2_000, offset: 0, step: 1 },
  'ramp-16-44k.wav': { codec: 'wav', sampleRate: 44100, bits: 16, channels: 2, frames: 10_000, offset: 0, step: 7 },
  'ramp-24-96k.wav': { codec: 'wav', sampleRate: 96000, bits: 24, channels: 2, frames: 10_000, offset: 0, step: STEP_24 },
  'ramp-24-48k-6ch.wav': { codec: 'wav', sampleRate: 48000, bits: 24, channels: 6, frames: 4_000, offset: 0, step: STEP_24 },
  'ramp-32-48k.wav': { codec: 'wav', sampleRate: 48000, bits: 32, channels: 2, frames: 10_000, offset: 0, step: STEP_32 },
  'ramp-f32-48k.wav': { codec: 'wav', sampleRate: 48000, bits: 32, float: true, channels: 2, frames: 10_000, offset: 0, step: 1 },
} as const satisfies Record<string, RampFixture>

export type RampName = keyof typeof RAMPS

/**
 * Fixtures that are not ramps. `tone-24-96k.flac` is LPC-coded music-like
 * content whose reference is its STREAMINFO MD5 (computed by the encoder
 * from the source integers); the others are damaged on purpose.
 */
export const OTHER_FIXTURES = {
  'tone-24-96k.flac': 'a chord with a little noise, 24-bit 96 kHz stereo, flac --best (LPC subframes); 8 KiB padding block',
  'truncated.flac': 'ramp-16-44k.flac cut mid-frame at two thirds of its bytes',
  'corrupt-frame.flac': 'ramp-16-44k.flac with one byte in the middle of the file XORed with 0x55',
  'bad-md5.flac': 'ramp-16-44k.flac with the first byte of its STREAMINFO MD5 inverted',
  'lying-rate.flac': 'ramp-16-44k.flac whose STREAMINFO says 48000 Hz; its frames say 44100 Hz',
  'id3-prefixed.flac': 'ramp-16-44k.flac behind a small ID3v2 tag, as some taggers write',
  'not-flac.flac': 'an ID3 tag and MP3-like frame headers with pseudo-random bytes, named .flac',
  'adpcm.wav': 'IMA ADPCM WAV (format 0x0011): unsupported',
  'float64.wav': '64-bit float WAV: unsupported',
} as const

export type FixtureName = RampName | keyof typeof OTHER_FIXTURES

/** Where a fixture lives; Node's fs functions take the URL as a path. */
export function fixtureUrl(name: FixtureName): URL {
  return new URL(`../fixtures/${name}`, import.meta.url)
}

/** The integer the ramp holds at `frame` (of this file) and `channel`; not for float ramps. */
export function expectedRampInt(name: RampName, frame: number, channel: number): number {
  const r: RampFixture = RAMPS[name]
  const range = 2 ** r.bits
  const half = range / 2
  const x = (((r.offset + frame) * r.step) % range) + (channel >> 1) * (range / 8)
  const v = x % range
  return channel % 2 === 0 ? v - half : half - 1 - v
}

/** The sample as Web Audio should see it: int / 2^(bits-1), rounded to float32 (exact up to 24 bits). */
export function expectedRampSample(name: RampName, frame: number, channel: number): number {
  const r: RampFixture = RAMPS[name]
  if (r.float) {
    const v = (((r.offset + frame) % 4096) - 2048) / 1024
    return channel % 2 === 0 ? v : -v
  }
  return Math.fround(expectedRampInt(name, frame, channel) / 2 ** (r.bits - 1))
}
