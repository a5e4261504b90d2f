/* The xroad.Node service of proto/xroad.proto as the daemon implements it,
 * dispatched by protoc-c's service descriptor (src/net/rpc.c), and the wave
 * items of the surveyor/respondent sockets and of Deliver replies (carried).
 * Everything here runs under core_mtx, on the loop thread or on nng's
 * callback threads (direct dispatch, daemon_loop.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "daemon.h"
#include "snapshot_pb.h"
#include "err.h"
#include "log.h"
#include "rpc.h"
#include "xroad.pb-c.h"

static struct xr_daemon *D; /* one daemon per process */

/* Checks a decoded message against the cluster before the core sees it. The
 * reason goes to the log (with the config's path) and, without the path, into
 * `why` for the reply, so that a refused sender learns what was wrong from
 * its DeliverReply, not only "invalid argument" (issue 13). */
static int admit(struct xr_daemon *d, const struct xr_msg *m, int wave_peer,
		 int sender, const char *via, char *why, size_t why_len)
{
	char line[1200];

	if (m->from >= d->cluster.n_nodes || m->from == d->self) {
		snprintf(why, why_len,
			 "refused (sender): from=%u: not a peer of node %u "
			 "(nodes 0..%u)",
			 (unsigned)m->from, (unsigned)d->self,
			 (unsigned)d->cluster.n_nodes - 1);
		snprintf(line, sizeof line,
			 "from=%u: not a peer in %s (nodes 0..%u, self %u)",
			 (unsigned)m->from, d->cluster.path,
			 (unsigned)d->cluster.n_nodes - 1, (unsigned)d->self);
		xr_net_reject(d->net, "sender", via, line);
		return XR_ESENDER;
	}
	/* A wave edge leads to one node, and a node's reply carries only
	 * that node's own messages. */
	int only = wave_peer >= 0 ? wave_peer : sender;
	if (only >= 0 && m->from != (uint32_t)only) {
		snprintf(line, sizeof line, "from=%u %s node %d",
			 (unsigned)m->from,
			 wave_peer >= 0 ? "on the wave edge to"
					: "carried by the reply of",
			 only);
		snprintf(why, why_len, "refused (sender): %.200s", line);
		xr_net_reject(d->net, "sender", via, line);
		return XR_ESENDER;
	}
	if (m->to != d->self) {
		snprintf(line, sizeof line,
			 "addressed to node %u, this is node %u",
			 (unsigned)m->to, (unsigned)d->self);
		snprintf(why, why_len, "refused (malformed): %.200s", line);
		xr_net_reject(d->net, "malformed", via, line);
		return XR_EINVAL;
	}
	/* Another configuration (daemon_fingerprint.c): refused, naming
	 * both, so that drift shows on both sides instead of stalling. 0
	 * states none (a frame made by hand, nngcat, a trace): not drift,
	 * and judged by the checks after this one (this is no
	 * authentication: without TLS anyone may claim anything). */
	if (m->cluster != 0 && m->cluster != d->fingerprint) {
		snprintf(
			line, sizeof line,
			"from=%u: node %u runs another configuration (fingerprint "
			"%016llx, node %u has %016llx): run, seed, topology, rounds, "
			"timing, routes and the node list must match",
			(unsigned)m->from, (unsigned)m->from,
			(unsigned long long)m->cluster, (unsigned)d->self,
			(unsigned long long)d->fingerprint);
		snprintf(why, why_len, "refused (config): %.230s", line);
		xr_net_reject(d->net, "config", via, line);
		return XR_ECONFIG;
	}
	/* An implausible jump of the coordinator epoch is a forgery or a bug,
	 * never news (codec.h, XR_EPOCH_JUMP_MAX): refused before the core
	 * would adopt it. The newest epoch the node knows is its durable one
	 * or the coordinator's, whichever is higher. */
	{
		uint32_t known =
			d->node.durable.epoch > d->node.coordinator_epoch
				? d->node.durable.epoch
				: d->node.coordinator_epoch;
		if (xr_msg_check_epoch(m, known, line, sizeof line) != 0) {
			snprintf(why, why_len, "refused (epoch): %.200s", line);
			xr_net_reject(d->net, "epoch", via, line);
			return XR_ERANGE;
		}
	}
	return 0;
}

/* A LogFetch is for this process, not its core: the core keeps only its
 * last round, the log file every round (light_takeover.c, "catching up"). The
 * answer goes out as the core's messages do, at the node's epoch. */
