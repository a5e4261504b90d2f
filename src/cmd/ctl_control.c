/* xroadctl run --rounds N | pause | resume | shutdown [--json]
 * Round control goes to the node that coordinates now, which runs the
 * rounds: the light, or the car elected while the light is away. With
 * --config, xroadctl asks every node's Status (as `status` does) and sends
 * the command to the coordinator named at the newest epoch; a node that does
 * not coordinate refuses and names the one it follows, which is tried once.
 * With --node, the command goes to that node (refused there unless it
 * coordinates). Shutdown goes to every node (each stops cleanly: its trace
 * flushed, its durable state and queue drained). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_cluster.h"
#include "rpc.h"

/* Why a node refused a command: it does not coordinate, and whom it
 * follows (ControlReply, proto/xroad.proto). */
struct refusal {
	bool refused; /* the node answered no (else: no answer) */
	bool not_coordinator;
	bool known;
	uint32_t coordinator;
	uint32_t epoch;
};

static int control_one(const struct xr_ctl_cluster *c,
		       const struct xr_ctl_target *t, Xroad__ControlOp op,
		       uint32_t rounds, struct refusal *why_not, char *err,
		       size_t err_len)
{
	Xroad__ControlRequest req = XROAD__CONTROL_REQUEST__INIT;
	ProtobufCMessage *reply = NULL;
	req.op = op;
	req.rounds = rounds;
	memset(why_not, 0, sizeof *why_not);
	int rv = xr_ctl_call(c, t, XR_METHOD_CONTROL, &req.base, &reply, err,
			     err_len);
	if (rv != 0)
		return rv;
	Xroad__ControlReply *r = (Xroad__ControlReply *)reply;
	if (!r->ok) {
		const char *why =
			r->error && *r->error ? r->error : "no reason given";
		/* With --node the id is not known until the node says it. */
		if (c->have_config)
			snprintf(err, err_len, "node %u (%s): refused: %s",
				 t->id, t->address, why);
		else
			snprintf(err, err_len, "%s: refused: %s", t->address,
				 why);
		why_not->refused = true;
		why_not->not_coordinator = r->not_coordinator;
		why_not->known = r->coordinator_known;
		why_not->coordinator = r->coordinator;
		why_not->epoch = r->epoch;
		rv = -1;
	}
	protobuf_c_message_free_unpacked(reply, NULL);
	return rv;
}

/* Appends `sep` and "node N (...): why" for every node that did not
 * answer. */
static void unanswered(const struct xr_ctl_cluster *c,
		       const struct xr_ctl_status *s, const char *sep,
		       char *buf, size_t len)
{
	size_t used = strlen(buf);
	for (uint32_t i = 0; i < c->n && used + 1 < len; i++) {
		if (s->replies[i] != NULL)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", sep,
				 s->errs[i]);
		if (w < 0)
			break;
		used += (size_t)w < len - used ? (size_t)w : len - used - 1;
	}
}

/* The node run, pause and resume go to: the one --node names, or the
 * coordinator the nodes' answers name (as `status` shows it). NULL, with the
 * reason in `err`, when there is none to ask. */
static const struct xr_ctl_target *
pick_coordinator(const struct xr_ctl_cluster *c, struct xr_ctl_coordinator *co,
		 bool json, char *err, size_t err_len)
{
	static struct xr_ctl_status s;
	const struct xr_ctl_target *t = NULL;

	memset(co, 0, sizeof *co);
	co->index = -1;
	if (!c->have_config)
		return &c->nodes[0];
	xr_ctl_status_all(c, &s);
	xr_ctl_find_coordinator(c, &s, co);
	if (!co->answered) {
		snprintf(err, err_len,
			 "no node answers, so no coordinator is "
			 "known%s",
			 json ? "" : ":");
		unanswered(c, &s, json ? "; " : "\n  ", err, err_len);
	} else if (!co->known) {
		snprintf(err, err_len,
			 "no node that answers knows a coordinator yet "
			 "(epoch %u: an election is under way); try again in "
			 "a moment",
			 co->epoch);
	} else if (co->index < 0) {
		snprintf(err, err_len,
			 "the nodes name node %u as coordinator, "
			 "which %s does not list",
			 co->id, xr_ctl_global.config);
	} else {
		t = &c->nodes[co->index];
	}
	xr_ctl_status_free(c, &s);
	return t;
}

/* run, pause, resume: to the coordinator; a node that turns out not to
 * coordinate (the coordinator changed since we asked) names the one it
 * follows, which is tried once. */
