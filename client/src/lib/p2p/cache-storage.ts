/**
 * Where the track cache keeps its bytes: IndexedDB in the browser (through
 * idb-keyval, one object store of its own), a Map in Node tests. Values are
 * structured-cloned, so a Uint8Array goes in and comes out as one.
 */
import { createStore, del, get, set } from 'idb-keyval'

export interface CacheStorage {
  get(key: string): Promise<unknown>
  /** Rejects when the browser refuses (quota, private mode). */
  set(key: string, value: unknown): Promise<void>
  del(key: string): Promise<void>
}

export class MemoryCacheStorage implements CacheStorage {
  readonly map = new Map<string, unknown>()
  /** Bytes beyond which `set` fails as a full disk would (tests). */
  constructor(private readonly quotaBytes = Infinity) {}

  // Structured clones both ways, as IndexedDB does: callers never share the stored object.
  async get(key: string): Promise<unknown> {
    return structuredClone(this.map.get(key))
  }

  async set(key: string, value: unknown): Promise<void> {
    const size = (v: unknown) => (v instanceof Uint8Array ? v.byteLength : 0)
    let used = 0
    for (const [k, v] of this.map) if (k !== key) used += size(v)
    if (used + size(value) > this.quotaBytes) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    this.map.set(key, structuredClone(value))
  }

  async del(key: string): Promise<void> {
    this.map.delete(key)
  }
}

/** Opens lazily: `createStore` touches IndexedDB, which Node does not have. */
export function idbCacheStorage(dbName = 'aula-sonora-tracks', storeName = 'tracks'): CacheStorage {
  let store: ReturnType<typeof createStore> | undefined
  const s = () => (store ??= createStore(dbName, storeName))
  return {
    get: (key) => get(key, s()),
    set: (key, value) => set(key, value, s()),
    del: (key) => del(key, s()),
  }
}
