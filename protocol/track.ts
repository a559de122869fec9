import * as v from 'valibot'

/** One entry of `GET /api/tracks`: the brief's interface contract. */
export const TrackSchema = v.object({
  id: v.pipe(v.string(), v.regex(/^[a-f0-9]{16,64}$/)),
  title: v.string(),
  artist: v.string(),
  album: v.string(),
  codec: v.picklist(['flac', 'wav']),
  sampleRate: v.pipe(v.number(), v.integer(), v.minValue(1)),
  bitsPerSample: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)),
  channels: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(8)),
  durationSec: v.pipe(v.number(), v.minValue(0)),
  bytes: v.pipe(v.number(), v.integer(), v.minValue(0)),
  sha256: v.pipe(v.string(), v.regex(/^[a-f0-9]{64}$/)),
})
export type Track = v.InferOutput<typeof TrackSchema>

/** A track's id: the head of its SHA-256, so the same file is the same track in any library or on any disk. */
export function trackIdFor(sha256: string): string {
  return sha256.slice(0, 24)
}

export const TrackListSchema = v.array(TrackSchema)

/** The `X-Audio-Quality` header value, e.g. `2304kbps, 96000Hz, 24bit, flac`. */
export function audioQualityHeader(t: Pick<Track, 'bytes' | 'durationSec' | 'sampleRate' | 'bitsPerSample' | 'codec'>): string {
  const kbps = t.durationSec > 0 ? Math.round((t.bytes * 8) / t.durationSec / 1000) : 0
  return `${kbps}kbps, ${t.sampleRate}Hz, ${t.bitsPerSample}bit, ${t.codec}`
}
