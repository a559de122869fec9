/**
 * A joiner's first bytes, asked for with the join reply: the head of the
 * track the room is playing (what seeking into its middle needs). The room
 * page's byte source asks here before the origin. Read at the room page's
 * mount, it came 110-260 ms later (a busy page on bench/sync), and the
 * joiner's placement waited on it.
 */
import type { FileHead, Track } from '../../../../protocol/index.ts'
import { HttpByteSource } from './byte-source.ts'

const heads = new Map<string, Promise<FileHead>>()
/** A head nobody takes (the room moved on) is let go. */
const KEEP_MS = 10_000

export function prefetchHead(track: Track): void {
  if (heads.has(track.id)) return
  const source = new HttpByteSource(`/api/stream/${track.id}`)
  const head = source.readHead(track.codec).finally(() => source.close())
  head.catch(() => heads.get(track.id) === head && heads.delete(track.id)) // the source reads it itself then
  heads.set(track.id, head)
  setTimeout(() => heads.get(track.id) === head && heads.delete(track.id), KEEP_MS)
}

/** The head read ahead for `trackId`, handed over once. */
export function takePrefetchedHead(trackId: string): Promise<FileHead> | undefined {
  const head = heads.get(trackId)
  heads.delete(trackId)
  return head
}
