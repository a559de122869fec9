/**
 * Two Node peers (real WebRTC through @roamhq/wrtc) connect a data channel
 * using the client's own PeerLink, signalled through a real server, and
 * measure a round trip over it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PeerLink } from '../../client/src/lib/peer-link.ts'
import { member, startTestServer, type TestMember } from '../support/server.ts'

const server = await startTestServer()
const members: TestMember[] = []
const links: PeerLink[] = []
test.after(async () => {
  for (const l of links) l.destroy()
  for (const m of members) m.close()
  await server.dispose()
})

function until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const tick = setInterval(() => {
      if (pred()) {
        clearInterval(tick)
        resolve()
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(tick)
        reject(new Error('timed out'))
      }
    }, 20)
  })
}

test('a listener and the curator open a data channel and measure its round trip', async () => {
  const curator = await member(server.url)
  const listener = await member(server.url)
  members.push(curator, listener)
  const created = await curator.request({ type: 'room.create', name: 'Mesh', visibility: 'invite', maxListeners: 4, displayName: 'C' })
  if (!created.ok) return assert.unreachable('create failed')
  const joined = await listener.request({ type: 'room.join', roomId: created.room.id, token: created.token, displayName: 'L', lurker: false })
  if (!joined.ok) return assert.unreachable('join failed')
  const roomId = created.room.id

  const link = (self: TestMember, remoteId: string, initiator: boolean) => {
    const l = new PeerLink({
      remoteId,
      initiator,
      iceServers: [],
      sendSignal: (data) => self.send({ type: 'signal', roomId, to: remoteId, data }),
      onChange: () => {},
    })
    self.socket.on('msg', (m: { type: string; from?: string; data?: Record<string, unknown> }) => {
      if (m.type === 'signal' && m.from === remoteId && m.data) l.signal(m.data)
    })
    links.push(l)
    return l
  }
  const dialer = link(listener, created.peerId, true)
  const answerer = link(curator, joined.peerId, false)

  await until(() => dialer.state === 'open' && answerer.state === 'open')
  await until(() => dialer.rttMs !== null && answerer.rttMs !== null)
  assert.ok(dialer.rttMs! >= 0 && dialer.rttMs! < 1000, `round trip ${dialer.rttMs} ms is plausible on loopback`)
  assert.ok(dialer.minRttMs! <= dialer.rttMs!)

  // A vanished peer: the other side notices and closes its link.
  dialer.destroy()
  await until(() => answerer.state === 'closed')
})

test.run()
