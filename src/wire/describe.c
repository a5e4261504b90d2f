/* The one-line renderings documented in describe.h. Names come from the core
 * (xr_msg_type_name, xr_approach_name, ...), so a message reads the same in a
 * trace, in a core tracer line and in a test failure. Every value is range
 * checked before it indexes a name table: describe runs on whatever a corrupt
 * file or a buggy caller hands it. */
#include "describe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Append-only line buffer that keeps counting past `cap`, like snprintf, so
 * the caller learns the full length even when the line was cut. */
struct line {
	char *buf;
	size_t cap;
	size_t len;
};

static void put(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	char *at = NULL;
	size_t room = 0;
	if (l->len < l->cap) {
		at = l->buf + l->len;
		room = l->cap - l->len;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(at, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
}

static size_t done(struct line *l)
{
	if (l->cap > 0 && l->len >= l->cap)
		l->buf[l->cap - 1] = '\0';
	return l->len;
}

static struct line line_init(char *buf, size_t cap)
{
	struct line l = {buf, cap, 0};
	if (cap > 0)
		buf[0] = '\0';
	return l;
}

/* ------------------------------------------------------------ pieces */

static void put_approach(struct line *l, enum xr_approach a)
{
	if ((unsigned)a < XR_APPROACHES)
		put(l, "%s", xr_approach_name(a));
	else
		put(l, "?%u", (unsigned)a);
}

static void put_turn(struct line *l, enum xr_turn t)
{
	if ((unsigned)t < XR_TURNS)
		put(l, "%s", xr_turn_name(t));
	else
		put(l, "?%u", (unsigned)t);
}

static void put_intent(struct line *l, const struct xr_car_intent *in)
{
	put(l, "%u:", in->car);
	put_approach(l, in->approach);
	put(l, ":");
	put_turn(l, in->turn);
	put(l, "@%llu", (unsigned long long)in->arrival_ms);
	/* Only a collect's echo has one; older traces read as they did. */
	if (in->lane == XR_LANE_EMPTY)
		put(l, "/empty");
	else if (in->lane == XR_LANE_DONE)
		put(l, "/done");
}

static void put_intents(struct line *l, const char *key,
			const struct xr_car_intent *in, uint32_t n)
{
	if (n > XR_MAX_CARS)
		n = XR_MAX_CARS;
	put(l, " %s=[", key);
	for (uint32_t i = 0; i < n; i++) {
		if (i > 0)
			put(l, " ");
		put_intent(l, &in[i]);
	}
	put(l, "]");
}

static void put_crossing(struct line *l, const struct xr_crossing *c)
{
	put(l, "r%u#%u:%u%s", c->round, c->index, c->car,
	    c->left ? " left" : "");
}

static void put_log(struct line *l, const struct xr_crossing *c, uint32_t n)
{
	if (n > XR_MAX_CARS)
		n = XR_MAX_CARS;
	put(l, " log=[");
	for (uint32_t i = 0; i < n; i++) {
		if (i > 0)
			put(l, " ");
		put_crossing(l, &c[i]);
	}
	put(l, "]");
}

static void put_override(struct line *l, const struct xr_override *o)
{
	put(l, "e%u:%u>%u", o->epoch, o->winner, o->loser);
	/* Only when set, so older traces read as they did. */
	for (uint32_t id = 0; id < XR_MAX_NODES; id++)
		if ((o->also >> id) & 1u)
			put(l, ",%u", id);
}

static void put_ids(struct line *l, const char *key, const uint32_t *ids,
		    uint32_t n, uint32_t max)
{
	if (n > max)
		n = max;
	put(l, " %s=[", key);
	for (uint32_t i = 0; i < n; i++)
		put(l, i > 0 ? ",%u" : "%u", ids[i]);
	put(l, "]");
}

/* ------------------------------------------------------------ messages */

static void put_wave(struct line *l, const struct xr_wave_msg *w)
{
	put(l, "Wave#%u ", w->wave);
	if (w->kind > XR_WAVE_NONE && w->kind < XR_WAVE_KINDS)
		put(l, "%s", xr_wave_kind_name(w->kind));
	else
		put(l, "?%u", (unsigned)w->kind);
	put(l, " r%u %s%s%s", w->round, w->echo ? "echo" : "down",
	    w->retry ? " retry" : "", w->star ? " star" : "");
	if (w->target_round != 0)
		put(l, " target=r%u", w->target_round);
	if (w->collect_next)
		put(l, " +collect");
	if (w->crossed != 0) {
		put(l, " crossed=[");
		for (uint32_t id = 0, k = 0; id < XR_MAX_NODES; id++)
			if (w->crossed & ((xr_set)1 << id))
				put(l, "%s%u", k++ ? "," : "", id);
		put(l, "]");
	}
	if (w->n_intents > 0)
		put_intents(l, "intents", w->intents, w->n_intents);
	if (w->has_override) {
		put(l, " override=");
		put_override(l, &w->override);
	}
	if (w->n_log > 0)
		put_log(l, w->log, w->n_log);
}

static void put_rejoin_state(struct line *l, const struct xr_rejoin_state *r)
{
	put(l, " r%u", r->round);
	if (r->intents_fixed)
		put(l, " fixed");
	if (r->n_intents > 0)
		put_intents(l, "intents", r->intents, r->n_intents);
	if (r->n_log > 0)
		put_log(l, r->log, r->n_log);
	if (r->n_overrides > 0) {
		uint32_t n = r->n_overrides < XR_MAX_OVERRIDES
				     ? r->n_overrides
				     : XR_MAX_OVERRIDES;
		put(l, " overrides=[");
		for (uint32_t i = 0; i < n; i++) {
			if (i > 0)
				put(l, " ");
			put_override(l, &r->overrides[i]);
		}
		put(l, "]");
	}
	if (r->n_proceed > 0)
		put_ids(l, "proceed", r->proceed, r->n_proceed, XR_MAX_CARS);
}

size_t xr_msg_describe(const struct xr_msg *m, char *buf, size_t cap)
{
	struct line l = line_init(buf, cap);

	put(&l, "%u->%u ", m->from, m->to);
	/* Every message of a run without failover has epoch 1: say it only
	 * when it is something else. */
	if (m->epoch != 1)
		put(&l, "ep=%u ", m->epoch);
	if (m->snapshot != 0)
		put(&l, "snap=%u ", m->snapshot);
	if (m->type == XR_MSG_WAVE) {
		put_wave(&l, &m->u.wave);
		return done(&l);
	}
	if (m->type > XR_MSG_NONE && m->type < XR_MSG_TYPES)
		put(&l, "%s", xr_msg_type_name(m->type));
	else
		put(&l, "?%u", (unsigned)m->type);

	switch (m->type) {
	case XR_MSG_CROSSED:
		put(&l, " r%u at=%llu", m->u.crossed.round,
		    (unsigned long long)m->u.crossed.crossed_ms);
		break;
	case XR_MSG_NOTICE:
		put(&l, " ");
		put_crossing(&l, &m->u.notice.crossing);
		break;
	case XR_MSG_BLOCKED:
		put(&l, " r%u seen=%u overrides=%u%s", m->u.blocked.round,
		    m->u.blocked.seen, m->u.blocked.overrides,
		    m->u.blocked.held ? " held" : "");
		put_ids(&l, "waits", m->u.blocked.waits_for,
			m->u.blocked.n_waits, XR_MAX_CARS);
		break;
	case XR_MSG_DETECT:
		put(&l, " r%u e%u", m->u.detect.round, m->u.detect.epoch);
		break;
	case XR_MSG_PROBE:
		put(&l, " r%u e%u init=%u", m->u.probe.round, m->u.probe.epoch,
		    m->u.probe.initiator);
		put_ids(&l, "path", m->u.probe.path, m->u.probe.n_path,
			XR_MAX_CARS);
		break;
	case XR_MSG_DEADLOCK:
		put(&l, " r%u e%u", m->u.deadlock.round, m->u.deadlock.epoch);
		put_ids(&l, "cycle", m->u.deadlock.cycle, m->u.deadlock.n_cycle,
			XR_MAX_CARS);
		break;
	case XR_MSG_PROCEED:
		put(&l, " r%u e%u", m->u.proceed.round, m->u.proceed.epoch);
		break;
	case XR_MSG_REJOIN:
		put(&l, " r%u", m->u.rejoin.round);
		break;
	case XR_MSG_ARRIVED:
		put(&l, " r%u", m->u.arrived.round);
		break;
	case XR_MSG_REJOIN_STATE:
		put_rejoin_state(&l, &m->u.rejoin_state);
		break;
	case XR_MSG_MARKER:
		put(&l, " s%u", m->u.marker.snapshot);
		break;
	case XR_MSG_COORDINATOR:
		put(&l, " %u", m->u.coordinator.coordinator);
		break;
	case XR_MSG_RECOVER_STATE: {
		const struct xr_recover_state *r = &m->u.recover_state;
		put(&l, " crossed=r%u logged=r%u target=r%u overrides=e%u%s",
		    r->crossed_round, r->logged_round, r->target_round,
		    r->override_epoch, r->held ? " held" : "");
		put_rejoin_state(&l, &r->state);
		break;
	}
	case XR_MSG_HEARTBEAT:
		put(&l, " %s stamp=%llu", m->u.heartbeat.ack ? "ack" : "beat",
		    (unsigned long long)m->u.heartbeat.stamp_ms);
		if (m->u.heartbeat.grant_round != 0)
			put(&l, " grant=r%u", m->u.heartbeat.grant_round);
		break;
	case XR_MSG_LOG_FETCH:
		put(&l, " r%u", m->u.log_fetch.round);
		break;
	case XR_MSG_LOG_ROUND:
		put(&l, " r%u %s %u entries", m->u.log_round.round,
		    m->u.log_round.held ? "held" : "not held",
		    m->u.log_round.n_log);
		break;
	case XR_MSG_ELECTION:
	case XR_MSG_ANSWER:
	case XR_MSG_RECOVER:
	case XR_MSG_WAVE:
	case XR_MSG_NONE:
	case XR_MSG_TYPES:
		break;
	}
	return done(&l);
}

/* ------------------------------------------------------------ effects */

static bool intent_is_zero(const struct xr_car_intent *in)
{
	return in->car == 0 && in->approach == 0 && in->turn == 0 &&
	       in->arrival_ms == 0;
}

size_t xr_effect_describe(uint32_t node, const struct xr_effect *fx, char *buf,
			  size_t cap)
{
	struct line l = line_init(buf, cap);
	enum xr_effect_type t = fx->type;
	/* Named by the core's own table, so a new effect type is named here
	 * the day it exists (a fixed range printed "?11" for Coordinator). */
	bool known = strcmp(xr_effect_type_name(t), "?") != 0;
	/* What each type documents in node.h; see describe.h for the rule. */
	bool uses_car =
		t == XR_FX_INTENT || t == XR_FX_ENTER || t == XR_FX_EXIT;
	bool uses_intent = uses_car;
	bool uses_crossing =
		t == XR_FX_LOG_APPEND || t == XR_FX_CROSSING_INDEXED;
	bool uses_exit = t == XR_FX_EXIT;
	bool uses_deadlock = t == XR_FX_DEADLOCK;

	put(&l, "fx %u ", node);
	if (known)
		put(&l, "%s", xr_effect_type_name(t));
	else
		put(&l, "?%u", (unsigned)t);
	put(&l, " r%u", fx->round);
	if (uses_car || fx->car != 0)
		put(&l, " car=%u", fx->car);
	if (uses_intent || !intent_is_zero(&fx->intent)) {
		put(&l, " intent=");
		put_intent(&l, &fx->intent);
	}
	if (uses_crossing || fx->crossing.round != 0 ||
	    fx->crossing.index != 0 || fx->crossing.car != 0) {
		put(&l, " crossing=");
		put_crossing(&l, &fx->crossing);
	}
	if (uses_exit || fx->at_ms != 0)
		put(&l, " at=%llu", (unsigned long long)fx->at_ms);
	if (fx->vehicle != 0)
		put(&l, " vehicle=%u", fx->vehicle);
	if (fx->after_deadlock)
		put(&l, " after_deadlock");
	if (uses_deadlock || fx->override.epoch != 0 ||
	    fx->override.winner != 0 || fx->override.loser != 0) {
		put(&l, " override=");
		put_override(&l, &fx->override);
	}
	if (uses_deadlock || fx->n_cycle != 0)
		put_ids(&l, "cycle", fx->cycle, fx->n_cycle, XR_MAX_CARS);
	return done(&l);
}

/* ------------------------------------------------------------ config */

size_t xr_config_describe(const struct xr_node_config *c, char *buf, size_t cap)
{
	struct line l = line_init(buf, cap);
	uint32_t n = c->n_cars < XR_MAX_CARS ? c->n_cars : XR_MAX_CARS;

	put(&l, "config self=%u light=%u cars=[", c->self, c->light);
	for (uint32_t i = 0; i < n; i++) {
		put(&l, i > 0 ? " %u:" : "%u:", c->cars[i]);
		put_approach(&l, c->approaches[i]);
	}
	put(&l, "]");
	put_ids(&l, "nbrs", c->neighbours, c->n_neighbours, XR_MAX_NODES - 1);
	put(&l,
	    " seed=%llu weights=%u/%u/%u cross_ms=%u resend_ms=%u "
	    "stall_ms=%u rounds=%u ",
	    (unsigned long long)c->seed, c->weights[XR_RIGHT],
	    c->weights[XR_STRAIGHT], c->weights[XR_LEFT], c->cross_ms,
	    c->resend_ms, c->stall_ms, c->rounds);
	if (c->heartbeat_ms != 0 || c->fail_ms != 0)
		put(&l, "heartbeat_ms=%u fail_ms=%u ", c->heartbeat_ms,
		    c->fail_ms);
	/* Only when not the default, so older traces read as they did. */
	if (c->schedule != XR_SCHEDULE_RULES)
		put(&l, "schedule=%s ", xr_schedule_name(c->schedule));
	if (c->arrivals != XR_ARRIVALS_ALWAYS)
		put(&l, "arrivals=%s headway_ms=%u ",
		    xr_arrivals_name(c->arrivals), c->headway_ms);
	put(&l, "run=");
	/* The run id comes from a config file: keep the line one line. */
	for (size_t i = 0; i < sizeof c->run && c->run[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)c->run[i];
		if (ch > ' ' && ch < 0x7f && ch != '\\')
			put(&l, "%c", ch);
		else
			put(&l, "\\x%02x", ch);
	}
	return done(&l);
}
