<?php
// An external key script for hls-origin (key file line `cupertinostreaming-aes128-url: https://…/key-server.php`).
// The player calls it as key-server.php?wowzasessionid=<sid>&stream=<app>/<instance>/<stream>; it checks the
// signed session id (SPEC §5) and answers the 16 key bytes, or 403.
// Pass the stream path in the URL of the key file, e.g. …/key-server.php?stream=vod/_definst_/mp4:sample.mp4

$secret = getenv('HLS_ORIGIN_SECRET');          // the server.secret of hls-origin
$keyHex = 'DE51A7254739C0EDF1DCE13BBB308FF0';   // the same key as the stream's key file

function deny() {
    http_response_code(403);
    header('Cache-Control: no-store');
    exit;
}

$sid = isset($_GET['wowzasessionid']) ? (string) $_GET['wowzasessionid'] : '';
$stream = isset($_GET['stream']) ? (string) $_GET['stream'] : '';
if ($secret === false || $secret === '' || $stream === '' || strlen($sid) > 128) deny();

// <random>.<expires>.<base64url(HMAC-SHA256(secret, "<random>.<expires>.<stream>"))>
if (!preg_match('/^([A-Za-z0-9_-]{8,64})\.(0|[1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$/', $sid, $m)) deny();
list(, $random, $expires, $signature) = $m;

$mac = hash_hmac('sha256', "$random.$expires.$stream", $secret, true);
$expected = rtrim(strtr(base64_encode($mac), '+/', '-_'), '=');
if (!hash_equals($expected, $signature)) deny();
if (time() >= (int) $expires) deny();

// With keyRotation the playlist adds &keyindex=k; then answer key k instead:
//   substr(hash_hmac('sha256', "<app>/<instance>/<stream without prefix>/$k", hex2bin($keyHex), true), 0, 16)

header('Content-Type: application/octet-stream');
header('Cache-Control: no-store');
header('Content-Length: 16');
echo hex2bin($keyHex);
