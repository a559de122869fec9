// webtorrent and its helpers ship no types; this covers what client/src/lib/p2p
// and signal/tracker.ts use. Private members the swarm relies on are typed
// where they are used (client/src/lib/p2p/torrent-pieces.ts), not here.

declare module 'webtorrent' {
  import type { EventEmitter } from 'node:events'

  namespace WebTorrent {
    interface Wire extends EventEmitter {
      peerId: string
      type: string
      destroyed: boolean
      peerPieces: { get(index: number): boolean }
      requests: { piece: number; offset: number; length: number }[]
      downloadSpeed(): number
      have(index: number): void
      use(extension: { prototype: { name: string } }): void
      destroy(): void
    }
    interface Torrent extends EventEmitter {
      infoHash: string
      ready: boolean
      done: boolean
      destroyed: boolean
      length: number
      pieceLength: number
      lastPieceLength: number
      pieces: unknown[]
      wires: Wire[]
      numPeers: number
      /** null until the metadata is in (before `ready`). */
      bitfield: { get(index: number): boolean } | null
      store: {
        get(index: number, cb: (err: Error | null, buf?: Uint8Array) => void): void
        get(index: number, opts: { offset?: number; length?: number } | null, cb: (err: Error | null, buf?: Uint8Array) => void): void
        put(index: number, buf: Uint8Array, cb: (err: Error | null) => void): void
      }
      select(from: number, to: number, priority?: number): void
      deselect(from: number, to: number): void
      critical(from: number, to: number): void
      destroy(opts?: { destroyStore?: boolean }, cb?: (err?: Error) => void): void
    }
    interface AddOptions {
      announce?: string[]
      store?: unknown
      deselect?: boolean
      private?: boolean
      strategy?: 'sequential' | 'rarest'
    }
    interface Options {
      dht?: boolean
      lsd?: boolean
      utp?: boolean
      utPex?: boolean
      natUpnp?: boolean
      natPmp?: boolean
      webSeeds?: boolean
      maxConns?: number
      tracker?: false | { rtcConfig?: RTCConfiguration; wrtc?: unknown; announce?: string[] }
    }
  }

  class WebTorrent extends EventEmitter {
    constructor(opts?: WebTorrent.Options)
    readonly torrents: WebTorrent.Torrent[]
    destroyed: boolean
    add(torrentId: Uint8Array, opts?: WebTorrent.AddOptions, onTorrent?: (t: WebTorrent.Torrent) => void): WebTorrent.Torrent
    get(infoHash: string): Promise<WebTorrent.Torrent | null>
    destroy(cb?: (err?: Error) => void): void
  }
  export default WebTorrent
}

declare module 'webtorrent/lib/torrent.js' {
  const Torrent: { prototype: object }
  export default Torrent
}

declare module 'memory-chunk-store' {
  const MemoryChunkStore: unknown
  export default MemoryChunkStore
}

declare module 'create-torrent' {
  interface CreateTorrentOptions {
    name: string
    pieceLength: number
    private?: boolean
    announceList?: string[][]
    urlList?: string[]
    creationDate?: Date | number
    createdBy?: string
  }
  function createTorrent(
    input: Uint8Array | Blob | (Uint8Array | Blob)[],
    opts: CreateTorrentOptions,
    cb: (err: Error | null, torrent: Uint8Array) => void,
  ): void
  export default createTorrent
}

declare module 'parse-torrent' {
  interface ParsedTorrent {
    infoHash: string
    name: string
    private?: boolean
    length: number
    pieceLength: number
    lastPieceLength: number
    pieces: string[]
    files: { name: string; length: number; offset: number }[]
    announce: string[]
    urlList: string[]
    info?: Record<string, unknown>
  }
  function parseTorrent(torrentId: Uint8Array | ParsedTorrent): Promise<ParsedTorrent>
  export function toMagnetURI(parsed: ParsedTorrent): string
  export function toTorrentFile(parsed: ParsedTorrent): Uint8Array
  export default parseTorrent
  export type { ParsedTorrent }
}

declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events'
  interface ServerOptions {
    http?: boolean
    udp?: boolean
    stats?: boolean
    ws?: boolean | { noServer?: boolean; maxPayload?: number; perMessageDeflate?: boolean }
    trustProxy?: boolean
    filter?: (infoHash: string, params: Record<string, unknown>, cb: (err?: Error | null) => void) => void
  }
  export class Server extends EventEmitter {
    constructor(opts?: ServerOptions)
    ws: import('ws').WebSocketServer | null
    torrents: Record<string, { peers: { length: number } }>
    close(cb?: () => void): void
  }
}

declare module 'bencode' {
  const bencode: { encode(value: unknown): Uint8Array; decode(buf: Uint8Array): unknown }
  export default bencode
}
