/* Stepping the core: one xr_node_step() and its outbox applied in node.h's
 * order: effects (durable first), durable state on disk, then the trace
 * records and the messages. Called by the event loop (daemon_loop.c, timers
 * and queued items) and by the RPC service (daemon_rpc.c, items from nng's
 * callback threads), always under core_mtx; it calls only down (the state
 * files, the cloud worker's follow switch, the net). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "daemon.h"
#include "describe.h"
#include "err.h"
#include "log.h"

static void log_set(char *buf, size_t len, const uint32_t *ids, uint32_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < n && off + 12 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u",
					i ? "," : "", (unsigned)ids[i]);
}

static bool coordinating(const struct xr_daemon *d)
{
	return d->node.coordinator == d->self;
}

static void apply_effect(struct xr_daemon *d, const struct xr_effect *fx,
			 bool *persist)
{
	char ids[256];
	struct xr_node_view v;

	switch (fx->type) {
	case XR_FX_ROUND_START:
		xr_log(coordinating(d) ? XR_LOG_INFO : XR_LOG_DEBUG,
		       "round_start", "round=%u at_ms=%" PRIu64,
		       (unsigned)fx->round, d->node.now_ms);
		break;
	case XR_FX_INTENT:
		xr_log(XR_LOG_INFO, "intent",
		       "round=%u car=%u approach=%s turn=%s",
		       (unsigned)fx->round, (unsigned)fx->car,
		       xr_approach_name(fx->intent.approach),
		       xr_turn_name(fx->intent.turn));
		break;
	case XR_FX_ENTER:
		xr_log(XR_LOG_INFO, "enter",
		       "round=%u car=%u approach=%s turn=%s at_ms=%" PRIu64,
		       (unsigned)fx->round, (unsigned)fx->car,
		       xr_approach_name(fx->intent.approach),
		       xr_turn_name(fx->intent.turn), d->node.now_ms);
		break;
	case XR_FX_EXIT:
		xr_log(XR_LOG_INFO, "crossing",
		       "round=%u car=%u approach=%s turn=%s at_ms=%" PRIu64
		       " after_deadlock=%d",
		       (unsigned)fx->round, (unsigned)fx->car,
		       xr_approach_name(fx->intent.approach),
		       xr_turn_name(fx->intent.turn), fx->at_ms,
		       fx->after_deadlock ? 1 : 0);
		xr_daemon_report_exit(d, fx);
		break;
	case XR_FX_CROSSING_INDEXED:
		/* The report of our crossing can carry its index now. */
		xr_daemon_report_logged(d, &fx->crossing);
		break;
	case XR_FX_LOG_APPEND:
		if (xr_daemon_state_append(d, &fx->crossing) != 0)
			d->disk_failed = true;
		*persist = true;
		xr_log(XR_LOG_DEBUG, "log_append", "round=%u index=%u car=%u",
		       (unsigned)fx->crossing.round,
		       (unsigned)fx->crossing.index,
		       (unsigned)fx->crossing.car);
		break;
	case XR_FX_DEADLOCK:
		log_set(ids, sizeof ids, fx->cycle, fx->n_cycle);
		xr_log(XR_LOG_INFO, "deadlock",
		       "round=%u epoch=%u cycle=%s winner=%u loser=%u at_ms=%" PRIu64,
		       (unsigned)fx->round, (unsigned)fx->override.epoch, ids,
		       (unsigned)fx->override.winner,
		       (unsigned)fx->override.loser, d->node.now_ms);
		break;
	case XR_FX_ROUND_END:
		xr_node_view(&d->node, &v);
		xr_log(XR_LOG_INFO, "round_end",
		       "round=%u crossings=%u deadlocks=%u at_ms=%" PRIu64,
		       (unsigned)fx->round, (unsigned)v.durable.log_count,
		       (unsigned)(v.coordinating ? v.light.deadlocks
						 : v.car.deadlocks),
		       d->node.now_ms);
		break;
	case XR_FX_DONE:
		xr_node_view(&d->node, &v);
		xr_log(XR_LOG_INFO, "done",
		       "rounds=%u crossings=%u deadlocks=%u at_ms=%" PRIu64,
		       (unsigned)v.light.rounds_done,
		       (unsigned)v.durable.log_count,
		       (unsigned)v.light.deadlocks, d->node.now_ms);
		break;
	case XR_FX_SHUTDOWN:
		d->shutdown_fx = true;
		break;
	case XR_FX_SNAPSHOT_DONE:
		xr_log(XR_LOG_INFO, "snapshot_done", "snapshot=%u",
		       (unsigned)fx->round);
		break;
	case XR_FX_COORDINATOR:
		xr_log(XR_LOG_WARN, "coordinator", "epoch=%u node=%u",
		       (unsigned)fx->round, (unsigned)d->self);
		xr_daemon_worker_follow(d, true);
		break;
	case XR_FX_DEPOSED:
		xr_log(XR_LOG_WARN, "deposed",
		       "node=%u epoch=%u coordinator=%u", (unsigned)d->self,
		       (unsigned)d->node.coordinator_epoch,
		       (unsigned)d->node.coordinator);
		xr_daemon_worker_follow(d, false);
		break;
	case XR_FX_CAR_LEFT:
		xr_log(XR_LOG_WARN, "car_left",
		       "round=%u car=%u why=\"silent for %u ms\"",
		       (unsigned)fx->round, (unsigned)fx->car,
		       (unsigned)d->cfg.fail_ms);
		break;
	case XR_FX_CAR_AWAITED:
		xr_log(XR_LOG_WARN, "car_awaited",
		       "round=%u car=%u why=\"silent for %u ms after its grant: it "
		       "may have crossed; the round waits for it\"",
		       (unsigned)fx->round, (unsigned)fx->car,
		       (unsigned)d->cfg.fail_ms);
		break;
	}
}

