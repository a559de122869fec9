/** Every size and rate bound of the wire, in one place so both ends agree. */
export const LIMITS = {
  /** Socket.IO `maxHttpBufferSize`: nothing legitimate comes close. */
  maxSignalMessageBytes: 64 * 1024,
  /** An SDP with many candidates stays well under this. */
  maxSignalPayloadBytes: 16 * 1024,
  /** Data-channel control messages; audio pieces travel elsewhere. */
  maxPeerMessageBytes: 64 * 1024,
  maxQueue: 500,
  /** Listeners whose sync state the curator shares; keeps the table under the message cap. */
  maxSyncTable: 200,
  roomNameMax: 60,
  displayNameMax: 40,
  maxListenersCap: 500,
  maxListenersDefault: 50,
  /** A socket may curate at most this many rooms at once. */
  maxRoomsPerSocket: 3,
  /** Rooms on one server; beyond this "Create room" is refused. */
  maxRooms: 10_000,
  /** Token-bucket rates per socket, per event family. */
  rate: {
    room: { perSecond: 2, burst: 10 },
    signal: { perSecond: 50, burst: 200 },
    peer: { perSecond: 50, burst: 200 },
    report: { perSecond: 1, burst: 10 },
  },
  /** Invalid or rate-limited messages tolerated before a disconnect. */
  abuseStrikes: 50,
} as const

/** Unguessable ids: 16 random bytes (128 bits) as base64url. */
export const TOKEN_BYTES = 16
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{8,32}$/
export const PEER_ID_PATTERN = /^[A-Za-z0-9_-]{8,32}$/
