/* A node's recorded Chandy-Lamport snapshot (struct xr_snapshot of the core)
 * to and from its wire form (NodeSnapshot of proto/xroad.proto): the daemon
 * sends it, xroadctl reads it back and checks I6 with the core's own check. */
#ifndef XR_WIRE_SNAPSHOT_PB_H
#define XR_WIRE_SNAPSHOT_PB_H

#include "node.h"
#include "xroad.pb-c.h"

/* Fills `out` from `s`. `out` borrows from `storage`, which the caller keeps
 * alive as long as `out` is used (no allocation). */
struct xr_snapshot_pb_storage {
	Xroad__ChannelState channels[XR_MAX_NODES];
	Xroad__ChannelState *channel_ptrs[XR_MAX_NODES];
	Xroad__InFlight msgs[XR_MAX_NODES][XR_SNAP_CHAN_MAX];
	Xroad__InFlight *msg_ptrs[XR_MAX_NODES][XR_SNAP_CHAN_MAX];
	uint32_t logged[XR_MAX_CARS];
};
void xr_snapshot_pb_from_core(const struct xr_snapshot *s, xr_set members,
			      Xroad__NodeSnapshot *out,
			      struct xr_snapshot_pb_storage *storage);

/* Fills `s` from `in`, validating ids and counts; 0 or XR_ERANGE with the
 * reason in `why`. */
int xr_snapshot_pb_to_core(const Xroad__NodeSnapshot *in, struct xr_snapshot *s,
			   char *why, size_t why_len);

#endif
