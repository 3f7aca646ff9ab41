/**
 * LOG_MAX_BYTES (docs/decisions/0130): a job's stored log keeps its first half (`head`, in
 * output.log) and about its last half (`tail`, in segment files of `segment` bytes), and the bytes in
 * between are dropped. Offsets stay the command's (masked) output offsets: the dropped range is a
 * hole in them, and its last bytes read as the marker line, so a reader crossing it gets the marker
 * and then the kept tail. A job's layout is fixed by its first append (`max` in the log meta).
 */
export const LOG_MAX_BYTES_DEFAULT = 1024 * 1024 * 1024;
/** Below this a segment could not hold the marker line. */
export const LOG_MAX_BYTES_MIN = 4096;
/** The tail is kept in this many segments: between (n−1)/n and all of its share is kept. */
const SEGMENTS = 8;

export interface LogLayout {
  /** LOG_MAX_BYTES when the job's log began. */
  max: number;
  /** Offsets [0, head) are kept in output.log. */
  head: number;
  /** At most this many bytes after the head are kept (head + tail = max). */
  tail: number;
  /** The tail's segment files each hold this many bytes, from head + k × segment. */
  segment: number;
}

/** The layout for `max` (LOG_MAX_BYTES), or undefined for 0: no cap (a log begun before 0130). */
export function logLayout(max: number): LogLayout | undefined {
  if (max === 0) {
    return undefined;
  }
  const head = Math.floor(max / 2);
  const tail = max - head;
  return { max, head, tail, segment: Math.ceil(tail / SEGMENTS) };
}

/** The first offset kept after the head for a log of `size` bytes (`head` while nothing is dropped). */
export function keptFrom(layout: LogLayout, size: number): number {
  const over = size - layout.head - layout.tail;
  if (over <= 0) {
    return layout.head;
  }
  return layout.head + Math.ceil(over / layout.segment) * layout.segment;
}

/** Bytes dropped from a log of `size` bytes. */
export function droppedBytes(layout: LogLayout | undefined, size: number): number {
  return layout === undefined ? 0 : keptFrom(layout, size) - layout.head;
}

/** The line that stands where `dropped` bytes were dropped (it reads as the last bytes of the hole). */
export function dropMarker(dropped: number): Buffer {
  return Buffer.from(`\n[clore-batch: ${dropped} bytes of output dropped here (LOG_MAX_BYTES)]\n`);
}

/** Where the log byte at an offset is: in output.log, in a tail segment, or in the dropped range. */
export type LogPlace =
  /** output.log holds [offset, end) at the same positions. */
  | { kind: 'head'; offset: number; end: number }
  /** The segment file that starts at `start` holds [offset, end) from position offset − start. */
  | { kind: 'segment'; start: number; offset: number; end: number }
  /** Dropped: the marker's bytes from `offset` on (the marker ends where the kept tail begins). */
  | { kind: 'marker'; offset: number; data: Buffer };

export function locate(layout: LogLayout | undefined, size: number, offset: number): LogPlace {
  if (layout === undefined || offset < layout.head) {
    return { kind: 'head', offset, end: layout === undefined ? size : Math.min(size, layout.head) };
  }
  const kept = keptFrom(layout, size);
  if (offset < kept) {
    const marker = dropMarker(kept - layout.head);
    const markerStart = kept - marker.length;
    const from = Math.max(offset, markerStart);
    return { kind: 'marker', offset: from, data: marker.subarray(from - markerStart) };
  }
  const start = segmentStart(layout, offset);
  return { kind: 'segment', start, offset, end: Math.min(size, start + layout.segment) };
}

/** The start of the tail segment that holds `offset` (≥ head). */
export function segmentStart(layout: LogLayout, offset: number): number {
  return layout.head + Math.floor((offset - layout.head) / layout.segment) * layout.segment;
}
