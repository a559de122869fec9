/**
 * Room membership, the curator role and presence. Pure: no sockets, no
 * timers; the clock and id source are injected so tests drive them.
 * The server keeps no audio or playback state: that lives with the curator.
 */
import {
  LIMITS,
  protocolError,
  type ProtocolError,
  type RoomSummary,
  type RoomView,
  type Visibility,
} from '../protocol/index.ts'

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
  /** Bumped on every membership or role change; see RoomView.rev. */
  rev: number
  /** Insertion order is arrival order, which the hand-off relies on. */
  members: Map<string, Member>
  emptySince: number | undefined
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
    if (room.members.size === 1) room.curatorId = joiner.peerId
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
      if (next) room.curatorId = next.peerId
    }
    if (room.members.size === 0) room.emptySince = this.opts.now()
    room.rev++
    return room
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
export function roomView(room: Room): RoomView {
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
  }
}

function listenerCount(room: Room): number {
  return room.members.has(room.curatorId) ? room.members.size - 1 : room.members.size
}

/** The longest-present visible member, else the longest-present lurker. */
function successor(room: Room): Member | undefined {
  const members = [...room.members.values()]
  return members.find((m) => !m.lurker) ?? members[0]
}

function fail(code: Parameters<typeof protocolError>[0]): { ok: false; error: ProtocolError } {
  return { ok: false, error: protocolError(code) }
}