static void answer_fetch(struct xr_daemon *d, const struct xr_msg *m)
{
	static struct xr_msg r;
	static uint8_t buf[XR_MSG_MAX_BYTES];
	struct xr_crossing log[XR_MAX_CARS];
	size_t len = 0;
	int rc;

	xr_crossing_log_round_answer(
		&d->node, m, log,
		xr_daemon_state_read_round(d, m->u.log_fetch.round, log), &r);
	r.snapshot = d->node.snap.id; /* as xr_out_msg stamps the core's */
	r.cluster = d->fingerprint;
	rc = xr_msg_encode(&r, buf, sizeof buf, &len);
	if (rc == 0)
		rc = xr_net_deliver(d->net, r.to, buf, len);
	if (rc != 0)
		xr_log(XR_LOG_WARN, "log_fetch_failed",
		       "round=%u for=%u why=\"%s\"",
		       (unsigned)r.u.log_round.round, (unsigned)r.to,
		       xr_strerror(rc));
	else
		xr_log(XR_LOG_INFO, "log_fetch", "round=%u for=%u entries=%u",
		       (unsigned)r.u.log_round.round, (unsigned)r.to,
		       (unsigned)r.u.log_round.n_log);
}

/* Decodes, admits and steps one message; on refusal `why` is the reason the
 * sender gets back (Deliver's reply), the same the node logs. `wave_peer`:
 * the wave edge it came on, -2 when it came by Deliver or in a Deliver's
 * reply; `sender`: the node whose reply carried it, else -1. */
static int receive(struct xr_daemon *d, const uint8_t *body, size_t len,
		   int wave_peer, int sender, const char *via, char *why,
		   size_t why_len)
{
	static struct xr_msg m;
	struct xr_event ev = {.type = XR_EV_RECEIVE};
	int rc = xr_msg_decode(body, len, &m, why, why_len);

	if (rc != 0) {
		xr_net_reject(d->net, rc == XR_ETOOBIG ? "toobig" : "malformed",
			      via, why);
		return rc;
	}
	if (wave_peer != -2 && m.type != XR_MSG_WAVE) {
		snprintf(why, why_len, "%s on the wave sockets",
			 xr_msg_type_name(m.type));
		xr_net_reject(d->net, "malformed", via, why);
		return XR_EINVAL;
	}
	/* A wave frame is addressed by its header (one survey may serve
	 * several neighbours): the Envelope's `to` is ours. */
	if (wave_peer != -2)
		m.to = d->self;
	rc = admit(d, &m, wave_peer, sender, via, why, why_len);
	if (rc != 0)
		return rc;
	if (m.type == XR_MSG_LOG_FETCH) {
		answer_fetch(d, &m);
		return 0;
	}
	ev.now_ms = xr_net_now();
	ev.msg = &m;
	d->deliver_wave = wave_peer == -2 && m.type == XR_MSG_WAVE;
	d->deliver_from = m.from;
	/* What this step sends the requester rides our reply (a carried
	 * message has no reply to ride). */
	d->carrying = wave_peer == -2 && sender < 0;
	d->carry_to = m.from;
	rc = xr_daemon_step(d, &ev);
	d->deliver_wave = false;
	d->carrying = false;
	/* The core says only its code (its tracer has the line); name the
	 * message so that the sender can tell which one. */
	if (rc != 0)
		snprintf(why, why_len,
			 "refused by node %u's core: %s from %u: %s",
			 (unsigned)d->self, xr_msg_type_name(m.type),
			 (unsigned)m.from, xr_strerror(rc));
	return rc;
}

static void node_deliver(Xroad__Node_Service *svc, const Xroad__Envelope *in,
			 Xroad__DeliverReply_Closure closure, void *data)
{
	Xroad__DeliverReply r = XROAD__DELIVER_REPLY__INIT;
	ProtobufCBinaryData carried[XR_NET_CARRY_MAX];
	const uint8_t *body;
	size_t len, off = 0;
	char why[256] = "";
	int rc;

	(void)svc;
	(void)in;
	xr_rpc_raw(&body, &len);
	D->n_carry = 0;
	D->carry_bytes = 0;
	rc = receive(D, body, len, -2, -1, "Deliver", why, sizeof why);
	r.accepted = rc == 0;
	r.error = rc == 0 ? "" : why;
	for (uint32_t i = 0; i < D->n_carry; i++) {
		carried[i].data = D->carry_buf + off;
		carried[i].len = D->carry_len[i];
		off += D->carry_len[i];
	}
	r.n_carried = D->n_carry;
	r.carried = carried;
	closure(&r, data);
	D->n_carry = 0;
}

static Xroad__CarState car_state(enum xr_car_phase p)
{
	switch (p) {
	case XR_CAR_IDLE:
	case XR_CAR_INTENT:
		return XROAD__CAR_STATE__CAR_IDLE;
	case XR_CAR_WAITING:
		return XROAD__CAR_STATE__CAR_WAITING;
	case XR_CAR_CROSSING:
		return XROAD__CAR_STATE__CAR_CROSSING;
	case XR_CAR_CROSSED:
		return XROAD__CAR_STATE__CAR_CROSSED;
	}
	return XROAD__CAR_STATE__CAR_STATE_UNSPECIFIED;
}

