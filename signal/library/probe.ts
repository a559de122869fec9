/**
 * Reads what a track says about itself (tags, stream info) with
 * music-metadata, and refuses anything the player could not play losslessly.
 */
import { basename, extname } from 'node:path'
import { parseFile } from 'music-metadata'
import type { Track } from '../../protocol/track.ts'
import { isPlayableWav } from './wav-format.ts'
import type { AudioFile } from './walk.ts'

export type ProbedTrack = Omit<Track, 'id' | 'bytes' | 'sha256'> & {
  /** Only for ordering the library; not part of the wire format. */
  trackNo: number | undefined
}

/** A file that is not a playable track; `message` says why, for the log. */
export class UnplayableFileError extends Error {
  override name = 'UnplayableFileError'
}

export async function probeTrack(file: AudioFile): Promise<ProbedTrack> {
  // music-metadata picks its parser by extension, so a WAV named .flac fails here.
  const { format, common } = await parseFile(file.path, { skipCovers: true })
  if (file.ext === 'flac' && (format.container !== 'FLAC' || format.codec !== 'FLAC')) {
    throw new UnplayableFileError(`not a native FLAC stream (${format.container}/${format.codec})`)
  }
  if (file.ext === 'wav' && (format.container !== 'WAVE' || !(await isPlayableWav(file.path, format.bitsPerSample)))) {
    throw new UnplayableFileError(`not integer PCM or 32-bit float WAV (${format.container}/${format.codec})`)
  }
  const { sampleRate, bitsPerSample, numberOfChannels: channels, duration } = format
  if (!isPositiveInt(sampleRate) || !isPositiveInt(bitsPerSample) || !isPositiveInt(channels)) {
    throw new UnplayableFileError('stream info lacks sample rate, bit depth or channel count')
  }
  // A FLAC encoded from a pipe may leave STREAMINFO's total sample count at 0 (unknown).
  if (duration === undefined || !Number.isFinite(duration) || duration <= 0) {
    throw new UnplayableFileError('unknown duration')
  }
  return {
    title: tag(common.title) ?? basename(file.path, extname(file.path)),
    artist: tag(common.artist) ?? 'Unknown artist',
    album: tag(common.album) ?? 'Unknown album',
    codec: file.ext,
    sampleRate,
    bitsPerSample,
    channels,
    durationSec: duration,
    trackNo: common.track.no ?? undefined,
  }
}

function tag(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed ? trimmed : undefined
}

function isPositiveInt(n: number | undefined): n is number {
  return n !== undefined && Number.isInteger(n) && n > 0
}
