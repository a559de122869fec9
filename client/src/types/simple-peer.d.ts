// @thaunknown/simple-peer ships no types; this covers what the mesh uses.
declare module '@thaunknown/simple-peer/lite.js' {
  namespace Peer {
    interface Options {
      initiator?: boolean
      trickle?: boolean
      config?: RTCConfiguration
      channelName?: string
    }
    interface Instance {
      on(event: 'signal', cb: (data: Record<string, unknown>) => void): this
      on(event: 'connect' | 'close' | 'disconnect', cb: () => void): this
      on(event: 'data', cb: (data: Uint8Array | string) => void): this
      on(event: 'error', cb: (err: Error) => void): this
      signal(data: Record<string, unknown> | string): void
      send(data: string | Uint8Array | ArrayBuffer): void
      destroy(err?: Error): void
      readonly connected: boolean
    }
  }
  const Peer: { new (opts?: Peer.Options): Peer.Instance }
  export default Peer
}
