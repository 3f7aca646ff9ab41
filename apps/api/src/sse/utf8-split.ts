/**
 * Split `bytes` at the last complete UTF-8 character: `[complete, rest]`, where `rest` is the start
 * of a multi-byte character whose remaining bytes have not arrived yet (0-3 bytes). Log chunks are
 * cut at byte offsets, so without this a character split over two chunks would become two U+FFFD.
 */
export function splitUtf8(bytes: Buffer): [Buffer, Buffer] {
  const end = bytes.length;
  // Look back at most 3 bytes for the lead byte of a possibly incomplete sequence.
  for (let back = 1; back <= Math.min(3, end); back += 1) {
    const byte = bytes[end - back] ?? 0;
    if ((byte & 0xc0) === 0x80) {
      continue; // continuation byte: keep looking for the lead byte
    }
    const need = byte >= 0xf0 && byte <= 0xf7 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    if (byte < 0xc0 || byte > 0xf7) {
      return [bytes, Buffer.alloc(0)]; // ASCII or an invalid lead: nothing to wait for
    }
    return need > back
      ? [bytes.subarray(0, end - back), bytes.subarray(end - back)]
      : [bytes, Buffer.alloc(0)];
  }
  return [bytes, Buffer.alloc(0)];
}