static bool is_wave_edge(const struct xr_daemon *d, const struct xr_msg *m)
{
	return m->type == XR_MSG_WAVE && m->to < d->cluster.n_nodes &&
	       (d->cluster.adj[d->self] & ((xr_set)1 << m->to));
}

/* A wave message that goes by Deliver instead of a survey: a retry (the
 * survey went unanswered for resend_ms) and the answer to a wave that came
 * by Deliver. Waves ride surveys for speed, but nng 1.5.2's ipc can leave
 * one survey direction silent for good after a peer restarts (a car never
 * got a survey of the restarted light for 80 s, while Deliver between the
 * two worked: integration_kill9_light, docs/NET.md "Waves"); a wave whose
 * retries took the same path never completed. The request sockets are a
 * second path with their own connections. */
static bool wave_by_request(const struct xr_daemon *d, const struct xr_msg *m)
{
	return m->u.wave.retry || (d->deliver_wave && d->deliver_from == m->to);
}

static void log_send(const struct xr_msg *m, int rc)
{
	if (rc != 0)
		xr_log(XR_LOG_DEBUG, "send_failed", "to=%u type=%s why=\"%s\"",
		       (unsigned)m->to, xr_msg_type_name(m->type),
		       xr_strerror(rc));
	if (xr_log_enabled(XR_LOG_DEBUG)) {
		char line[1024];
		xr_msg_describe(m, line, sizeof line);
		xr_log(XR_LOG_DEBUG, "send", "msg=\"%s\"", line);
	}
}

static int encode(const struct xr_daemon *d, const struct xr_msg *m,
		  uint32_t to, uint8_t *buf, size_t cap, size_t *len)
{
	static struct xr_msg tmp;
	int rc;

	tmp = *m;
	tmp.to = to;
	tmp.cluster =
		d->fingerprint; /* checked by the receiver (daemon_rpc.c) */
	rc = xr_msg_encode(&tmp, buf, cap, len);
	if (rc != 0) {
		char line[512];
		xr_msg_describe(m, line, sizeof line);
		xr_log(XR_LOG_ERROR, "encode_failed", "msg=\"%s\" why=\"%s\"",
		       line, xr_strerror(rc));
	}
	return rc;
}

