import type { RoomSession } from './room-session.svelte.ts'

/** The room this tab is in, shared by the lobby (which creates) and the room page. */
export const current = $state<{ session: RoomSession | null }>({ session: null })

export function replaceSession(next: RoomSession | null): void {
  if (current.session && current.session !== next) current.session.leave()
  current.session = next
}
