import { getContext, setContext } from 'svelte'
import type { RoomControl } from '../room/room-control.svelte.ts'
import type { RoomPlayback } from './room-playback.svelte.ts'

const KEY = Symbol('room')

export interface RoomContext {
  playback: RoomPlayback
  control: RoomControl
}

/** The room's playback and control for components below the room page; undefined outside a room. */
export function provideRoom(r: RoomContext): void {
  setContext(KEY, r)
}

export function roomContext(): RoomContext | undefined {
  return getContext<RoomContext | undefined>(KEY)
}
