/**
 * Who becomes curator when the curator goes, and when a listener should
 * claim the role. One curator at a time is the signal server's job: it holds
 * `curatorId` and the epoch, grants at most one claim per epoch, and every
 * page follows its RoomView. These rules make every page (and the server)
 * agree on who that should be, so in the normal case only one page claims.
 *
 * The succession order itself (seniority, visible before lurkers) lives in
 * protocol/handoff.ts, because the server elects with it too.
 */
import { bySeniority, successionOrder, type Candidate } from '../../../../protocol/handoff.ts'

export { bySeniority, electSuccessor, successionOrder, type Candidate } from '../../../../protocol/handoff.ts'

/**
 * Two pages both claim the role (e.g. each missed the other's claim): the
 * server's curatorId decides; without one yet, the senior claimant.
 */
export function resolveClaims(claims: readonly Candidate[], serverCuratorId?: string | null): string | null {
  if (serverCuratorId) return serverCuratorId
  return [...claims].sort(bySeniority)[0]?.peerId ?? null
}

export type HandoverRefusal = 'not_curator' | 'not_member' | 'self'

/** The curator hands over by choice, to a visible member (one it can see). */
export function checkHandover(
  view: { curatorId: string; members: readonly Candidate[] },
  fromId: string,
  toId: string,
): { ok: true } | { ok: false; reason: HandoverRefusal } {
  if (view.curatorId !== fromId) return { ok: false, reason: 'not_curator' }
  if (toId === fromId) return { ok: false, reason: 'self' }
  if (!view.members.some((m) => m.peerId === toId)) return { ok: false, reason: 'not_member' }
  return { ok: true }
}

export interface WatchOptions {
  /** Silence that counts as unreachable: three missed 2 s heartbeats. */
  unreachableMs?: number
  /** Extra wait per place in the succession, so the senior claims first and the next only if it does not. */
  staggerMs?: number
  /** After a claim (granted or refused), wait this long before claiming again in the same epoch. */
  retryMs?: number
}

export interface WatchedRoom {
  curatorId: string
  epoch?: number | undefined
  members: readonly Candidate[]
}

/**
 * A listener's view of the curator's liveness. Feed it every state heard
 * from the curator and every RoomView; ask `shouldClaim` on a timer; send
 * `room.claim { roomId, epoch }` when it says so, then call `claimed`.
 */
export class CuratorWatch {
  private lastHeard: number
  private curatorId: string | null = null
  private epoch = -1
  private claimedAt: number | null = null
  private readonly unreachableMs: number
  private readonly staggerMs: number
  private readonly retryMs: number

  constructor(
    private readonly selfId: string,
    now: number,
    opts: WatchOptions = {},
  ) {
    this.lastHeard = now
    this.unreachableMs = opts.unreachableMs ?? 6000
    this.staggerMs = opts.staggerMs ?? 2000
    this.retryMs = opts.retryMs ?? 10_000
  }

  /** A valid state (or any message) from the curator arrived. */
  heard(now: number): void {
    this.lastHeard = now
  }

  /** A new curator or epoch gets a full grace period to speak. */
  observe(view: WatchedRoom, now: number): void {
    const epoch = view.epoch ?? 0
    if (view.curatorId !== this.curatorId || epoch !== this.epoch) {
      this.curatorId = view.curatorId
      this.epoch = epoch
      this.lastHeard = now
      this.claimedAt = null
    }
  }

  shouldClaim(view: WatchedRoom, now: number): { claim: true; epoch: number } | { claim: false } {
    this.observe(view, now)
    if (view.curatorId === this.selfId) return { claim: false }
    if (this.claimedAt !== null && now - this.claimedAt < this.retryMs) return { claim: false }
    // Lurkers are not in view.members, so they never claim: the server hands
    // them the role only when it sees the curator leave and no one visible is left.
    const rank = successionOrder(view.members, [], view.curatorId).indexOf(this.selfId)
    if (rank < 0) return { claim: false }
    if (now - this.lastHeard < this.unreachableMs + rank * this.staggerMs) return { claim: false }
    return { claim: true, epoch: this.epoch }
  }

  claimed(now: number): void {
    this.claimedAt = now
  }
}
