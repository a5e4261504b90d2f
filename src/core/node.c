/* The entry point of the core, its top layer: validate an event and
 * dispatch it to the election, the coordinator's and the car's files (who
 * handles which message: docs/ARCHITECTURE.md). Validation happens before
 * any state changes, so a refused event leaves the node exactly as it was. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int config_fail(char *why, size_t len, const char *text, unsigned a)
{
	if (why != NULL && len > 0)
		snprintf(why, len, text, a);
	return XR_ECONFIG;
}

int xr_node_config_check(const struct xr_node_config *cfg, char *why,
			 size_t why_len)
{
	xr_set seen = 0;
	if (cfg->n_cars < 1 || cfg->n_cars > XR_MAX_CARS)
		return config_fail(why, why_len, "car count %u not in 1..31",
				   cfg->n_cars);
	if (cfg->light >= XR_MAX_NODES)
		return config_fail(why, why_len, "light id %u >= 32",
				   cfg->light);
	seen |= XR_SET(cfg->light);
	for (uint32_t i = 0; i < cfg->n_cars; i++) {
		uint32_t c = cfg->cars[i];
		if (c >= XR_MAX_NODES)
			return config_fail(why, why_len, "car id %u >= 32", c);
		if (XR_HAS(seen, c))
			return config_fail(why, why_len,
					   "node id %u listed twice", c);
		seen |= XR_SET(c);
		if ((unsigned)cfg->approaches[i] >= XR_APPROACHES)
			return config_fail(why, why_len,
					   "car %u has no valid approach", c);
	}
	if (cfg->self >= XR_MAX_NODES || !XR_HAS(seen, cfg->self))
		return config_fail(why, why_len, "self id %u is not a node",
				   cfg->self);
	if (cfg->n_neighbours > XR_MAX_NODES - 1)
		return config_fail(why, why_len, "%u neighbours is too many",
				   cfg->n_neighbours);
	xr_set nb = 0;
	for (uint32_t i = 0; i < cfg->n_neighbours; i++) {
		uint32_t v = cfg->neighbours[i];
		if (v >= XR_MAX_NODES || !XR_HAS(seen, v) || v == cfg->self ||
		    XR_HAS(nb, v))
			return config_fail(why, why_len, "bad neighbour %u", v);
		nb |= XR_SET(v);
	}
	if (cfg->n_neighbours == 0)
		return config_fail(why, why_len,
				   "node %u has no wave neighbour", cfg->self);
	uint64_t total = 0;
	for (int t = 0; t < XR_TURNS; t++)
		total += cfg->weights[t];
	if (total == 0)
		return config_fail(why, why_len, "routes: all %u weights are 0",
				   XR_TURNS);
	if ((unsigned)cfg->arrivals > XR_ARRIVALS_POISSON)
		return config_fail(why, why_len, "unknown arrivals %u",
				   (unsigned)cfg->arrivals);
	if (cfg->arrivals == XR_ARRIVALS_POISSON &&
	    (cfg->headway_ms == 0 || cfg->rounds == 0 ||
	     cfg->rounds > XR_POISSON_VEHICLES_MAX))
		return config_fail(
			why, why_len,
			"arrivals = poisson: rounds (vehicles per car) "
			"must be 1..%u and headway_ms > 0",
			XR_POISSON_VEHICLES_MAX);
	if (cfg->resend_ms == 0)
		return config_fail(why, why_len, "resend_ms must be > %u", 0);
	if (cfg->stall_ms == 0)
		return config_fail(why, why_len, "stall_ms must be > %u", 0);
	if (cfg->fail_ms > 0 &&
	    (cfg->heartbeat_ms == 0 || cfg->heartbeat_ms * 2 > cfg->fail_ms))
		return config_fail(why, why_len,
				   "heartbeat_ms must be > 0 and at most half "
				   "of fail_ms (%u)",
				   cfg->fail_ms);
	if (cfg->schedule != XR_SCHEDULE_RULES &&
	    cfg->schedule != XR_SCHEDULE_OPTIMAL)
		return config_fail(why, why_len, "unknown schedule %u",
				   (unsigned)cfg->schedule);
	if (memchr(cfg->run, '\0', sizeof cfg->run) == NULL)
		return config_fail(why, why_len, "run id longer than %u bytes",
				   XR_RUN_MAX - 1);
	return 0;
}

int xr_node_init(struct xr_node *n, const struct xr_node_config *cfg,
		 const struct xr_durable *durable)
{
	int rv = xr_node_config_check(cfg, NULL, 0);
	if (rv != 0)
		return rv;
	memset(n, 0, sizeof *n);
	n->cfg = *cfg;
	n->is_light = cfg->self == cfg->light;
	n->coordinator = cfg->light;
	n->coordinator_epoch = 1;
	n->members = XR_SET(cfg->light);
	for (uint32_t i = 0; i < cfg->n_cars; i++)
		n->car_set |= XR_SET(cfg->cars[i]);
	n->members |= n->car_set;
	for (uint32_t i = 0; i < cfg->n_neighbours; i++)
		n->neighbour_set |= XR_SET(cfg->neighbours[i]);
	n->is_car = XR_HAS(n->car_set, cfg->self);
	if (durable != NULL) {
		n->restarted = true;
		n->durable = *durable;
		/* Back from a crash with failover on: who coordinates now is
		 * learnt from the next heartbeat. */
		if (cfg->fail_ms > 0 && durable->epoch > 0) {
			n->coordinator = XR_NOBODY;
			n->coordinator_epoch = durable->epoch;
		}
	} else {
		n->durable.log_digest = XR_LOG_DIGEST_EMPTY;
		n->durable.epoch = 1; /* a restart knows it is not the start */
	}
	for (int k = 0; k < XR_TIMERS; k++)
		n->timer_at[k] = XR_NEVER;
	return 0;
}

