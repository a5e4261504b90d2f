/* gRPC-style RPC over nng req/rep, dispatched by protoc-c's service
 * descriptors (xroad__node__descriptor of proto/xroad.proto).
 *
 * Frame of a request (req -> rep), docs/NET.md "Frames":
 *   byte 0..1  'X' 'R'
 *   byte 2     version (1)
 *   byte 3     method index in xroad.Node (0 Deliver, 1 Status, 2 Control,
 *              3 Snapshot)
 *   byte 4..   the method's input message, protobuf-packed
 * Frame of a reply: the same 4-byte header carrying the request's method
 * index, then either the method's output message (byte 2 = version, status
 * ok) or, when the request was refused before it reached the method
 * (malformed, unknown method, too large, unknown sender), byte 2 = 0xEE and
 * a one-line UTF-8 reason.
 *
 * Waves ride surveyor/respondent with the same header ('X' 'W', version,
 * 0), then the destination node id (4 bytes, big endian), then one Envelope.
 */
#ifndef XR_NET_RPC_H
#define XR_NET_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define XR_FRAME_HDR 4
#define XR_FRAME_VERSION 1
#define XR_FRAME_ERROR 0xEE
#define XR_WAVE_HDR 8

enum xr_node_method {
	XR_METHOD_DELIVER = 0,
	XR_METHOD_STATUS = 1,
	XR_METHOD_CONTROL = 2,
	XR_METHOD_SNAPSHOT = 3,
};

/* How a tool reaches a node over TLS: its material (tls.h, borrowed) and
 * the name the node's certificate must carry (NULL: any the CA signed). */
struct xr_tls;
struct xr_rpc_tls {
	const struct xr_tls *tls;
	const char *peer_name;
};

/* One synchronous call for tools (xroadctl, tests, bench): dials `url` (over
 * TLS with `tls` when it is not NULL), sends `req` as method `method` of
 * xroad.Node, waits at most `timeout_ms` for the reply and unpacks it into
 * *reply (the method's output type; the caller frees it with
 * protobuf_c_message_free_unpacked(*reply, NULL)). Errors are XR_E* with a
 * reason in `err` that does not repeat `url`: the caller names the node once
 * ("node 3 (tcp://...): dial: Connection refused"). Not for use inside the
 * daemon's event loop. */
int xr_rpc_call(const char *url, const struct xr_rpc_tls *tls, unsigned method,
		const ProtobufCMessage *req, ProtobufCMessage **reply,
		int timeout_ms, char *err, size_t err_len);

/* The server side: unpacks `body` as the input type of method `method` of
 * svc->descriptor (protoc-c's ProtobufCServiceDescriptor), invokes it, and
 * packs the output into *out (malloc'ed, caller frees). The service's method
 * may read the raw input through xr_rpc_raw() during the call. 0, or
 * XR_EDECODE / XR_EINVAL / XR_ENOMEM with the reason in `why`. */
int xr_rpc_dispatch(ProtobufCService *svc, unsigned method, const uint8_t *body,
		    size_t len, uint8_t **out, size_t *out_len, char *why,
		    size_t why_len);

/* The raw input bytes of the call being dispatched (valid during it). */
void xr_rpc_raw(const uint8_t **body, size_t *len);

/* Builds a request frame into a malloc'ed buffer (caller frees). */
int xr_rpc_frame(unsigned method, const ProtobufCMessage *msg, uint8_t **buf,
		 size_t *len);

#endif
