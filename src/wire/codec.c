/* Envelope <-> struct xr_msg, NodeConfig <-> struct xr_node_config.
 *
 * One validator (xr_msg_check) serves both directions: decoding first refuses
 * what cannot be copied at all (oversized input, repeated fields longer than
 * the core's arrays, unknown enums), copies, then runs the same check that
 * encoding runs, so "decodes" and "would encode" accept exactly the same
 * structs. */
#include "codec.h"

#include <stdio.h>
#include <string.h>

#include "codec_pb.h"
#include "err.h"

/* ------------------------------------------------------------ enum mapping */

static int approach_from_pb(int v, enum xr_approach *out)
{
	if (v < XROAD__APPROACH__APPROACH_S || v > XROAD__APPROACH__APPROACH_W)
		return XR_ERANGE;
	*out = (enum xr_approach)(v - 1);
	return 0;
}

static int turn_from_pb(int v, enum xr_turn *out)
{
	if (v < XROAD__TURN__TURN_RIGHT || v > XROAD__TURN__TURN_LEFT)
		return XR_ERANGE;
	*out = (enum xr_turn)(v - 1);
	return 0;
}

static int wave_kind_from_pb(int v, enum xr_wave_kind *out)
{
	if (v <= XR_WAVE_NONE || v >= XR_WAVE_KINDS)
		return XR_ERANGE;
	*out = (enum xr_wave_kind)v;
	return 0;
}

/* ------------------------------------------------------------ struct checks */

static int check_id(uint32_t id, const char *what, uint32_t i, char *why,
		    size_t why_len)
{
	if (id >= XR_MAX_NODES)
		return xr_why(why, why_len, XR_ERANGE,
			      "%s[%u]: node id %u out of range (max %u)", what,
			      i, id, XR_MAX_NODES - 1);
	return 0;
}

