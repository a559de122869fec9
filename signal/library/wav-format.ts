/**
 * Whether a WAV file holds integer PCM or 32-bit float, the WAV the player decodes.
 * music-metadata names plain PCM `PCM` but reports WAVE_FORMAT_EXTENSIBLE
 * (what sox and most DAWs write for 24-bit or >2 channels) only as
 * `non-PCM (65534)`, without its sub-format; so read the `fmt ` chunk here.
 */
import { open } from 'node:fs/promises'

const WAVE_FORMAT_PCM = 0x0001
const WAVE_FORMAT_IEEE_FLOAT = 0x0003
const WAVE_FORMAT_EXTENSIBLE = 0xfffe
/** Chunks before `fmt ` (JUNK, bext…) are usually small; look no further than this. */
const HEAD_BYTES = 64 * 1024

export async function isPlayableWav(path: string, bitsPerSample: number | undefined): Promise<boolean> {
  const file = await open(path, 'r')
  try {
    const head = Buffer.alloc(HEAD_BYTES)
    const { bytesRead } = await file.read(head, 0, HEAD_BYTES, 0)
    const tag = formatTag(head.subarray(0, bytesRead))
    // The decoder takes 32-bit float; 64-bit float would need rounding.
    return tag === WAVE_FORMAT_PCM || (tag === WAVE_FORMAT_IEEE_FLOAT && bitsPerSample === 32)
  } finally {
    await file.close()
  }
}

/**
 * The effective format tag of a RIFF/WAVE header: the `fmt ` chunk's tag, or
 * for WAVE_FORMAT_EXTENSIBLE the first two bytes of its SubFormat GUID
 * (https://learn.microsoft.com/en-us/windows/win32/api/mmreg/ns-mmreg-waveformatextensible).
 */
export function formatTag(head: Buffer): number | undefined {
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') return undefined
  let at = 12
  while (at + 8 <= head.length) {
    const id = head.toString('latin1', at, at + 4)
    const size = head.readUInt32LE(at + 4)
    const body = at + 8
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > head.length) return undefined
      const tag = head.readUInt16LE(body)
      if (tag !== WAVE_FORMAT_EXTENSIBLE) return tag
      // cbSize(2) validBits(2) channelMask(4) then the SubFormat GUID at offset 24.
      if (size < 40 || body + 26 > head.length) return undefined
      return head.readUInt16LE(body + 24)
    }
    at = body + size + (size & 1) // chunks are padded to an even length
  }
  return undefined
}
