/**
 * comlink over worker_threads: comlink speaks the DOM's
 * addEventListener('message') with `{ data }` events; Node's ports emit the
 * data itself. (comlink ships a node-adapter.mjs, but without types that
 * TypeScript finds for it.)
 */
import type { MessagePort, Worker } from 'node:worker_threads'
import type { Endpoint } from 'comlink'

export function nodeEndpoint(port: MessagePort | Worker): Endpoint {
  const wrapped = new WeakMap<object, (data: unknown) => void>()
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer as never),
    addEventListener: (_type: string, listener: EventListenerOrEventListenerObject) => {
      const handle = (data: unknown) => {
        const event = { data } as MessageEvent
        if ('handleEvent' in listener) listener.handleEvent(event)
        else listener(event)
      }
      wrapped.set(listener, handle)
      port.on('message', handle)
    },
    removeEventListener: (_type: string, listener: EventListenerOrEventListenerObject) => {
      const handle = wrapped.get(listener)
      if (handle) port.off('message', handle)
    },
  }
}
