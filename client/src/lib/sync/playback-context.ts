import { getContext, setContext } from 'svelte'
import type { RoomPlayback } from './room-playback.svelte.ts'

const KEY = Symbol('room-playback')

/** The room's playback for components below the room page; undefined outside a room. */
export function provideRoomPlayback(p: RoomPlayback): void {
  setContext(KEY, p)
}

export function roomPlayback(): RoomPlayback | undefined {
  return getContext<RoomPlayback | undefined>(KEY)
}
