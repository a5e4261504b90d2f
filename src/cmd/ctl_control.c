/* xroadctl run --rounds N | pause | resume | shutdown [--json]
 * Round control goes to the light, which owns the rounds; shutdown goes to
 * every node (each stops cleanly: its trace flushed, its durable state and
 * queue drained). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_cluster.h"
#include "rpc.h"

static int control_one(const struct xr_ctl_cluster *c,
		       const struct xr_ctl_target *t, Xroad__ControlOp op,
		       uint32_t rounds, char *err, size_t err_len)
{
	Xroad__ControlRequest req = XROAD__CONTROL_REQUEST__INIT;
	ProtobufCMessage *reply = NULL;
	req.op = op;
	req.rounds = rounds;
	int rv = xr_ctl_call(c, t, XR_METHOD_CONTROL, &req.base, &reply, err,
			     err_len);
	if (rv != 0)
		return rv;
	Xroad__ControlReply *r = (Xroad__ControlReply *)reply;
	if (!r->ok) {
		snprintf(err, err_len, "node %u (%s): refused: %s", t->id,
			 t->address, r->error ? r->error : "no reason given");
		rv = -1;
	}
	protobuf_c_message_free_unpacked(reply, NULL);
	return rv;
}

static int usage(void)
{
	fprintf(stderr, "usage: xroadctl --config FILE run --rounds N\n"
			"       xroadctl --config FILE pause|resume|shutdown\n");
	return 2;
}

int xr_ctl_control(int argc, char **argv)
{
	const char *cmd = argv[0];
	Xroad__ControlOp op;
	uint32_t rounds = 0;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(cmd, "run") == 0 &&
			   strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			char *end;
			errno = 0;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (errno || *end || v == 0 || v > 1000000) {
				fprintf(stderr, "xroadctl run: --rounds %s: "
						"not a number in 1..1000000\n",
					argv[i]);
				return 2;
			}
			rounds = (uint32_t)v;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else {
			fprintf(stderr, "xroadctl %s: unknown argument %s\n", cmd,
				argv[i]);
			return 2;
		}
	}
	if (strcmp(cmd, "run") == 0) {
		if (rounds == 0)
			return usage();
		op = XROAD__CONTROL_OP__CONTROL_RUN;
	} else if (strcmp(cmd, "pause") == 0) {
		op = XROAD__CONTROL_OP__CONTROL_PAUSE;
	} else if (strcmp(cmd, "resume") == 0) {
		op = XROAD__CONTROL_OP__CONTROL_RESUME;
	} else if (strcmp(cmd, "shutdown") == 0) {
		op = XROAD__CONTROL_OP__CONTROL_SHUTDOWN;
	} else {
		return usage();
	}
	struct xr_ctl_cluster c;
	int rc = xr_ctl_cluster_open(&c);
	if (rc != 0)
		return rc;
	int failed = 0;
	bool first = true;
	if (json)
		printf("{\"command\":\"%s\",\"nodes\":[", cmd);
	for (uint32_t i = 0; i < c.n; i++) {
		const struct xr_ctl_target *t = &c.nodes[i];
		/* Rounds belong to the light; everyone stops on shutdown. */
		if (op != XROAD__CONTROL_OP__CONTROL_SHUTDOWN &&
		    t != xr_ctl_light(&c))
			continue;
		char err[512] = "";
		bool ok = control_one(&c, t, op, rounds, err, sizeof err) == 0;
		failed += !ok;
		if (json) {
			printf("%s{\"id\":%u,\"ok\":%s,\"error\":",
			       first ? "" : ",", t->id, ok ? "true" : "false");
			first = false;
			xr_ctl_json_string(err);
			printf("}");
		} else if (ok) {
			printf("node %u: %s%s\n", t->id, cmd,
			       op == XROAD__CONTROL_OP__CONTROL_RUN ? " queued"
								    : " done");
		} else {
			fprintf(stderr, "xroadctl %s: %s\n", cmd, err);
		}
	}
	if (json)
		printf("]}\n");
	return failed ? 1 : 0;
}
