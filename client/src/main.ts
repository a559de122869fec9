// First: Node globals WebTorrent's modules touch while they load.
import './lib/p2p/node-globals.ts'
import { mount } from 'svelte'
import App from './App.svelte'
import './app.css'

mount(App, { target: document.getElementById('app')! })