static int check_ids(const uint32_t *ids, uint32_t n, uint32_t max,
		     const char *what, char *why, size_t why_len)
{
	if (n > max)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "%s: %u entries, at most %u", what, n, max);
	for (uint32_t i = 0; i < n; i++) {
		int rc = check_id(ids[i], what, i, why, why_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int check_intents(const struct xr_car_intent *in, uint32_t n,
			 const char *what, char *why, size_t why_len)
{
	if (n > XR_MAX_CARS)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "%s: %u intents, at most %u", what, n,
			      XR_MAX_CARS);
	for (uint32_t i = 0; i < n; i++) {
		int rc = check_id(in[i].car, what, i, why, why_len);
		if (rc != 0)
			return rc;
		if ((unsigned)in[i].approach >= XR_APPROACHES)
			return xr_why(why, why_len, XR_ERANGE,
				      "%s[%u].approach: %u out of range", what,
				      i, (unsigned)in[i].approach);
		if ((unsigned)in[i].turn >= XR_TURNS)
			return xr_why(why, why_len, XR_ERANGE,
				      "%s[%u].turn: %u out of range", what, i,
				      (unsigned)in[i].turn);
		if ((unsigned)in[i].lane > XR_LANE_DONE)
			return xr_why(why, why_len, XR_ERANGE,
				      "%s[%u].lane: %u out of range", what, i,
				      (unsigned)in[i].lane);
	}
	return 0;
}

static int check_crossing(const struct xr_crossing *c, const char *what,
			  uint32_t i, char *why, size_t why_len)
{
	int rc = check_id(c->car, what, i, why, why_len);
	if (rc != 0)
		return rc;
	/* The index addresses the round's log, one entry per car. */
	if (c->index >= XR_MAX_CARS)
		return xr_why(why, why_len, XR_ERANGE,
			      "%s[%u].index: %u out of range (max %u)", what, i,
			      c->index, XR_MAX_CARS - 1);
	return 0;
}

static int check_log(const struct xr_crossing *log, uint32_t n,
		     const char *what, char *why, size_t why_len)
{
	if (n > XR_MAX_CARS)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "%s: %u entries, at most %u", what, n,
			      XR_MAX_CARS);
	for (uint32_t i = 0; i < n; i++) {
		int rc = check_crossing(&log[i], what, i, why, why_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Epochs of every kind: see XR_EPOCH_MAX in codec.h. */
static int check_epoch(uint32_t epoch, const char *what, char *why,
		       size_t why_len)
{
	if (epoch <= XR_EPOCH_MAX)
		return 0;
	return xr_why(why, why_len, XR_ERANGE,
		      "%s: %u above the ceiling %u (an epoch grows by one per "
		      "election or detection; this one would wrap)",
		      what, epoch, XR_EPOCH_MAX);
}

int xr_msg_check_epoch(const struct xr_msg *m, uint32_t known, char *why,
		       size_t why_len)
{
	if (m->epoch <= known || m->epoch - known <= XR_EPOCH_JUMP_MAX)
		return 0;
	return xr_why(why, why_len, XR_ERANGE,
		      "envelope epoch %u from node %u: %u above this node's "
		      "epoch %u, at most %u accepted",
		      m->epoch, m->from, m->epoch - known, known,
		      XR_EPOCH_JUMP_MAX);
}

static int check_overrides(const struct xr_override *o, uint32_t n,
			   const char *what, char *why, size_t why_len)
{
	if (n > XR_MAX_OVERRIDES)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "%s: %u entries, at most %u", what, n,
			      XR_MAX_OVERRIDES);
	for (uint32_t i = 0; i < n; i++) {
		int rc = check_epoch(o[i].epoch, what, why, why_len);
		if (rc == 0)
			rc = check_id(o[i].winner, what, i, why, why_len);
		if (rc == 0)
			rc = check_id(o[i].loser, what, i, why, why_len);
		if (rc == 0 && (o[i].also >> XR_MAX_NODES) != 0)
			rc = xr_why(why, why_len, XR_ERANGE,
				    "%s[%u].also: a node id past %u", what, i,
				    XR_MAX_NODES - 1);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int xr_msg_check(const struct xr_msg *m, char *why, size_t why_len)
{
	int rc;

	if (m->from >= XR_MAX_NODES || m->to >= XR_MAX_NODES)
		return xr_why(why, why_len, XR_ERANGE,
			      "envelope: from %u / to %u out of range (max %u)",
			      m->from, m->to, XR_MAX_NODES - 1);
	if ((rc = check_epoch(m->epoch, "envelope epoch", why, why_len)) != 0)
		return rc;
	switch (m->type) {
	case XR_MSG_WAVE: {
		const struct xr_wave_msg *w = &m->u.wave;
		if (w->kind <= XR_WAVE_NONE || w->kind >= XR_WAVE_KINDS)
			return xr_why(why, why_len, XR_ERANGE,
				      "WaveMsg.kind: %u out of range",
				      (unsigned)w->kind);
		rc = check_intents(w->intents, w->n_intents, "WaveMsg.intents",
				   why, why_len);
		if (rc == 0 && w->has_override)
			rc = check_overrides(&w->override, 1,
					     "WaveMsg.override", why, why_len);
		if (rc == 0)
			rc = check_log(w->log, w->n_log, "WaveMsg.log", why,
				       why_len);
		return rc;
	}
	case XR_MSG_DETECT:
		return check_epoch(m->u.detect.epoch, "Detect.epoch", why,
				   why_len);
	case XR_MSG_PROCEED:
		return check_epoch(m->u.proceed.epoch, "Proceed.epoch", why,
				   why_len);
	case XR_MSG_CROSSED:
	case XR_MSG_REJOIN:
	case XR_MSG_ARRIVED:
	case XR_MSG_MARKER:
		return 0;
	case XR_MSG_NOTICE:
		return check_crossing(&m->u.notice.crossing,
				      "CrossingNotice.crossing", 0, why,
				      why_len);
	case XR_MSG_BLOCKED:
		rc = check_epoch(m->u.blocked.overrides, "Blocked.overrides",
				 why, why_len);
		if (rc != 0)
			return rc;
		return check_ids(m->u.blocked.waits_for, m->u.blocked.n_waits,
				 XR_MAX_CARS, "Blocked.waits_for", why,
				 why_len);
	case XR_MSG_PROBE:
		rc = check_epoch(m->u.probe.epoch, "Probe.epoch", why, why_len);
		if (rc == 0)
			rc = check_id(m->u.probe.initiator, "Probe.initiator",
				      0, why, why_len);
		if (rc == 0)
			rc = check_ids(m->u.probe.path, m->u.probe.n_path,
				       XR_MAX_CARS, "Probe.path", why, why_len);
		return rc;
	case XR_MSG_DEADLOCK:
		rc = check_epoch(m->u.deadlock.epoch, "DeadlockFound.epoch",
				 why, why_len);
		if (rc != 0)
			return rc;
		return check_ids(m->u.deadlock.cycle, m->u.deadlock.n_cycle,
				 XR_MAX_CARS, "DeadlockFound.cycle", why,
				 why_len);
	case XR_MSG_HEARTBEAT:
	case XR_MSG_ELECTION:
	case XR_MSG_ANSWER:
	case XR_MSG_RECOVER:
	case XR_MSG_LOG_FETCH:
		return 0;
	case XR_MSG_LOG_ROUND:
		return check_log(m->u.log_round.log, m->u.log_round.n_log,
				 "LogRound.log", why, why_len);
	case XR_MSG_COORDINATOR:
		return check_id(m->u.coordinator.coordinator,
				"Coordinator.coordinator", 0, why, why_len);
	case XR_MSG_RECOVER_STATE:
	case XR_MSG_REJOIN_STATE: {
		const struct xr_rejoin_state *r =
			m->type == XR_MSG_REJOIN_STATE
				? &m->u.rejoin_state
				: &m->u.recover_state.state;
		if (m->type == XR_MSG_RECOVER_STATE) {
			rc = check_epoch(m->u.recover_state.override_epoch,
					 "RecoverState.override_epoch", why,
					 why_len);
			if (rc == 0)
				rc = check_epoch(
					m->u.recover_state.detect_epoch,
					"RecoverState.detect_epoch", why,
					why_len);
			if (rc != 0)
				return rc;
		}
		if (m->type == XR_MSG_RECOVER_STATE &&
		    m->u.recover_state.has_last_override) {
			rc = check_overrides(&m->u.recover_state.last_override,
					     1, "RecoverState.last_override",
					     why, why_len);
			if (rc != 0)
				return rc;
		}
		if (m->type == XR_MSG_RECOVER_STATE) {
			rc = check_log(m->u.recover_state.last_log,
				       m->u.recover_state.n_last_log,
				       "RecoverState.last_log", why, why_len);
			if (rc != 0)
				return rc;
		}
		rc = check_intents(r->intents, r->n_intents,
				   "RejoinState.intents", why, why_len);
		if (rc == 0)
			rc = check_log(r->log, r->n_log, "RejoinState.log", why,
				       why_len);
		if (rc == 0)
			rc = check_overrides(r->overrides, r->n_overrides,
					     "RejoinState.overrides", why,
					     why_len);
		if (rc == 0)
			rc = check_ids(r->proceed, r->n_proceed, XR_MAX_CARS,
				       "RejoinState.proceed", why, why_len);
		return rc;
	}
	case XR_MSG_NONE:
	case XR_MSG_TYPES:
		break;
	}
	return xr_why(why, why_len, XR_ERANGE, "envelope: message type %u",
		      (unsigned)m->type);
}

/* ------------------------------------------------------------ build */

static void build_intents(struct xr_pb_env *s, const struct xr_car_intent *in,
			  uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		Xroad__Intent *p = &s->intents[i];
		xroad__intent__init(p);
		p->car = in[i].car;
		p->approach = (Xroad__Approach)(in[i].approach + 1);
		p->turn = (Xroad__Turn)(in[i].turn + 1);
		p->arrival_ms = in[i].arrival_ms;
		p->lane = (Xroad__Lane)in[i].lane;
		s->intent_ptrs[i] = p;
	}
}

void xr_pb_crossings_build(Xroad__Crossing *store, Xroad__Crossing **ptrs,
			   const struct xr_crossing *log, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		Xroad__Crossing *p = &store[i];
		xroad__crossing__init(p);
		p->round = log[i].round;
		p->index = log[i].index;
		p->car = log[i].car;
		p->left = log[i].left;
		ptrs[i] = p;
	}
}

static void build_log(struct xr_pb_env *s, const struct xr_crossing *log,
		      uint32_t n)
{
	xr_pb_crossings_build(s->log, s->log_ptrs, log, n);
}

static void build_override(Xroad__Override *p, const struct xr_override *o)
{
	xroad__override__init(p);
	p->epoch = o->epoch;
	p->winner = o->winner;
	p->loser = o->loser;
	p->also = o->also;
}

/* protobuf-c wants non-const arrays; copying 31 ids keeps the input const. */
static uint32_t *build_ids(struct xr_pb_env *s, const uint32_t *ids, uint32_t n)
{
	memcpy(s->ids, ids, n * sizeof ids[0]);
	return s->ids;
}

static void build_rejoin_state(struct xr_pb_env *s,
			       const struct xr_rejoin_state *r,
			       Xroad__RejoinState *p)
{
	xroad__rejoin_state__init(p);
	p->round = r->round;
	p->intents_fixed = r->intents_fixed;
	build_intents(s, r->intents, r->n_intents);
	p->n_intents = r->n_intents;
	p->intents = s->intent_ptrs;
	build_log(s, r->log, r->n_log);
	p->n_log = r->n_log;
	p->log = s->log_ptrs;
	for (uint32_t i = 0; i < r->n_overrides; i++) {
		build_override(&s->overrides[i], &r->overrides[i]);
		s->override_ptrs[i] = &s->overrides[i];
	}
	p->n_overrides = r->n_overrides;
	p->overrides = s->override_ptrs;
	p->n_proceed = r->n_proceed;
	p->proceed = build_ids(s, r->proceed, r->n_proceed);
}

int xr_pb_env_build(struct xr_pb_env *s, const struct xr_msg *m, char *why,
		    size_t why_len)
{
	int rc = xr_msg_check(m, why, why_len);
	if (rc != 0)
		return rc;

	Xroad__Envelope *e = &s->env;
	xroad__envelope__init(e);
	e->from = m->from;
	e->to = m->to;
	e->epoch = m->epoch;
	e->snapshot = m->snapshot;
	e->cluster = m->cluster;

	switch (m->type) {
	case XR_MSG_WAVE: {
		const struct xr_wave_msg *w = &m->u.wave;
		Xroad__WaveMsg *p = &s->body.wave;
		xroad__wave_msg__init(p);
		p->wave = w->wave;
		p->kind = (Xroad__WaveKind)w->kind;
		p->round = w->round;
		p->echo = w->echo;
		p->retry = w->retry;
		p->star = w->star;
		p->target_round = w->target_round;
		p->collect_next = w->collect_next;
		p->crossed = w->crossed;
		build_intents(s, w->intents, w->n_intents);
		p->n_intents = w->n_intents;
		p->intents = s->intent_ptrs;
		if (w->has_override) {
			build_override(&s->override, &w->override);
			p->override = &s->override;
		}
		build_log(s, w->log, w->n_log);
		p->n_log = w->n_log;
		p->log = s->log_ptrs;
		e->body_case = XROAD__ENVELOPE__BODY_WAVE;
		e->wave = p;
		break;
	}
	case XR_MSG_CROSSED: {
		Xroad__Crossed *p = &s->body.crossed;
		xroad__crossed__init(p);
		p->round = m->u.crossed.round;
		p->crossed_ms = m->u.crossed.crossed_ms;
		e->body_case = XROAD__ENVELOPE__BODY_CROSSED;
		e->crossed = p;
		break;
	}
	case XR_MSG_NOTICE: {
		Xroad__CrossingNotice *p = &s->body.notice;
		xroad__crossing_notice__init(p);
		build_log(s, &m->u.notice.crossing, 1);
		p->crossing = &s->log[0];
		e->body_case = XROAD__ENVELOPE__BODY_NOTICE;
		e->notice = p;
		break;
	}
	case XR_MSG_BLOCKED: {
		Xroad__Blocked *p = &s->body.blocked;
		xroad__blocked__init(p);
		p->round = m->u.blocked.round;
		p->seen = m->u.blocked.seen;
		p->overrides = m->u.blocked.overrides;
		p->held = m->u.blocked.held;
		p->stamp_ms = m->u.blocked.stamp_ms;
		p->n_waits_for = m->u.blocked.n_waits;
		p->waits_for = build_ids(s, m->u.blocked.waits_for,
					 m->u.blocked.n_waits);
		e->body_case = XROAD__ENVELOPE__BODY_BLOCKED;
		e->blocked = p;
		break;
	}
	case XR_MSG_DETECT: {
		Xroad__Detect *p = &s->body.detect;
		xroad__detect__init(p);
		p->round = m->u.detect.round;
		p->epoch = m->u.detect.epoch;
		e->body_case = XROAD__ENVELOPE__BODY_DETECT;
		e->detect = p;
		break;
	}
	case XR_MSG_PROBE: {
		Xroad__Probe *p = &s->body.probe;
		xroad__probe__init(p);
		p->round = m->u.probe.round;
		p->epoch = m->u.probe.epoch;
		p->initiator = m->u.probe.initiator;
		p->n_path = m->u.probe.n_path;
		p->path = build_ids(s, m->u.probe.path, m->u.probe.n_path);
		e->body_case = XROAD__ENVELOPE__BODY_PROBE;
		e->probe = p;
		break;
	}
	case XR_MSG_DEADLOCK: {
		Xroad__DeadlockFound *p = &s->body.deadlock;
		xroad__deadlock_found__init(p);
		p->round = m->u.deadlock.round;
		p->epoch = m->u.deadlock.epoch;
		p->n_cycle = m->u.deadlock.n_cycle;
		p->cycle = build_ids(s, m->u.deadlock.cycle,
				     m->u.deadlock.n_cycle);
		e->body_case = XROAD__ENVELOPE__BODY_DEADLOCK;
		e->deadlock = p;
		break;
	}
	case XR_MSG_PROCEED: {
		Xroad__Proceed *p = &s->body.proceed;
		xroad__proceed__init(p);
		p->round = m->u.proceed.round;
		p->epoch = m->u.proceed.epoch;
		e->body_case = XROAD__ENVELOPE__BODY_PROCEED;
		e->proceed = p;
		break;
	}
	case XR_MSG_REJOIN: {
		Xroad__Rejoin *p = &s->body.rejoin;
		xroad__rejoin__init(p);
		p->round = m->u.rejoin.round;
		e->body_case = XROAD__ENVELOPE__BODY_REJOIN;
		e->rejoin = p;
		break;
	}
	case XR_MSG_ARRIVED: {
		Xroad__Arrived *p = &s->body.arrived;
		xroad__arrived__init(p);
		p->round = m->u.arrived.round;
		e->body_case = XROAD__ENVELOPE__BODY_ARRIVED;
		e->arrived = p;
		break;
	}
	case XR_MSG_REJOIN_STATE:
		build_rejoin_state(s, &m->u.rejoin_state,
				   &s->body.rejoin_state);
		e->body_case = XROAD__ENVELOPE__BODY_REJOIN_STATE;
		e->rejoin_state = &s->body.rejoin_state;
		break;
	case XR_MSG_RECOVER_STATE: {
		const struct xr_recover_state *r = &m->u.recover_state;
		Xroad__RecoverState *p = &s->body.recover_state;
		xroad__recover_state__init(p);
		build_rejoin_state(s, &r->state, &s->inner_state);
		p->state = &s->inner_state;
		p->crossed_round = r->crossed_round;
		p->held = r->held;
		p->override_epoch = r->override_epoch;
		if (r->has_last_override) {
			build_override(&s->last_override, &r->last_override);
			p->last_override = &s->last_override;
		}
		p->logged_round = r->logged_round;
		p->target_round = r->target_round;
		p->detect_epoch = r->detect_epoch;
		p->log_count = r->log_count;
		p->log_digest = r->log_digest;
		p->left_count = r->left_count;
		xr_pb_crossings_build(
			s->last_log, s->last_log_ptrs, r->last_log,
			r->n_last_log < XR_MAX_CARS ? r->n_last_log
						    : XR_MAX_CARS);
		p->n_last_log = r->n_last_log;
		p->last_log = s->last_log_ptrs;
		e->body_case = XROAD__ENVELOPE__BODY_RECOVER_STATE;
		e->recover_state = p;
		break;
	}
	case XR_MSG_LOG_FETCH:
		xroad__log_fetch__init(&s->body.log_fetch);
		s->body.log_fetch.round = m->u.log_fetch.round;
		e->body_case = XROAD__ENVELOPE__BODY_LOG_FETCH;
		e->log_fetch = &s->body.log_fetch;
		break;
	case XR_MSG_LOG_ROUND: {
		Xroad__LogRound *p = &s->body.log_round;
		xroad__log_round__init(p);
		p->round = m->u.log_round.round;
		p->held = m->u.log_round.held;
		build_log(s, m->u.log_round.log, m->u.log_round.n_log);
		p->n_log = m->u.log_round.n_log;
		p->log = s->log_ptrs;
		e->body_case = XROAD__ENVELOPE__BODY_LOG_ROUND;
		e->log_round = p;
		break;
	}
	case XR_MSG_HEARTBEAT:
		xroad__heartbeat__init(&s->body.heartbeat);
		s->body.heartbeat.ack = m->u.heartbeat.ack;
		s->body.heartbeat.stamp_ms = m->u.heartbeat.stamp_ms;
		s->body.heartbeat.grant_round = m->u.heartbeat.grant_round;
		e->body_case = XROAD__ENVELOPE__BODY_HEARTBEAT;
		e->heartbeat = &s->body.heartbeat;
		break;
	case XR_MSG_ELECTION:
		xroad__election__init(&s->body.election);
		e->body_case = XROAD__ENVELOPE__BODY_ELECTION;
		e->election = &s->body.election;
		break;
	case XR_MSG_ANSWER:
		xroad__answer__init(&s->body.answer);
		e->body_case = XROAD__ENVELOPE__BODY_ANSWER;
		e->answer = &s->body.answer;
		break;
	case XR_MSG_RECOVER:
		xroad__recover__init(&s->body.recover);
		e->body_case = XROAD__ENVELOPE__BODY_RECOVER;
		e->recover = &s->body.recover;
		break;
	case XR_MSG_COORDINATOR:
		xroad__coordinator__init(&s->body.coordinator);
		s->body.coordinator.coordinator = m->u.coordinator.coordinator;
		e->body_case = XROAD__ENVELOPE__BODY_COORDINATOR;
		e->coordinator = &s->body.coordinator;
		break;
	case XR_MSG_MARKER: {
		Xroad__Marker *p = &s->body.marker;
		xroad__marker__init(p);
		p->snapshot = m->u.marker.snapshot;
		e->body_case = XROAD__ENVELOPE__BODY_MARKER;
		e->marker = p;
		break;
	}
	case XR_MSG_NONE:
	case XR_MSG_TYPES:
		/* xr_msg_check() refused these already. */
		return xr_why(why, why_len, XR_ERANGE, "message type %u",
			      (unsigned)m->type);
	}
	return 0;
}

/* ------------------------------------------------------------ read */

static int read_intents(Xroad__Intent *const *in, size_t n,
			struct xr_car_intent *out, uint32_t *n_out,
			const char *what, char *why, size_t why_len)
{
	if (n > XR_MAX_CARS)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "%s: %zu intents, at most %u", what, n,
			      XR_MAX_CARS);
	for (size_t i = 0; i < n; i++) {
		out[i].car = in[i]->car;
		out[i].arrival_ms = in[i]->arrival_ms;
		if (approach_from_pb(in[i]->approach, &out[i].approach) != 0)
			return xr_why(why, why_len, XR_ERANGE,
				      "%s[%zu].approach: %d is not a direction",
				      what, i, (int)in[i]->approach);
		if (turn_from_pb(in[i]->turn, &out[i].turn) != 0)
			return xr_why(why, why_len, XR_ERANGE,
				      "%s[%zu].turn: %d is not a turn", what, i,
				      (int)in[i]->turn);
		if ((unsigned)in[i]->lane > XR_LANE_DONE)
			return xr_why(why, why_len, XR_ERANGE,
				      "%s[%zu].lane: %d is not a lane", what, i,
				      (int)in[i]->lane);
		out[i].lane = (enum xr_lane)in[i]->lane;
	}
	*n_out = (uint32_t)n;
	return 0;
}

void xr_pb_crossing_read(const Xroad__Crossing *c, struct xr_crossing *out)
{
	/* An absent submessage means all-zero in proto3. */
	if (c == NULL)
		return;
	out->round = c->round;
	out->index = c->index;
	out->car = c->car;
	out->left = c->left;
}

static int read_log(Xroad__Crossing *const *in, size_t n,
		    struct xr_crossing *out, uint32_t *n_out, const char *what,
		    char *why, size_t why_len)
{
	if (n > XR_MAX_CARS)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "%s: %zu entries, at most %u", what, n,
			      XR_MAX_CARS);
	for (size_t i = 0; i < n; i++)
		xr_pb_crossing_read(in[i], &out[i]);
	*n_out = (uint32_t)n;
	return 0;
}

