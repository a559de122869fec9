/**
 * Whole pieces out of a byte stream that does not come in pieces: the
 * origin's range responses (SwarmByteSource's bridge) arrive in chunks of
 * whatever size the network gives. Those bytes are played, and they must also
 * reach the torrent's store: otherwise no piece of a bridged opening is ever
 * held here, nobody in the room can fetch it from this browser, and the track
 * never completes, so it is never cached. Pure: the caller injects the pieces
 * (which verifies each against the torrent).
 */
import { pieceBytes, type PieceLayout } from './piece-plan.ts'

export interface AssembledPiece {
  index: number
  bytes: Uint8Array
}

export class PieceAssembler {
  private index = -1
  private filled = 0
  private buffer: Uint8Array | null = null

  constructor(private readonly layout: PieceLayout) {}

  /**
   * Bytes read at file offset `at`. Pieces they complete come back, in order.
   * A chunk that does not continue the last one (a new range elsewhere) drops
   * the unfinished piece; bytes before the first piece boundary of a range
   * that starts mid-piece (a mid-track join) are skipped: half a piece
   * cannot be verified.
   */
  add(at: number, chunk: Uint8Array): AssembledPiece[] {
    const out: AssembledPiece[] = []
    const { pieceLength } = this.layout
    if (at !== this.index * pieceLength + this.filled) this.buffer = null
    let offset = 0
    while (offset < chunk.byteLength) {
      const pos = at + offset
      if (this.buffer === null) {
        // Only from a piece's first byte on.
        const next = Math.ceil(pos / pieceLength)
        const skip = next * pieceLength - pos
        if (skip >= chunk.byteLength - offset || next >= this.layout.count) break
        offset += skip
        this.index = next
        this.filled = 0
        this.buffer = new Uint8Array(pieceBytes(this.layout, next))
      }
      const take = Math.min(this.buffer.byteLength - this.filled, chunk.byteLength - offset)
      this.buffer.set(chunk.subarray(offset, offset + take), this.filled)
      this.filled += take
      offset += take
      if (this.filled === this.buffer.byteLength) {
        out.push({ index: this.index, bytes: this.buffer })
        this.buffer = null
      }
    }
    return out
  }
}
