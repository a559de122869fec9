/**
 * simple-peer (10.1.2, @thaunknown's fork, as used here and by WebTorrent)
 * emits 'connect' only once getStats() reports the selected candidate pair,
 * to fill in `remoteAddress`/`localAddress`; when the report lags the data
 * channel's open, as it usually does in Chromium, it asks again 100 ms
 * later. A joiner's link to the curator opened 30-100 ms after its channel
 * could carry data (a probe: channel open at 1033 ms, link at 1084; 655 and
 * 685). Nothing here reads those addresses (host candidates are mDNS names
 * anyway).
 *
 * So a room link's 'connect' comes as soon as both the ICE connection and
 * the channel are up. The body follows simple-peer's _maybeReady (MIT)
 * without the stats wait and without the bufferedAmountLowThreshold
 * fallback (every browser this runs in, and @roamhq/wrtc, have it).
 *
 * Only for the room's own links, not WebTorrent's wires (which would cope
 * without the addresses too): with every connection patched,
 * tests/integration/p2p-swarm's origin went over its 1.5× bound in 4 of 15
 * runs (1.5-1.8×; 0 of 8 without). Not understood.
 */
import { concat } from 'uint8-util'

interface PeerInternals {
  _connected: boolean
  _connecting: boolean
  _pcReady: boolean
  _channelReady: boolean
  _chunk: unknown
  _cb: ((err: Error | null) => void) | null
  destroyed: boolean
  send(chunk: unknown): void
  emit(event: string): void
  __destroy(err?: Error): void
}

/** Makes `peer` emit 'connect' without waiting on getStats(); call right after constructing it. */
export function connectWithoutStats(peer: object): void {
  ;(peer as unknown as Record<string, unknown>)._maybeReady = function (this: PeerInternals): void {
    if (this._connected || this._connecting || !this._pcReady || !this._channelReady || this.destroyed) return
    this._connected = true
    // Written before the connection was up (the stream's write()): sent now.
    if (this._chunk) {
      try {
        this.send(this._chunk)
      } catch (err) {
        return this.__destroy(Object.assign(err as Error, { code: 'ERR_DATA_CHANNEL' }))
      }
      this._chunk = null
      const cb = this._cb
      this._cb = null
      cb?.(null)
    }
    this.emit('connect')
  }
}

/**
 * simple-peer turns every stream write into one data-channel message, and
 * WebTorrent's wire writes each protocol message on its own: a piece is a
 * 13-byte header, then its 16 KiB block; `have` and `request` are 9 and 17
 * bytes. In bench/sync's room (5 pages, 24/96) each page sent 220-290
 * messages a second, four in five under 64 bytes, and `RTCDataChannel.send`
 * took 0.4 s of a listener's 2.8 s of main-thread work in 6 s. The wire is a
 * byte stream, so what is written in one tick may leave as one message:
 * streamx hands queued writes over together (`_writev`) once `_write` is its
 * own default again. Batched, the pages sent 100-135 messages a second.
 */
const BATCH_MAX_BYTES = 64 * 1024

interface WritablePeer {
  _write(chunk: Uint8Array, cb: (err?: Error | null) => void): void
  _writev?(batch: Uint8Array[], cb: (err?: Error | null) => void): void
}

/** Makes every simple-peer of `PeerClass` send what its stream was written in one tick as few messages as fit BATCH_MAX_BYTES. */
export function batchStreamWrites(PeerClass: { prototype: object }): void {
  const proto = PeerClass.prototype as WritablePeer & { __batched?: boolean }
  if (proto.__batched) return
  proto.__batched = true
  const writeOne = proto._write
  // streamx's Duplex (simple-peer's base class): its _write hands over what is queued to _writev.
  proto._write = (Object.getPrototypeOf(proto) as WritablePeer)._write
  proto._writev = function (this: WritablePeer, batch, cb) {
    const messages = batch.every((c) => c instanceof Uint8Array) ? joinChunks(batch, BATCH_MAX_BYTES) : batch
    // In order, each after the one before was taken: simple-peer's own write
    // holds its callback back while the channel's buffer is full.
    let i = 0
    const next = (err?: Error | null): void => {
      if (err) return cb(err)
      const last = i === messages.length - 1
      writeOne.call(this, messages[i++]!, last ? cb : next)
    }
    next()
  }
}

/** `chunks` joined in order into as few byte arrays as keep each within `max` (a larger chunk stays whole). */
export function joinChunks(chunks: readonly Uint8Array[], max: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let group: Uint8Array[] = []
  let size = 0
  const flush = () => {
    if (group.length === 1) out.push(group[0]!)
    else if (group.length > 1) out.push(concat(group, size))
    group = []
    size = 0
  }
  for (const c of chunks) {
    if (size > 0 && size + c.byteLength > max) flush()
    group.push(c)
    size += c.byteLength
  }
  flush()
  return out
}
