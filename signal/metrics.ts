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
  const cacheHitRatio = new Gauge({
    name: 'sonantica_stream_cache_hit_ratio',
    help: 'Share of track plays served from a listener cache, as reported by clients',
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
  return { register, cacheHitRatio, degradations, rejected }
}
export type Metrics = ReturnType<typeof createMetrics>
