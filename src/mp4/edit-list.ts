// Turns a track's edit list (elst, ISO 14496-12 §8.6.6) into one time shift, so that
// `dts + cto + shift` is the presentation time on the movie timeline, as players and ffmpeg apply it.

/** One elst entry as mp4box parses it: segment_duration in movie ticks, media_time in track ticks. */
export interface EditListEntry {
  readonly segment_duration: number;
  readonly media_time: number;
}

/** `media_time` of an empty edit: nothing of the track is presented for `segment_duration`. */
const EMPTY_EDIT = -1;

/**
 * The shift in track ticks: initial empty edits delay the track, the first non-empty edit's
 * `media_time` is where presentation starts. Later edits (rare in files to be streamed) are ignored.
 */
export function editListShift(
  entries: readonly EditListEntry[] | undefined,
  movieTimescale: number,
  trackTimescale: number,
): number {
  if (entries === undefined) return 0;
  let emptyMovieTicks = 0;
  for (const entry of entries) {
    if (entry.media_time === EMPTY_EDIT) {
      emptyMovieTicks += entry.segment_duration;
      continue;
    }
    const delay = movieTimescale > 0 ? Math.round((emptyMovieTicks * trackTimescale) / movieTimescale) : 0;
    return delay - entry.media_time;
  }
  return 0;
}
