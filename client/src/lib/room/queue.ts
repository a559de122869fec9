/**
 * The room queue as a pure reducer. Its state maps one-to-one onto the
 * anchor's `queue` and `index`, so the curator seals the result in the next
 * anchor. Requests name the entry they mean (`trackId` at `index`) because
 * the queue may change between a listener's click and the curator's reading:
 * a request against a queue that moved on is refused as stale rather than
 * removing or moving the wrong track.
 */
import { LIMITS, type ControlMode, type Proposal, type RoomRefusal, type RoomRequest } from '../../../../protocol/index.ts'
import { route, type Actor } from './permissions.ts'

export interface QueueState {
  readonly tracks: readonly string[]
  /** The current entry; 0 for an empty queue, as in the anchor. */
  readonly index: number
}

export const EMPTY_QUEUE: QueueState = { tracks: [], index: 0 }

export type QueueRequest = Extract<RoomRequest, { action: 'queue.add' | 'queue.remove' | 'queue.move' | 'next' | 'previous' }>

export interface QueueRules {
  /** Library tracks, plus the curator's own local files when the curator applies. */
  isKnownTrack(trackId: string): boolean
  maxEntries?: number
}

export type Applied = {
  kind: 'applied'
  state: QueueState
  /** Another entry is now current: the curator starts it at frame 0. */
  currentChanged: boolean
  /** The current entry was removed and none followed it: playback stops. */
  ended: boolean
}
export type Refused = { kind: 'refused'; reason: RoomRefusal }
export type QueueResult = Applied | Refused | { kind: 'vote'; proposal: Proposal }

/** Permission first, then the change; in vote mode a feasible request becomes a proposal. */
export function apply(state: QueueState, req: QueueRequest, actor: Actor, mode: ControlMode, rules: QueueRules): QueueResult {
  const how = route(mode, req.action, actor)
  if (how === 'deny') return refuse(actor.lurker && !actor.isCurator ? 'lurker' : 'not_allowed')
  const result = reduce(state, req, rules)
  if (how !== 'vote' || result.kind === 'refused') return result
  // A vote for something impossible (unknown track, full queue, end of queue) is refused up front.
  return { kind: 'vote', proposal: req.action === 'queue.add' ? `add:${req.trackId}` : 'skip' }
}

export function reduce(state: QueueState, req: QueueRequest, rules: QueueRules): Applied | Refused {
  const { tracks, index } = state
  const n = tracks.length
  switch (req.action) {
    case 'queue.add': {
      if (!rules.isKnownTrack(req.trackId)) return refuse('unknown_track')
      if (n >= (rules.maxEntries ?? LIMITS.maxQueue)) return refuse('queue_full')
      const at = req.at ?? n
      if (at > n) return refuse('out_of_range')
      const next = [...tracks.slice(0, at), req.trackId, ...tracks.slice(at)]
      // Into an empty queue the new track becomes current; otherwise the current one stays current.
      if (n === 0) return applied(next, 0, true)
      return applied(next, at <= index ? index + 1 : index, false)
    }
    case 'queue.remove': {
      if (req.index >= n) return refuse('out_of_range')
      if (tracks[req.index] !== req.trackId) return refuse('stale')
      const next = tracks.filter((_, i) => i !== req.index)
      if (req.index < index) return applied(next, index - 1, false)
      if (req.index > index) return applied(next, index, false)
      // The current entry went: the one after it takes its place.
      if (index < next.length) return applied(next, index, true)
      return { kind: 'applied', state: { tracks: next, index: Math.max(0, next.length - 1) }, currentChanged: true, ended: true }
    }
    case 'queue.move': {
      if (req.from >= n || req.to >= n) return refuse('out_of_range')
      if (tracks[req.from] !== req.trackId) return refuse('stale')
      const next = [...tracks]
      next.splice(req.to, 0, ...next.splice(req.from, 1))
      let cur = index
      if (req.from === index) cur = req.to
      else if (req.from < index && req.to >= index) cur = index - 1
      else if (req.from > index && req.to <= index) cur = index + 1
      return applied(next, cur, false)
    }
    case 'next':
      if (req.at !== undefined && req.at !== index) return refuse('stale')
      if (index + 1 >= n) return refuse('end_of_queue')
      return applied(tracks, index + 1, true)
    case 'previous':
      if (req.at !== undefined && req.at !== index) return refuse('stale')
      if (index === 0 || n === 0) return refuse('start_of_queue')
      return applied(tracks, index - 1, true)
  }
}

function applied(tracks: readonly string[], index: number, currentChanged: boolean): Applied {
  return { kind: 'applied', state: { tracks, index }, currentChanged, ended: false }
}

function refuse(reason: RoomRefusal): Refused {
  return { kind: 'refused', reason }
}
