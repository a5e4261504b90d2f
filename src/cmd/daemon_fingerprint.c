/* The cluster fingerprint: a hash of the settings every node must share
 * (issue 13, "config drift"). A node started with another run id, seed,
 * topology, round count, timing, schedule, arrivals (and with poisson
 * headway_ms), node list or routes does not fail: its rounds stall, or the
 * table splits its crossings across two runs, with no word on any node. So
 * every envelope carries the sender's fingerprint (Envelope.cluster) and a
 * node refuses one that differs, with one line on each side (daemon_rpc.c:
 * the receiver; net.c: the sender reads the refusal in its DeliverReply),
 * and `xroadctl status` names the odd node.
 *
 * Not in it: what may differ per host (state_dir, cloud, poller, TLS file
 * paths, max_msg). FNV-1a 64 over a canonical text; never 0 (0 = none). */
#include <inttypes.h>
#include <stdio.h>

#include "daemon.h"

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t xr_daemon_fingerprint(const struct xr_cluster *c,
			       const uint32_t weights[XR_TURNS])
{
	char line[XR_ADDR_MAX + 128];
	uint64_t h = 0xcbf29ce484222325ULL;

	snprintf(line, sizeof line,
		 "run=%s seed=%" PRIu64
		 " topology=%d rounds=%u cross=%u resend=%u "
		 "stall=%u heartbeat=%u fail=%u schedule=%d routes=%u/%u/%u "
		 "light=%u nodes=%u\n",
		 c->run, c->seed, (int)c->topology, c->rounds, c->cross_ms,
		 c->resend_ms, c->stall_ms, c->heartbeat_ms, c->fail_ms,
		 (int)c->schedule, weights[XR_RIGHT], weights[XR_STRAIGHT],
		 weights[XR_LEFT], c->light, c->n_nodes);
	h = fnv(h, line);
	/* Open rounds only, so that a cluster of always keeps the fingerprint
	 * it had before the key existed, whatever headway_ms says (unused). */
	if (c->arrivals != XR_ARRIVALS_ALWAYS) {
		snprintf(line, sizeof line, "arrivals=%d headway=%u\n",
			 (int)c->arrivals, c->headway_ms);
		h = fnv(h, line);
	}
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		const struct xr_cluster_node *n = &c->nodes[i];
		snprintf(line, sizeof line, "node %u %d %d %s\n", n->id,
			 (int)n->role, (int)n->approach, n->address);
		h = fnv(h, line);
	}
	return h != 0 ? h : 1;
}