/* Keeps an encoded Envelope for the reply to the Deliver being stepped when
 * it is addressed to that Deliver's sender and the reply has room (at most
 * XR_NET_CARRY_MAX Envelopes and max_msg bytes, with room for the reply's
 * own fields): one request and its reply less per message, a grant answering
 * a Blocked, a notice answering a Crossed (docs/NET.md, "Carried"). */
static bool carry(struct xr_daemon *d, uint32_t to, const uint8_t *env,
		  size_t len)
{
	size_t cap = d->cluster.max_msg < sizeof d->carry_buf
			     ? d->cluster.max_msg
			     : sizeof d->carry_buf;

	if (!d->carrying || to != d->carry_to ||
	    d->n_carry >= XR_NET_CARRY_MAX ||
	    d->carry_bytes + len + 8u * (d->n_carry + 2u) > cap)
		return false;
	memcpy(d->carry_buf + d->carry_bytes, env, len);
	d->carry_len[d->n_carry++] = len;
	d->carry_bytes += len;
	return true;
}

/* Messages of one outbox, in order. A wave message that answers the survey
 * being stepped goes back as its response; wave messages whose Envelopes
 * differ only in `to` (a wave going down to several neighbours) leave as a
 * single survey addressed to all of them (docs/NET.md, "Waves"); everything
 * else is a Deliver request, or rides the reply to the Deliver being stepped
 * (carry). */
static void send_msgs(struct xr_daemon *d, const struct xr_outbox *out)
{
	static uint8_t buf[XR_MSG_MAX_BYTES], other[XR_MSG_MAX_BYTES];
	bool done[XR_OUTBOX_MSGS] = {false};
	size_t len, olen;

	for (uint32_t i = 0; i < out->n_msgs; i++) {
		const struct xr_msg *m = &out->msgs[i];
		uint32_t dests;
		int rc;

		if (done[i])
			continue;
		if (!is_wave_edge(d, m) || wave_by_request(d, m)) {
			rc = encode(d, m, m->to, buf, sizeof buf, &len);
			if (rc == 0 && !carry(d, m->to, buf, len))
				rc = xr_net_deliver(d->net, m->to, buf, len);
			log_send(m, rc);
			continue;
		}
		if (d->cur != NULL && d->cur->can_respond &&
		    d->cur->wave_peer == (int)m->to) {
			rc = encode(d, m, m->to, buf, sizeof buf, &len);
			if (rc == 0)
				rc = xr_net_wave(d->net, d->cur, m->to, buf,
						 len);
			log_send(m, rc);
			continue;
		}
		/* The echo the core held: the response to the survey kept
		 * for it (daemon.h, `held`). */
		if (d->held.slot != NULL && m->u.wave.echo &&
		    d->held.wave_peer == (int)m->to) {
			rc = encode(d, m, m->to, buf, sizeof buf, &len);
			if (rc == 0)
				rc = xr_net_wave(d->net, &d->held, m->to, buf,
						 len);
			xr_daemon_release_held(d);
			log_send(m, rc);
			continue;
		}
		/* `to` 0 in the shared bytes: each receiver takes its own id
		 * from the frame's destination set. */
		if (encode(d, m, 0, buf, sizeof buf, &len) != 0)
			continue;
		dests = (uint32_t)1 << m->to;
		for (uint32_t j = i + 1; j < out->n_msgs; j++) {
			const struct xr_msg *o = &out->msgs[j];
			if (done[j] || !is_wave_edge(d, o) ||
			    wave_by_request(d, o) ||
			    (dests & ((uint32_t)1 << o->to)) ||
			    (d->cur != NULL && d->cur->can_respond &&
			     d->cur->wave_peer == (int)o->to))
				continue;
			if (encode(d, o, 0, other, sizeof other, &olen) == 0 &&
			    olen == len && memcmp(buf, other, len) == 0) {
				dests |= (uint32_t)1 << o->to;
				done[j] = true;
				log_send(o, 0);
			}
		}
		rc = xr_net_wave_multi(d->net, dests, buf, len);
		log_send(m, rc);
	}
}

