/**
 * Peer-to-peer delivery of tracks: one BitTorrent swarm (WebTorrent over
 * WebRTC) per queued track. Everything both ends must agree on lives here:
 * how a track's torrent is built (so every holder of the file computes the
 * same infohash), where the tracker and the torrent metadata are served, and
 * the names of the figures shown to people.
 */
import * as v from 'valibot'
import type { Track } from './track.ts'

/**
 * Piece length of every track torrent. Part of the infohash: changing it
 * splits swarms between old and new clients, so it moves with PROTOCOL_VERSION.
 * 64 KiB, measured by bench/p2p.ts (10 listeners, an 8 MB 24/96 FLAC, starts
 * spread over 3 s), two runs each: origin bytes 1.05-1.07× the track at
 * 64 KiB, 1.12-1.17× at 128 KiB, 1.30-1.33× at 256 KiB (the plan's
 * suggestion). The piece is the unit the origin is asked for (it is the
 * unit of verification), and a listener still connecting to peers asks the
 * origin for about one; smaller pieces waste less. At 4 blocks a piece WebTorrent's request pipeline stays full, and a
 * 100 MB 24/192 track needs 1,600 hashes (32 KB of metadata).
 */
export const SWARM_PIECE_LENGTH = 64 * 1024

/** WebSocket tracker, on the signal server's own port. */
export const TRACKER_PATH = '/tracker'

/** `GET /api/torrent/:trackId` → the track's .torrent (application/x-bittorrent). */
export const TORRENT_PATH_PREFIX = '/api/torrent/'

/** Tracker messages are announces with ≤ 5 SDP offers; nothing legitimate is near this. */
export const MAX_TRACKER_MESSAGE_BYTES = 64 * 1024

/**
 * BEP 10 extension between listeners: "I am fetching piece N from the
 * origin". A listener that hears it treats the piece as held by a peer and
 * waits for it instead of asking the origin too, so listeners who start
 * within moments of each other do not each download the same piece from a
 * thin uplink. Payload: the piece index, 4 bytes big-endian.
 */
export const ORIGIN_INTENT_EXTENSION = 'aula_origin'
/** An intent unanswered by a `have` this long is forgotten. */
export const ORIGIN_INTENT_TTL_MS = 3000
/** Intents accepted per peer per second; more are ignored (a flood would only delay fallbacks). */
export const ORIGIN_INTENT_MAX_PER_SECOND = 64

export function encodeOriginIntent(piece: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, piece)
  return out
}

/** The piece index, or null for anything malformed or out of range. */
export function decodeOriginIntent(buf: Uint8Array, pieceCount: number): number | null {
  if (!(buf instanceof Uint8Array) || buf.byteLength !== 4) return null
  const piece = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0)
  return piece < pieceCount ? piece : null
}

export const InfoHashSchema = v.pipe(v.string(), v.regex(/^[a-f0-9]{40}$/))
export type InfoHash = v.InferOutput<typeof InfoHashSchema>

/**
 * The torrent's file name: content-addressed, so two rooms queueing the same
 * file (library or a curator's disk) land in the same swarm, and nothing about
 * the curator's folders leaks into it.
 */
export function trackTorrentName(track: Pick<Track, 'sha256' | 'codec'>): string {
  return `${track.sha256}.${track.codec}`
}

/** Where the bytes a listener played came from (shown in the quality panel). */
export type ByteOrigin = 'peer' | 'origin' | 'cache'

export interface SwarmCounters {
  /** Verified bytes that arrived from other listeners. */
  bytesFromPeers: number
  /** Bytes the origin sent (including any a peer delivered first). */
  bytesFromOrigin: number
  /** Bytes read back from this browser's track cache. */
  bytesFromCache: number
  /** Bytes that failed verification and were thrown away. */
  bytesRejected: number
  /** Connected peers in this track's swarm. */
  peers: number
  /** Peers disconnected for sending bad pieces. */
  peersBanned: number
  /** Pieces that arrived after the play head needed them. */
  piecesLate: number
}

export const SWARM_ERRORS = {
  torrent_mismatch: "The track's swarm metadata does not describe this track",
  torrent_unavailable: "The track's swarm metadata could not be loaded",
  origin_failed: 'The library did not deliver a piece of this track',
  origin_corrupt: 'The library sent bytes that do not match the track',
  cache_full: 'Not cached: the cache is full of popular tracks; raise the cache size in Settings to keep more',
  cache_too_small: 'Not cached: the track is larger than the cache size in Settings',
  cache_unavailable: 'Not cached: this browser refused the storage (full disk or private browsing)',
  cache_mismatch: 'Not cached: the bytes do not match the track',
} as const
export type SwarmErrorCode = keyof typeof SWARM_ERRORS

export class SwarmError extends Error {
  constructor(
    readonly code: SwarmErrorCode,
    detail?: string,
  ) {
    super(detail ? `${SWARM_ERRORS[code]}: ${detail}` : SWARM_ERRORS[code])
  }
}