/* Range checks of everything a message carries that the core indexes by. */
static bool intent_ok(const struct xr_node *n, const struct xr_car_intent *i)
{
	return XR_HAS(n->car_set, i->car) &&
	       (unsigned)i->approach < XR_APPROACHES &&
	       (unsigned)i->turn < XR_TURNS &&
	       (unsigned)i->lane <= XR_LANE_DONE;
}

/* An intent set, or a state's: real intents only, each car once. */
static bool intent_set_ok(const struct xr_node *n,
			  const struct xr_car_intent *set, uint32_t k)
{
	xr_set seen = 0;
	for (uint32_t i = 0; i < k; i++) {
		if (!intent_ok(n, &set[i]) || set[i].lane != XR_LANE_VEHICLE ||
		    XR_HAS(seen, set[i].car))
			return false;
		seen |= XR_SET(set[i].car);
	}
	return true;
}

static bool crossing_ok(const struct xr_node *n, const struct xr_crossing *c)
{
	return c->car < XR_MAX_NODES && XR_HAS(n->car_set, c->car) &&
	       c->index < n->cfg.n_cars;
}

static bool cars_ok(const struct xr_node *n, const uint32_t *ids, uint32_t k)
{
	if (k > XR_MAX_CARS)
		return false;
	for (uint32_t i = 0; i < k; i++)
		if (ids[i] >= XR_MAX_NODES || !XR_HAS(n->car_set, ids[i]))
			return false;
	return true;
}

static bool override_ok(const struct xr_node *n, const struct xr_override *o)
{
	return cars_ok(n, &o->winner, 1) && cars_ok(n, &o->loser, 1) &&
	       (o->also & ~n->car_set) == 0 && !XR_HAS(o->also, o->winner);
}

