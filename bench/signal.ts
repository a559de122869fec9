/**
 * bench/signal: 1,000 socket.io-client members across 100 rooms join and
 * leave a real signal server (in its own process). Prints join latency
 * p50/p95 and the server's resident memory per connected socket.
 *   tsx bench/signal.ts [members=1000] [rooms=100]
 */
import { io, type Socket } from 'socket.io-client'
import { PROTOCOL_VERSION, type Reply } from '../protocol/index.ts'
import { startServerProcess } from '../tests/support/server.ts'
import { fmt, percentile } from './support/stats.ts'

const MEMBERS = Number(process.argv[2] ?? 1000)
const ROOMS = Number(process.argv[3] ?? 100)
const CONCURRENCY = 50

const server = await startServerProcess()
const port = server.port
const url = `http://127.0.0.1:${port}`

async function serverRss(): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1])
}
async function gauge(name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1])
}

function connect(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(url, { auth: { v: PROTOCOL_VERSION }, transports: ['websocket'], forceNew: true, reconnection: false })
    s.once('connect', () => resolve(s))
    s.once('connect_error', reject)
  })
}

async function pool<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await fn(items[next++]!)
  }))
}

const timed = async (fn: () => Promise<Reply>): Promise<[number, Reply]> => {
  const t = performance.now()
  const r = await fn()
  return [performance.now() - t, r]
}

await new Promise((r) => setTimeout(r, 500)) // let the server settle before the baseline
const rssBefore = await serverRss()
const sockets: Socket[] = []
await pool(Array.from({ length: MEMBERS }, (_, i) => i), async () => {
  sockets.push(await connect())
})

// One curator per room, then everyone else joins round-robin.
const curators = sockets.slice(0, ROOMS)
const listeners = sockets.slice(ROOMS)
const rooms: { id: string; token?: string | undefined }[] = []
const createMs: number[] = []
await pool(curators, async (s) => {
  const [ms, r] = await timed(() => s.emitWithAck('msg', { type: 'room.create', name: `Room ${rooms.length}`, visibility: 'invite', maxListeners: 500, displayName: 'Curator' }))
  if (!r.ok) throw new Error(r.error.message)
  createMs.push(ms)
  rooms.push({ id: r.room.id, token: r.token })
})
const joinMs: number[] = []
let failures = 0
await pool(listeners.map((s, i) => [s, rooms[i % rooms.length]!] as const), async ([s, room]) => {
  const [ms, r] = await timed(() => s.emitWithAck('msg', { type: 'room.join', roomId: room.id, token: room.token, displayName: 'Listener', lurker: false }))
  if (r.ok) joinMs.push(ms)
  else failures++
})
await new Promise((r) => setTimeout(r, 300))
const rssJoined = await serverRss()
const members = await gauge('sonantica_room_listeners_total')

const leaveMs: number[] = []
await pool(listeners.map((s, i) => [s, rooms[i % rooms.length]!] as const), async ([s, room]) => {
  const [ms] = await timed(() => s.emitWithAck('msg', { type: 'room.leave', roomId: room.id }))
  leaveMs.push(ms)
})
for (const s of sockets) s.close()
await new Promise((r) => setTimeout(r, 300))
const afterLeave = await gauge('sonantica_room_listeners_total')

console.log(`signal: ${MEMBERS} members, ${ROOMS} rooms, ${CONCURRENCY} requests in flight`)
console.log(`signal create latency p50 ${fmt(percentile(createMs, 50))} ms, p95 ${fmt(percentile(createMs, 95))} ms`)
console.log(`signal join latency p50 ${fmt(percentile(joinMs, 50))} ms, p95 ${fmt(percentile(joinMs, 95))} ms (${joinMs.length} joins, ${failures} failed)`)
console.log(`signal leave latency p50 ${fmt(percentile(leaveMs, 50))} ms, p95 ${fmt(percentile(leaveMs, 95))} ms`)
console.log(`signal server RSS ${fmt(rssBefore / 2 ** 20)} MiB idle, ${fmt(rssJoined / 2 ** 20)} MiB with ${members} members: ${fmt((rssJoined - rssBefore) / MEMBERS / 1024)} KiB per socket`)
console.log(`signal members after everyone left: ${afterLeave}`)
await server.dispose()
process.exit(failures > 0 || members !== MEMBERS || afterLeave !== 0 ? 1 : 0)
