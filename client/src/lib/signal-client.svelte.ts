/**
 * The browser's one Socket.IO connection. Everything it receives is validated
 * against protocol/ before anyone sees it; requests time out with a clear
 * error instead of hanging when the server has vanished.
 */
import { io, type Socket } from 'socket.io-client'
import {
  parseReply,
  parseServerMessage,
  protocolError,
  PROTOCOL_VERSION,
  type ClientMessage,
  type Reply,
  type ServerMessage,
} from '../../../protocol/index.ts'

interface ServerEvents {
  msg: (m: unknown, ack?: (answer: unknown) => void) => void
}
interface ClientEvents {
  msg: (m: ClientMessage, ack?: (r: unknown) => void) => void
}

type Listener = (m: ServerMessage) => void
const REQUEST_TIMEOUT_MS = 5000

export class SignalClient {
  connected = $state(false)
  /** Set when the server refuses us for good (e.g. an incompatible version). */
  fatal = $state<string | null>(null)
  private readonly socket: Socket<ServerEvents, ClientEvents>
  private readonly listeners = new Set<Listener>()
  private readonly reconnectHooks = new Set<() => void>()
  private wasConnected = false

  constructor(url?: string) {
    const opts = { auth: { v: PROTOCOL_VERSION }, transports: ['websocket', 'polling'] }
    this.socket = url ? io(url, opts) : io(opts)
    this.socket.on('connect', () => {
      performance.mark('aula:connected')
      this.connected = true
      if (this.wasConnected) for (const hook of this.reconnectHooks) hook()
      this.wasConnected = true
    })
    this.socket.on('disconnect', () => (this.connected = false))
    this.socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (err.data?.code === 'incompatible_version') {
        this.fatal = protocolError('incompatible_version').message
        this.socket.disconnect()
      }
    })
    this.socket.on('msg', (raw, ack) => {
      const parsed = parseServerMessage(raw)
      if (!parsed.ok) return console.warn('[signal] dropped invalid message:', parsed.error.message)
      // Someone claims the curatorship: a page that can answer is alive. A
      // frozen or unreachable tab cannot, and loses the role (signal-hub.ts).
      if (parsed.value.type === 'curator.check') return typeof ack === 'function' ? ack({ alive: true }) : undefined
      for (const l of this.listeners) l(parsed.value)
    })
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Called after a reconnect: the server forgot us, so sessions rejoin. */
  onReconnect(hook: () => void): () => void {
    this.reconnectHooks.add(hook)
    return () => this.reconnectHooks.delete(hook)
  }

  send(m: ClientMessage): void {
    this.socket.emit('msg', m)
  }

  async request(m: ClientMessage): Promise<Reply> {
    let raw: unknown
    try {
      raw = await this.socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck('msg', m)
    } catch {
      return { ok: false, error: protocolError('connection_lost') }
    }
    const parsed = parseReply(raw)
    return parsed.ok ? parsed.value : { ok: false, error: parsed.error }
  }
}

let shared: SignalClient | undefined
/** The page's connection, opened on first use. */
export function signalClient(): SignalClient {
  shared ??= new SignalClient()
  return shared
}
