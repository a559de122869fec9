/**
 * Curator succession order, shared by the signal server (which elects a
 * successor when the curator leaves) and every page (which uses the same
 * order to stagger its claims; see client/src/lib/room/handoff.ts). Pure:
 * no DOM, no Node.
 *
 * Seniority: earlier `joinedAt` first, then the smaller peerId (code unit
 * order), so the order never depends on the order a list arrived in.
 * Visible listeners come before lurkers; a lurker is chosen only when no
 * visible listener is left, because a room with someone in it keeps playing.
 */

export interface Candidate {
  peerId: string
  joinedAt: number
}

export function bySeniority(a: Candidate, b: Candidate): number {
  return a.joinedAt - b.joinedAt || (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)
}

/** Everyone who could take over, in the order they would. */
export function successionOrder(
  members: readonly Candidate[],
  lurkerIds: Iterable<string>,
  goneCuratorId: string,
): string[] {
  const lurkers = new Set(lurkerIds)
  const rest = members.filter((m) => m.peerId !== goneCuratorId).sort(bySeniority)
  return [...rest.filter((m) => !lurkers.has(m.peerId)), ...rest.filter((m) => lurkers.has(m.peerId))].map((m) => m.peerId)
}

/**
 * The longest-present visible member other than the gone curator; the
 * longest-present lurker if no visible one is left; null in an empty room.
 * Pages pass RoomView.members (visible only) and, if they lurk, themselves.
 */
export function electSuccessor(members: readonly Candidate[], lurkerIds: Iterable<string>, goneCuratorId: string): string | null {
  return successionOrder(members, lurkerIds, goneCuratorId)[0] ?? null
}
