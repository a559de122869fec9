import * as v from 'valibot'
import { TrackListSchema, type Track } from '../../../protocol/index.ts'

export async function fetchTracks(): Promise<Track[]> {
  const res = await fetch('/api/tracks')
  if (!res.ok) throw new Error(`The library did not answer (HTTP ${res.status})`)
  const parsed = v.safeParse(TrackListSchema, await res.json())
  if (!parsed.success) throw new Error('The library sent a track list this page does not understand')
  return parsed.output
}
