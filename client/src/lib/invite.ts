/**
 * Invite links: `/room/<id>#t=<token>`. The token rides in the fragment so it
 * never reaches server logs or Referer headers; `?t=` is accepted too.
 */
export function inviteUrl(origin: string, roomId: string, token?: string): string {
  const base = `${origin}/room/${encodeURIComponent(roomId)}`
  return token ? `${base}#t=${encodeURIComponent(token)}` : base
}

export function parseRoomLocation(loc: { pathname: string; hash: string; search: string }): { roomId: string; token?: string } | null {
  const m = /^\/room\/([A-Za-z0-9_-]{8,32})\/?$/.exec(loc.pathname)
  if (!m) return null
  const token = new URLSearchParams(loc.hash.replace(/^#/, '')).get('t') ?? new URLSearchParams(loc.search).get('t')
  return token ? { roomId: m[1]!, token } : { roomId: m[1]! }
}