static void node_status(Xroad__Node_Service *svc,
			const Xroad__StatusRequest *in,
			Xroad__StatusReply_Closure closure, void *data)
{
	struct xr_daemon *d = D;
	struct xr_node_view v;
	Xroad__StatusReply r = XROAD__STATUS_REPLY__INIT;
	Xroad__NodeStatus s = XROAD__NODE_STATUS__INIT;
	Xroad__Intent intent = XROAD__INTENT__INIT;
	uint32_t waits[XR_MAX_NODES];
	uint32_t cycle[XR_MAX_CARS];
	struct xr_net_stats st;

	(void)svc;
	(void)in;
	xr_node_view(&d->node, &v);
	xr_net_get_stats(d->net, &st);
	s.id = d->self;
	s.is_light = d->is_light;
	s.crossings = v.durable.log_count;
	s.epoch = v.epoch;
	s.coordinator = v.coordinator;
	s.rejected = v.rejected +
		     (uint32_t)(st.rejected_malformed + st.rejected_toobig +
				st.rejected_sender);
	if (v.coordinating) {
		s.rounds_done =
			v.light.rounds_done; /* the light, or a car elected */
		s.paused = v.light.paused;
		s.rounds_queued = v.light.rounds_left;
	}
	if (!d->is_light)
		s.own_crossings = v.durable.crossings;
	s.cluster = d->fingerprint;
	s.arrivals = (uint32_t)d->cfg.arrivals;
	if (d->cfg.arrivals == XR_ARRIVALS_POISSON) {
		s.headway_ms = d->cfg.headway_ms;
		if (!d->is_light) {
			s.arrived = v.car.arrived;
			s.vehicles = d->cfg.rounds;
		}
	}
	s.rejected_tls = (uint32_t)st.rejected_tls;
	s.tls_dial_failed = (uint32_t)st.tls_dial_failed;
	if (d->is_light) {
		s.round = v.light.round;
		s.deadlocks = v.light.deadlocks;
		s.n_last_deadlock = v.light.n_last_cycle;
		memcpy(cycle, v.light.last_cycle, sizeof cycle);
	} else {
		s.round = v.car.round;
		s.deadlocks = v.car.deadlocks;
		s.state = car_state(v.car.phase);
		s.n_last_deadlock = v.car.n_last_cycle;
		memcpy(cycle, v.car.last_cycle, sizeof cycle);
		if (v.car.phase != XR_CAR_IDLE) {
			intent.car = d->self;
			intent.approach =
				(Xroad__Approach)(v.car.intent.approach + 1);
			intent.turn = (Xroad__Turn)(v.car.intent.turn + 1);
			intent.arrival_ms = v.car.intent.arrival_ms;
			s.intent = &intent;
		}
		for (uint32_t i = 0; i < XR_MAX_NODES; i++)
			if (v.car.waits & ((xr_set)1 << i))
				waits[s.n_waits_for++] = i;
		s.waits_for = waits;
	}
	s.last_deadlock = cycle;
	r.node = &s;
	closure(&r, data);
}

/* Run, pause and resume act on the rounds, which the coordinator runs: the
 * light, or the car elected while it is away. The core refuses them
 * anywhere else (XR_EROLE); the reply then names the coordinator this node
 * follows, and xroadctl goes there (docs/DECISIONS.md, "Round control"). We
 * refuse rather than forward: the coordinator may change while a forwarded
 * command is on its way, and xroadctl already knows every address. */
static void not_coordinator(const struct xr_daemon *d, Xroad__ControlReply *r,
			    char *why, size_t why_len)
{
	const struct xr_node *n = &d->node;

	r->not_coordinator = true;
	r->epoch = n->coordinator_epoch;
	r->coordinator_known = n->coordinator < d->cluster.n_nodes;
	if (r->coordinator_known) {
		r->coordinator = n->coordinator;
		snprintf(why, why_len,
			 "node %u does not coordinate: node %u (%s) does, at "
			 "epoch %u; run, pause and resume go there",
			 (unsigned)d->self, (unsigned)n->coordinator,
			 n->coordinator == d->node.cfg.light ? "the light"
							     : "a car, elected",
			 (unsigned)n->coordinator_epoch);
	} else {
		snprintf(why, why_len,
			 "node %u does not coordinate and knows no coordinator "
			 "yet (epoch %u, an election is under way); try again",
			 (unsigned)d->self, (unsigned)n->coordinator_epoch);
	}
	r->error = why;
	xr_log(XR_LOG_INFO, "command_refused", "why=\"%s\"", why);
}

