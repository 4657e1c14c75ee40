// Shared media types: what the MP4 index and RTMP ingest produce and what the TS muxer consumes.

/** Codec setup of an H.264 video track. */
export interface H264TrackInfo {
  readonly kind: 'video';
  readonly codec: 'h264';
  /** Sequence parameter sets, without start codes or length prefixes. */
  readonly sps: readonly Uint8Array[];
  /** Picture parameter sets, without start codes or length prefixes. */
  readonly pps: readonly Uint8Array[];
  /** Bytes of each NAL unit length prefix in sample data (1, 2 or 4). */
  readonly nalLengthSize: number;
  readonly width: number;
  readonly height: number;
}

/** Codec setup of an AAC audio track. */
export interface AacTrackInfo {
  readonly kind: 'audio';
  readonly codec: 'aac';
  /** The AudioSpecificConfig (ISO 14496-3 §1.6.2.1); ADTS headers are built from it. */
  readonly audioSpecificConfig: Uint8Array;
}

export type VideoTrackInfo = H264TrackInfo;
export type AudioTrackInfo = AacTrackInfo;
export type TrackInfo = VideoTrackInfo | AudioTrackInfo;

/**
 * One access unit handed to the TS muxer. Timestamps are 90 kHz ticks, already offset and
 * not yet wrapped to 33 bits (the muxer wraps). Video data is length-prefixed (AVCC) as in
 * MP4 and FLV; audio data is one raw AAC frame without an ADTS header.
 */
export interface MediaSample {
  readonly dts: number;
  readonly pts: number;
  readonly data: Uint8Array;
  readonly keyframe: boolean;
}