static void read_override(const Xroad__Override *o, struct xr_override *out)
{
	out->epoch = o->epoch;
	out->winner = o->winner;
	out->loser = o->loser;
	out->also = o->also;
}

static int read_ids(const uint32_t *in, size_t n, uint32_t *out,
		    uint32_t *n_out, uint32_t max, const char *what, char *why,
		    size_t why_len)
{
	if (n > max)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "%s: %zu entries, at most %u", what, n, max);
	if (n > 0)
		memcpy(out, in, n * sizeof in[0]);
	*n_out = (uint32_t)n;
	return 0;
}

/* RejoinState, alone or inside a RecoverState. `name` prefixes errors. */
static int read_rejoin_state(const Xroad__RejoinState *p,
			     struct xr_rejoin_state *r, const char *name,
			     char *why, size_t why_len)
{
	char field[64];
	r->round = p->round;
	r->intents_fixed = p->intents_fixed;
	snprintf(field, sizeof field, "%s.intents", name);
	int rc = read_intents(p->intents, p->n_intents, r->intents,
			      &r->n_intents, field, why, why_len);
	if (rc == 0) {
		snprintf(field, sizeof field, "%s.log", name);
		rc = read_log(p->log, p->n_log, r->log, &r->n_log, field, why,
			      why_len);
	}
	if (rc != 0)
		return rc;
	if (p->n_overrides > XR_MAX_OVERRIDES)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "%s.overrides: %zu entries, at most %u", name,
			      p->n_overrides, XR_MAX_OVERRIDES);
	for (size_t i = 0; i < p->n_overrides; i++)
		read_override(p->overrides[i], &r->overrides[i]);
	r->n_overrides = (uint32_t)p->n_overrides;
	snprintf(field, sizeof field, "%s.proceed", name);
	return read_ids(p->proceed, p->n_proceed, r->proceed, &r->n_proceed,
			XR_MAX_CARS, field, why, why_len);
}

