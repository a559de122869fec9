/**
 * A listener's settings, persisted in this browser. Validated on load so a
 * hand-edited or outdated entry falls back to defaults instead of breaking.
 */
import * as v from 'valibot'

const Settings = v.object({
  /** Bytes of IndexedDB the track cache may use. */
  maxCacheSize: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(64 * 2 ** 30)),
  /** Plays after which a track counts as popular and is kept longer. */
  popularTrackThreshold: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
  /** How long a popular track stays cached after its last play, in days. */
  popularTrackCacheDuration: v.pipe(v.number(), v.minValue(0), v.maxValue(3650)),
  autoJoinPublicRooms: v.boolean(),
  /** Join rooms hidden (counted, never named). */
  showHiddenMode: v.boolean(),
  /** Offset to the curator tolerated before frames are dropped or repeated, in ms. */
  syncTolerance: v.pipe(v.number(), v.minValue(0.1), v.maxValue(100)),
  bufferStrategy: v.picklist(['aggressive', 'balanced', 'minimal']),
})
export type SettingsValues = v.InferOutput<typeof Settings>

export const DEFAULT_SETTINGS: SettingsValues = {
  maxCacheSize: 2 * 2 ** 30,
  popularTrackThreshold: 3,
  popularTrackCacheDuration: 30,
  autoJoinPublicRooms: false,
  showHiddenMode: false,
  syncTolerance: 0.5,
  bufferStrategy: 'balanced',
}

export const SETTING_HELP: Record<keyof SettingsValues, string> = {
  maxCacheSize: 'How much disk the track cache may use in this browser.',
  popularTrackThreshold: 'After this many plays a track counts as popular and is kept longer.',
  popularTrackCacheDuration: 'Days a popular track stays cached after it was last played.',
  autoJoinPublicRooms: 'On opening the lobby, join the public room with the most listeners.',
  showHiddenMode: 'Join rooms hidden: counted in the total, never listed by name.',
  syncTolerance: 'How far from the curator (ms) playback may drift before whole frames are dropped or repeated.',
  bufferStrategy: 'How far ahead to decode: aggressive 30 s, balanced 10 s, minimal 3 s (never above 64 MB).',
}

const KEY = 'aula.settings'

function load(): SettingsValues {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? 'null')
    const merged = { ...DEFAULT_SETTINGS, ...(raw && typeof raw === 'object' ? raw : {}) }
    const parsed = v.safeParse(Settings, merged)
    return parsed.success ? parsed.output : { ...DEFAULT_SETTINGS }
  } catch {
    return { ...DEFAULT_SETTINGS }
  }
}

export const settings = $state<SettingsValues>(load())

/** Validates and saves; returns an error sentence for a bad value. */
export function saveSettings(next: SettingsValues): string | null {
  const parsed = v.safeParse(Settings, next)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    return `${issue.path?.map((p) => String(p.key)).join('.') ?? 'setting'}: ${issue.message}`
  }
  Object.assign(settings, parsed.output)
  try {
    localStorage.setItem(KEY, JSON.stringify(parsed.output))
  } catch {
    return 'Settings apply to this visit but could not be saved (storage is full or blocked).'
  }
  return null
}