static int check_values(const struct xr_node *n, const struct xr_msg *m)
{
	switch (m->type) {
	case XR_MSG_WAVE: {
		const struct xr_wave_msg *w = &m->u.wave;
		if (w->kind <= XR_WAVE_NONE || w->kind >= XR_WAVE_KINDS ||
		    w->n_intents > XR_MAX_CARS || w->n_log > XR_MAX_CARS)
			return XR_ERANGE;
		for (uint32_t i = 0; i < w->n_intents; i++)
			if (!intent_ok(n, &w->intents[i]))
				return XR_ERANGE;
		/* Only a collect's echo says "no vehicle". */
		if (w->kind == XR_WAVE_INTENT_SET &&
		    !intent_set_ok(n, w->intents, w->n_intents))
			return XR_ERANGE;
		for (uint32_t i = 0; i < w->n_log; i++)
			if (!crossing_ok(n, &w->log[i]))
				return XR_ERANGE;
		if (w->kind == XR_WAVE_OVERRIDE && !w->echo &&
		    (!w->has_override || !override_ok(n, &w->override)))
			return XR_ERANGE;
		return 0;
	}
	case XR_MSG_NOTICE:
		return crossing_ok(n, &m->u.notice.crossing) ? 0 : XR_ERANGE;
	case XR_MSG_BLOCKED:
		return cars_ok(n, m->u.blocked.waits_for, m->u.blocked.n_waits)
			       ? 0
			       : XR_ERANGE;
	case XR_MSG_PROBE:
		if (m->u.probe.n_path == 0 ||
		    !cars_ok(n, m->u.probe.path, m->u.probe.n_path) ||
		    !cars_ok(n, &m->u.probe.initiator, 1))
			return XR_ERANGE;
		return 0;
	case XR_MSG_DEADLOCK:
		return m->u.deadlock.n_cycle >= 2 &&
				       cars_ok(n, m->u.deadlock.cycle,
					       m->u.deadlock.n_cycle)
			       ? 0
			       : XR_ERANGE;
	case XR_MSG_LOG_ROUND:
		if (m->u.log_round.n_log > XR_MAX_CARS)
			return XR_ERANGE;
		for (uint32_t i = 0; i < m->u.log_round.n_log; i++)
			if (!crossing_ok(n, &m->u.log_round.log[i]) ||
			    m->u.log_round.log[i].index != i ||
			    m->u.log_round.log[i].round != m->u.log_round.round)
				return XR_ERANGE;
		return 0;
	case XR_MSG_RECOVER_STATE:
	case XR_MSG_REJOIN_STATE: {
		const struct xr_rejoin_state *s =
			m->type == XR_MSG_REJOIN_STATE
				? &m->u.rejoin_state
				: &m->u.recover_state.state;
		if (s->n_intents > XR_MAX_CARS || s->n_log > XR_MAX_CARS ||
		    s->n_overrides > XR_MAX_OVERRIDES ||
		    !cars_ok(n, s->proceed, s->n_proceed))
			return XR_ERANGE;
		if (!intent_set_ok(n, s->intents, s->n_intents))
			return XR_ERANGE;
		for (uint32_t i = 0; i < s->n_log; i++)
			if (!crossing_ok(n, &s->log[i]))
				return XR_ERANGE;
		for (uint32_t i = 0; i < s->n_overrides; i++)
			if (!override_ok(n, &s->overrides[i]))
				return XR_ERANGE;
		return 0;
	}
	default:
		return 0;
	}
}

/* Who may send what to whom: the light's messages come from the light, the
 * cars' from cars, waves from wave neighbours. */