static void trace_input(struct xr_daemon *d, const struct xr_event *ev)
{
	int rc;

	if (d->trace == NULL)
		return;
	if (ev->type == XR_EV_START)
		rc = xr_trace_start_durable(d->trace, ev->now_ms, &d->cfg,
					    d->restarted ? &d->durable_at_start
							 : NULL);
	else
		rc = xr_trace_event(d->trace, d->self, ev);
	if (rc != 0)
		xr_log(XR_LOG_ERROR, "trace_failed", "why=\"%s\"",
		       xr_trace_writer_error(d->trace));
}

/* node.h's order: effects, durable state on disk, then messages. The step's
 * trace records (input and outputs) are written once the durable state is
 * on disk and before anything is sent, so a node killed at any instant
 * leaves a trace whose replay reaches exactly the durable state it restarts
 * from. */
static void apply_outbox(struct xr_daemon *d, const struct xr_event *ev)
{
	const struct xr_outbox *out = &d->node.out;
	bool persist = out->durable_changed;

	for (uint32_t i = 0; i < out->n_effects; i++)
		apply_effect(d, &out->effects[i], &persist);
	/* The log lines the effects appended, then the state that counts
	 * them: both on disk before any message. */
	if (persist && (xr_daemon_state_flush_log(d) != 0 ||
			xr_daemon_state_persist(d) != 0))
		d->disk_failed = true;
	/* node.h: durable state is on disk before any message goes out. A
	 * message sent after a failed write could acknowledge what a restart
	 * forgets (a crossing logged, an epoch taken), so the node says
	 * nothing more and stops; its peers treat it as dead. */
	if (d->disk_failed) {
		if (!d->shutdown_fx)
			xr_log(XR_LOG_ERROR, "durable_write_failed",
			       "node=%u state=%s log=%s why=\"durable state not on "
			       "disk: %u messages of this step not sent; the node "
			       "stops\"",
			       (unsigned)d->self, d->state_path, d->log_path,
			       (unsigned)out->n_msgs);
		d->shutdown_fx = true;
		return;
	}
	trace_input(d, ev);
	if (d->trace != NULL &&
	    xr_trace_outbox(d->trace, d->self, d->node.now_ms, out) != 0)
		xr_log(XR_LOG_ERROR, "trace_failed", "why=\"%s\"",
		       xr_trace_writer_error(d->trace));
	send_msgs(d, out);
}

void xr_daemon_release_held(struct xr_daemon *d)
{
	xr_net_release(d->net, &d->held); /* nothing when none is kept */
}

int xr_daemon_step(struct xr_daemon *d, struct xr_event *ev)
{
	int rc;

	rc = xr_node_step(&d->node, ev);
	if (rc != 0) {
		trace_input(d, ev); /* refused: no outputs, nothing changed */
		if (xr_log_enabled(XR_LOG_DEBUG)) {
			char line[1024] = "";
			if (ev->msg != NULL)
				xr_msg_describe(ev->msg, line, sizeof line);
			xr_log(XR_LOG_DEBUG, "step_refused",
			       "msg=\"%s\" why=\"%s\"", line, xr_strerror(rc));
		}
		return rc;
	}
	apply_outbox(d, ev);
	/* The hold ended without our echo (a newer wave replaced it). */
	if (d->held.slot != NULL && !d->node.wave.held)
		xr_daemon_release_held(d);
	return 0;
}
