// First: Node globals WebTorrent's modules touch while they load.
import './lib/p2p/node-globals.ts'
import { mount } from 'svelte'
import App from './App.svelte'
import './app.css'
import { iceServers } from './lib/client-config.ts'
import { trackCache } from './lib/p2p/room-swarm.ts'
import { outputDeviceRate } from './lib/player/audio-output.ts'
import { warmUpDecoder } from './lib/player/decoder-client.ts'
import { pageServerClock, startClockWorker } from './lib/sync/clock-channel.ts'
import { fetchTracks } from './lib/tracks.ts'

// A room link's first second is mostly waiting: ask for what joining needs
// (ICE config, the library, the clock worker) while the app mounts, and start
// the decode worker, whose warm-up (workers/decoder/warm-up.ts) is then over
// before the first decode; started with the room's player, after the join, it
// ran into it on a busy page. The output device's rate is asked for too:
// the browser's audio service then starts while the page waits on the network.
// The page times itself against the server's clock (server-clock.ts): a
// joiner then starts from the curator's anchor relayed with the join reply.
// And the track cache opens: every byte source looks there first, and a
// fresh profile's IndexedDB took 200-340 ms to answer, on a joiner's way to
// the file's head (a probe on bench/sync's room).
if (location.pathname.startsWith('/room/')) {
  performance.mark('aula:boot')
  void iceServers()
  void fetchTracks().catch(() => {})
  startClockWorker()
  void pageServerClock().burst()
  void warmUpDecoder().catch(() => {})
  void outputDeviceRate().catch(() => {})
  void trackCache().ready()
}

mount(App, { target: document.getElementById('app')! })
