// RTMP message type ids and the message shape shared by the chunk reader, writer and session.
// Type ids: RTMP Specification 1.0 §5.4 (protocol control), §6.2 (user control), §7.1 (commands and data).

/** Set Chunk Size (§5.4.1). */
export const MSG_SET_CHUNK_SIZE = 1;
/** Abort Message (§5.4.2). */
export const MSG_ABORT = 2;
/** Acknowledgement (§5.4.3). */
export const MSG_ACKNOWLEDGEMENT = 3;
/** User Control Message (§6.2). */
export const MSG_USER_CONTROL = 4;
/** Window Acknowledgement Size (§5.4.4). */
export const MSG_WINDOW_ACK_SIZE = 5;
/** Set Peer Bandwidth (§5.4.5). */
export const MSG_SET_PEER_BANDWIDTH = 6;
/** Audio message: one FLV audio tag body (§7.1.4). */
export const MSG_AUDIO = 8;
/** Video message: one FLV video tag body (§7.1.5). */
export const MSG_VIDEO = 9;
/** Data message encoded in AMF3 (a leading format byte, then AMF0 in practice) (§7.1.2). */
export const MSG_DATA_AMF3 = 15;
/** Command message encoded in AMF3 (a leading format byte, then AMF0 in practice) (§7.1.1). */
export const MSG_COMMAND_AMF3 = 17;
/** Data message encoded in AMF0, e.g. `@setDataFrame` / `onMetaData` (§7.1.2). */
export const MSG_DATA_AMF0 = 18;
/** Command message encoded in AMF0: connect, publish, ... (§7.1.1). */
export const MSG_COMMAND_AMF0 = 20;

/** One complete RTMP message, as read from or written to a chunk stream. */
export interface RtmpMessage {
  /** Message type id (the MSG_* constants). */
  readonly type: number;
  /** Message stream id: 0 for the connection, the createStream id for media. */
  readonly streamId: number;
  /** Milliseconds, extended past the 32-bit wrap into a monotonic number per chunk stream. */
  readonly timestamp: number;
  readonly payload: Uint8Array;
}

/** A message read from the wire, with the chunk stream it came on and its raw 32-bit timestamp. */
export interface RtmpReadMessage extends RtmpMessage {
  readonly chunkStreamId: number;
  /** The timestamp as carried on the wire, modulo 2^32. */
  readonly timestamp32: number;
}

/** A message to write, with the chunk stream to send it on. */
export interface RtmpOutgoingMessage extends RtmpMessage {
  readonly chunkStreamId: number;
}
