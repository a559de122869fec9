// First: Node globals WebTorrent's modules touch while they load.
import './lib/p2p/node-globals.ts'
import { mount } from 'svelte'
import App from './App.svelte'
import './app.css'
import { iceServers } from './lib/client-config.ts'
import { startClockWorker } from './lib/sync/clock-channel.ts'
import { fetchTracks } from './lib/tracks.ts'

// A room link's first second is mostly waiting: ask for what joining needs
// (ICE config, the library, the clock worker) while the app mounts.
if (location.pathname.startsWith('/room/')) {
  void iceServers()
  void fetchTracks().catch(() => {})
  startClockWorker()
}

mount(App, { target: document.getElementById('app')! })
