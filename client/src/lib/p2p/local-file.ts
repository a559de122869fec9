/**
 * A FLAC or WAV file from the curator's disk, made into a track the room can
 * queue: format from its own header, tags from music-metadata when it has
 * any (the file name otherwise), and a content-derived id like the library's
 * (signal/library/scan.ts), so the same file is the same track everywhere.
 * Nothing leaves this browser but the metadata and, to peers, the pieces.
 */
import { ROOM_LIMITS, trackIdFor, type Track, type TrackCodec } from '../../../../protocol/index.ts'
import { parseHead } from '../../../../workers/decoder/file-head.ts'
import { Sha256 } from '../../../../workers/decoder/sha256.ts'

/** Whole files are held in memory while seeded: bound what one drop can take. */
export const LOCAL_FILE_MAX_BYTES = 1024 * 2 ** 20

export class LocalFileError extends Error {}

/** The codec by content, not by name: a renamed MP3 is refused. Some taggers put an ID3v2 tag before a FLAC stream. */
export function sniffCodec(bytes: Uint8Array): TrackCodec | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to))
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav'
  let at = 0
  if (ascii(0, 3) === 'ID3' && bytes.length >= 10) {
    const size = ((bytes[6]! & 0x7f) << 21) | ((bytes[7]! & 0x7f) << 14) | ((bytes[8]! & 0x7f) << 7) | (bytes[9]! & 0x7f)
    at = 10 + size + (bytes[5]! & 0x10 ? 10 : 0)
  }
  return ascii(at, at + 4) === 'fLaC' ? 'flac' : null
}

export interface TagReader {
  (bytes: Uint8Array, mimeType: string): Promise<{ title?: string | undefined; artist?: string | undefined; album?: string | undefined }>
}

/** music-metadata, loaded only when a curator adds a file. */
export const musicMetadataTags: TagReader = async (bytes, mimeType) => {
  const { parseBuffer } = await import('music-metadata')
  const { common } = await parseBuffer(bytes, { mimeType, size: bytes.byteLength }, { skipCovers: true, duration: false })
  return { title: common.title, artist: common.artist, album: common.album }
}

export async function localTrack(name: string, bytes: Uint8Array, tags: TagReader = musicMetadataTags): Promise<Track> {
  if (bytes.byteLength > LOCAL_FILE_MAX_BYTES) throw new LocalFileError(`“${name}” is larger than ${LOCAL_FILE_MAX_BYTES / 2 ** 20} MB`)
  const codec = sniffCodec(bytes)
  if (!codec) throw new LocalFileError(`“${name}” is not a FLAC or WAV file`)
  let format
  let frames: number | null
  try {
    const head = parseHead(codec, bytes)
    format = head.format
    frames = format.totalFrames ?? (head.blockAlign && head.dataBytes !== null ? head.dataBytes / head.blockAlign : null)
  } catch (err) {
    throw new LocalFileError(`“${name}” cannot be read: ${(err as Error).message}`)
  }
  if (!frames) throw new LocalFileError(`“${name}” does not say how long it is (no total in its header)`)
  const found = await tags(bytes, codec === 'flac' ? 'audio/flac' : 'audio/wav').catch(() => ({ title: undefined, artist: undefined, album: undefined }))
  const sha256 = new Sha256().update(bytes).digestHex()
  const clip = (s: string | undefined, fallback: string) => (s?.trim() || fallback).slice(0, ROOM_LIMITS.localTagMax)
  return {
    id: trackIdFor(sha256),
    title: clip(found.title, name.replace(/\.(flac|wav)$/i, '')),
    artist: clip(found.artist, 'Unknown artist'),
    album: clip(found.album, 'From the curator'),
    codec,
    sampleRate: format.sampleRate,
    bitsPerSample: format.bitsPerSample,
    channels: format.channels,
    durationSec: frames / format.sampleRate,
    bytes: bytes.byteLength,
    sha256,
  }
}
