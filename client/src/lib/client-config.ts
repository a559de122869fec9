/**
 * Server-provided settings. ICE servers are empty unless the operator sets
 * ICE_SERVERS: nothing calls out by default (LAN parties have no internet).
 */
let config: Promise<{ iceServers: RTCIceServer[] }> | undefined

export function iceServers(): Promise<RTCIceServer[]> {
  config ??= fetch('/api/config')
    .then((r) => (r.ok ? r.json() : { iceServers: [] }))
    .catch(() => ({ iceServers: [] }))
  return config.then((c) => (Array.isArray(c.iceServers) ? c.iceServers : []))
}
