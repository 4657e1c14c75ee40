// The AMF0 command messages a publishing server answers with (RTMP Specification 1.0 §7.2), in the shape
// ffmpeg's rtmpproto.c and OBS's librtmp look for.

import type { Amf0Value } from './amf0.js';
import { COMMAND_CHUNK_STREAM, commandMessage, STATUS_CHUNK_STREAM } from './control-messages.js';
import type { RtmpOutgoingMessage } from './message-types.js';

/** fmsVer and capabilities as Flash Media Server 3 reported them; clients only log these. */
const FMS_VERSION = 'FMS/3,0,1,123';
const FMS_CAPABILITIES = 31;

/** `_result` of connect: server properties, then NetConnection.Connect.Success (§7.2.1.1). */
export function connectResultMessage(transactionId: number, objectEncoding: number): RtmpOutgoingMessage {
  return commandMessage(0, COMMAND_CHUNK_STREAM, [
    '_result',
    transactionId,
    { fmsVer: FMS_VERSION, capabilities: FMS_CAPABILITIES },
    {
      level: 'status',
      code: 'NetConnection.Connect.Success',
      description: 'Connection succeeded.',
      objectEncoding,
    },
  ]);
}

/** A `_result` with a null command object and the given values (createStream, releaseStream, FCPublish). */
export function resultMessage(transactionId: number, ...values: Amf0Value[]): RtmpOutgoingMessage {
  return commandMessage(0, COMMAND_CHUNK_STREAM, ['_result', transactionId, null, ...values]);
}

/** An `onStatus` on a media stream (§7.2.2): level 'status' or 'error' and a NetStream code. */
export function onStatusMessage(
  streamId: number,
  level: 'status' | 'error',
  code: string,
  description: string,
  details?: string,
): RtmpOutgoingMessage {
  const info: Record<string, Amf0Value> = { level, code, description };
  if (details !== undefined) info['details'] = details;
  return commandMessage(streamId, STATUS_CHUNK_STREAM, ['onStatus', 0, null, info]);
}

/** `onFCPublish` / `onFCUnpublish`: the notifications encoders that send FCPublish wait for (FMS convention). */
export function fcStatusMessage(
  command: 'onFCPublish' | 'onFCUnpublish',
  code: string,
  stream: string,
): RtmpOutgoingMessage {
  return commandMessage(0, COMMAND_CHUNK_STREAM, [command, 0, null, { code, description: stream }]);
}
