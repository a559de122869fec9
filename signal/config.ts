import { fileURLToPath } from 'node:url'

/** Environment variables, read once. Documented in the README. */
export interface Config {
  port: number
  host: string
  /** Undefined: serve the built-in demo library. */
  libraryDir: string | undefined
  hashCacheFile: string
  clientDir: string
  /** ICE servers for peers across the internet; none by default (LAN-only, no call-outs). */
  iceServers: RTCIceServerLike[]
  roomGraceMs: number
}

export interface RTCIceServerLike {
  urls: string | string[]
  username?: string
  credential?: string
}

export const projectRoot = fileURLToPath(new URL('../', import.meta.url))

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: env.PORT ? Number(env.PORT) : 8080,
    host: env.HOST ?? '0.0.0.0',
    libraryDir: env.LIBRARY_DIR || undefined,
    hashCacheFile: env.HASH_CACHE_FILE ?? `${projectRoot}.cache/library-hashes.json`,
    clientDir: env.CLIENT_DIR ?? `${projectRoot}dist`,
    iceServers: parseIceServers(env.ICE_SERVERS),
    roomGraceMs: env.ROOM_GRACE_MS ? Number(env.ROOM_GRACE_MS) : 30_000,
  }
}

function parseIceServers(raw: string | undefined): RTCIceServerLike[] {
  if (!raw) return []
  try {
    const parsed: unknown = JSON.parse(raw)
    if (Array.isArray(parsed)) return parsed as RTCIceServerLike[]
  } catch {
    // Also accept a comma-separated list of URLs: "stun:host:3478,turn:host".
  }
  return raw.split(',').map((u) => ({ urls: u.trim() })).filter((s) => s.urls)
}
