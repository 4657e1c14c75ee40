// Which key and IV encrypt a segment (SPEC §5): the key file's key, or with rotation the key
// derived for floor(sequence / N); the key file's fixed IV, or the media sequence number.

import type { SegmentKeyRef, StreamPath } from '../core/stream.js';
import { deriveRotatedKey, keyIndexFor, rotatedKeyName } from '../crypto/key-rotation.js';
import { ivFromSequence } from '../crypto/segment-cipher.js';
import type { KeyFile } from '../keys/key-file.js';
import type { ResolvedKey } from '../keys/key-store.js';

/** The key material of one segment and how the playlist refers to it. */
export interface SegmentKey {
  readonly key: Buffer;
  readonly iv: Buffer;
  readonly ref: SegmentKeyRef & { kind: 'key' };
}

/** The key file's key, or the derived key number `keyIndex` when keys rotate. */
export function keyBytes(
  file: KeyFile,
  stream: Pick<StreamPath, 'app' | 'instance' | 'name'>,
  rotation: number,
  keyIndex: number,
): Buffer {
  if (rotation <= 0) return file.key;
  return deriveRotatedKey(file.key, rotatedKeyName(stream.app, stream.instance, stream.name, keyIndex));
}

/** The key, IV and playlist reference of segment `sequence`. */
export function segmentKey(
  file: KeyFile,
  version: string,
  stream: Pick<StreamPath, 'app' | 'instance' | 'name'>,
  rotation: number,
  sequence: number,
): SegmentKey {
  const keyIndex = rotation > 0 ? keyIndexFor(sequence, rotation) : undefined;
  const iv = file.iv ?? ivFromSequence(sequence);
  return {
    key: keyBytes(file, stream, rotation, keyIndex ?? 0),
    iv,
    ref: { kind: 'key', version, keyIndex, url: file.url, iv, ivInChunklist: file.ivInChunklist },
  };
}

/** How a playlist refers to segment `sequence`'s key under `resolved` (none when served in the clear). */
export function segmentKeyRef(
  resolved: ResolvedKey,
  stream: Pick<StreamPath, 'app' | 'instance' | 'name'>,
  rotation: number,
  sequence: number,
): SegmentKeyRef {
  if (resolved.kind !== 'key') return { kind: 'none' };
  return segmentKey(resolved.file, resolved.version, stream, rotation, sequence).ref;
}
