/**
 * A chunk store that keeps the right bytes but serves peers flipped ones:
 * the hostile peer of the P2P tests. WebTorrent answers a peer's block
 * request with `store.get(index, {offset, length})`; its own whole-piece
 * reads pass no options and stay honest.
 */
import MemoryChunkStore from 'memory-chunk-store'

type Cb = (err: Error | null, buf?: Uint8Array) => void
type Range = { offset?: number; length?: number }
const Base = MemoryChunkStore as unknown as new (chunkLength: number, opts?: object) => {
  get(index: number, opts: Range | null, cb: Cb): void
}

export class LyingChunkStore extends Base {
  /** Blocks served with a flipped byte. */
  static lies = 0

  override get(index: number, opts: Range | null | Cb, cb?: Cb): void {
    if (typeof opts === 'function') return this.get(index, null, opts)
    super.get(index, opts, (err, buf) => {
      if (buf && opts) {
        buf = buf.slice()
        buf[0]! ^= 0xff
        LyingChunkStore.lies++
      }
      cb!(err, buf)
    })
  }
}