static int check_route(const struct xr_node *n, const struct xr_msg *m)
{
	bool from_coordinator = m->from == n->coordinator;
	bool from_car = XR_HAS(n->car_set, m->from);
	bool am_coordinator = n->coordinator == n->cfg.self;
	switch (m->type) {
	case XR_MSG_WAVE:
		if (m->u.wave.star)
			return from_coordinator || (am_coordinator && from_car)
				       ? 0
				       : XR_ESENDER;
		return XR_HAS(n->neighbour_set, m->from) ? 0 : XR_ESENDER;
	case XR_MSG_CROSSED:
	case XR_MSG_BLOCKED:
	case XR_MSG_DEADLOCK:
	case XR_MSG_REJOIN:
	case XR_MSG_RECOVER_STATE:
	case XR_MSG_ARRIVED:
		return from_car ? 0 : XR_ESENDER;
	case XR_MSG_LOG_ROUND:
		/* Any member's log answers (a car asking for its crossing's
		 * index may hear from the light or another car). */
		return 0;
	case XR_MSG_LOG_FETCH:
		/* Answered by the car's shell from its log (node.h); a core
		 * never gets one. */
		return XR_EROLE;
	case XR_MSG_NOTICE:
	case XR_MSG_DETECT:
	case XR_MSG_PROCEED:
	case XR_MSG_REJOIN_STATE:
	case XR_MSG_RECOVER:
		if (!n->is_car)
			return XR_EROLE;
		return from_coordinator ? 0 : XR_ESENDER;
	case XR_MSG_PROBE:
		if (!n->is_car)
			return XR_EROLE;
		return from_car ? 0 : XR_ESENDER;
	case XR_MSG_COORDINATOR:
		return XR_HAS(n->members, m->u.coordinator.coordinator)
			       ? 0
			       : XR_ERANGE;
	case XR_MSG_MARKER:
	case XR_MSG_HEARTBEAT:
	case XR_MSG_ELECTION:
	case XR_MSG_ANSWER:
		return 0;
	case XR_MSG_NONE:
	case XR_MSG_TYPES:
		break;
	}
	return XR_ERANGE;
}

static bool election_type(enum xr_msg_type t)
{
	return t == XR_MSG_HEARTBEAT || t == XR_MSG_ELECTION ||
	       t == XR_MSG_ANSWER || t == XR_MSG_COORDINATOR;
}

static bool coordinator_bound(enum xr_msg_type t)
{
	return t == XR_MSG_CROSSED || t == XR_MSG_BLOCKED ||
	       t == XR_MSG_DEADLOCK || t == XR_MSG_REJOIN ||
	       t == XR_MSG_RECOVER_STATE || t == XR_MSG_ARRIVED;
}

static int check_msg(const struct xr_node *n, const struct xr_msg *m)
{
	if (m->from >= XR_MAX_NODES || !XR_HAS(n->members, m->from) ||
	    m->from == n->cfg.self)
		return XR_ESENDER;
	if (m->to != n->cfg.self)
		return XR_EINVAL;
	if (m->type <= XR_MSG_NONE || m->type >= XR_MSG_TYPES)
		return XR_ERANGE;
	/* Election messages carry epochs the election itself judges; markers
	 * do not depend on who coordinates. */
	bool any_epoch = election_type(m->type) || m->type == XR_MSG_MARKER;
	if (m->epoch < n->coordinator_epoch && !any_epoch)
		return XR_EEPOCH;
	/* From a coordinator whose claim has not reached us yet: dropped, not
	 * refused; it is resent after the claim. */
	if (m->epoch > n->coordinator_epoch && !any_epoch)
		return XR_ESTATE;
	int rv = check_route(n, m);
	if (rv != 0)
		return rv;
	return check_values(n, m);
}

/* What a wave's step asks of the roles: the coordinator decides on a wave
 * that completed or restarts one that stalled (light.c); a car takes what
 * a wave it joins carries before the wave goes on (car.c). */
static void wave_event(struct xr_node *n, enum xr_wave_event ev)
{
	if (ev == XR_WAVE_DONE)
		xr_light_wave_done(n, &n->wave);
	else if (ev == XR_WAVE_STALLED)
		xr_light_wave_restart(n);
}

