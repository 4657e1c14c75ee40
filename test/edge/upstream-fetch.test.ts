// Fetching from an untrusted upstream: too slow is 504, too large is 502, unreachable is 502, and no
// message carries the URL's query (upstream session ids and tokens).

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { httpFetch, redactUrl } from '../../src/edge/upstream-fetch.js';

let server: http.Server;
let base = '';

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/slow')) return; // never answers
    if (req.url?.startsWith('/big')) {
      res.writeHead(200);
      res.end(Buffer.alloc(100_000));
      return;
    }
    if (req.url?.startsWith('/chunked')) {
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 20; i++) res.write(Buffer.alloc(10_000));
      res.end();
      return;
    }
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${address !== null && typeof address === 'object' ? address.port : 0}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const limits = { timeoutMs: 2000, maxBytes: 50_000 };

test('answers within the limits come back with their status, body and URL', async () => {
  const res = await httpFetch(`${base}/fine`, limits);
  assert.equal(res.status, 200);
  assert.equal(res.body.toString(), 'ok');
  assert.equal(res.url, `${base}/fine`);
});

test('a silent upstream is a 504 after the timeout, without the query in the message', async () => {
  await assert.rejects(
    httpFetch(`${base}/slow?wowzasessionid=secret`, { ...limits, timeoutMs: 300 }),
    (err: Error) => {
      assert.equal((err as { statusCode?: number }).statusCode, 504);
      assert.match(err.message, /timed out/);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    },
  );
});

test('a body over the limit is refused, declared or streamed', async () => {
  for (const p of ['/big', '/chunked']) {
    await assert.rejects(httpFetch(`${base}${p}`, limits), (err: Error) => {
      assert.equal((err as { statusCode?: number }).statusCode, 502);
      assert.match(err.message, /too large|larger than/);
      return true;
    });
  }
});

test('an unreachable upstream is a 502', async () => {
  await assert.rejects(httpFetch('http://127.0.0.1:1/x?token=t', limits), (err: Error) => {
    assert.equal((err as { statusCode?: number }).statusCode, 502);
    assert.match(err.message, /unreachable/);
    assert.doesNotMatch(err.message, /token/);
    return true;
  });
});

test('redactUrl drops the query and fragment', () => {
  assert.equal(redactUrl('http://h/a/b.m3u8?sid=1#f'), 'http://h/a/b.m3u8');
  assert.equal(redactUrl('http://h/a'), 'http://h/a');
});