static int read_body(const Xroad__Envelope *e, struct xr_msg *m, char *why,
		     size_t why_len)
{
	switch (e->body_case) {
	case XROAD__ENVELOPE__BODY_WAVE: {
		const Xroad__WaveMsg *p = e->wave;
		struct xr_wave_msg *w = &m->u.wave;
		m->type = XR_MSG_WAVE;
		w->wave = p->wave;
		w->round = p->round;
		w->echo = p->echo;
		w->retry = p->retry;
		w->star = p->star;
		w->target_round = p->target_round;
		w->collect_next = p->collect_next;
		if ((p->crossed >> XR_MAX_NODES) != 0)
			return xr_why(why, why_len, XR_ERANGE,
				      "WaveMsg.crossed: a node id past %u",
				      XR_MAX_NODES - 1);
		w->crossed = p->crossed;
		if (wave_kind_from_pb(p->kind, &w->kind) != 0)
			return xr_why(why, why_len, XR_ERANGE,
				      "WaveMsg.kind: %d is not a wave kind",
				      (int)p->kind);
		int rc = read_intents(p->intents, p->n_intents, w->intents,
				      &w->n_intents, "WaveMsg.intents", why,
				      why_len);
		if (rc != 0)
			return rc;
		if (p->override != NULL) {
			w->has_override = true;
			read_override(p->override, &w->override);
		}
		return read_log(p->log, p->n_log, w->log, &w->n_log,
				"WaveMsg.log", why, why_len);
	}
	case XROAD__ENVELOPE__BODY_CROSSED:
		m->type = XR_MSG_CROSSED;
		m->u.crossed.round = e->crossed->round;
		m->u.crossed.crossed_ms = e->crossed->crossed_ms;
		return 0;
	case XROAD__ENVELOPE__BODY_NOTICE:
		m->type = XR_MSG_NOTICE;
		xr_pb_crossing_read(e->notice->crossing, &m->u.notice.crossing);
		return 0;
	case XROAD__ENVELOPE__BODY_BLOCKED:
		m->type = XR_MSG_BLOCKED;
		m->u.blocked.round = e->blocked->round;
		m->u.blocked.seen = e->blocked->seen;
		m->u.blocked.overrides = e->blocked->overrides;
		m->u.blocked.held = e->blocked->held;
		m->u.blocked.stamp_ms = e->blocked->stamp_ms;
		return read_ids(e->blocked->waits_for, e->blocked->n_waits_for,
				m->u.blocked.waits_for, &m->u.blocked.n_waits,
				XR_MAX_CARS, "Blocked.waits_for", why, why_len);
	case XROAD__ENVELOPE__BODY_DETECT:
		m->type = XR_MSG_DETECT;
		m->u.detect.round = e->detect->round;
		m->u.detect.epoch = e->detect->epoch;
		return 0;
	case XROAD__ENVELOPE__BODY_PROBE:
		m->type = XR_MSG_PROBE;
		m->u.probe.round = e->probe->round;
		m->u.probe.epoch = e->probe->epoch;
		m->u.probe.initiator = e->probe->initiator;
		return read_ids(e->probe->path, e->probe->n_path,
				m->u.probe.path, &m->u.probe.n_path,
				XR_MAX_CARS, "Probe.path", why, why_len);
	case XROAD__ENVELOPE__BODY_DEADLOCK:
		m->type = XR_MSG_DEADLOCK;
		m->u.deadlock.round = e->deadlock->round;
		m->u.deadlock.epoch = e->deadlock->epoch;
		return read_ids(e->deadlock->cycle, e->deadlock->n_cycle,
				m->u.deadlock.cycle, &m->u.deadlock.n_cycle,
				XR_MAX_CARS, "DeadlockFound.cycle", why,
				why_len);
	case XROAD__ENVELOPE__BODY_PROCEED:
		m->type = XR_MSG_PROCEED;
		m->u.proceed.round = e->proceed->round;
		m->u.proceed.epoch = e->proceed->epoch;
		return 0;
	case XROAD__ENVELOPE__BODY_REJOIN:
		m->type = XR_MSG_REJOIN;
		m->u.rejoin.round = e->rejoin->round;
		return 0;
	case XROAD__ENVELOPE__BODY_ARRIVED:
		m->type = XR_MSG_ARRIVED;
		m->u.arrived.round = e->arrived->round;
		return 0;
	case XROAD__ENVELOPE__BODY_REJOIN_STATE:
		m->type = XR_MSG_REJOIN_STATE;
		return read_rejoin_state(e->rejoin_state, &m->u.rejoin_state,
					 "RejoinState", why, why_len);
	case XROAD__ENVELOPE__BODY_RECOVER_STATE: {
		const Xroad__RecoverState *p = e->recover_state;
		struct xr_recover_state *r = &m->u.recover_state;
		m->type = XR_MSG_RECOVER_STATE;
		if (p->state == NULL)
			return xr_why(why, why_len, XR_EDECODE,
				      "RecoverState.state: missing");
		r->crossed_round = p->crossed_round;
		r->held = p->held;
		r->override_epoch = p->override_epoch;
		if (p->last_override != NULL) {
			r->has_last_override = true;
			read_override(p->last_override, &r->last_override);
		}
		r->logged_round = p->logged_round;
		r->target_round = p->target_round;
		r->detect_epoch = p->detect_epoch;
		r->log_count = p->log_count;
		r->log_digest = p->log_digest;
		r->left_count = p->left_count;
		int rc = read_log(p->last_log, p->n_last_log, r->last_log,
				  &r->n_last_log, "RecoverState.last_log", why,
				  why_len);
		if (rc != 0)
			return rc;
		return read_rejoin_state(p->state, &r->state,
					 "RecoverState.state", why, why_len);
	}
	case XROAD__ENVELOPE__BODY_LOG_FETCH:
		m->type = XR_MSG_LOG_FETCH;
		if (e->log_fetch != NULL)
			m->u.log_fetch.round = e->log_fetch->round;
		return 0;
	case XROAD__ENVELOPE__BODY_LOG_ROUND:
		m->type = XR_MSG_LOG_ROUND;
		if (e->log_round == NULL)
			return 0;
		m->u.log_round.round = e->log_round->round;
		m->u.log_round.held = e->log_round->held;
		return read_log(e->log_round->log, e->log_round->n_log,
				m->u.log_round.log, &m->u.log_round.n_log,
				"LogRound.log", why, why_len);
	case XROAD__ENVELOPE__BODY_HEARTBEAT:
		m->type = XR_MSG_HEARTBEAT;
		if (e->heartbeat != NULL) {
			m->u.heartbeat.ack = e->heartbeat->ack;
			m->u.heartbeat.stamp_ms = e->heartbeat->stamp_ms;
			m->u.heartbeat.grant_round = e->heartbeat->grant_round;
		}
		return 0;
	case XROAD__ENVELOPE__BODY_ELECTION:
		m->type = XR_MSG_ELECTION;
		return 0;
	case XROAD__ENVELOPE__BODY_ANSWER:
		m->type = XR_MSG_ANSWER;
		return 0;
	case XROAD__ENVELOPE__BODY_RECOVER:
		m->type = XR_MSG_RECOVER;
		return 0;
	case XROAD__ENVELOPE__BODY_COORDINATOR:
		m->type = XR_MSG_COORDINATOR;
		m->u.coordinator.coordinator = e->coordinator->coordinator;
		return 0;
	case XROAD__ENVELOPE__BODY_MARKER:
		m->type = XR_MSG_MARKER;
		m->u.marker.snapshot = e->marker->snapshot;
		return 0;
	case XROAD__ENVELOPE__BODY__NOT_SET:
	default: /* protobuf-c's int-size sentinel */
		break;
	}
	/* protobuf-c only ever sets a known case, so this is a missing body
	 * (or a body from a newer schema, which we cannot act on either). */
	return xr_why(why, why_len, XR_EDECODE, "envelope: no message body");
}

