/**
 * Which data channels a peer should hold, decided alike on every side so two
 * peers never both dial each other. Pure; tested without a browser.
 *
 * - Every listener links to the curator; the listener dials.
 * - Visible listeners also link to a bounded number of other listeners (the
 *   earliest arrivals), the later arrival dialling: room for listener-to-
 *   listener delivery without a full mesh.
 * - Lurkers link to the curator only, so nobody else learns they exist.
 */
import type { MemberView } from '../../../protocol/index.ts'

export const MAX_LISTENER_LINKS = 6

export interface MeshInput {
  selfId: string
  selfLurker: boolean
  curatorId: string
  /** Visible members in arrival order, as the server sends them. */
  members: readonly MemberView[]
  maxListenerLinks?: number
}

export interface PlannedLink {
  peerId: string
  initiator: boolean
}

export function planLinks(input: MeshInput): PlannedLink[] {
  const { selfId, curatorId } = input
  if (selfId === curatorId) return [] // listeners dial the curator
  const links: PlannedLink[] = [{ peerId: curatorId, initiator: true }]
  if (input.selfLurker) return links

  const max = input.maxListenerLinks ?? MAX_LISTENER_LINKS
  const listeners = input.members.filter((m) => m.peerId !== curatorId)
  const selfIndex = listeners.findIndex((m) => m.peerId === selfId)
  if (selfIndex < 0) return links
  for (const [i, m] of listeners.entries()) {
    if (i === selfIndex) continue
    // Both ends must agree the link exists: keep it when each is within the
    // other's first `max` listeners (positions are the same list for both).
    const mine = i < selfIndex ? i : i - 1
    const theirs = selfIndex < i ? selfIndex : selfIndex - 1
    if (mine >= max || theirs >= max) continue
    links.push({ peerId: m.peerId, initiator: i < selfIndex })
  }
  return links
}

/** Incoming dials we accept: the curator takes every member; others only planned links. */
export function acceptsDial(input: MeshInput, fromId: string): boolean {
  if (input.selfId === input.curatorId) return true
  return planLinks(input).some((l) => l.peerId === fromId && !l.initiator)
}