static void node_control(Xroad__Node_Service *svc,
			 const Xroad__ControlRequest *in,
			 Xroad__ControlReply_Closure closure, void *data)
{
	Xroad__ControlReply r = XROAD__CONTROL_REPLY__INIT;
	struct xr_event ev = {.type = XR_EV_COMMAND, .now_ms = xr_net_now()};
	char why[256];
	int rc;

	(void)svc;
	switch (in->op) {
	case XROAD__CONTROL_OP__CONTROL_RUN:
		ev.op = XR_CMD_RUN;
		ev.rounds = in->rounds;
		break;
	case XROAD__CONTROL_OP__CONTROL_PAUSE:
		ev.op = XR_CMD_PAUSE;
		break;
	case XROAD__CONTROL_OP__CONTROL_RESUME:
		ev.op = XR_CMD_RESUME;
		break;
	case XROAD__CONTROL_OP__CONTROL_SHUTDOWN:
		ev.op = XR_CMD_SHUTDOWN;
		break;
	default:
		r.ok = false;
		r.error = "unknown control op";
		closure(&r, data);
		return;
	}
	xr_log(XR_LOG_INFO, "command", "op=%s rounds=%u",
	       ev.op == XR_CMD_RUN      ? "run"
	       : ev.op == XR_CMD_PAUSE  ? "pause"
	       : ev.op == XR_CMD_RESUME ? "resume"
					: "shutdown",
	       (unsigned)in->rounds);
	rc = xr_daemon_step(D, &ev);
	r.ok = rc == 0;
	r.error = rc == 0 ? "" : (char *)xr_strerror(rc);
	if (rc == XR_EROLE)
		not_coordinator(D, &r, why, sizeof why);
	closure(&r, data);
}

/* Chandy-Lamport snapshot (docs/DESIGN.md section 2): `start` steps the core's
 * XR_CMD_SNAPSHOT here (this node records and sends the markers); otherwise
 * the reply is what this node recorded for the snapshot asked for. */
static void node_snapshot(Xroad__Node_Service *svc,
			  const Xroad__SnapshotRequest *in,
			  Xroad__SnapshotReply_Closure closure, void *data)
{
	struct xr_daemon *d = D;
	Xroad__SnapshotReply r = XROAD__SNAPSHOT_REPLY__INIT;
	Xroad__NodeSnapshot ns;
	static struct xr_snapshot_pb_storage storage;

	(void)svc;
	if (in->start) {
		struct xr_event ev = {.type = XR_EV_COMMAND,
				      .now_ms = xr_net_now(),
				      .op = XR_CMD_SNAPSHOT};
		int rc = xr_daemon_step(d, &ev);
		if (rc != 0)
			r.error = (char *)xr_strerror(rc);
		xr_log(XR_LOG_INFO, "snapshot", "id=%u started=1",
		       d->node.snap.id);
	}
	r.snapshot = in->start ? d->node.snap.id : in->snapshot;
	if (d->node.snap.id == r.snapshot && r.snapshot != 0) {
		xr_snapshot_pb_from_core(&d->node.snap, d->node.members, &ns,
					 &storage);
		r.node = &ns;
	} else if (!in->start) {
		r.error = d->node.snap.id > r.snapshot
				  ? "snapshot superseded by a newer one"
				  : "snapshot not recorded here (yet, or lost "
				    "in a restart)";
	}
	closure(&r, data);
}

static Xroad__Node_Service service = XROAD__NODE__INIT(node_);

void xr_daemon_rpc_init(struct xr_daemon *d)
{
	D = d;
}

void xr_daemon_handle(struct xr_daemon *d, struct xr_net_item *it)
{
	char why[256];

	if (it->kind == XR_NET_REQUEST) {
		uint8_t *out = NULL;
		size_t len = 0;
		int rc = xr_rpc_dispatch(&service.base, it->method, it->body,
					 it->len, &out, &len, why, sizeof why);
		if (rc != 0) {
			xr_net_reject(d->net, "malformed", "request", why);
			xr_net_reply(d->net, it, false, (const uint8_t *)why,
				     strlen(why));
			return;
		}
		xr_net_reply(d->net, it, true, out, len);
		free(out);
		return;
	}
	if (it->kind == XR_NET_CARRIED) {
		receive(d, it->body, it->len, -2, it->sender, "Deliver reply",
			why, sizeof why);
		xr_net_release(d->net, it);
		return;
	}
	d->cur = it;
	receive(d, it->body, it->len, it->wave_peer, -1, "wave", why,
		sizeof why);
	d->cur = NULL;
	if (d->node.wave.held && it->slot != NULL && it->can_respond &&
	    it->wave_peer == (int)d->node.wave.parent) {
		xr_daemon_release_held(d); /* an older wave's, superseded */
		d->held = *it;
		return;
	}
	xr_net_release(d->net, it);
}
