/** A real signal server on a free loopback port, with its own temp hash cache. */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { io, type Socket } from 'socket.io-client'
import { PROTOCOL_VERSION, type ClientMessage, type Reply, type ServerMessage } from '../../protocol/index.ts'
import { projectRoot, readConfig, type Config } from '../../signal/config.ts'
import { startServer, type AulaServer } from '../../signal/server.ts'

export async function startTestServer(over: Partial<Config> = {}): Promise<AulaServer & { dispose(): Promise<void> }> {
  const tmp = mkdtempSync(join(tmpdir(), 'aula-test-'))
  const server = await startServer({
    ...readConfig({}),
    port: 0,
    host: '127.0.0.1',
    hashCacheFile: join(tmp, 'hashes.json'),
    clientDir: join(projectRoot, 'dist'),
    roomGraceMs: 300,
    ...over,
  })
  return Object.assign(server, {
    async dispose() {
      await server.close()
      rmSync(tmp, { recursive: true, force: true })
    },
  })
}

/**
 * The signal server in a process of its own (server-process.ts), as
 * deployed. `env` adds to this process's environment (LIBRARY_DIR, …).
 */
export async function startServerProcess(env: Record<string, string> = {}): Promise<{ port: number; dispose(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'tests/support/server-process.ts')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the server process exited (${code}) before listening`)))
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port))
  })
  return {
    port,
    dispose: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/** A socket.io-client member that records every message the server pushes. */
export class TestMember {
  readonly socket: Socket
  readonly inbox: ServerMessage[] = []
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = []

  constructor(url: string, auth: unknown = { v: PROTOCOL_VERSION }) {
    this.socket = io(url, { auth: auth as object, transports: ['websocket'], forceNew: true, reconnection: false })
    this.socket.on('msg', (m: ServerMessage) => {
      this.inbox.push(m)
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true))
    })
  }

  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve())
      this.socket.once('connect_error', reject)
    })
  }

  request(m: ClientMessage | Record<string, unknown>): Promise<Reply> {
    return this.socket.timeout(3000).emitWithAck('msg', m)
  }

  send(m: unknown): void {
    this.socket.emit('msg', m)
  }

  /** The next pushed message matching `pred`, including one already received. */
  next<T extends ServerMessage['type']>(type: T, pred: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true, timeoutMs = 3000): Promise<Extract<ServerMessage, { type: T }>> {
    const match = (m: ServerMessage): m is Extract<ServerMessage, { type: T }> => m.type === type && pred(m as Extract<ServerMessage, { type: T }>)
    const seen = this.inbox.find(match)
    if (seen) {
      this.inbox.splice(this.inbox.indexOf(seen), 1)
      return Promise.resolve(seen)
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeoutMs)
      this.waiters.push({
        pred: match,
        resolve: (m) => {
          clearTimeout(timer)
          this.inbox.splice(this.inbox.indexOf(m), 1)
          resolve(m as Extract<ServerMessage, { type: T }>)
        },
      })
    })
  }

  close(): void {
    this.socket.close()
  }
}

export async function member(url: string): Promise<TestMember> {
  const m = new TestMember(url)
  await m.connected()
  return m
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A server for one test file plus the members its tests open: `join()`
 * connects a new member; `dispose()` closes them all and the server.
 */
export async function serverWithMembers(over: Partial<Config> = {}) {
  const server = await startTestServer(over)
  const open: TestMember[] = []
  return {
    server,
    open,
    async join(): Promise<TestMember> {
      const m = await member(server.url)
      open.push(m)
      return m
    },
    async dispose(): Promise<void> {
      for (const m of open) m.close()
      await server.dispose()
    },
  }
}
