import type { Reply, ServerMessage } from '../protocol/index.ts'

/** Socket.IO event maps: one `msg` event each way, payloads from protocol/. */
export interface ServerToClientEvents {
  msg: (m: ServerMessage) => void
}
/**
 * The one server→client message answered by an ack: `curator.check`, on the
 * same `msg` event. A map of its own because Socket.IO's typings treat an
 * event as either always or never acknowledged; the hub views the curator's
 * socket through it only for `timeout().emitWithAck`. The answer is
 * untrusted: unknown until validated as CuratorCheckReply.
 */
export interface CuratorCheckEvents {
  msg: (m: Extract<ServerMessage, { type: 'curator.check' }>, ack: (r: unknown) => void) => void
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
