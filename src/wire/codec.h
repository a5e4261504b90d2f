/* The edge between protobuf and the core: proto/xroad.proto's Envelope <->
 * struct xr_msg and NodeConfig <-> struct xr_node_config (after cowsql's
 * uv_encoding.c, which keeps every byte-level concern out of the protocol).
 *
 * Decoding validates everything a peer or a file can get wrong, so that the
 * core only ever sees a well-formed struct:
 *   XR_ETOOBIG  input longer than XR_MSG_MAX_BYTES, or a repeated field longer
 *               than the core's fixed array;
 *   XR_EDECODE  bytes that are not an Envelope (truncated, garbage), or an
 *               Envelope without a body;
 *   XR_ERANGE   an enum that is UNSPECIFIED or unknown, a node id >=
 *               XR_MAX_NODES, a log index >= XR_MAX_CARS.
 * Whether a sender belongs to the cluster or a round is current is the core's
 * business (XR_ESENDER, XR_EROUND), not the codec's.
 *
 * Proto enums reserve 0 for UNSPECIFIED, so Approach and Turn are the core's
 * value + 1 (APPROACH_S = 1 <-> XR_S = 0, TURN_RIGHT = 1 <-> XR_RIGHT = 0);
 * WaveKind, ControlOp and TraceRecord.Kind share the core's numbering.
 *
 * Encoding is deterministic: the same struct always gives the same bytes
 * (protobuf-c writes fields in number order; nothing else varies), which is
 * what lets a replay compare messages byte for byte.
 *
 * Ownership: every function here works in caller-owned memory; nothing is
 * kept after return. */
#ifndef XR_WIRE_CODEC_H
#define XR_WIRE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "node.h"

/* Largest encoded Envelope or NodeConfig accepted or produced. The biggest
 * legitimate message (a full RejoinState) is a few KiB; the margin is for
 * fields added later. The net layer uses it as its receive limit too. */
#define XR_MSG_MAX_BYTES (64u * 1024u)

/* Epochs. The coordinator epoch (Envelope.epoch) grows by one or two per
 * election, a detection epoch by one per detection; both are 32-bit and
 * the core adds 1 to the newest it knows. An epoch near UINT32_MAX is
 * never earned (2^32 elections) but can be claimed by anyone who reaches a
 * port without TLS: one Envelope with epoch 4294967295 made the core's next
 * epoch wrap to 0, after which the light was deposed and re-elected in a
 * loop (issue 13). So:
 *   - no epoch above XR_EPOCH_MAX is decoded or encoded (XR_ERANGE): 2^24
 *     elections of headroom remain for the core's own +1s, so no epoch the
 *     core computes from an accepted one wraps;
 *   - an Envelope epoch more than XR_EPOCH_JUMP_MAX above the newest epoch
 *     the receiver knows is refused (xr_msg_check_epoch). 65,536 elections
 *     apart is far more than a node cut off or restarted can have missed,
 *     and it means a forger needs 65,000 accepted claims to climb to the
 *     ceiling, not one. */
#define XR_EPOCH_MAX (UINT32_MAX - (1u << 24))
#define XR_EPOCH_JUMP_MAX 65536u

/* Checks an Envelope's epoch against `known`, the newest coordinator epoch
 * the receiving node knows: 0, or XR_ERANGE with the claim, the node's
 * epoch and the bound in `why` (may be NULL). */
int xr_msg_check_epoch(const struct xr_msg *m, uint32_t known, char *why,
		       size_t why_len);

/* Checks that `m` is a message the codec can encode and the core can accept
 * (type, enums, counts, node ids, epochs up to XR_EPOCH_MAX). 0, or XR_ERANGE / XR_ETOOBIG / XR_EINVAL
 * with the reason in `why` (may be NULL). */
int xr_msg_check(const struct xr_msg *m, char *why, size_t why_len);

/* Encodes `m` into buf[0..cap); *len is the number of bytes written. Fails
 * with xr_msg_check()'s codes, or XR_ETOOBIG when the result would not fit in
 * `cap` or in XR_MSG_MAX_BYTES (buf is then unspecified). */
int xr_msg_encode(const struct xr_msg *m, uint8_t *buf, size_t cap,
		  size_t *len);

/* Decodes and validates buf[0..len) into *out (fully overwritten; zeroed on
 * failure). 0, or XR_ETOOBIG / XR_EDECODE / XR_ERANGE with the field at fault
 * named in `why` (may be NULL). Never reads outside buf. */
int xr_msg_decode(const uint8_t *buf, size_t len, struct xr_msg *out, char *why,
		  size_t why_len);

/* NodeConfig, as recorded in a trace's START record. The tracer callback is
 * not part of the record: decode leaves tracer and tracer_ctx NULL. Decoding
 * checks shapes (counts, enums, run length), not cluster semantics: call
 * xr_node_config_check() for those. */
int xr_config_encode(const struct xr_node_config *c, uint8_t *buf, size_t cap,
		     size_t *len);
int xr_config_decode(const uint8_t *buf, size_t len, struct xr_node_config *out,
		     char *why, size_t why_len);

#endif
