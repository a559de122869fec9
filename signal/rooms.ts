/**
 * Room membership, the curator role and presence. Pure: no sockets, no
 * timers; the clock and id source are injected so tests drive them.
 * The server keeps no audio or playback state: that lives with the curator.
 *
 * Curator authority: every change of `curatorId` starts a new epoch (and
 * clears the key), so a key, a claim or a hand-over names the curatorship
 * it was meant for and anything aimed at an older one is refused as stale.
 * The liveness check behind a claim is the adapter's job (signal-hub.ts);
 * here are only the rules.
 */
import { electSuccessor } from '../protocol/handoff.ts'
import {
  LIMITS,
  protocolError,
  type CuratorServerClock,
  type ProtocolError,
  type RoomSummary,
  type RoomView,
  type Visibility,
} from '../protocol/index.ts'
import type { SignedState } from '../protocol/room.ts'

export interface Member {
  peerId: string
  name: string
  lurker: boolean
  joinedAt: number
}

export interface Room {
  id: string
  name: string
  visibility: Visibility
  maxListeners: number
  /** Only for invite-only rooms. */
  token: string | undefined
  curatorId: string
  /** Curator generation: bumped every time curatorId changes; see RoomView.epoch. */
  epoch: number
  /** The public key the curator registered for this epoch, if it has. */
  curatorKey: string | undefined
  /** Bumped on every membership or role change; see RoomView.rev. */
  rev: number
  /** Insertion order is arrival order, which the hand-off relies on. */
  members: Map<string, Member>
  emptySince: number | undefined
  /** What the curator says is playing, for the lobby; not playback state. */
  playing?: RoomSummary['playing']
  /** …and its id, for joiners (RoomView.playingTrackId). */
  playingTrackId?: string
  /** …and where it stood (seconds) at `at` (performance.now() here), for RoomView.playingPositionSec. */
  playingFrom?: { positionSec: number; at: number }
  /** The curator's last `room.anchor`, for joiners (Reply.relayed); only its epoch's is handed out. */
  relayed?: { state: SignedState; clock: CuratorServerClock }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ProtocolError }

export interface RoomsOptions {
  now: () => number
  randomId: () => string
  sameSecret: (a: string, b: string) => boolean
  /** How long an empty room survives, so a curator's reload finds it again. */
  graceMs: number
  maxRooms?: number
}

