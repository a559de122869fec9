/**
 * Which queue entries the room keeps swarms for: the one sounding (or about
 * to), and the next few, which the player opens ahead (warm-start.ts). Not
 * the whole queue: Play on a library track queues the whole library, and
 * the curator fetched and parsed every track's torrent for it (and the
 * server built each one, reading every file from disk, one at a time, ahead
 * of the torrents the room needed). The window moves as the queue plays on.
 */

/** Entries past the sounding one that keep their swarms. */
export const SWARM_AHEAD = 2
/** Never more than this many, whatever a stale sounding index says. */
const MAX_WINDOW = 8

/**
 * The queue's ids from the anchored entry through SWARM_AHEAD past the one
 * sounding. `sounding` may be stale (the player's index under an older
 * queue): the window then runs long, never short of the anchored entry.
 */
export function swarmWindow(queue: readonly string[], anchored: number, sounding: number): string[] {
  const from = Math.max(0, anchored)
  const through = Math.max(from, sounding) + SWARM_AHEAD
  return queue.slice(from, Math.min(through + 1, from + MAX_WINDOW))
}
