/**
 * Vote counting for `vote` mode, kept by the curator (who signs the tallies
 * for everyone to see).
 *
 * Electorate: the visible members of the room plus the curator, i.e.
 * `RoomView.members` ∪ {curatorId}. Lurkers are not in it (they are hidden,
 * so they cannot be seen to vote, and cannot tip a vote unseen).
 * A proposal passes when its votes from the current electorate are strictly
 * more than half of it: ⌊n/2⌋ + 1 (1 of 1, 2 of 2, 2 of 3, 3 of 4). The
 * curator counts: with one listener, a skip needs the curator's agreement,
 * which is what "needs a majority" means in a room of two.
 *
 * Tallies are recomputed against the electorate of the moment, so a voter
 * who leaves stops counting and a room that shrinks can pass a proposal
 * without a new vote (`settle`).
 *
 * Expiry: a `skip` is about the track that was playing, so every skip vote
 * ends when the track changes; every proposal also closes `timeoutMs` after
 * its first vote. `add:` votes survive a track change: the track is still
 * worth adding.
 */
import { ROOM_LIMITS, type Proposal } from '../../../../protocol/index.ts'

export type { Proposal }

export type VoteRejection = 'not_member' | 'duplicate_vote' | 'too_many_proposals'

export interface Tally {
  proposal: Proposal
  votes: number
  needed: number
  /** Same clock as the `now` passed in (the curator's). */
  expiresAt: number
  voters: readonly string[]
}

export type CastResult = { ok: true; tally: Tally; passed: boolean } | { ok: false; reason: VoteRejection }

export interface VoteOptions {
  timeoutMs?: number
  maxProposals?: number
  /** Open proposals one peer may have a vote in: bounds what one flooder can open. */
  maxOpenPerVoter?: number
}

interface Open {
  voters: Set<string>
  expiresAt: number
}

export function votesNeeded(electorateSize: number): number {
  return Math.floor(electorateSize / 2) + 1
}

/** The electorate from a RoomView: its (visible) members and the curator. */
export function electorateOf(view: { curatorId: string; members: readonly { peerId: string }[] }): Set<string> {
  return new Set([...view.members.map((m) => m.peerId), view.curatorId])
}

export class VoteBox {
  private readonly open = new Map<Proposal, Open>()
  private readonly timeoutMs: number
  private readonly maxProposals: number
  private readonly maxOpenPerVoter: number

  constructor(opts: VoteOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 60_000
    this.maxProposals = opts.maxProposals ?? ROOM_LIMITS.maxProposals
    this.maxOpenPerVoter = opts.maxOpenPerVoter ?? 3
  }

  /** A passing vote closes its proposal: the caller applies it, and a later vote starts afresh. */
  cast(proposal: Proposal, voterId: string, electorate: ReadonlySet<string>, now: number): CastResult {
    this.expire(now)
    if (!electorate.has(voterId)) return { ok: false, reason: 'not_member' }
    let p = this.open.get(proposal)
    if (p?.voters.has(voterId)) return { ok: false, reason: 'duplicate_vote' }
    if (!p) {
      if (this.open.size >= this.maxProposals) return { ok: false, reason: 'too_many_proposals' }
      p = { voters: new Set(), expiresAt: now + this.timeoutMs }
    }
    let mine = 0
    for (const o of this.open.values()) if (o.voters.has(voterId)) mine++
    if (mine >= this.maxOpenPerVoter) return { ok: false, reason: 'too_many_proposals' }
    p.voters.add(voterId)
    this.open.set(proposal, p)
    const tally = this.tallyOf(proposal, p, electorate)
    const passed = tally.votes >= tally.needed
    if (passed) this.open.delete(proposal)
    return { ok: true, tally, passed }
  }

  withdraw(proposal: Proposal, voterId: string): boolean {
    const p = this.open.get(proposal)
    if (!p?.voters.delete(voterId)) return false
    if (p.voters.size === 0) this.open.delete(proposal)
    return true
  }

  /** The current track changed: its skip votes no longer mean anything. */
  trackChanged(): void {
    this.open.delete('skip')
  }

  /** A member left: their votes go (tallies would ignore them anyway; this frees their quota). */
  forget(peerId: string): void {
    for (const [proposal, p] of this.open) {
      p.voters.delete(peerId)
      if (p.voters.size === 0) this.open.delete(proposal)
    }
  }

  /** Drops expired proposals and closes (returns) those that now pass, e.g. after someone left. */
  settle(electorate: ReadonlySet<string>, now: number): Proposal[] {
    this.expire(now)
    const passed: Proposal[] = []
    for (const [proposal, p] of this.open) {
      const t = this.tallyOf(proposal, p, electorate)
      if (t.votes > 0 && t.votes >= t.needed) passed.push(proposal)
    }
    for (const proposal of passed) this.open.delete(proposal)
    return passed
  }

  /** For the UI and the signed `votes` body: oldest first. */
  tallies(electorate: ReadonlySet<string>, now: number): Tally[] {
    this.expire(now)
    return [...this.open].map(([proposal, p]) => this.tallyOf(proposal, p, electorate))
  }

  clear(): void {
    this.open.clear()
  }

  private expire(now: number): void {
    for (const [proposal, p] of this.open) if (now >= p.expiresAt) this.open.delete(proposal)
  }

  private tallyOf(proposal: Proposal, p: Open, electorate: ReadonlySet<string>): Tally {
    const voters = [...p.voters].filter((id) => electorate.has(id))
    return { proposal, votes: voters.length, needed: votesNeeded(electorate.size), expiresAt: p.expiresAt, voters }
  }
}