static int round_control(const struct xr_ctl_cluster *c, const char *cmd,
			 Xroad__ControlOp op, uint32_t rounds, bool json)
{
	struct xr_ctl_coordinator co;
	struct refusal why_not;
	char err[2048] = "";
	bool ok = false, first = true;
	const struct xr_ctl_target *t =
		pick_coordinator(c, &co, json, err, sizeof err);

	if (json)
		printf("{\"command\":\"%s\",\"nodes\":[", cmd);
	for (int attempt = 0; t != NULL && attempt < 2; attempt++) {
		err[0] = '\0';
		ok = control_one(c, t, op, rounds, &why_not, err, sizeof err) ==
		     0;
		if (json) {
			printf("%s{\"id\":%u,\"ok\":%s,\"error\":",
			       first ? "" : ",", t->id, ok ? "true" : "false");
			xr_ctl_json_string(err);
			printf("}");
			first = false;
		}
		if (ok)
			break;
		if (!why_not.refused) {
			/* No answer from the coordinator the nodes name:
			 * dead, most likely, and not yet replaced. */
			size_t used = strlen(err);
			if (co.known && c->config.fail_ms > 0)
				snprintf(err + used, sizeof err - used,
					 "; it is the coordinator the nodes "
					 "name (epoch %u): if it is down, they "
					 "elect another after fail_ms (%u ms); "
					 "try again then",
					 co.epoch, c->config.fail_ms);
			else if (co.known)
				snprintf(
					err + used, sizeof err - used,
					"; it is the coordinator, and failover "
					"is off (fail_ms = 0)");
			break;
		}
		/* Refused: the node does not coordinate (any more), and may
		 * name the node that does. */
		const struct xr_ctl_target *next =
			why_not.not_coordinator && why_not.known &&
					c->have_config
				? xr_ctl_target_by_id(c, why_not.coordinator)
				: NULL;
		if (next == NULL || next == t || why_not.epoch < co.epoch)
			break;
		co.known = true;
		co.id = why_not.coordinator;
		co.epoch = why_not.epoch;
		co.index = (int)(next - c->nodes);
		t = next;
	}
	if (json) {
		printf("],\"coordinator\":");
		if (co.known)
			printf("%u,\"epoch\":%u", co.id, co.epoch);
		else
			printf("null,\"epoch\":null");
		printf(",\"error\":");
		xr_ctl_json_string(ok ? "" : err);
		printf("}\n");
	} else if (ok) {
		printf("node %u: %s%s", t->id, cmd,
		       op == XROAD__CONTROL_OP__CONTROL_RUN ? " queued"
							    : " done");
		if (c->have_config && !t->is_light)
			printf(" (a car, coordinator at epoch %u)", co.epoch);
		printf("\n");
	} else {
		fprintf(stderr, "xroadctl %s: %s\n", cmd, err);
	}
	return ok ? 0 : 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: xroadctl --config FILE run --rounds N [--json]\n"
		"       xroadctl --config FILE pause|resume|shutdown [--json]\n"
		"run, pause and resume go to the node that coordinates now: the "
		"light, or\n"
		"the car elected while it is away (xroadctl asks every node, as "
		"status does).\n"
		"With --node ADDR they go to that node, which refuses them unless "
		"it\n"
		"coordinates. shutdown goes to every node.\n");
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
				fprintf(stderr,
					"xroadctl run: --rounds %s: "
					"not a number in 1..1000000\n",
					argv[i]);
				return 2;
			}
			rounds = (uint32_t)v;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else {
			fprintf(stderr, "xroadctl %s: unknown argument %s\n",
				cmd, argv[i]);
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
	if (op != XROAD__CONTROL_OP__CONTROL_SHUTDOWN)
		return round_control(&c, cmd, op, rounds, json);
	/* Everyone stops on shutdown, asked all at once (a dead node costs
	 * one deadline, not one each). */
	int failed = 0;
	static struct xr_ctl_each each;
	Xroad__ControlRequest req = XROAD__CONTROL_REQUEST__INIT;
	req.op = op;
	xr_ctl_call_each(&c, XR_METHOD_CONTROL, &req.base, 0, &each);
	if (json)
		printf("{\"command\":\"%s\",\"nodes\":[", cmd);
	for (uint32_t i = 0; i < c.n; i++) {
		const struct xr_ctl_target *t = &c.nodes[i];
		char err[1024] = "";
		const Xroad__ControlReply *r =
			(const Xroad__ControlReply *)each.replies[i];
		bool ok = r != NULL && r->ok;
		const char *why = r != NULL && r->error && *r->error
					  ? r->error
					  : "no reason given";
		if (r == NULL)
			snprintf(err, sizeof err, "%s", each.errs[i]);
		else if (!r->ok &&
			 t->id_unknown) /* --node: the id is not known */
			snprintf(err, sizeof err, "%s: refused: %s", t->address,
				 why);
		else if (!r->ok)
			snprintf(err, sizeof err, "node %u (%s): refused: %s",
				 t->id, t->address, why);
		if (r != NULL)
			protobuf_c_message_free_unpacked(each.replies[i], NULL);
		failed += !ok;
		if (json) {
			printf("%s{\"id\":%u,\"ok\":%s,\"error\":",
			       i ? "," : "", t->id, ok ? "true" : "false");
			xr_ctl_json_string(err);
			printf("}");
		} else if (ok && t->id_unknown) {
			printf("%s: %s done\n", t->address, cmd);
		} else if (ok) {
			printf("node %u: %s done\n", t->id, cmd);
		} else {
			fprintf(stderr, "xroadctl %s: %s\n", cmd, err);
		}
	}
	if (json)
		printf("]}\n");
	return failed ? 1 : 0;
}
