/**
 * The room's SwarmClient, loaded when first used (or a little after the
 * join). WebTorrent is most of the app's code: evaluated with the page, it
 * held a joiner's first steps (its signal join, its first WebRTC offer)
 * back on a busy main thread, and no start waits on the swarm: the origin
 * bridges a start's first bytes and a head read goes to it directly
 * (swarm-byte-source.ts).
 */
import type { SwarmClient, SwarmClientOptions, SwarmWant } from './swarm-client.ts'
import type { TorrentPieces } from './torrent-pieces.ts'
import type { TrackTorrent } from './track-torrent.ts'

/** What byte sources and the room use of a SwarmClient. */
export type Swarm = Pick<SwarmClient, 'open' | 'seed' | 'want' | 'release' | 'infoHashes' | 'destroy'>

/** Loaded this long after the room opens if nothing needed it sooner, so the first track's swarm set-up does not pay for it. */
const LOAD_ANYWAY_MS = 2000

export class LazySwarm implements Swarm {
  private client: SwarmClient | null = null
  private loading: Promise<SwarmClient> | null = null
  private destroyed = false
  private readonly anyway: ReturnType<typeof setTimeout>

  constructor(private readonly opts: SwarmClientOptions) {
    this.anyway = setTimeout(() => void this.load().catch(() => {}), LOAD_ANYWAY_MS)
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
    clearTimeout(this.anyway)
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
