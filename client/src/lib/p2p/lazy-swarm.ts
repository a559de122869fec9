/**
 * The room's SwarmClient, loaded a second after the room opens (or when a
 * start first needs it) rather than with the page. WebTorrent is most of
 * the app's code: evaluated with the page, it held a joiner's boot (its
 * signal join, its first WebRTC offer) back on a busy main thread; loaded as
 * the room opened, its evaluation (~36 ms) fell among a joiner's link and
 * clock exchanges. No start waits for it: the origin bridges a start's first
 * bytes, a head read goes to the origin directly, and a start in a track's
 * middle joins the swarm once it sounds (swarm-byte-source.ts).
 */
import type { SwarmClient, SwarmClientOptions, SwarmWant } from './swarm-client.ts'
import type { TorrentPieces } from './torrent-pieces.ts'
import type { TrackTorrent } from './track-torrent.ts'

/** What byte sources and the room use of a SwarmClient. */
export type Swarm = Pick<SwarmClient, 'open' | 'seed' | 'want' | 'release' | 'infoHashes' | 'destroy'>

/** The room's swarm client loads this long after the room opens, unless used first. */
const LOAD_AFTER_MS = 1000

export class LazySwarm implements Swarm {
  private client: SwarmClient | null = null
  private loading: Promise<SwarmClient> | null = null
  private destroyed = false

  constructor(private readonly opts: SwarmClientOptions) {
    setTimeout(() => void this.load().catch(() => {}), LOAD_AFTER_MS)
  }

  async open(meta: TrackTorrent, opts?: { prefetch?: boolean; reader?: object }): Promise<TorrentPieces> {
    return (await this.load()).open(meta, opts)
  }

  async seed(meta: TrackTorrent, bytes: Uint8Array): Promise<TorrentPieces> {
    return (await this.load()).seed(meta, bytes)
  }

  want(infoHash: string, reader: object, want: SwarmWant): void {
    if (this.client) this.client.want(infoHash, reader, want)
    else void this.load().then((c) => c.want(infoHash, reader, want), () => {})
  }

  /** Nothing is open before the client is: nothing to release. */
  release(infoHash: string): void {
    this.client?.release(infoHash)
  }

  get infoHashes(): string[] {
    return this.client?.infoHashes ?? []
  }

  async destroy(): Promise<void> {
    this.destroyed = true
    const client = await this.loading?.catch(() => null)
    await client?.destroy()
  }

  private load(): Promise<SwarmClient> {
    this.loading ??= import('./swarm-client.ts').then(({ SwarmClient }) => {
      if (this.destroyed) throw new Error('the room has closed its swarm')
      return (this.client = new SwarmClient(this.opts))
    })
    return this.loading
  }
}
