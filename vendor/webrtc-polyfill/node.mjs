// webtorrent and simple-peer import `webrtc-polyfill`, whose real package pulls
// node-datachannel and downloads a binary at install time. @roamhq/wrtc ships
// its binary inside the npm package, so Node gets it instead (and Node tests
// get real WebRTC). ESM with named exports, as the importers expect.
import { createRequire } from 'node:module'

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc')
export const RTCPeerConnection = wrtc.RTCPeerConnection
export const RTCSessionDescription = wrtc.RTCSessionDescription
export const RTCIceCandidate = wrtc.RTCIceCandidate
export const RTCDataChannel = wrtc.RTCDataChannel
export default wrtc
