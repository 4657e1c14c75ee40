// Key rotation (SPEC §5): key k of a stream is derived from its key file's key, so every origin,
// edge and key script derives the same keys from the same file.
import { createHmac } from 'node:crypto';

/** Bytes of an AES-128 key. */
const KEY_BYTES = 16;

/** The rotation name of key `k`: `<app>/<instance>/<stream-without-prefix>/<k>`. */
export function rotatedKeyName(app: string, instance: string, stream: string, keyIndex: number): string {
  return `${app}/${instance}/${stream}/${keyIndex}`;
}

/** Key for `name`: the first 16 bytes of HMAC-SHA256(fileKey, name). */
export function deriveRotatedKey(fileKey: Uint8Array, name: string): Buffer {
  if (fileKey.length !== KEY_BYTES) throw new RangeError(`file key must be ${KEY_BYTES} bytes`);
  return createHmac('sha256', fileKey).update(name).digest().subarray(0, KEY_BYTES);
}

/** The key number of media sequence `sequence`: floor(sequence / segmentsPerKey), or 0 when rotation is off (0). */
export function keyIndexFor(sequence: number, segmentsPerKey: number): number {
  if (!Number.isSafeInteger(sequence) || sequence < 0)
    throw new RangeError('sequence must be a non-negative integer');
  if (!Number.isSafeInteger(segmentsPerKey) || segmentsPerKey < 0) {
    throw new RangeError('segmentsPerKey must be a non-negative integer');
  }
  return segmentsPerKey === 0 ? 0 : Math.floor(sequence / segmentsPerKey);
}