static int receive_wave(struct xr_node *n, const struct xr_msg *m)
{
	enum xr_wave_event ev;
	int rv = xr_wave_receive(n, m, &ev);
	if (ev == XR_WAVE_JOINED) {
		if (!n->is_light)
			xr_car_wave_join(n, &n->wave.down, &n->wave.up);
		xr_wave_joined(n);
		return rv;
	}
	/* Before the wave's end is decided: the last echo may carry the
	 * crossing that ends the round. */
	if (rv == 0 && m->u.wave.echo && m->u.wave.crossed != 0 &&
	    n->coordinator == n->cfg.self)
		xr_light_echo_crossed(n, &m->u.wave);
	wave_event(n, ev);
	return rv;
}

/* A message that passed the checks, or one the node sent itself. */
static int dispatch(struct xr_node *n, const struct xr_msg *m)
{
	if (election_type(m->type))
		return xr_election_receive(n, m);
	/* From a coordinator we have not heard of yet: its heartbeat comes
	 * first, then the resend. */
	if (m->epoch > n->coordinator_epoch)
		return XR_ESTATE;
	if (m->from == n->coordinator)
		n->election.last_heard_ms = n->now_ms;
	/* A restarted car answers nothing, waves included, until it knows
	 * where the round is: an echo would acknowledge what it cannot apply.
	 * Everything it drops is resent. */
	if (n->is_car && n->car.rejoining && m->type != XR_MSG_REJOIN_STATE &&
	    m->type != XR_MSG_RECOVER && !coordinator_bound(m->type))
		return XR_ESTATE;
	if (m->type == XR_MSG_WAVE)
		return receive_wave(n, m);
	/* A round's log: for the light catching up (light_takeover.c), else
	 * for a car looking for its crossing's index (car.c). */
	if (m->type == XR_MSG_LOG_ROUND) {
		if (n->coordinator == n->cfg.self &&
		    n->light.catchup_round != 0)
			return xr_light_on_log_round(n, m);
		return n->is_car ? xr_car_receive(n, m) : XR_ESTATE;
	}
	if (coordinator_bound(m->type)) {
		if (n->coordinator != n->cfg.self)
			return XR_ESTATE;
		if (m->type == XR_MSG_RECOVER_STATE)
			return xr_light_on_recover_state(n, m);
		return xr_light_receive(n, m);
	}
	return n->is_car ? xr_car_receive(n, m) : XR_EROLE;
}

/* Delivers what the node sent itself during this step, in order. */
static void drain_local(struct xr_node *n)
{
	for (int guard = 0; n->n_local > 0 && guard < 256; guard++) {
		struct xr_msg m = n->local[0];
		n->n_local--;
		memmove(&n->local[0], &n->local[1], n->n_local * sizeof m);
		dispatch(n, &m);
	}
	n->n_local = 0;
}

static int receive(struct xr_node *n, const struct xr_msg *m)
{
	int rv = check_msg(n, m);
	if (rv == XR_ESTATE)
		return rv;
	if (rv != 0) {
		n->rejected++;
		xr_tracef(n, "%s from %u refused: %s -> drop",
			  xr_msg_type_name(m->type), m->from, xr_strerror(rv));
		return rv;
	}
	if (xr_snapshot_observe(n, m))
		return 0;
	rv = dispatch(n, m);
	/* Heard from: alive (light.c, "absent cars"). Only an accepted
	 * message counts, so a refused one changes nothing. */
	if (rv == 0 && n->coordinator == n->cfg.self)
		xr_light_heard(n, m->from);
	return rv;
}

static void start(struct xr_node *n)
{
	n->election.last_heard_ms = n->now_ms;
	if (n->is_car)
		xr_car_start(n);
	if (n->is_light) {
		if (n->coordinator == XR_NOBODY)
			xr_election_start(n, "light restarted");
		else
			xr_light_start(n);
	}
	if (xr_failover_on(n))
		xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}

/* The wave is ticked by each role the node plays, the coordinator's first
 * (a coordinator that is a car ticks it twice: harmless, as a resend waits
 * for resend_ms and a restart for 2 x stall_ms since the last one). */
