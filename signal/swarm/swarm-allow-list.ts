/**
 * Which swarms the tracker serves: the infohashes of tracks queued in live
 * rooms. Pure: the room logic tells it each room's current set (library
 * tracks via TrackTorrents, a curator's own files from the curator) and drops
 * a room when it closes; a swarm stays allowed while any room queues it.
 */
export class SwarmAllowList {
  private readonly byRoom = new Map<string, Set<string>>()
  private readonly rooms = new Map<string, number>()

  /** Replaces a room's queued infohashes. */
  set(roomId: string, infoHashes: Iterable<string>): void {
    this.dropRoom(roomId)
    const next = new Set(infoHashes)
    if (next.size === 0) return
    this.byRoom.set(roomId, next)
    for (const h of next) this.rooms.set(h, (this.rooms.get(h) ?? 0) + 1)
  }

  dropRoom(roomId: string): void {
    const prev = this.byRoom.get(roomId)
    if (!prev) return
    this.byRoom.delete(roomId)
    for (const h of prev) {
      const n = (this.rooms.get(h) ?? 1) - 1
      if (n > 0) this.rooms.set(h, n)
      else this.rooms.delete(h)
    }
  }

  allows(infoHash: string): boolean {
    return this.rooms.has(infoHash)
  }

  get size(): number {
    return this.rooms.size
  }
}
