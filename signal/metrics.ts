import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * One registry per server instance (tests start several in one process), with
 * the brief's metric names. Room gauges are read from the registry at scrape
 * time, so they can never drift from the truth.
 */
export interface RoomCounts {
  activeRooms(): number
  totalMembers(): number
}

export function createMetrics(rooms: RoomCounts) {
  const register = new Registry()
  collectDefaultMetrics({ register })
  new Gauge({
    name: 'sonantica_room_active_count',
    help: 'Rooms with at least one member',
    registers: [register],
    collect() {
      this.set(rooms.activeRooms())
    },
  })
  new Gauge({
    name: 'sonantica_room_listeners_total',
    help: 'Members across all rooms, lurkers included',
    registers: [register],
    collect() {
      this.set(rooms.totalMembers())
    },
  })
  const cachePlays = new Counter({
    name: 'sonantica_stream_cache_plays_total',
    help: 'Track plays reported by clients, by whether their cache held the track',
    labelNames: ['result'],
    registers: [register],
  })
  let hits = 0
  let plays = 0
  new Gauge({
    name: 'sonantica_stream_cache_hit_ratio',
    help: 'Share of track plays served from a listener cache, as reported by clients',
    registers: [register],
    collect() {
      this.set(plays === 0 ? 0 : hits / plays)
    },
  })
  const cacheReport = (hit: boolean) => {
    plays++
    if (hit) hits++
    cachePlays.inc({ result: hit ? 'hit' : 'miss' })
  }
  const originBytes = new Counter({
    name: 'sonantica_stream_origin_bytes_total',
    help: 'Bytes of each library track sent by the origin (/api/stream and piece ranges)',
    labelNames: ['track'],
    registers: [register],
  })
  const degradations = new Counter({
    name: 'sonantica_audio_quality_degradation_count',
    help: 'Playback degradations reported by clients (rate refused, underrun, ...)',
    labelNames: ['reason'],
    registers: [register],
  })
  const rejected = new Counter({
    name: 'sonantica_signal_rejected_messages_total',
    help: 'Client messages dropped as malformed, oversized or rate limited',
    labelNames: ['code'],
    registers: [register],
  })
  return { register, cacheReport, originBytes, degradations, rejected }
}
export type Metrics = ReturnType<typeof createMetrics>