static void tick(struct xr_node *n)
{
	xr_snapshot_tick(n);
	if (n->coordinator == n->cfg.self) {
		wave_event(n, xr_wave_tick(n));
		xr_light_recover_tick(n);
		xr_light_tick(n);
	}
	if (n->is_car) {
		wave_event(n, xr_wave_tick(n));
		xr_car_tick(n);
	}
	xr_election_tick(n);
}

static int step(struct xr_node *n, const struct xr_event *ev)
{
	switch (ev->type) {
	case XR_EV_START:
		start(n);
		return 0;
	case XR_EV_RECEIVE:
		if (ev->msg == NULL)
			return XR_EINVAL;
		return receive(n, ev->msg);
	case XR_EV_TIMER:
		if ((unsigned)ev->timer >= XR_TIMERS)
			return XR_ERANGE;
		n->timer_at[ev->timer] = XR_NEVER;
		if (ev->timer == XR_TIMER_CROSS) {
			if (n->is_car)
				xr_car_cross_done(n);
		} else if (ev->timer == XR_TIMER_ARRIVAL) {
			if (n->is_car)
				xr_car_vehicle_arrived(n);
		} else {
			tick(n);
		}
		return 0;
	case XR_EV_COMMAND:
		if (ev->op == XR_CMD_SHUTDOWN) {
			xr_out_effect(n, XR_FX_SHUTDOWN);
			return 0;
		}
		if (ev->op == XR_CMD_SNAPSHOT)
			return xr_snapshot_start(n);
		if (n->coordinator != n->cfg.self)
			return XR_EROLE;
		return xr_light_command(n, ev);
	}
	return XR_ERANGE;
}

int xr_node_step(struct xr_node *n, const struct xr_event *ev)
{
	n->out.n_msgs = 0;
	n->out.n_effects = 0;
	n->out.durable_changed = false;
	n->n_local = 0;
	if (ev == NULL)
		return XR_EINVAL;
	if (ev->now_ms > n->now_ms)
		n->now_ms = ev->now_ms;
	/* Compared whole rather than flagged at each of the places that
	 * write it: a new write cannot forget to say so. */
	struct xr_durable before = n->durable;
	/* A car's vehicles count from its first start (arrivals.c). */
	if (ev->type == XR_EV_START && !n->restarted && n->is_car &&
	    n->cfg.arrivals == XR_ARRIVALS_POISSON)
		n->durable.arrivals_from_ms = n->now_ms;
	xr_queue_advance(n);
	int rv = step(n, ev);
	drain_local(n);
	n->out.durable_changed =
		memcmp(&before, &n->durable, sizeof before) != 0;
	return rv;
}

void xr_node_view(const struct xr_node *n, struct xr_node_view *v)
{
	memset(v, 0, sizeof *v);
	v->coordinator = n->coordinator;
	v->epoch = n->coordinator_epoch;
	v->coordinating = n->coordinator == n->cfg.self;
	v->light.round = n->light.round;
	v->light.rounds_done = n->light.rounds_done;
	v->light.rounds_left = n->light.rounds_left;
	v->light.paused = n->light.paused;
	v->light.deadlocks = n->light.deadlocks;
	v->light.n_last_cycle = n->light.n_last_cycle;
	memcpy(v->light.last_cycle, n->light.last_cycle,
	       sizeof v->light.last_cycle);
	v->car.phase = n->car.phase;
	v->car.round = n->car.round;
	v->car.intent = n->car.intent;
	v->car.waits = n->car.waits;
	v->car.deadlocks = n->car.deadlocks;
	v->car.n_last_cycle = n->car.n_last_cycle;
	v->car.arrived = n->queue.arrived;
	memcpy(v->car.last_cycle, n->car.last_cycle, sizeof v->car.last_cycle);
	v->snapshot = n->snap.id;
	v->rejected = n->rejected;
	v->durable = n->durable;
}
