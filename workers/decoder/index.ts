export { StreamDecoder } from './stream-decoder.ts'
export { DecodeError } from './errors.ts'
export type { DecodeEnd, DecodeErrorCode, Md5Verdict, PcmChunk, TrackCodec, TrackFormat } from '../../protocol/worker-api.ts'
