/**
 * The P2P modules as the browser gets them: bundled by Vite with
 * p2pBundleAliases() and node-globals.ts, loaded by Chromium from a LAN-style
 * address (http://aula.lan, not a secure context: no crypto.subtle), where a
 * page plays a track from a Node listener over real WebRTC.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { build } from 'vite'
import { p2pBundleAliases } from '../../client/src/lib/p2p/bundle-aliases.ts'
import { launchChromium } from '../support/chromium.ts'
import { tempDir } from '../support/library.ts'
import { NodeListener } from '../support/swarm-listener.ts'
import { noiseWav, startSwarmServer } from '../support/swarm-server.ts'

const root = new URL('../..', import.meta.url).pathname
const out = await tempDir('aula-p2p-bundle-')
const entry = join(out.dir, 'entry.ts')
await (await import('node:fs/promises')).writeFile(
  entry,
  [
    `import '${root}client/src/lib/p2p/node-globals.ts'`,
    `const { SwarmByteSource } = await import('${root}client/src/lib/p2p/swarm-byte-source.ts')`,
    `const { SwarmClient } = await import('${root}client/src/lib/p2p/swarm-client.ts')`,
    `const { TrackCache } = await import('${root}client/src/lib/p2p/track-cache.ts')`,
    `const { MemoryCacheStorage } = await import('${root}client/src/lib/p2p/cache-storage.ts')`,
    `globalThis.p2p = { SwarmByteSource, SwarmClient, TrackCache, MemoryCacheStorage }`,
  ].join('\n'),
)
await build({
  configFile: false,
  // Vite warns that bittorrent-protocol's `crypto` import is externalized: it
  // is used only for TCP stream encryption, never on WebRTC wires.
  logLevel: 'error',
  resolve: { alias: p2pBundleAliases() },
  build: {
    outDir: join(out.dir, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    lib: { entry, formats: ['es'], fileName: 'p2p' },
    rolldownOptions: { output: { codeSplitting: false } },
  },
})
const bundle = await readFile(join(out.dir, 'dist', 'p2p.js'))
const wav = noiseWav(1024 * 1024, 7)
const server = await startSwarmServer(
  { 'lan.wav': wav },
  { pages: { '/': { type: 'text/html', body: '<script type="module" src="/p2p.js"></script>' }, '/p2p.js': { type: 'text/javascript', body: bundle } } },
)
const seeder = new NodeListener(server, { name: 'node-seeder' })
const browser = await launchChromium([`--host-resolver-rules=MAP aula.lan 127.0.0.1`])

test.after(async () => {
  await browser.close()
  await seeder.destroy()
  await server.close()
  await out.cleanup()
})

test('a page at an insecure LAN address plays a track from a peer, verified and cached', async () => {
  const track = server.track('lan')
  const t = await server.torrents.forTrack(track.id)
  server.allow.set('room', [t!.infoHash])
  await seeder.seed(track, new Uint8Array(wav))
  const page = await (await browser.context()).newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  const origin = server.base.replace('127.0.0.1', 'aula.lan')
  await page.goto(`${origin}/`)
  await page.waitForFunction('globalThis.p2p')
  // A string, not a function: tsx's transpiled helpers do not exist in the page.
  const result = (await page.evaluate(`(async (track, wsBase) => {
    const { SwarmByteSource, SwarmClient, TrackCache, MemoryCacheStorage } = globalThis.p2p
    const swarm = new SwarmClient({ announceUrl: wsBase + '/tracker', iceServers: [] })
    const cache = new TrackCache(new MemoryCacheStorage(), () => ({ maxCacheSize: 1e9, popularTrackThreshold: 2, popularTrackCacheDurationMs: 1e9 }))
    // Byte 0 due in 8 s: the origin is the fallback for pieces no peer sends
    // by their time, and in CI, beside other work, the Node peer took over 3 s.
    const source = new SwarmByteSource({
      track, swarm, cache, startupMs: 8000,
      torrent: async () => new Uint8Array(await (await fetch('/api/torrent/' + track.id)).arrayBuffer()),
      originUrl: '/api/stream/' + track.id,
    })
    let bytes = 0
    for (let c = await source.read(); c; c = await source.read()) bytes += c.byteLength
    await source.cacheSettled()
    const cached = await cache.get(track.sha256)
    const counters = source.counters()
    source.close()
    await swarm.destroy()
    return { bytes, counters, cachedIntact: cached !== null, secure: isSecureContext, subtle: !!globalThis.crypto.subtle }
  })(${JSON.stringify(track)}, ${JSON.stringify(server.wsBase.replace('127.0.0.1', 'aula.lan'))})`)) as {
    bytes: number
    counters: { bytesFromPeers: number; bytesFromOrigin: number }
    cachedIntact: boolean
    secure: boolean
    subtle: boolean
  }
  assert.equal(errors, [])
  assert.is(result.secure, false, 'an insecure context')
  assert.is(result.subtle, false, 'without WebCrypto')
  assert.is(result.bytes, track.bytes)
  assert.is(result.counters.bytesFromPeers, track.bytes, 'every byte from the Node peer')
  assert.is(server.originBytes.get(track.id) ?? 0, 0)
  assert.ok(result.cachedIntact, 'cached after its SHA-256 matched (the cache re-checks it on read)')
})

test.run()
