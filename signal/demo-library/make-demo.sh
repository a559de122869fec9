#!/usr/bin/env bash
# Regenerates the demo library that `npm start` serves when LIBRARY_DIR is unset,
# so a fresh checkout plays sound. Needs sox and flac (Debian: `apt install sox flac`).
# The output is committed; rerun only to change it. `sox -R` seeds the dither
# generator, so the same sox/flac versions produce the same bytes.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ARTIST="Aula Sonora"
ALBUM="Aula Sonora Demo"

# chord <out> <rate> <bits> <seconds> <freq...>: writes raw little-endian
# signed PCM for flac, or a WAV when <out> ends in .wav.
# Each tone is a sine with its own channel; remix spreads them across the
# stereo field, tremolo and reverb keep a pure chord from sounding clinical,
# and the fades avoid clicks at both ends.
chord() {
  local out=$1 rate=$2 bits=$3 secs=$4; shift 4
  local n=$# tones=() left=() right=() i=1
  for f in "$@"; do
    tones+=(sine "$f")
    # pan tone i from left (i=1) to right (i=n); never fully to one side
    local l r
    l=$(awk -v i=$i -v n=$n 'BEGIN { printf "%.2f", 0.8 - 0.6 * (i - 1) / (n - 1) }')
    r=$(awk -v l="$l" 'BEGIN { printf "%.2f", 1 - l }')
    left+=("${i}v${l}"); right+=("${i}v${r}")
    i=$((i + 1))
  done
  local IFS=,
  local type=raw; [[ $out == *.wav ]] && type=wavpcm
  sox -R -r "$rate" -c "$n" -n -t "$type" -e signed-integer -L -b "$bits" -c 2 "$out" \
    synth "$secs" "${tones[@]}" \
    remix "${left[*]}" "${right[*]}" \
    tremolo 0.4 20 reverb 40 gain -n -9 fade q 1 "$secs" 2
}

flac_track() { # <raw> <rate> <bits> <out.flac> <tracknumber> <title>
  flac --best --silent --force -o "$4" \
    --force-raw-format --endian=little --sign=signed --channels=2 --sample-rate="$2" --bps="$3" \
    -T "TITLE=$6" -T "ARTIST=$ARTIST" -T "ALBUM=$ALBUM" -T "TRACKNUMBER=$5" "$1"
}

chord "$tmp/1.raw" 44100 16 7 261.63 329.63 392.00 523.25   # C major
chord "$tmp/2.raw" 96000 24 7 220.00 261.63 329.63 440.00   # A minor
chord "$tmp/3.raw" 192000 24 6 174.61 220.00 261.63 329.63  # F major 7
flac_track "$tmp/1.raw" 44100 16 01-aurora-16-44k.flac 1 "Aurora (16-bit, 44.1 kHz)"
flac_track "$tmp/2.raw" 96000 24 02-meridian-24-96k.flac 2 "Meridian (24-bit, 96 kHz)"
flac_track "$tmp/3.raw" 192000 24 03-nocturne-24-192k.flac 3 "Nocturne (24-bit, 192 kHz)"

# A plain PCM WAV (wavpcm: no WAVE_FORMAT_EXTENSIBLE header), so the WAV path
# is exercised too. sox writes no tags to WAV, so append a RIFF LIST/INFO chunk
# by hand (INAM title, IART artist, IPRD album, ITRK track) and patch the RIFF
# size. ${#text} counts characters, so keep these tags ASCII.
chord "$tmp/4.wav" 48000 16 3 196.00 246.94 293.66  # G major
le32() { local v=$1; printf "\\x$(printf %02x $((v & 255)))\\x$(printf %02x $((v >> 8 & 255)))\\x$(printf %02x $((v >> 16 & 255)))\\x$(printf %02x $((v >> 24 & 255)))"; }
info_field() { # <id> <text>: NUL-terminated, padded to an even length
  local len=$((${#2} + 1))
  printf '%s' "$1"; le32 "$len"; printf '%s\0' "$2"
  if ((len % 2)); then printf '\0'; fi
}
{
  info_field INAM "Coda (WAV, 16-bit, 48 kHz)"
  info_field IART "$ARTIST"
  info_field IPRD "$ALBUM"
  info_field ITRK "4"
} >"$tmp/info"
wav=04-coda-16-48k.wav
cp "$tmp/4.wav" "$wav"
{ printf 'LIST'; le32 $(($(stat -c %s "$tmp/info") + 4)); printf 'INFO'; cat "$tmp/info"; } >>"$wav"
le32 $(($(stat -c %s "$wav") - 8)) | dd of="$wav" bs=1 seek=4 conv=notrunc status=none

ls -l -- *.flac *.wav
