import type { Reply, ServerMessage } from '../protocol/index.ts'

/** Socket.IO event maps: one `msg` event each way, payloads from protocol/. */
export interface ServerToClientEvents {
  msg: (m: ServerMessage) => void
}
export interface ClientToServerEvents {
  // Incoming payloads are untrusted: typed unknown until validated.
  msg: (m: unknown, ack?: (r: Reply) => void) => void
}
export interface SocketData {
  peerId: string
  /** Rooms this socket belongs to. */
  rooms: Set<string>
}
