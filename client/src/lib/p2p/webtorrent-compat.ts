/**
 * Works around a crash in webtorrent 2.8.5 with uint8-util 2.3.x, the
 * versions installed here: `Torrent` computes a debug id with
 * `arr2hex(parsedTorrent.infoHash)`, but infoHash is a hex *string*, and
 * uint8-util 2.3 made arr2hex bytes-only (Node: `Buffer.from(str.buffer)`
 * throws; browser: `str.toHex()` is not a function). Every `client.add()` and
 * `client.seed()` dies with ERR_INVALID_ARG_TYPE (webtorrent-cli#365,
 * profullstack/media-streamer#150). uint8-util 2.2.6 tolerated strings.
 *
 * The proper fix is one line in package.json, `"overrides": {"uint8-util":
 * "2.2.6"}` (uint8-util 2.3's browser arr2hex also needs Uint8Array.toHex,
 * Chromium 140+); until it lands, this re-declares the two affected methods
 * minus the debug-id line. It patches only when the bug is present, so the
 * pin (or an upstream fix) makes it a no-op. The bodies follow webtorrent
 * 2.8.5 lib/torrent.js (MIT), without the paths this project never takes:
 * remote/Blob torrent ids and the `WEBTORRENT_ANNOUNCE` global.
 */
import parseTorrent, { toMagnetURI, toTorrentFile, type ParsedTorrent } from 'parse-torrent'
import { arr2hex } from 'uint8-util'
import Torrent from 'webtorrent/lib/torrent.js'

interface TorrentInternals {
  destroyed: boolean
  infoHash?: string
  _debugId?: string
  private?: boolean
  announce?: string[]
  urlList?: string[]
  magnetURI?: string
  torrentFile?: Uint8Array
  client: { tracker?: false | { announce?: string[] } }
  _onParsedTorrent(parsed: ParsedTorrent): void
  _destroy(err: Error): void
}

function arr2hexAcceptsStrings(): boolean {
  try {
    ;(arr2hex as (x: unknown) => string)('00')
    return true
  } catch {
    return false
  }
}

let applied = false

/** Idempotent; call before the first `new WebTorrent()`. */
export function applyWebTorrentCompat(): void {
  if (applied) return
  applied = true
  if (arr2hexAcceptsStrings()) return
  const proto = Torrent.prototype as Record<string, unknown>

  proto._onTorrentId = async function (this: TorrentInternals, torrentId: unknown): Promise<void> {
    if (this.destroyed) return
    let parsed: ParsedTorrent | undefined
    try {
      parsed = await parseTorrent(torrentId as Uint8Array)
    } catch {}
    // The swarm only ever adds complete .torrent files (see track-torrent.ts),
    // so the original's fallback for remote URLs and Blobs is not needed.
    if (!parsed?.infoHash) return this._destroy(new Error('Invalid torrent identifier'))
    this.infoHash = parsed.infoHash
    this._debugId = parsed.infoHash.slice(0, 7)
    const p = parsed
    queueMicrotask(() => {
      if (!this.destroyed) this._onParsedTorrent(p)
    })
  }

  proto._processParsedTorrent = function (this: TorrentInternals, parsed: ParsedTorrent): void {
    this._debugId = parsed.infoHash.slice(0, 7)
    if (typeof this.private !== 'undefined') parsed.private = this.private
    if (Array.isArray(this.announce)) parsed.announce = parsed.announce.concat(this.announce)
    const tracker = this.client.tracker
    if (tracker && Array.isArray(tracker.announce) && !parsed.private) parsed.announce = parsed.announce.concat(tracker.announce)
    if (this.urlList) parsed.urlList = parsed.urlList.concat(this.urlList)
    parsed.announce = Array.from(new Set(parsed.announce))
    parsed.urlList = Array.from(new Set(parsed.urlList))
    Object.assign(this, parsed)
    this.magnetURI = toMagnetURI(parsed)
    this.torrentFile = toTorrentFile(parsed)
  }
}
