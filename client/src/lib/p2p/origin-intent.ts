/**
 * The `aula_origin` wire extension (protocol/swarm.ts): tells connected
 * peers which pieces this listener is fetching from the origin, and hears
 * theirs. Registered on each wire from the torrent's 'wire' event, the hook
 * webtorrent documents for bittorrent-protocol extensions.
 */
import {
  decodeOriginIntent,
  encodeOriginIntent,
  ORIGIN_INTENT_EXTENSION,
  ORIGIN_INTENT_MAX_PER_SECOND,
} from '../../../../protocol/index.ts'

interface ExtWire {
  destroyed: boolean
  extended(name: string, buf: Uint8Array): void
}

export interface OriginIntentHandler {
  send(piece: number): void
}

export type ExtensionConstructor = { new (wire: ExtWire): OriginIntentHandler; prototype: { name: string } }

export function originIntentExtension(pieceCount: number, onIntent: (piece: number) => void): ExtensionConstructor {
  class OriginIntent implements OriginIntentHandler {
    private supported = false
    private windowStart = 0
    private inWindow = 0

    constructor(private readonly wire: ExtWire) {}

    onExtendedHandshake(handshake: { m?: Record<string, unknown> }): void {
      this.supported = !!handshake?.m && ORIGIN_INTENT_EXTENSION in handshake.m
    }

    onMessage(buf: Uint8Array): void {
      const now = performance.now()
      if (now - this.windowStart > 1000) {
        this.windowStart = now
        this.inWindow = 0
      }
      if (++this.inWindow > ORIGIN_INTENT_MAX_PER_SECOND) return
      const piece = decodeOriginIntent(buf, pieceCount)
      if (piece !== null) onIntent(piece)
    }

    send(piece: number): void {
      if (this.supported && !this.wire.destroyed) this.wire.extended(ORIGIN_INTENT_EXTENSION, encodeOriginIntent(piece))
    }
  }
  ;(OriginIntent.prototype as unknown as { name: string }).name = ORIGIN_INTENT_EXTENSION
  return OriginIntent as unknown as ExtensionConstructor
}
