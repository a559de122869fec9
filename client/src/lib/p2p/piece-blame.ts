/**
 * Who sent the blocks of a piece that failed its hash, and who gets banned.
 * Pure bookkeeping; the torrent adapter reports blocks and verdicts.
 *
 * WebTorrent 2.8 checks every piece's SHA-1 and drops a bad one, but it
 * neither remembers who sent it nor stops asking them (lib/torrent.js
 * `_request`: a mismatch only emits a 'warning' and resets the piece), so a
 * hostile peer can be asked for the same piece forever. Blocks of one piece
 * usually all come from one peer (WebTorrent reserves a piece's blocks on the
 * wire that started it); when they came from one peer alone the verdict is
 * certain and that peer is banned at once. When several peers contributed,
 * each gets a strike, and `maxStrikes` strikes ban: an honest peer that once
 * shared a piece with a liar survives.
 */
export interface BlameVerdict {
  /** Peers to disconnect and refuse from now on. */
  ban: string[]
  /** Everyone who sent a block of the bad piece. */
  contributors: string[]
}

export class PieceBlame {
  private readonly senders = new Map<number, Set<string>>()
  private readonly strikes = new Map<string, number>()
  private readonly banned = new Set<string>()

  constructor(private readonly maxStrikes = 3) {}

  /** A block of `piece` arrived from `peer`. */
  block(piece: number, peer: string): void {
    let s = this.senders.get(piece)
    if (!s) this.senders.set(piece, (s = new Set()))
    s.add(peer)
  }

  /** The piece passed its hash: its senders are owed nothing. */
  verified(piece: number): void {
    this.senders.delete(piece)
  }

  failed(piece: number): BlameVerdict {
    const contributors = [...(this.senders.get(piece) ?? [])]
    this.senders.delete(piece)
    const ban: string[] = []
    for (const peer of contributors) {
      if (this.banned.has(peer)) continue
      const strikes = contributors.length === 1 ? this.maxStrikes : (this.strikes.get(peer) ?? 0) + 1
      this.strikes.set(peer, strikes)
      if (strikes >= this.maxStrikes) {
        this.banned.add(peer)
        ban.push(peer)
      }
    }
    return { ban, contributors }
  }

  isBanned(peer: string): boolean {
    return this.banned.has(peer)
  }

  get bannedCount(): number {
    return this.banned.size
  }
}
