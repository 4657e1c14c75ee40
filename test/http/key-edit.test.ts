// A key file edited on disk (SPEC §5): the next chunklist after the store's revalidation uses the
// new key; until then the old one; the old key's URI keeps answering with the old key.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { decryptSegment, ivFromSequence } from '../../src/crypto/segment-cipher.js';
import { formatKeyFile } from '../../src/keys/key-file.js';
import { get, openStream } from '../helpers/hls-client.js';
import { createFixture, type Fixture, writeStreamKey } from '../helpers/server-fixture.js';

/** MPEG-TS sync byte (ISO 13818-1 §2.4.3.2). */
const TS_SYNC = 0x47;
/** A little more than the key store's stat revalidation interval (1 s). */
const PAST_REVALIDATION_MS = 1001;
const MASTER = '/vod/mp4:sample.mp4/playlist.m3u8';

let fx: Fixture;
let clockMs = Date.UTC(2030, 0, 1);

before(async () => {
  fx = await createFixture({ now: () => clockMs });
});

after(() => fx.close());

test('an edited key file is used by the next chunklist after revalidation', async () => {
  const oldKey = randomBytes(16);
  const newKey = randomBytes(16);
  const file = writeStreamKey(fx.keyDir, 'vod', 'sample.mp4', { key: oldKey });

  const first = await openStream(fx.app.http, MASTER);
  assert.deepEqual((await get(fx.app.http, first.keyUrls[0]!)).rawPayload, oldKey);

  // Edited in place, as an operator would with an editor.
  fs.writeFileSync(file, formatKeyFile({ key: newKey }));

  const early = await openStream(fx.app.http, MASTER);
  assert.deepEqual(
    early.keyUrls,
    first.keyUrls.map((u) => u.replace(first.sid!, early.sid!)),
    'stat still trusted',
  );

  clockMs += PAST_REVALIDATION_MS;
  const next = await openStream(fx.app.http, MASTER);
  const oldName = /key_[0-9a-f]{8}\.key/.exec(first.keyUrls[0]!)![0];
  const newName = /key_[0-9a-f]{8}\.key/.exec(next.keyUrls[0]!)![0];
  assert.notEqual(newName, oldName, 'the key URI names the new version');
  assert.deepEqual((await get(fx.app.http, next.keyUrls[0]!)).rawPayload, newKey);

  const seg = await get(fx.app.http, next.segments[0]!);
  assert.equal(
    decryptSegment(seg.rawPayload, newKey, ivFromSequence(0))[0],
    TS_SYNC,
    'segments use the new key',
  );

  // A player still holding the old chunklist gets the old key from the old URI.
  const old = await get(fx.app.http, first.keyUrls[0]!);
  assert.equal(old.statusCode, 200);
  assert.deepEqual(old.rawPayload, oldKey);
});
