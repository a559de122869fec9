/**
 * The .torrent of a curator's own file travels over the room's data
 * channels (there is no origin to serve it): a listener asks the curator,
 * or any peer holding it, and checks that what comes back hashes to the
 * infohash the curator signed, so a peer cannot substitute another file.
 */
import parseTorrent from 'parse-torrent'
import { TORRENT_MAX_PARTS, TORRENT_PART_CHARS, type PeerMessage } from '../../../../protocol/index.ts'
import type { PeerLink } from '../peer-link.ts'
import { fromBase64url, toBase64url } from '../room/base64url.ts'
import type { RoomSession } from '../room-session.svelte.ts'

type Part = Extract<PeerMessage, { type: 'torrent.part' }>
const ASK_TIMEOUT_MS = 5000

export function torrentParts(infoHash: string, file: Uint8Array): Part[] {
  const b64 = toBase64url(file)
  const parts = Math.max(1, Math.ceil(b64.length / TORRENT_PART_CHARS))
  if (parts > TORRENT_MAX_PARTS) throw new Error('this track is too large to share its torrent')
  return Array.from({ length: parts }, (_, part) => ({ type: 'torrent.part', infoHash, part, parts, data: b64.slice(part * TORRENT_PART_CHARS, (part + 1) * TORRENT_PART_CHARS) }))
}

/** Reassembles parts; null until all are in, or when they disagree or do not decode. */
export class PartsCollector {
  private readonly got = new Map<number, string>()
  private parts = 0

  add(m: Part): Uint8Array | null {
    if (this.parts === 0) this.parts = m.parts
    if (m.parts !== this.parts) return null
    this.got.set(m.part, m.data)
    if (this.got.size < this.parts) return null
    return fromBase64url(Array.from({ length: this.parts }, (_, i) => this.got.get(i) ?? '').join(''))
  }
}

export class TorrentExchange {
  private readonly waiting = new Map<string, { collector: PartsCollector; from: string; done: (file: Uint8Array) => void }>()
  private readonly disposers: (() => void)[] = []

  constructor(
    private readonly session: RoomSession,
    /** The .torrent files this page can give (its own files, and ones it fetched). */
    private readonly held: (infoHash: string) => Uint8Array | undefined,
  ) {
    const onMessage = (m: PeerMessage, from: PeerLink) => this.onMessage(m, from)
    session.peerMessages.add(onMessage)
    this.disposers.push(() => session.peerMessages.delete(onMessage))
  }

  /** The .torrent for `infoHash`, from the curator first, then any other peer. */
  async request(infoHash: string): Promise<Uint8Array> {
    const mesh = this.session.mesh
    const curator = this.session.room?.curatorId
    const links = (mesh?.openLinks() ?? []).sort((a, b) => Number(b.remoteId === curator) - Number(a.remoteId === curator))
    for (const link of links) {
      const file = await this.ask(link, infoHash)
      if (file) return file
    }
    throw new Error('no peer in the room holds this track’s torrent (has the curator left?)')
  }

  destroy(): void {
    for (const d of this.disposers.splice(0)) d()
  }

  private ask(link: PeerLink, infoHash: string): Promise<Uint8Array | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), ASK_TIMEOUT_MS)
      const finish = (file: Uint8Array | null) => {
        clearTimeout(timer)
        this.waiting.delete(infoHash)
        resolve(file)
      }
      this.waiting.set(infoHash, {
        collector: new PartsCollector(),
        from: link.remoteId,
        done: (file) => void verify(file, infoHash).then((ok) => finish(ok ? file : null)),
      })
      link.send({ type: 'torrent.req', infoHash })
    })
  }

  private onMessage(m: PeerMessage, from: PeerLink): void {
    if (m.type === 'torrent.req') {
      const file = this.held(m.infoHash)
      if (!file) return
      for (const part of torrentParts(m.infoHash, file)) from.send(part)
    } else if (m.type === 'torrent.part') {
      const w = this.waiting.get(m.infoHash)
      if (!w || w.from !== from.remoteId) return
      const file = w.collector.add(m)
      if (file) w.done(file)
    }
  }
}

async function verify(file: Uint8Array, infoHash: string): Promise<boolean> {
  try {
    return (await parseTorrent(file)).infoHash === infoHash
  } catch {
    return false
  }
}
