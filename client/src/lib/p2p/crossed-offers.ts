/**
 * Two peers whose WebRTC offers cross on the tracker (each announced before
 * the other's offer reached it: a room's listeners opening the next track at
 * the same moment, a seed's first announce still in flight when a listener
 * joins) each end up with two connections to the other, one per offer.
 * WebTorrent keys peers by peer id and destroys whichever connection arrives
 * second (Torrent._addPeer, "duplicate"). When the two sides see them in
 * opposite orders, each keeps a different one, whose other end is already
 * gone; the pair stays apart until WebTorrent's WebRTC connect timeout
 * (25 s), and every re-announce meanwhile is turned away by the same dead
 * entry. A Node test saw a listener with 0 peers for 20 s this way.
 *
 * So both sides keep the same one (`supersedes`). Uses two private members
 * of webtorrent 2.8's Torrent (`_addPeer`, `_peers`), checked when applied so
 * an upgrade that renames them fails loudly.
 */
import type WebTorrent from 'webtorrent'

interface PeerInternals {
  id: string
  type: string
  /** Its data channel is open (the BitTorrent handshake may still be due). */
  connected: boolean
  destroyed: boolean
  conn: { initiator?: boolean } | null
  destroy(): void
}

interface TorrentInternals {
  _addPeer(peer: unknown, type: string, source: unknown): unknown
  _peers: Map<string, PeerInternals> | null
  client: { peerId: string }
}

/**
 * Whether a WebRTC connection arriving for a peer replaces the one held for
 * it, neither open yet. Decided alike at both ends: of crossed offers, the
 * one made by the lower peer id; of two offers from the same side, the newer
 * (its maker started again: the answer to the first was lost, or the first
 * offer expired on a busy page).
 */
export function supersedes(self: string, remote: string, held: { initiator: boolean }, arriving: { initiator: boolean }): boolean {
  if (held.initiator === arriving.initiator) return true
  const offerer = (c: { initiator: boolean }) => (c.initiator ? self : remote)
  return offerer(arriving) < offerer(held)
}

/** A WebRTC connection to some peer is being set up (not yet open). */
export function connecting(torrent: WebTorrent.Torrent): boolean {
  for (const p of (torrent as unknown as TorrentInternals)._peers?.values() ?? []) if (!p.destroyed && !p.connected) return true
  return false
}

/** Call right after `client.add()`, before the torrent meets a peer. */
export function settleCrossedOffers(torrent: WebTorrent.Torrent): void {
  const t = torrent as unknown as TorrentInternals
  if (typeof t._addPeer !== 'function' || !(t._peers instanceof Map)) throw new Error('webtorrent changed: Torrent._addPeer or _peers is gone; see crossed-offers.ts')
  const add = t._addPeer
  t._addPeer = function (this: TorrentInternals, peer, type, source) {
    const conn = peer as { id?: unknown; initiator?: boolean } | null
    const held = conn && typeof conn === 'object' && typeof conn.id === 'string' ? this._peers?.get(conn.id) : undefined
    // An open connection is never replaced: the arriving one is the duplicate.
    if (held && held.type === 'webrtc' && !held.connected && !held.destroyed && held.conn) {
      // Peer.destroy() also takes it out of _peers, leaving the id free for the arriving one.
      if (supersedes(this.client.peerId, held.id, { initiator: !!held.conn.initiator }, { initiator: !!conn!.initiator })) held.destroy()
    }
    return add.call(this, peer, type, source)
  }
}