export interface Joiner {
  peerId: string
  name: string
  lurker: boolean
}

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>()

  constructor(private readonly opts: RoomsOptions) {}

  get size(): number {
    return this.rooms.size
  }

  get(id: string): Room | undefined {
    return this.rooms.get(id)
  }

  create(
    curator: Joiner,
    req: { name: string; visibility: Visibility; maxListeners: number },
  ): Result<{ room: Room; token: string | undefined }> {
    if (this.rooms.size >= (this.opts.maxRooms ?? LIMITS.maxRooms)) return fail('server_full')
    const id = this.opts.randomId()
    const token = req.visibility === 'invite' ? this.opts.randomId() : undefined
    const room: Room = {
      id,
      name: req.name,
      visibility: req.visibility,
      maxListeners: req.maxListeners,
      token,
      curatorId: curator.peerId,
      epoch: 0,
      curatorKey: undefined,
      rev: 0,
      members: new Map([[curator.peerId, { ...curator, joinedAt: this.opts.now() }]]),
      emptySince: undefined,
    }
    this.rooms.set(id, room)
    return { ok: true, value: { room, token } }
  }

  join(joiner: Joiner, req: { roomId: string; token?: string | undefined }): Result<Room> {
    const room = this.rooms.get(req.roomId)
    if (!room) return fail('room_not_found')
    if (room.members.has(joiner.peerId)) return { ok: true, value: room }
    if (room.token !== undefined && (req.token === undefined || !this.opts.sameSecret(req.token, room.token))) {
      return fail('invite_required')
    }
    // The curator is not a listener; an empty room takes a new curator.
    if (room.members.size > 0 && listenerCount(room) >= room.maxListeners) return fail('room_full')
    room.members.set(joiner.peerId, { ...joiner, joinedAt: this.opts.now() })
    if (room.members.size === 1) setCurator(room, joiner.peerId)
    room.emptySince = undefined
    room.rev++
    return { ok: true, value: room }
  }

  /** Returns the room if the peer was in it. The curator's leave hands the role on. */
  leave(roomId: string, peerId: string): Room | undefined {
    const room = this.rooms.get(roomId)
    if (!room || !room.members.delete(peerId)) return undefined
    if (room.curatorId === peerId) {
      const next = successor(room)
      if (next !== null) setCurator(room, next)
    }
    if (room.members.size === 0) room.emptySince = this.opts.now()
    room.rev++
    return room
  }

  /**
   * The curator registers the key its states are signed with, for the epoch
   * it became curator in. One key per epoch: the same key again is a no-op,
   * another one is refused (a new key needs a new curatorship).
   */
  setKey(roomId: string, peerId: string, req: { publicKey: string; epoch: number }): Result<{ room: Room; changed: boolean }> {
    const room = this.memberRoom(roomId, peerId)
    if (!room.ok) return room
    const r = room.value
    if (r.curatorId !== peerId) return fail('not_curator')
    if (req.epoch !== r.epoch) return fail('stale_epoch')
    if (r.curatorKey === req.publicKey) return { ok: true, value: { room: r, changed: false } }
    if (r.curatorKey !== undefined) return fail('key_already_set')
    r.curatorKey = req.publicKey
    r.rev++
    return { ok: true, value: { room: r, changed: true } }
  }

  /**
   * May `peerId` claim the curator role of `epoch`? Only a visible listener
   * other than the curator, for the current epoch. The curator's own claim
   * is answered `self` (nothing to do). The adapter then checks the curator's
   * liveness and, if it fails, calls `grantClaim`.
   */
  checkClaim(roomId: string, peerId: string, epoch: number): Result<{ room: Room; self: boolean }> {
    const room = this.memberRoom(roomId, peerId)
    if (!room.ok) return room
    const r = room.value
    if (epoch !== r.epoch) return fail('stale_epoch')
    if (r.curatorId === peerId) return { ok: true, value: { room: r, self: true } }
    if (r.members.get(peerId)!.lurker) return fail('lurker_claim')
    return { ok: true, value: { room: r, self: false } }
  }

  /**
   * The curator failed its check: the claimant takes over, if nothing
   * changed meanwhile (same epoch, claimant still a visible listener). At
   * most one claim per epoch can succeed, since success ends the epoch.
   */
  grantClaim(roomId: string, peerId: string, epoch: number): Result<Room> {
    const check = this.checkClaim(roomId, peerId, epoch)
    if (!check.ok) return check
    const { room, self } = check.value
    if (!self && setCurator(room, peerId)) room.rev++
    return { ok: true, value: room }
  }

  /** The curator hands the role to a visible listener by choice. */
  handoff(roomId: string, fromId: string, req: { to: string; epoch: number }): Result<Room> {
    const room = this.memberRoom(roomId, fromId)
    if (!room.ok) return room
    const r = room.value
    if (r.curatorId !== fromId) return fail('not_curator')
    if (req.epoch !== r.epoch) return fail('stale_epoch')
    const target = r.members.get(req.to)
    if (!target || target.lurker || req.to === fromId) return fail('handoff_target')
    if (setCurator(r, req.to)) r.rev++
    return { ok: true, value: r }
  }

  private memberRoom(roomId: string, peerId: string): Result<Room> {
    const room = this.rooms.get(roomId)
    if (!room || !room.members.has(peerId)) return fail('not_in_room')
    return { ok: true, value: room }
  }

  /** Removes rooms empty for longer than the grace period; returns their ids. */
  sweep(): string[] {
    const now = this.opts.now()
    const removed: string[] = []
    for (const [id, room] of this.rooms) {
      if (room.emptySince !== undefined && now - room.emptySince >= this.opts.graceMs) {
        this.rooms.delete(id)
        removed.push(id)
      }
    }
    return removed
  }

  curatedBy(peerId: string): number {
    let n = 0
    for (const room of this.rooms.values()) if (room.curatorId === peerId && room.members.has(peerId)) n++
    return n
  }

  /** Public rooms with someone in them, most listened first. */
  publicSummaries(): RoomSummary[] {
    const out: RoomSummary[] = []
    for (const room of this.rooms.values()) {
      if (room.visibility !== 'public' || room.members.size === 0) continue
      const curator = room.members.get(room.curatorId)
      out.push({
        id: room.id,
        name: room.name,
        curatorName: curator && !curator.lurker ? curator.name : 'A hidden listener',
        listeners: room.members.size,
        maxListeners: room.maxListeners,
        ...(room.playing ? { playing: room.playing } : {}),
      })
    }
    return out.sort((a, b) => b.listeners - a.listeners || a.name.localeCompare(b.name))
  }

  totalMembers(): number {
    let n = 0
    for (const room of this.rooms.values()) n += room.members.size
    return n
  }

  activeRooms(): number {
    let n = 0
    for (const room of this.rooms.values()) if (room.members.size > 0) n++
    return n
  }
}

/** What every member sees: lurkers are counted, never named. */
export function roomView(room: Room, now = performance.now()): RoomView {
  const members = [...room.members.values()]
  const visible = members.filter((m) => !m.lurker)
  return {
    id: room.id,
    name: room.name,
    visibility: room.visibility,
    maxListeners: room.maxListeners,
    curatorId: room.curatorId,
    rev: room.rev,
    members: visible.map(({ peerId, name, joinedAt }) => ({ peerId, name, joinedAt })),
    lurkerCount: members.length - visible.length,
    total: members.length,
    epoch: room.epoch,
    ...(room.curatorKey !== undefined && { curatorKey: room.curatorKey }),
    ...(room.playingTrackId !== undefined && { playingTrackId: room.playingTrackId }),
    ...(room.playingTrackId !== undefined &&
      room.playingFrom !== undefined && { playingPositionSec: Math.round((room.playingFrom.positionSec + (now - room.playingFrom.at) / 1000) * 1000) / 1000 }),
  }
}

/**
 * Every change of curator starts a new epoch with no key yet. Returns
 * whether it changed; the caller bumps `rev` (once per change it makes).
 */
function setCurator(room: Room, peerId: string): boolean {
  if (room.curatorId === peerId) return false
  room.curatorId = peerId
  room.epoch++
  room.curatorKey = undefined
  room.relayed = undefined
  return true
}

function listenerCount(room: Room): number {
  return room.members.has(room.curatorId) ? room.members.size - 1 : room.members.size
}

/** The longest-present visible member, else the longest-present lurker (protocol/handoff.ts). */
function successor(room: Room): string | null {
  const members = [...room.members.values()]
  return electSuccessor(members, members.filter((m) => m.lurker).map((m) => m.peerId), room.curatorId)
}

function fail(code: Parameters<typeof protocolError>[0]): { ok: false; error: ProtocolError } {
  return { ok: false, error: protocolError(code) }
}