int xr_pb_env_read(const Xroad__Envelope *e, struct xr_msg *out, char *why,
		   size_t why_len)
{
	memset(out, 0, sizeof *out);
	out->from = e->from;
	out->to = e->to;
	out->epoch = e->epoch;
	out->snapshot = e->snapshot;
	out->cluster = e->cluster;
	int rc = read_body(e, out, why, why_len);
	if (rc == 0)
		rc = xr_msg_check(out, why, why_len);
	if (rc != 0)
		memset(out, 0, sizeof *out);
	return rc;
}

/* ------------------------------------------------------------ bytes */

static int pack_checked(const ProtobufCMessage *msg, uint8_t *buf, size_t cap,
			size_t *len)
{
	size_t need = protobuf_c_message_get_packed_size(msg);
	if (need > XR_MSG_MAX_BYTES || need > cap)
		return XR_ETOOBIG;
	*len = protobuf_c_message_pack(msg, buf);
	return 0;
}

int xr_msg_encode(const struct xr_msg *m, uint8_t *buf, size_t cap, size_t *len)
{
	struct xr_pb_env s;
	int rc = xr_pb_env_build(&s, m, NULL, 0);
	if (rc != 0)
		return rc;
	return pack_checked(&s.env.base, buf, cap, len);
}

int xr_msg_decode(const uint8_t *buf, size_t len, struct xr_msg *out, char *why,
		  size_t why_len)
{
	memset(out, 0, sizeof *out);
	if (len > XR_MSG_MAX_BYTES)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "envelope: %zu bytes, at most %u", len,
			      XR_MSG_MAX_BYTES);
	/* protobuf-c reads an empty buffer as an empty message; let it, and
	 * refuse it below as a message without a body. */
	Xroad__Envelope *e = xroad__envelope__unpack(NULL, len, buf);
	if (e == NULL)
		return xr_why(why, why_len, XR_EDECODE,
			      "envelope: %zu bytes are not a valid Envelope "
			      "(truncated or garbage)",
			      len);
	int rc = xr_pb_env_read(e, out, why, why_len);
	/* The one place a decoded Envelope is freed. */
	xroad__envelope__free_unpacked(e, NULL);
	return rc;
}

