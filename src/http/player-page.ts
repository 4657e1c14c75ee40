// GET /player: a test player page, like Wowza's test players. hls.js is served from node_modules
// by this server, so the page needs nothing from outside. `?url=` plays a URL at once.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

/** Where the page loads hls.js from. */
export const HLS_JS_PATH = '/player/hls.min.js';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hls-origin test player</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; max-width: 960px; }
  form { display: flex; gap: .5rem; margin-bottom: 1rem; }
  input { flex: 1; padding: .4rem; font: inherit; }
  video { width: 100%; background: #000; aspect-ratio: 16 / 9; }
  #log { font: 12px ui-monospace, monospace; white-space: pre-wrap; background: #f4f4f4; padding: .5rem; max-height: 16rem; overflow: auto; }
</style>
</head>
<body>
<h1>hls-origin test player</h1>
<form id="form">
  <input id="url" name="url" placeholder="/vod/mp4:sample.mp4/playlist.m3u8" aria-label="Playlist URL">
  <button type="submit">Play</button>
</form>
<video id="video" controls muted playsinline></video>
<p id="status">idle</p>
<div id="log"></div>
<script src="${HLS_JS_PATH}"></script>
<script>
(function () {
  var video = document.getElementById('video');
  var status = document.getElementById('status');
  var logEl = document.getElementById('log');
  var input = document.getElementById('url');
  var hls = null;
  window.playerState = { errors: [], keys: 0, encrypted: 0, fragments: 0, manifest: false, levels: [] };
  function log(line) { logEl.textContent += line + '\\n'; }
  function play(url) {
    if (hls) { hls.destroy(); hls = null; }
    window.playerState = { errors: [], keys: 0, encrypted: 0, fragments: 0, manifest: false, levels: [] };
    status.textContent = 'loading ' + url;
    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls({ enableWorker: true });
      window.hlsPlayer = hls;
      hls.on(window.Hls.Events.MANIFEST_PARSED, function (_e, d) { window.playerState.manifest = true; log('manifest: ' + d.levels.length + ' level(s)'); video.play().catch(function (e) { log('play(): ' + e); }); });
      hls.on(window.Hls.Events.KEY_LOADED, function () { window.playerState.keys++; });
      hls.on(window.Hls.Events.FRAG_LOADED, function (_e, d) { var k = d.frag.decryptdata; if (k && k.method === 'AES-128') window.playerState.encrypted++; });
      hls.on(window.Hls.Events.FRAG_BUFFERED, function (_e, d) { var s = window.playerState; s.fragments++; if (s.levels.indexOf(d.frag.level) < 0) s.levels.push(d.frag.level); log('buffered ' + d.frag.sn + ' of level ' + d.frag.level); });
      hls.on(window.Hls.Events.ERROR, function (_e, d) { window.playerState.errors.push({ type: d.type, details: d.details, fatal: d.fatal }); log('error: ' + d.type + ' ' + d.details + (d.fatal ? ' (fatal)' : '')); });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = url;
      video.play().catch(function (e) { log('play(): ' + e); });
    } else {
      status.textContent = 'this browser cannot play HLS';
      return;
    }
    video.ontimeupdate = function () { status.textContent = 'playing ' + url + ' at ' + video.currentTime.toFixed(1) + ' s'; };
  }
  document.getElementById('form').addEventListener('submit', function (e) { e.preventDefault(); if (input.value) play(input.value); });
  var initial = new URLSearchParams(location.search).get('url');
  if (initial) { input.value = initial; play(initial); }
})();
</script>
</body>
</html>
`;

/** Registers `/player` and the hls.js it loads. */
export function registerPlayer(app: FastifyInstance): void {
  const require = createRequire(import.meta.url);
  let hlsJs: Promise<Buffer> | undefined;
  app.get('/player', async (_request, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(PAGE),
  );
  app.get(HLS_JS_PATH, async (_request, reply) => {
    hlsJs ??= readFile(require.resolve('hls.js/dist/hls.min.js'));
    return reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(await hlsJs);
  });
}
