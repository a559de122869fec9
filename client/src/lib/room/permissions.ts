/**
 * Who may do what, per control mode. Checked by the curator before it applies
 * and signs a request, and by each page to show only the controls that work.
 *
 * - `curator`: only the curator controls playback and the queue.
 * - `shared`: any visible listener may; the request goes to the curator,
 *   who applies and signs it (listeners never sign state themselves).
 * - `vote`: a listener's `next` and `queue.add` become votes (`skip`,
 *   `add:<trackId>`) that pass on a majority (votes.ts); the rest is the
 *   curator's alone.
 *
 * The mode itself and whether chat is on are always the curator's call.
 *
 * Lurkers are counted but hidden, from the curator too. Letting them request,
 * vote or chat would reveal them (the curator sees who asked) and give an
 * invisible person a say the room cannot see, so they may do none of it.
 * A lurker who inherits the curator role (no visible listener was left)
 * acts as curator: someone must keep the music going.
 */
import type { ControlMode, RoomAction } from '../../../../protocol/index.ts'

export type { ControlMode, RoomAction }

export interface Actor {
  isCurator: boolean
  lurker: boolean
}

/** How an action reaches the room state, if at all. */
export type Route =
  /** The curator acts itself. */
  | 'direct'
  /** Sent to the curator, who applies and signs it. */
  | 'request'
  /** Sent to the curator as a vote; applied when it passes. */
  | 'vote'
  | 'deny'

export const ACTIONS: readonly RoomAction[] = [
  'play', 'pause', 'next', 'previous', 'seek',
  'queue.add', 'queue.remove', 'queue.move',
  'mode.change', 'chat.toggle', 'chat.send',
]

const CURATOR_ONLY: ReadonlySet<RoomAction> = new Set(['mode.change', 'chat.toggle'])
/** Gated by the room's chat switch (chat.ts), not by the control mode. */
const ALWAYS_REQUESTABLE: ReadonlySet<RoomAction> = new Set(['chat.send'])
const VOTABLE: ReadonlySet<RoomAction> = new Set(['next', 'queue.add'])

export function route(mode: ControlMode, action: RoomAction, actor: Actor): Route {
  if (actor.isCurator) return 'direct'
  if (actor.lurker || CURATOR_ONLY.has(action)) return 'deny'
  if (ALWAYS_REQUESTABLE.has(action)) return 'request'
  switch (mode) {
    case 'curator':
      return 'deny'
    case 'shared':
      return 'request'
    case 'vote':
      return VOTABLE.has(action) ? 'vote' : 'deny'
  }
}

export function can(mode: ControlMode, action: RoomAction, actor: Actor): boolean {
  return route(mode, action, actor) !== 'deny'
}
