/* xroadctl snapshot [--at ID] [--json]: a Chandy-Lamport snapshot started at
 * one node (the light by default), collected from every node once each has
 * closed all its incoming channels, printed, and checked against invariant
 * I6 with the core's own check (xr_snapshot_check_i6). Exit 0 when the
 * snapshot is complete and consistent, 1 otherwise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_cluster.h"
#include "rpc.h"
#include "snapshot_pb.h"

#define COLLECT_MS 5000

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static int ask(const struct xr_ctl_cluster *c, const struct xr_ctl_target *t,
	       uint32_t id, bool start, Xroad__SnapshotReply **out, char *err,
	       size_t err_len)
{
	Xroad__SnapshotRequest req = XROAD__SNAPSHOT_REQUEST__INIT;
	req.snapshot = id;
	req.start = start;
	ProtobufCMessage *reply = NULL;
	int rv = xr_ctl_call(c, t, XR_METHOD_SNAPSHOT, &req.base, &reply, err,
			     err_len);
	if (rv != 0)
		return rv;
	*out = (Xroad__SnapshotReply *)reply;
	if ((*out)->error != NULL && (*out)->error[0] != '\0') {
		snprintf(err, err_len, "node %u (%s): %s", t->id, t->address,
			 (*out)->error);
		protobuf_c_message_free_unpacked(reply, NULL);
		*out = NULL;
		return -1;
	}
	return 0;
}

static const char *state_name(const struct xr_snapshot *s)
{
	if (!s->is_car)
		return "-";
	switch (s->car_phase) {
	case XR_CAR_IDLE:
		return "idle";
	case XR_CAR_INTENT:
	case XR_CAR_WAITING:
		return "waiting";
	case XR_CAR_CROSSING:
		return "crossing";
	case XR_CAR_CROSSED:
		return "crossed";
	}
	return "?";
}

int xr_ctl_snapshot(int argc, char **argv)
{
	bool json = false;
	long at = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--at") == 0 && i + 1 < argc) {
			char *end;
			errno = 0;
			at = strtol(argv[++i], &end, 10);
			if (errno || *end || at < 0 || at >= XR_MAX_NODES) {
				fprintf(stderr,
					"xroadctl snapshot: --at %s: "
					"not a node id\n",
					argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: xroadctl --config FILE snapshot [--at ID] "
			       "[--json]\n");
			return 0;
		} else {
			fprintf(stderr,
				"xroadctl snapshot: unknown argument %s\n",
				argv[i]);
			return 2;
		}
	}
	struct xr_ctl_cluster c;
	int rc = xr_ctl_cluster_open(&c);
	if (rc != 0)
		return rc;
	const struct xr_ctl_target *start = xr_ctl_light(&c);
	for (uint32_t i = 0; i < c.n; i++)
		if (at >= 0 && c.nodes[i].id == (uint32_t)at)
			start = &c.nodes[i];
	if (start == NULL || (at >= 0 && start->id != (uint32_t)at)) {
		fprintf(stderr, "xroadctl snapshot: no node %ld\n", at);
		return 2;
	}
	char err[512];
	Xroad__SnapshotReply *r = NULL;
	if (ask(&c, start, 0, true, &r, err, sizeof err) != 0) {
		fprintf(stderr, "xroadctl snapshot: start: %s\n", err);
		return 1;
	}
	uint32_t id = r->snapshot;
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Collect: ask every node until it reports the snapshot complete. */
	static struct xr_snapshot snaps[XR_MAX_NODES];
	bool have[XR_MAX_NODES] = {false};
	char errs[XR_MAX_NODES][512];
	memset(errs, 0, sizeof errs);
	uint64_t until = now_ms() + COLLECT_MS;
	uint32_t got = 0;
	static struct xr_ctl_each each;
	while (got < c.n && now_ms() < until) {
		/* Every node still missing, asked at once: a dead node
		 * costs one deadline per pass, not one each. */
		Xroad__SnapshotRequest req = XROAD__SNAPSHOT_REQUEST__INIT;
		uint64_t skip = 0;
		req.snapshot = id;
		for (uint32_t i = 0; i < c.n; i++)
			skip |= (uint64_t)have[i] << i;
		xr_ctl_call_each(&c, XR_METHOD_SNAPSHOT, &req.base, skip,
				 &each);
		for (uint32_t i = 0; i < c.n; i++) {
			if (have[i])
				continue;
			Xroad__SnapshotReply *rep =
				(Xroad__SnapshotReply *)each.replies[i];
			if (rep == NULL) {
				snprintf(errs[i], sizeof errs[i], "%s",
					 each.errs[i]);
				continue;
			}
			if (rep->error != NULL && rep->error[0] != '\0') {
				snprintf(errs[i], sizeof errs[i],
					 "node %u (%s): %s", c.nodes[i].id,
					 c.nodes[i].address, rep->error);
				protobuf_c_message_free_unpacked(&rep->base,
								 NULL);
				continue;
			}
			if (rep->node != NULL && rep->node->snapshot == id &&
			    rep->node->complete &&
			    xr_snapshot_pb_to_core(rep->node, &snaps[i],
						   errs[i],
						   sizeof errs[i]) == 0) {
				have[i] = true;
				got++;
			} else if (rep->node != NULL) {
				snprintf(errs[i], sizeof errs[i],
					 "node %u: snapshot %u not complete "
					 "(it holds %u)",
					 c.nodes[i].id, id,
					 rep->node->snapshot);
			}
			protobuf_c_message_free_unpacked(&rep->base, NULL);
		}
		if (got < c.n)
			sleep_ms(20);
	}
	const struct xr_snapshot *all[XR_MAX_NODES];
	for (uint32_t i = 0; i < c.n; i++)
		all[i] = &snaps[i];
	char why[256] = "snapshot incomplete";
	int consistent =
		got == c.n ? xr_snapshot_check_i6(all, c.n, why, sizeof why)
			   : 0;
	if (json) {
		printf("{\"snapshot\":%u,\"started_at\":%u,\"nodes\":[", id,
		       start->id);
		for (uint32_t i = 0; i < c.n; i++) {
			const struct xr_snapshot *s = &snaps[i];
			printf("%s{\"id\":%u,\"complete\":%s", i ? "," : "",
			       c.nodes[i].id, have[i] ? "true" : "false");
			if (!have[i]) {
				printf(",\"error\":");
				xr_ctl_json_string(errs[i]);
				printf("}");
				continue;
			}
			printf(",\"role\":\"%s\",\"round\":%u,\"crossings\":%u,"
			       "\"pending_round\":%u,\"state\":\"%s\"}",
			       s->is_light ? (s->is_car ? "coordinator car"
							: "light")
					   : "car",
			       s->round,
			       s->is_light ? s->crossings : s->car_crossings,
			       s->pending_round, state_name(s));
		}
		printf("],\"channels\":[");
		bool first = true;
		for (uint32_t i = 0; i < c.n; i++) {
			if (!have[i])
				continue;
			for (uint32_t from = 0; from < XR_MAX_NODES; from++) {
				const struct xr_snap_channel *ch =
					&snaps[i].channels[from];
				if (ch->n == 0 && ch->overflow == 0)
					continue;
				printf("%s{\"from\":%u,\"to\":%u,\"messages\":[",
				       first ? "" : ",", from, snaps[i].node);
				first = false;
				for (uint32_t k = 0; k < ch->n; k++)
					printf("%s{\"type\":\"%s\",\"round\":%u,"
					       "\"car\":%u}",
					       k ? "," : "",
					       xr_msg_type_name(
						       ch->msgs[k].type),
					       ch->msgs[k].round,
					       ch->msgs[k].car);
				printf("],\"overflow\":%u}", ch->overflow);
			}
		}
		printf("],\"consistent\":%s,\"i6\":",
		       consistent == 1 ? "true" : "false");
		xr_ctl_json_string(why);
		printf("}\n");
	} else {
		printf("snapshot %u, started at node %u\n", id, start->id);
		printf("%-3s %-6s %5s %9s %-9s %s\n", "id", "role", "round",
		       "crossings", "state", "note");
		printf("(crossings: the light's are those it logged, a car's "
		       "those it made)\n");
		for (uint32_t i = 0; i < c.n; i++) {
			const struct xr_snapshot *s = &snaps[i];
			if (!have[i]) {
				printf("%-3u %s\n", c.nodes[i].id, errs[i]);
				continue;
			}
			char note[64] = "";
			if (s->pending_round)
				snprintf(note, sizeof note,
					 "crossed in round %u, not yet logged",
					 s->pending_round);
			printf("%-3u %-6s %5u %9u %-9s %s\n", s->node,
			       s->is_light ? "light" : "car", s->round,
			       s->is_light ? s->crossings : s->car_crossings,
			       state_name(s), note);
		}
		printf("in flight across the cut:\n");
		int shown = 0;
		for (uint32_t i = 0; i < c.n; i++)
			for (uint32_t from = 0; have[i] && from < XR_MAX_NODES;
			     from++) {
				const struct xr_snap_channel *ch =
					&snaps[i].channels[from];
				for (uint32_t k = 0; k < ch->n; k++, shown++)
					printf("  %u -> %u  %s round %u car %u\n",
					       from, snaps[i].node,
					       xr_msg_type_name(
						       ch->msgs[k].type),
					       ch->msgs[k].round,
					       ch->msgs[k].car);
			}
		if (shown == 0)
			printf("  nothing\n");
		printf("%s: %s\n",
		       consistent == 1 ? "consistent" : "NOT consistent", why);
	}
	return consistent == 1 ? 0 : 1;
}
