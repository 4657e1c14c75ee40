// The error thrown by the RTMP parsers: a stable reason code, so the connection can be dropped and logged.

import { HlsError } from '../../core/errors.js';

/** Why an RTMP peer was refused; stable strings for logs and tests. */
export type RtmpErrorReason =
  | 'HANDSHAKE_VERSION'
  | 'CHUNK_SIZE'
  | 'MESSAGE_TOO_LONG'
  | 'TOO_MANY_CHUNK_STREAMS'
  | 'TOO_MANY_PARTIAL_MESSAGES'
  | 'BUFFER_LIMIT'
  | 'CHUNK_HEADER'
  | 'CONTROL_MESSAGE'
  | 'AMF0'
  | 'COMMAND'
  | 'STATE';

/** A protocol violation by the peer. It is a 400-class HlsError so generic handlers log it as a client fault. */
export class RtmpProtocolError extends HlsError {
  readonly reason: RtmpErrorReason;

  constructor(reason: RtmpErrorReason, message: string, options?: { cause?: unknown }) {
    super('BAD_REQUEST', `rtmp: ${message}`, options);
    this.name = 'RtmpProtocolError';
    this.reason = reason;
  }
}