/* ------------------------------------------------------------ NodeConfig */

int xr_config_encode(const struct xr_node_config *c, uint8_t *buf, size_t cap,
		     size_t *len)
{
	Xroad__NodeConfig p = XROAD__NODE_CONFIG__INIT;
	uint32_t cars[XR_MAX_CARS];
	Xroad__Approach approaches[XR_MAX_CARS];
	uint32_t neighbours[XR_MAX_NODES];
	char run[XR_RUN_MAX];

	if (c->n_cars > XR_MAX_CARS || c->n_neighbours > XR_MAX_NODES - 1)
		return XR_ETOOBIG;
	if (memchr(c->run, '\0', sizeof c->run) == NULL)
		return XR_EINVAL; /* not terminated: would read past run[] */
	for (uint32_t i = 0; i < c->n_cars; i++) {
		if ((unsigned)c->approaches[i] >= XR_APPROACHES)
			return XR_ERANGE;
		cars[i] = c->cars[i];
		approaches[i] = (Xroad__Approach)(c->approaches[i] + 1);
	}
	memcpy(neighbours, c->neighbours,
	       c->n_neighbours * sizeof neighbours[0]);
	memcpy(run, c->run, sizeof run);

	p.self = c->self;
	p.light = c->light;
	p.n_cars = c->n_cars;
	p.cars = cars;
	p.n_approaches = c->n_cars;
	p.approaches = approaches;
	p.n_neighbours = c->n_neighbours;
	p.neighbours = neighbours;
	p.seed = c->seed;
	p.weight_right = c->weights[XR_RIGHT];
	p.weight_straight = c->weights[XR_STRAIGHT];
	p.weight_left = c->weights[XR_LEFT];
	p.cross_ms = c->cross_ms;
	p.resend_ms = c->resend_ms;
	p.stall_ms = c->stall_ms;
	p.rounds = c->rounds;
	p.heartbeat_ms = c->heartbeat_ms;
	p.fail_ms = c->fail_ms;
	p.schedule = (uint32_t)c->schedule;
	p.arrivals = (uint32_t)c->arrivals;
	p.headway_ms = c->headway_ms;
	p.run = run;
	return pack_checked(&p.base, buf, cap, len);
}

