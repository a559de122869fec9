/**
 * A track's byte source opened ahead of the start that will take it: a
 * joiner knows what plays (the curator's anchor) a few clock exchanges before
 * it knows where, and reads the file's head meanwhile (Player.expect). One at
 * a time; let go if no start takes it within `keepMs`.
 */
import type { Track } from '../../../../protocol/index.ts'
import type { ByteSource } from './byte-source.ts'

export class ExpectedSource {
  private held: { track: Track; source: ByteSource } | null = null

  constructor(
    private readonly open: (track: Track) => ByteSource,
    private readonly keepMs = 10_000,
  ) {}

  /** Whether `track` is the one held. */
  holds(track: Track): boolean {
    return this.held?.track.id === track.id
  }

  /** Opens `track`'s source and starts reading its head (whatever was held goes). */
  hold(track: Track): void {
    this.drop()
    const source = this.open(track)
    // Nothing is due yet: it fetches only what the head read asks for.
    source.setPlayback?.({ positionSec: 0, atMs: performance.now(), playing: false })
    void source.readHead?.(track.codec).catch(() => {}) // the start asks again, and hears of any error
    const entry = { track, source }
    this.held = entry
    setTimeout(() => {
      if (this.held === entry) this.drop()
    }, this.keepMs)
  }

  /** The held source, handed over, if it is `track`'s. */
  take(track: Track): ByteSource | null {
    const e = this.held
    if (e?.track.id !== track.id) return null
    this.held = null
    return e.source
  }

  /** Idempotent. */
  drop(): void {
    this.held?.source.close()
    this.held = null
  }
}
