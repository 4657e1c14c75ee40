// The server's counters and their Prometheus text exposition (format 0.0.4): requests by kind and
// status, bytes out, key requests allowed and refused, segments packaged and how long that took,
// and, read at scrape time, the live streams and the process.

import type { LiveStreamSummary } from '../core/stream.js';

/** What a request asked for, as counted. */
export type RequestKind =
  | 'master'
  | 'chunklist'
  | 'segment'
  | 'key'
  | 'player'
  | 'health'
  | 'metrics'
  | 'api'
  | 'other';

/** Where a segment was packaged. */
export type PackagingKind = 'vod' | 'live';

/** What is read at scrape time rather than counted. */
export interface StatusSnapshot {
  readonly live: readonly LiveStreamSummary[];
  /** VOD segments packaged into recycled buffers. */
  readonly segmentBuffersReused?: number;
}

/** Upper bounds (seconds) of the packaging time histogram's buckets. */
const PACKAGING_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const LIVE_STATES: readonly LiveStreamSummary['state'][] = ['publishing', 'waiting', 'ended'];
const PREFIX = 'hls_origin_';

/** A label value escaped for the text format: backslash, double quote and newline. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Accumulates metric families and writes them in the text format. */
class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${PREFIX}${name} ${help}`, `# TYPE ${PREFIX}${name} ${type}`);
    return this;
  }

  sample(name: string, pairs: Record<string, string>, value: number): this {
    this.lines.push(`${PREFIX}${name}${labels(pairs)} ${Number.isFinite(value) ? value : 0}`);
    return this;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** A histogram of seconds with fixed buckets. */
class Histogram {
  readonly counts = new Array<number>(PACKAGING_BUCKETS_S.length).fill(0);
  count = 0;
  sum = 0;

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    for (let i = 0; i < PACKAGING_BUCKETS_S.length; i++) {
      if (seconds <= PACKAGING_BUCKETS_S[i]!) this.counts[i]!++;
    }
  }
}

/** The counters of one server. */
export class Metrics {
  /** Requests by `kind` then status code. */
  private readonly requests = new Map<RequestKind, Map<number, number>>();
  private readonly bytesOut = new Map<RequestKind, number>();
  private keysAllowed = 0;
  private keysRefused = 0;
  private readonly packaging: Record<PackagingKind, Histogram> = {
    vod: new Histogram(),
    live: new Histogram(),
  };
  private readonly packagedBytes: Record<PackagingKind, number> = { vod: 0, live: 0 };

  /** Counts one answered request and the body bytes sent. */
  request(kind: RequestKind, status: number, bytes: number): void {
    let byStatus = this.requests.get(kind);
    if (!byStatus) {
      byStatus = new Map();
      this.requests.set(kind, byStatus);
    }
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    this.bytesOut.set(kind, (this.bytesOut.get(kind) ?? 0) + bytes);
    if (kind === 'key') {
      if (status === 200) this.keysAllowed++;
      else this.keysRefused++;
    }
  }

  /** Counts one packaged segment: `ms` spent muxing and encrypting it, `bytes` long. */
  packaged(kind: PackagingKind, ms: number, bytes: number): void {
    this.packaging[kind].observe(ms / 1000);
    this.packagedBytes[kind] += bytes;
  }

  /** The text exposition of every metric, with `status` read now. */
  render(status: StatusSnapshot): string {
    const out = new Exposition();
    out.family(
      'http_requests_total',
      'counter',
      'HTTP requests answered, by what they asked for and status.',
    );
    for (const [kind, byStatus] of this.requests) {
      for (const [code, n] of byStatus) out.sample('http_requests_total', { kind, status: String(code) }, n);
    }
    out.family('http_response_bytes_total', 'counter', 'Body bytes sent, by what was asked for.');
    for (const [kind, n] of this.bytesOut) out.sample('http_response_bytes_total', { kind }, n);
    out.family('key_requests_total', 'counter', 'Key requests answered with the key (allowed) or refused.');
    out.sample('key_requests_total', { result: 'allowed' }, this.keysAllowed);
    out.sample('key_requests_total', { result: 'refused' }, this.keysRefused);

    out.family('segments_packaged_total', 'counter', 'Segments muxed (and encrypted), VOD and live.');
    for (const kind of ['vod', 'live'] as const) {
      out.sample('segments_packaged_total', { type: kind }, this.packaging[kind].count);
    }
    out.family('segments_packaged_bytes_total', 'counter', 'Bytes of the segments packaged.');
    for (const kind of ['vod', 'live'] as const) {
      out.sample('segments_packaged_bytes_total', { type: kind }, this.packagedBytes[kind]);
    }
    out.family(
      'segment_packaging_seconds',
      'histogram',
      'Time to package one segment, from request to bytes (a wait for a free worker included).',
    );
    for (const kind of ['vod', 'live'] as const) {
      const h = this.packaging[kind];
      PACKAGING_BUCKETS_S.forEach((le, i) => {
        out.sample('segment_packaging_seconds_bucket', { type: kind, le: String(le) }, h.counts[i]!);
      });
      out.sample('segment_packaging_seconds_bucket', { type: kind, le: '+Inf' }, h.count);
      out.sample('segment_packaging_seconds_sum', { type: kind }, h.sum);
      out.sample('segment_packaging_seconds_count', { type: kind }, h.count);
    }
    if (status.segmentBuffersReused !== undefined) {
      out.family('segment_buffers_reused_total', 'counter', 'VOD segments packaged into a recycled buffer.');
      out.sample('segment_buffers_reused_total', {}, status.segmentBuffersReused);
    }

    out.family('live_streams', 'gauge', 'Live streams, by state.');
    for (const state of LIVE_STATES) {
      out.sample('live_streams', { state }, status.live.filter((s) => s.state === state).length);
    }
    const streamLabels = (s: LiveStreamSummary) => ({ app: s.app, instance: s.instance, stream: s.name });
    out.family('live_ingest_bits_per_second', 'gauge', 'Media bitrate received, over the window.');
    for (const s of status.live) out.sample('live_ingest_bits_per_second', streamLabels(s), s.bitrate);
    out.family('live_ingest_bytes_total', 'counter', 'Media payload bytes received from publishers.');
    for (const s of status.live) out.sample('live_ingest_bytes_total', streamLabels(s), s.ingestBytes);

    const memory = process.memoryUsage();
    out.family('process_resident_memory_bytes', 'gauge', 'Resident memory of the server process.');
    out.sample('process_resident_memory_bytes', {}, memory.rss);
    out.family('process_uptime_seconds', 'gauge', 'Seconds since the server process started.');
    out.sample('process_uptime_seconds', {}, Math.round(process.uptime()));
    return out.text();
  }
}
