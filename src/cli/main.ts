#!/usr/bin/env node
// Entry point of `npx hls-origin`.
console.log('hls-origin');
