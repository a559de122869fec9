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
