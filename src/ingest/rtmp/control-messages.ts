// Builders for the protocol control and user control messages a server sends (RTMP Specification 1.0
// §5.4 and §6.2) and for AMF0 command messages. They return messages for the ChunkWriter.

import { type Amf0Value, encodeAmf0 } from './amf0.js';
import {
  MSG_ACKNOWLEDGEMENT,
  MSG_COMMAND_AMF0,
  MSG_SET_CHUNK_SIZE,
  MSG_SET_PEER_BANDWIDTH,
  MSG_USER_CONTROL,
  MSG_WINDOW_ACK_SIZE,
  type RtmpOutgoingMessage,
} from './message-types.js';

/** Protocol control messages go on chunk stream 2, message stream 0 (§5.4). */
export const CONTROL_CHUNK_STREAM = 2;
/** Chunk stream for command messages on the connection (ffmpeg and nginx-rtmp use 3). */
export const COMMAND_CHUNK_STREAM = 3;
/** Chunk stream for onStatus messages on a media stream (nginx-rtmp uses 5). */
export const STATUS_CHUNK_STREAM = 5;
/** Set Peer Bandwidth limit type 2: dynamic (§5.4.5). */
export const PEER_BANDWIDTH_DYNAMIC = 2;
/** User control event Stream Begin (§7.1.7). */
export const USER_CONTROL_STREAM_BEGIN = 0;
/** User control event PingRequest (§7.1.7). */
export const USER_CONTROL_PING_REQUEST = 6;
/** User control event PingResponse (§7.1.7). */
export const USER_CONTROL_PING_RESPONSE = 7;

/** Set Chunk Size (§5.4.1). */
export function setChunkSizeMessage(size: number): RtmpOutgoingMessage {
  return control(MSG_SET_CHUNK_SIZE, u32(size));
}

/** Window Acknowledgement Size (§5.4.4). */
export function windowAckSizeMessage(size: number): RtmpOutgoingMessage {
  return control(MSG_WINDOW_ACK_SIZE, u32(size));
}

/** Set Peer Bandwidth (§5.4.5). */
export function setPeerBandwidthMessage(
  size: number,
  limitType = PEER_BANDWIDTH_DYNAMIC,
): RtmpOutgoingMessage {
  return control(MSG_SET_PEER_BANDWIDTH, Buffer.concat([u32(size), Buffer.of(limitType)]));
}

/** Acknowledgement: the bytes received so far, modulo 2^32 (§5.4.3). */
export function acknowledgementMessage(bytesReceived: number): RtmpOutgoingMessage {
  return control(MSG_ACKNOWLEDGEMENT, u32(bytesReceived));
}

/** User Control Stream Begin for `streamId` (§7.1.7). */
export function streamBeginMessage(streamId: number): RtmpOutgoingMessage {
  return userControl(USER_CONTROL_STREAM_BEGIN, streamId);
}

/** User Control Ping Response echoing the request's timestamp (§7.1.7). */
export function pingResponseMessage(timestamp: number): RtmpOutgoingMessage {
  return userControl(USER_CONTROL_PING_RESPONSE, timestamp);
}

/** An AMF0 command message: name, transaction id, then the values. */
export function commandMessage(
  streamId: number,
  chunkStreamId: number,
  values: readonly Amf0Value[],
): RtmpOutgoingMessage {
  return { type: MSG_COMMAND_AMF0, streamId, chunkStreamId, timestamp: 0, payload: encodeAmf0(values) };
}

function userControl(event: number, value: number): RtmpOutgoingMessage {
  const payload = Buffer.alloc(6);
  payload.writeUInt16BE(event, 0);
  payload.writeUInt32BE(value >>> 0, 2);
  return control(MSG_USER_CONTROL, payload);
}

function control(type: number, payload: Buffer): RtmpOutgoingMessage {
  return { type, streamId: 0, chunkStreamId: CONTROL_CHUNK_STREAM, timestamp: 0, payload };
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}