static int config_read(const Xroad__NodeConfig *p, struct xr_node_config *c,
		       char *why, size_t why_len)
{
	if (p->n_cars > XR_MAX_CARS)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "NodeConfig.cars: %zu entries, at most %u",
			      p->n_cars, XR_MAX_CARS);
	if (p->n_approaches != p->n_cars)
		return xr_why(why, why_len, XR_EDECODE,
			      "NodeConfig: %zu cars but %zu approaches",
			      p->n_cars, p->n_approaches);
	if (p->n_neighbours > XR_MAX_NODES - 1)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "NodeConfig.neighbours: %zu entries, at most %u",
			      p->n_neighbours, XR_MAX_NODES - 1);
	const char *run = p->run != NULL ? p->run : "";
	size_t run_len = strlen(run);
	if (run_len >= XR_RUN_MAX)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "NodeConfig.run: %zu characters, at most %u",
			      run_len, XR_RUN_MAX - 1);
	for (size_t i = 0; i < p->n_cars; i++) {
		c->cars[i] = p->cars[i];
		if (approach_from_pb(p->approaches[i], &c->approaches[i]) != 0)
			return xr_why(why, why_len, XR_ERANGE,
				      "NodeConfig.approaches[%zu]: %d is not a "
				      "direction",
				      i, (int)p->approaches[i]);
	}
	c->n_cars = (uint32_t)p->n_cars;
	if (p->n_neighbours > 0) /* protobuf-c leaves an empty list NULL */
		memcpy(c->neighbours, p->neighbours,
		       p->n_neighbours * sizeof p->neighbours[0]);
	c->n_neighbours = (uint32_t)p->n_neighbours;
	c->self = p->self;
	c->light = p->light;
	c->seed = p->seed;
	c->weights[XR_RIGHT] = p->weight_right;
	c->weights[XR_STRAIGHT] = p->weight_straight;
	c->weights[XR_LEFT] = p->weight_left;
	c->cross_ms = p->cross_ms;
	c->resend_ms = p->resend_ms;
	c->stall_ms = p->stall_ms;
	c->rounds = p->rounds;
	/* 0 when absent: traces from before failover was recorded ran
	 * without it. */
	c->heartbeat_ms = p->heartbeat_ms;
	c->fail_ms = p->fail_ms;
	if (p->schedule > XR_SCHEDULE_OPTIMAL)
		return xr_why(why, why_len, XR_ERANGE,
			      "config: unknown schedule %u",
			      (unsigned)p->schedule);
	c->schedule = (enum xr_schedule)p->schedule;
	if (p->arrivals > XR_ARRIVALS_POISSON)
		return xr_why(why, why_len, XR_ERANGE,
			      "config: unknown arrivals %u",
			      (unsigned)p->arrivals);
	c->arrivals = (enum xr_arrivals)p->arrivals;
	c->headway_ms = p->headway_ms;
	memcpy(c->run, run, run_len + 1);
	return 0;
}

int xr_config_decode(const uint8_t *buf, size_t len, struct xr_node_config *out,
		     char *why, size_t why_len)
{
	memset(out, 0, sizeof *out);
	if (len > XR_MSG_MAX_BYTES)
		return xr_why(why, why_len, XR_ETOOBIG,
			      "NodeConfig: %zu bytes, at most %u", len,
			      XR_MSG_MAX_BYTES);
	Xroad__NodeConfig *p = xroad__node_config__unpack(NULL, len, buf);
	if (p == NULL)
		return xr_why(
			why, why_len, XR_EDECODE,
			"NodeConfig: %zu bytes are not a valid NodeConfig",
			len);
	int rc = config_read(p, out, why, why_len);
	/* The one place a decoded NodeConfig is freed. */
	xroad__node_config__free_unpacked(p, NULL);
	if (rc != 0)
		memset(out, 0, sizeof *out);
	return rc;
}
