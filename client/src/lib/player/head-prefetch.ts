/**
 * A joiner's first bytes, asked for with the join reply: the head of the
 * track the room is playing (what seeking into its middle needs). The room
 * page's byte source asks here before the origin. Read at the room page's
 * mount, it came 110-260 ms later (a busy page on bench/sync), and the
 * joiner's placement waited on it.
 */
import type { FileHead, Track } from '../../../../protocol/index.ts'
import { seekPlan } from '../../../../workers/decoder/seek-plan.ts'
import { prefetchRange } from '../p2p/origin-prefetch.ts'
import { trackFrames } from '../sync/timeline.ts'
import { meanBytesPerSecond, streamUrl } from '../tracks.ts'
import { HttpByteSource } from './byte-source.ts'

const heads = new Map<string, Promise<FileHead>>()
/** A head nobody takes (the room moved on) is let go. */
const KEEP_MS = 10_000

export function prefetchHead(track: Track): void {
  if (heads.has(track.id)) return
  const source = new HttpByteSource(streamUrl(track.id))
  const head = source.readHead(track.codec).finally(() => source.close())
  head.catch(() => heads.get(track.id) === head && heads.delete(track.id)) // the source reads it itself then
  heads.set(track.id, head)
  setTimeout(() => heads.get(track.id) === head && heads.delete(track.id), KEEP_MS)
}

/**
 * The bytes a joiner will start from are fetched with its head, from where
 * the room was as the join reply was sent (`positionSec`): everything the
 * joiner decodes later begins at or after it (Player.decodeExpected, then
 * its start a little past where the sound is once its clock estimate is
 * good). This much audio, at most PREFETCH_MAX_BYTES. Fetched once the
 * curator's anchor and the clock were in hand, a joiner's first bytes came
 * 100-430 ms after it asked (bench/sync). Its sound starts where the room
 * is by then, 0.5-2.5 s past the reply's position: with 3 s, as little as
 * 0.6 s of the range was left ahead of it, and bench/sync's joiner ran dry
 * 0.7-1.9 s after its start, waiting on the network for what came next.
 * The rest must last until its swarm (set up once it sounds) delivers: in
 * a probe (four pages playing 24/96, one joining) 2 of 4 joiners still ran
 * dry with 5 s (19 and 35 underruns), 2 of 9 with 8 s (13 and 2), for
 * 3.4-4.5 MB and 3.6-4.5 MB from the library of the 17 MB track.
 * What it does not use goes to its swarm (OriginFetcher reads here too).
 */
const PREFETCH_SEC = 8
const PREFETCH_MAX_BYTES = 4 * 2 ** 20

/**
 * The head comes first, and on a busy joiner it took 110-220 ms (one or two
 * requests): the range is asked for meanwhile, from where the file's mean
 * rate puts the position, this much of the file early (FLAC's compression
 * varies along a track). Once the head says exactly where the start is, a
 * start before the guess is filled in from there; one past it (the guess
 * was short by more than the range) is fetched as before.
 */
const GUESS_MARGIN = 0.02

export function prefetchPlaying(track: Track, positionSec: number): void {
  prefetchHead(track)
  const head = heads.get(track.id)
  const url = streamUrl(track.id)
  const bytesPerSec = meanBytesPerSecond(track) ?? 0
  const span = Math.min(PREFETCH_MAX_BYTES, Math.ceil(PREFETCH_SEC * bytesPerSec))
  const guess = Math.max(0, Math.floor(positionSec * bytesPerSec - GUESS_MARGIN * track.bytes))
  const guessEnd = Math.min(track.bytes, guess + span)
  if (bytesPerSec > 0) prefetchRange(url, guess, guessEnd)
  void head?.then((h) => {
    const frame = Math.min(Math.max(0, Math.floor(positionSec * track.sampleRate)), trackFrames(track) - 1)
    const plan = seekPlan(track.codec, h, track.bytes, frame)
    if (bytesPerSec > 0 && plan.startByte >= guess && plan.startByte < guessEnd) return
    if (bytesPerSec > 0 && plan.startByte < guess) return prefetchRange(url, plan.startByte, guess)
    prefetchRange(url, plan.startByte, Math.min(track.bytes, plan.startByte + span))
  }, () => {})
}

/** The head read ahead for `trackId`, handed over once. */
export function takePrefetchedHead(trackId: string): Promise<FileHead> | undefined {
  const head = heads.get(trackId)
  heads.delete(trackId)
  return head
}
