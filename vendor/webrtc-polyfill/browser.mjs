// In the browser the platform already has WebRTC; hand out its globals.
export const RTCPeerConnection = globalThis.RTCPeerConnection
export const RTCSessionDescription = globalThis.RTCSessionDescription
export const RTCIceCandidate = globalThis.RTCIceCandidate
export const RTCDataChannel = globalThis.RTCDataChannel
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, RTCDataChannel }
