/* The traffic light: runs the rounds, keeps the crossing log that everyone
 * agrees on, notices a stalled round and has the cars look for a cycle, and
 * breaks each cycle it is shown.
 *
 * A round: COLLECT_INTENTS wave -> INTENT_SET wave -> cars cross, reporting
 * Crossed; the light logs each crossing and notifies every car -> when all
 * have crossed, ROUND_END wave with the round's log -> next round.
 *
 * Stall: the light knows who has crossed, and each waiting car reports
 * Blocked with what it knows (log entries seen, overrides applied). When every
 * car still in the round is blocked, not held, and knows everything the light
 * knows, nothing can move: the wait-for graph among them has out-degree >= 1
 * everywhere, so it has a cycle, and the light starts a Chandy-Misra-Haas
 * epoch (Detect to every waiting car). As a fallback against lost reports it
 * also starts one after stall_ms without progress.
 *
 * Breaking a cycle: the light acts on the first cycle reported in an epoch
 * and on no other of that epoch, so every cycle it acts on was real when it
 * was declared (I3): nothing in a cycle moves until the light acts. The
 * winner is the car of the cycle that arrived first, (arrival_ms, id); the
 * override reverses its edge to its successor in the cycle, and to every
 * later car on another cycle through it (also_losers). Every edge it ever
 * reverses points from an earlier car to a later one, and afterwards from
 * the later to the earlier, so each override removes at least one of
 * finitely many "against the arrival order" edges: resolution terminates,
 * and since a graph whose edges all follow the arrival order has no cycle,
 * every round completes (I2). Reversal keeps a direct edge between every
 * conflicting pair, which is what keeps them out of the box together (I1).
 * Probes are started by one car per strongly connected set (initiators). */
#include <string.h>

#include "internal.h"

/* Starts a wave from this coordinator. A coordinator that is a car takes
 * what the wave carries too; not while it rejoins after a restart (as any
 * car, node.c): it would take the intent set without the overrides it had
 * lost, and go by the plain rules against a winner that goes by them (two
 * cars in the box, seed 764811871 star). Its own RejoinState brings all. */
static void start_wave(struct xr_node *n, const struct xr_wave_msg *down)
{
	xr_wave_begin(n, down);
	if (n->is_car && !n->car.rejoining)
		xr_car_wave_join(n, &n->wave.down, &n->wave.up);
	xr_wave_send_down(n);
}

void xr_light_wave_restart(struct xr_node *n)
{
	struct xr_wave_msg down = n->wave.down;
	start_wave(n, &down);
}

static xr_set remaining(const struct xr_node *n)
{
	return n->light.have_intent & ~n->light.crossed;
}

/* The COLLECT wave of the current round; it carries the last round the
 * cluster is to run, so a coordinator that takes over knows it. */
void xr_light_collect(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	l->phase = XR_LIGHT_COLLECTING;
	l->arrival_heard = false;
	struct xr_wave_msg down = {.kind = XR_WAVE_COLLECT_INTENTS,
				   .round = l->round,
				   .target_round = l->round + l->rounds_left};
	/* The coordinator keeps the target too: a takeover before any car
	 * has seen this wave must not conclude that no round is left. */
	if (down.target_round > n->durable.target_round)
		n->durable.target_round = down.target_round;
	start_wave(n, &down);
}

/* Round `round + 1` begins. Its intents come from a COLLECT wave, started
 * here, or (`collected`) from the round end's echo that just completed. */
static void start_round(struct xr_node *n, bool collected)
{
	struct xr_light *l = &n->light;
	l->round++;
	l->n_intents = 0;
	l->have_intent = 0;
	l->n_log = 0;
	l->crossed = 0;
	l->granted = 0;
	l->epoch_acted = false;
	l->detecting = false;
	l->n_overrides = 0;
	l->override_epoch = 0;
	l->proceeding = 0;
	l->proceed_sent = 0;
	l->respread_pending = false;
	memset(l->reports, 0, sizeof l->reports);
	l->last_progress_ms = n->now_ms;
	if (l->rounds_left > 0)
		l->rounds_left--;
	struct xr_effect *fx = xr_out_effect(n, XR_FX_ROUND_START);
	if (fx != NULL)
		fx->round = l->round;
	if (collected) {
		l->phase = XR_LIGHT_COLLECTING;
		xr_tracef(n,
			  "round %u starts, its intents came with the last "
			  "round's end",
			  l->round);
		return;
	}
	xr_tracef(n, "round %u starts -> collect intents", l->round);
	xr_light_collect(n);
}

void xr_light_next_round(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	l->phase = XR_LIGHT_IDLE;
	if (l->rounds_left > 0 && !l->paused) {
		start_round(n, false);
		return;
	}
	if (l->rounds_left == 0) {
		l->phase = XR_LIGHT_DONE;
		xr_out_effect(n, XR_FX_DONE);
		xr_tracef(n, "no rounds left after %u -> done", l->rounds_done);
	}
}

static void progress(struct xr_node *n);
static void check_stall(struct xr_node *n);

void xr_light_start(struct xr_node *n)
{
	xr_light_hear_all(n);
	n->light.rounds_left = n->cfg.rounds;
	/* Open rounds: `rounds` counts each car's vehicles, and the run ends
	 * when every car says its last one crossed. Every round crosses at
	 * least one vehicle but for cars taken out (they come back), so the
	 * budget only stops a run that has gone wrong. */
	if (n->cfg.arrivals == XR_ARRIVALS_POISSON)
		n->light.rounds_left = 2 * n->cfg.rounds * n->cfg.n_cars;
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
	if (n->light.rounds_left > 0)
		start_round(n, false);
}

static void send_notice(struct xr_node *n, uint32_t to,
			const struct xr_crossing *c)
{
	struct xr_msg *m = xr_out_msg(n, to, XR_MSG_NOTICE);
	if (m != NULL)
		m->u.notice.crossing = *c;
}

static void send_proceed(struct xr_node *n, uint32_t winner)
{
	struct xr_msg *m = xr_out_msg(n, winner, XR_MSG_PROCEED);
	if (m == NULL)
		return;
	m->u.proceed.round = n->light.round;
	for (uint32_t i = 0; i < n->light.n_overrides; i++)
		if (n->light.overrides[i].winner == winner)
			m->u.proceed.epoch = n->light.overrides[i].epoch;
}

/* Who initiates the epoch's probes. A proven stall (check_stall: every car
 * left is blocked, and its last report holds its edges now) shows the light
 * the whole wait-for graph: one car of each strongly connected set of cars
 * with a cycle is enough, since its probes come back to it along a cycle of
 * that set. It is the set's first arrival, the winner of any cycle through
 * it. One initiator per set rather than every waiting car: an epoch sends
 * at most |edges| probes per initiator (car_probe.c), and a dense round of
 * 31 cars sent thousands per crossing (issue 15). On the fallback (stall_ms
 * without progress) reports may be stale: every waiting car initiates. */
/* reach[i] bit j: car i waits for car j along the edges the cars of
 * `among` reported, directly or not, through cars of `among` only. A report
 * no longer valid (its car rejoined) counts for none. */
static void reported_reach(const struct xr_light *l, xr_set among,
			   xr_set reach[XR_MAX_NODES])
{
	for (uint32_t id = 0; id < XR_MAX_NODES; id++)
		reach[id] = XR_HAS(among, id) && l->reports[id].valid
				    ? l->reports[id].waits & among
				    : 0;
	for (uint32_t k = 0; k < XR_MAX_NODES; k++)
		for (uint32_t i = 0; i < XR_MAX_NODES; i++)
			if (XR_HAS(reach[i], k))
				reach[i] |= reach[k];
}

static xr_set initiators(const struct xr_node *n, xr_set waiting, bool proven)
{
	const struct xr_light *l = &n->light;
	if (!proven)
		return waiting;
	xr_set reach[XR_MAX_NODES];
	reported_reach(l, waiting, reach);
	xr_set chosen = 0, covered = 0;
	for (uint32_t i = 0; i < XR_MAX_NODES; i++) {
		if (!XR_HAS(reach[i], i) || XR_HAS(covered, i))
			continue;
		xr_set scc = 0;
		for (uint32_t j = 0; j < XR_MAX_NODES; j++)
			if (XR_HAS(reach[i], j) && XR_HAS(reach[j], i))
				scc |= XR_SET(j);
		covered |= scc;
		const struct xr_car_intent *first = NULL;
		for (uint32_t k = 0; k < l->n_intents; k++)
			if (XR_HAS(scc, l->intents[k].car) &&
			    (first == NULL ||
			     xr_arrived_before(&l->intents[k], first)))
				first = &l->intents[k];
		chosen |= XR_SET(first != NULL ? first->car : i);
	}
	return chosen != 0 ? chosen : waiting;
}

static void start_detection(struct xr_node *n, const char *why, bool proven)
{
	struct xr_light *l = &n->light;
	l->epoch++;
	l->epoch_acted = false;
	l->detecting = true;
	l->epoch_started_ms = n->now_ms;
	xr_set waiting = initiators(n, remaining(n), proven);
	xr_tracef(n, "%s -> detect epoch %u at %d cars", why, l->epoch,
		  xr_set_count(waiting));
	for (uint32_t i = 0; i < n->cfg.n_cars; i++) {
		uint32_t c = n->cfg.cars[i];
		if (!XR_HAS(waiting, c))
			continue;
		struct xr_msg *m = xr_out_msg(n, c, XR_MSG_DETECT);
		if (m != NULL) {
			m->u.detect.round = l->round;
			m->u.detect.epoch = l->epoch;
		}
	}
}

static void check_stall(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	if (l->phase != XR_LIGHT_CROSSING || l->proceeding != 0)
		return;
	if (l->detecting && n->now_ms - l->epoch_started_ms < n->cfg.stall_ms)
		return;
	xr_set rest = remaining(n);
	if (rest == 0)
		return;
	for (uint32_t i = 0; i < n->cfg.n_cars; i++) {
		uint32_t c = n->cfg.cars[i];
		const struct xr_car_report *r = &l->reports[c];
		if (!XR_HAS(rest, c))
			continue;
		if (!r->valid || r->held || r->waits == 0 ||
		    r->seen != l->n_log || r->overrides != l->override_epoch)
			return;
	}
	start_detection(n, "every car left is blocked and knows all", true);
}

static void progress(struct xr_node *n)
{
	n->light.last_progress_ms = n->now_ms;
	n->light.detecting = false;
}

void xr_light_spread(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	l->phase = XR_LIGHT_SPREADING;
	struct xr_wave_msg down = {.kind = XR_WAVE_INTENT_SET,
				   .round = l->round,
				   .n_intents = l->n_intents};
	memcpy(down.intents, l->intents, l->n_intents * sizeof l->intents[0]);
	start_wave(n, &down);
}

/* The round's end spreads its log; when another round follows, the same
 * wave collects it (issue 16: one wave less a round): each car takes the log,
 * then joins the next round, and the echo brings the intents back. A pause
 * or the last round ends with a plain end. */
static void start_end_wave(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	l->phase = XR_LIGHT_ENDING;
	l->arrival_heard = false;
	struct xr_wave_msg down = {.kind = XR_WAVE_ROUND_END,
				   .round = l->round,
				   .n_log = l->n_log};
	memcpy(down.log, l->log, l->n_log * sizeof l->log[0]);
	if (l->rounds_left > 0 && !l->paused) {
		down.collect_next = true;
		down.target_round = l->round + l->rounds_left;
		if (down.target_round > n->durable.target_round)
			n->durable.target_round = down.target_round;
	}
	start_wave(n, &down);
}

/* Every car has the intent set: crossing goes on (after spreading again
 * an override a takeover found half-spread). */
void xr_light_resume_crossing(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	if (l->respread_pending) {
		l->phase = XR_LIGHT_OVERRIDING;
		struct xr_wave_msg down = {.kind = XR_WAVE_OVERRIDE,
					   .round = l->round,
					   .has_override = true,
					   .override = l->pending};
		start_wave(n, &down);
		return;
	}
	l->phase = XR_LIGHT_CROSSING;
	progress(n);
	if (remaining(n) == 0) {
		start_end_wave(n);
		return;
	}
	check_stall(n);
}

/* Open rounds: a collect found no vehicle at any line. The round is
 * collected again when a car says one arrived (Arrived), or at once if one
 * did while this collect ran; the run is over once every car has sent its
 * last vehicle. */
static void no_vehicle(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	if ((n->car_set & ~l->lanes_done) == 0) {
		l->phase = XR_LIGHT_DONE;
		xr_out_effect(n, XR_FX_DONE);
		xr_tracef(n,
			  "every car's vehicles crossed -> done after %u "
			  "rounds",
			  l->rounds_done);
		return;
	}
	if (l->arrival_heard) {
		xr_tracef(n, "no vehicle, but one arrived meanwhile -> collect "
			     "again");
		xr_light_collect(n);
		return;
	}
	l->phase = XR_LIGHT_WAITING;
	xr_tracef(n, "no vehicle at any line -> wait for one");
}

static int on_arrived(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_light *l = &n->light;
	if (l->phase == XR_LIGHT_COLLECTING ||
	    (l->phase == XR_LIGHT_ENDING && n->wave.down.collect_next)) {
		l->arrival_heard = true;
		return 0;
	}
	if (l->phase != XR_LIGHT_WAITING)
		return 0; /* the round's end starts the next collect anyway */
	xr_tracef(n, "car %u has a vehicle -> collect round %u again", m->from,
		  l->round);
	xr_light_collect(n);
	return 0;
}

/* The intents of the round are in (a COLLECT wave's echo, or a pipelined
 * round end's): the intent set is spread, or the round collected again. */
static void intents_in(struct xr_node *n, const struct xr_wave_msg *up)
{
	struct xr_light *l = &n->light;
	/* The round is for the cars present: an absent car's
	 * intent (it echoed, then fell silent) is left out. */
	xr_set want = n->car_set & ~l->absent, have = 0;
	for (uint32_t i = 0; i < up->n_intents; i++)
		have |= XR_SET(up->intents[i].car);
	have &= want;
	if (have != want || have == 0) {
		xr_tracef(n,
			  "intents of %d of %d present cars -> collect again",
			  xr_set_count(have), xr_set_count(want));
		xr_light_collect(n);
		return;
	}
	/* Sorted by car id, so the intent set is the same bytes
	 * whatever the order the echoes came back in. A car with
	 * no vehicle sits the round out (open rounds). */
	l->n_intents = 0;
	xr_set vehicles = 0;
	for (uint32_t id = 0; id < XR_MAX_NODES; id++)
		for (uint32_t i = 0; i < up->n_intents; i++) {
			const struct xr_car_intent *in = &up->intents[i];
			if (in->car != id || !XR_HAS(have, id) ||
			    XR_HAS(vehicles, id))
				continue;
			if (in->lane == XR_LANE_DONE)
				l->lanes_done |= XR_SET(id);
			if (in->lane != XR_LANE_VEHICLE)
				continue;
			vehicles |= XR_SET(id);
			l->intents[l->n_intents++] = *in;
		}
	if (vehicles == 0) {
		no_vehicle(n);
		return;
	}
	l->have_intent = vehicles;
	xr_tracef(n, "all %u intents in -> spread the intent set",
		  l->n_intents);
	xr_light_spread(n);
}

void xr_light_wave_done(struct xr_node *n, const struct xr_wave_state *w)
{
	struct xr_light *l = &n->light;
	/* Only a coordinator is a wave's root (set_epoch drops the wave of
	 * a node that stops coordinating). */
	XR_ASSERT(n->coordinator == n->cfg.self);
	switch (w->down.kind) {
	case XR_WAVE_COLLECT_INTENTS:
		intents_in(n, &w->up);
		return;
	case XR_WAVE_INTENT_SET:
		xr_light_resume_crossing(n);
		return;
	case XR_WAVE_OVERRIDE: {
		struct xr_override ov = l->pending;
		l->respread_pending = false;
		bool known = false;
		for (uint32_t i = 0; i < l->n_overrides; i++)
			known = known || l->overrides[i].epoch == ov.epoch;
		if (!known && l->n_overrides < XR_MAX_ROUND_OVERRIDES)
			l->overrides[l->n_overrides++] = ov;
		l->override_epoch = ov.epoch;
		l->phase = XR_LIGHT_CROSSING;
		/* A takeover may spread an override again after its winner
		 * has crossed: nothing is left to wait for from it. */
		if (!XR_HAS(l->crossed, ov.winner))
			l->proceeding |= XR_SET(ov.winner);
		l->proceed_sent |= XR_SET(ov.winner);
		progress(n);
		xr_tracef(n, "override e%u known to all -> %u proceeds",
			  ov.epoch, ov.winner);
		send_proceed(n, ov.winner);
		break;
	}
	case XR_WAVE_ROUND_END:
		/* A coordinator that is also a car logged it as a car. */
		if (n->durable.last_round < l->round)
			for (uint32_t i = 0; i < l->n_log; i++)
				xr_crossing_log_append(n, &l->log[i]);
		l->rounds_done++;
		struct xr_effect *fx = xr_out_effect(n, XR_FX_ROUND_END);
		if (fx != NULL)
			fx->round = l->round;
		xr_tracef(n, "round %u log known to all -> round over",
			  l->round);
		if (w->down.collect_next && l->rounds_left > 0 && !l->paused) {
			start_round(n, true);
			intents_in(n, &w->up);
			return;
		}
		xr_light_next_round(n);
		return;
	case XR_WAVE_NONE:
	case XR_WAVE_KINDS:
		return;
	}
	if (remaining(n) == 0 && l->phase == XR_LIGHT_CROSSING) {
		start_end_wave(n);
		return;
	}
	check_stall(n);
}

/* Is `car` in the open round, not yet crossed (nor taken out)? */
static bool still_in_round(const struct xr_light *l, uint32_t car)
{
	return xr_light_round_open(l) &&
	       XR_HAS(l->have_intent & ~l->crossed, car);
}

/* Does `car`'s last report wait on crossings? A car that waits for nobody
 * (it asks for the grant, failover on) gains an edge only from an override,
 * which it learns from the override's wave and then reports: the others'
 * crossings change nothing for it, and a notice of each made it report again
 * (issue 16: 11 notices and 5.6 Blocked a round of 4 cars, 4 of each
 * needed). Its report's `seen` then lags the log, which no decision reads
 * while it waits for nobody (check_stall wants edges). */
static bool needs_crossings(const struct xr_light *l, uint32_t car)
{
	const struct xr_car_report *r = &l->reports[car];
	return r->valid && (r->waits != 0 || r->held);
}

/* Appends `car` to the round's log, a crossing or (left) a car taken out of
 * the round, and tells those who need it; the crossing car too unless its
 * crossing came in the set's echo (`told`: it learns its place at the
 * round's end, or from our answer should it send Crossed after all). */
static void log_car(struct xr_node *n, uint32_t car, bool left, bool told)
{
	struct xr_light *l = &n->light;
	struct xr_crossing *c = &l->log[l->n_log];
	c->round = l->round;
	c->index = l->n_log++;
	c->car = car;
	c->left = left;
	l->crossed |= XR_SET(car);
	l->proceeding &= ~XR_SET(car);
	progress(n);
	xr_tracef(n, "car %u %s -> log r%u #%u, notify it and the waiting", car,
		  left ? "left the round" : "crossed", c->round, c->index);
	/* The crossing car needs its acknowledgement; a car still waiting
	 * for another needs to drop its edge. The others (crossed, not yet
	 * blocked, or waiting for nobody but the grant) learn it at the
	 * round's end, or from the light's answer to the Blocked report every
	 * waiting car sends. */
	for (uint32_t i = 0; i < n->cfg.n_cars; i++) {
		uint32_t to = n->cfg.cars[i];
		if ((to == car && !told) ||
		    (to != car && !XR_HAS(l->crossed, to) &&
		     needs_crossings(l, to)))
			send_notice(n, to, c);
	}
	if (remaining(n) == 0 && l->phase == XR_LIGHT_CROSSING)
		start_end_wave(n);
}

static int on_crossed(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_light *l = &n->light;
	uint32_t car = m->from;
	if (m->u.crossed.round != l->round || !xr_light_round_open(l) ||
	    !XR_HAS(l->have_intent, car))
		return XR_EROUND;
	if (XR_HAS(l->crossed, car)) {
		const struct xr_crossing *x =
			xr_crossing_log_find(l->log, l->n_log, car);
		if (x != NULL)
			send_notice(n, car, x);
		return 0;
	}
	log_car(n, car, false, false);
	return 0;
}

void xr_light_echo_crossed(struct xr_node *n, const struct xr_wave_msg *w)
{
	struct xr_light *l = &n->light;
	if (w->kind != XR_WAVE_INTENT_SET || w->round != l->round ||
	    !xr_light_round_open(l))
		return;
	for (uint32_t car = 0; car < XR_MAX_NODES; car++) {
		if (!XR_HAS(w->crossed, car) || !XR_HAS(l->have_intent, car) ||
		    XR_HAS(l->crossed, car))
			continue;
		/* Failover on, a car crosses only once granted: a bit for
		 * one we never granted is not a crossing we believe. */
		if (xr_failover_on(n) && !XR_HAS(l->granted, car))
			continue;
		log_car(n, car, false, true);
	}
}

/* A car waits for nobody: it may enter once granted (failover on). The
 * grant goes at once in a heartbeat, with the car's lease.
 *
 * Only a car that has applied every override decided so far is granted: a
 * car that has not yet applied one that makes it a loser computes its edges
 * by the plain rules and may wait for nobody, while the winner is about to
 * be told to go (two cars in the box, seed 30051391 line). Its report says
 * how far it has got; once the wave reaches it, it reports again. */
static void grant(struct xr_node *n, uint32_t car, uint32_t overrides_known)
{
	struct xr_light *l = &n->light;
	if (!xr_failover_on(n) || XR_HAS(l->absent, car))
		return;
	uint32_t decided = xr_light_decided_override(n);
	if (overrides_known < decided) {
		xr_tracef(n,
			  "car %u free to go, knows overrides to e%u of e%u "
			  "-> no grant yet",
			  car, overrides_known, decided);
		return;
	}
	XR_ASSERT(XR_HAS(n->car_set, car));
	l->granted |= XR_SET(car);
	xr_heartbeat_to(n, car);
}

static int on_blocked(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_light *l = &n->light;
	uint32_t car = m->from;
	if (m->u.blocked.round != l->round || !xr_light_round_open(l))
		return XR_EROUND;
	if (XR_HAS(l->crossed, car))
		return 0; /* an old report overtaken by the crossing */
	struct xr_car_report *r = &l->reports[car];
	r->valid = true;
	r->at_ms = n->now_ms;
	r->held = m->u.blocked.held;
	r->seen = m->u.blocked.seen;
	r->overrides = m->u.blocked.overrides;
	/* Its clock, as a heartbeat's ack gives it: the grant below echoes it,
	 * so a car's first grant is not one with a lease of 0 that it must
	 * wait a heartbeat's echo to use (integration_optimal's first round). */
	if (m->u.blocked.stamp_ms > l->ack_stamp_ms[car])
		l->ack_stamp_ms[car] = m->u.blocked.stamp_ms;
	r->waits = 0;
	for (uint32_t i = 0; i < m->u.blocked.n_waits; i++)
		r->waits |= XR_SET(m->u.blocked.waits_for[i]);
	/* A car that holds more than we logged holds entries of an older
	 * numbering (light_takeover.c closes gaps): it gets the whole log again, and
	 * each of our entries replaces what it holds at that index. A car that
	 * waits for nobody gets what it lacks only then (needs_crossings). */
	if (needs_crossings(l, car) || r->seen > l->n_log)
		for (uint32_t i = r->seen <= l->n_log ? r->seen : 0;
		     i < l->n_log; i++)
			send_notice(n, car, &l->log[i]);
	if (r->held && XR_HAS(l->proceed_sent, car))
		send_proceed(n, car);
	if (r->waits == 0 && !r->held)
		grant(n, car, r->overrides);
	if (!r->held)
		l->proceeding &= ~XR_SET(car);
	check_stall(n);
	return 0;
}

static int cycle_index(const struct xr_msg *m, uint32_t car)
{
	for (uint32_t i = 0; i < m->u.deadlock.n_cycle; i++)
		if (m->u.deadlock.cycle[i] == car)
			return (int)i;
	return -1;
}

static const struct xr_car_intent *intent_of(const struct xr_light *l,
					     uint32_t car)
{
	for (uint32_t i = 0; i < l->n_intents; i++)
		if (l->intents[i].car == car)
			return &l->intents[i];
	return NULL;
}

/* The winner goes before every later car of its cycles at once, not only
 * its successor in the one reported: each car it waits for (its last
 * report) that arrived after it and, by the reports, waits for it again in
 * turn. Overriding one edge per epoch made the first car of a dense round
 * win epoch after epoch, once per edge (31 cars: 99 deadlocks a round).
 *
 * Each edge so reversed points from the winner to a later car, as the
 * cycle's own: the arrival-order argument (top of this file) holds, since
 * every reversal still turns an "earlier waits for later" edge into the
 * other way. A report that is stale (the stall_ms fallback) can only name a
 * car the winner no longer waits for; that car then waits for the winner,
 * an edge along the arrival order, which no cycle can be made of alone:
 * safe (I1 needs an edge between conflicting cars, and gets it) and
 * terminating. The cycle reported is the deadlock declared (I3). */
static xr_set also_losers(const struct xr_node *n, uint32_t winner,
			  uint32_t loser)
{
	const struct xr_light *l = &n->light;
	/* Never a granted car: it may be in the box, where nothing makes it
	 * wait. A report that says it waits is one overtaken on the way (it
	 * waits for nobody since its grant): seed 1361217820 ring, 7 cars,
	 * where a Blocked of car 7 sent long before its grant arrived after it
	 * had entered, and the override put car 2 before it. */
	xr_set rest = remaining(n) & ~l->granted;
	if (!l->reports[winner].valid)
		return 0;
	/* The cars from which the winner can be reached again. */
	xr_set reach[XR_MAX_NODES], to_winner = 0;
	reported_reach(l, rest, reach);
	for (uint32_t id = 0; id < XR_MAX_NODES; id++)
		if (XR_HAS(reach[id], winner))
			to_winner |= XR_SET(id);
	xr_set also = l->reports[winner].waits & to_winner & rest &
		      ~XR_SET(winner) & ~XR_SET(loser);
	const struct xr_car_intent *wi = intent_of(l, winner);
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		const struct xr_car_intent *ti = intent_of(l, id);
		if (XR_HAS(also, id) &&
		    (ti == NULL || !xr_arrived_before(wi, ti)))
			also &= ~XR_SET(id);
	}
	return also;
}

static int on_deadlock(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_light *l = &n->light;
	const uint32_t *cycle = m->u.deadlock.cycle;
	uint32_t len = m->u.deadlock.n_cycle;
	if (m->u.deadlock.round != l->round || !xr_light_round_open(l))
		return XR_EROUND;
	if (m->u.deadlock.epoch != l->epoch || l->epoch_acted ||
	    l->phase != XR_LIGHT_CROSSING) {
		xr_tracef(n, "cycle from %u of epoch %u (now %u%s) -> ignore",
			  m->from, m->u.deadlock.epoch, l->epoch,
			  l->epoch_acted ? ", acted" : "");
		return 0;
	}
	xr_set members = 0;
	for (uint32_t i = 0; i < len; i++) {
		/* A car outside the round's intent set cannot be in its
		 * cycle: the report is stale or forged (and the winner's
		 * arrival is read from the set below). */
		if (XR_HAS(members, cycle[i]) || XR_HAS(l->crossed, cycle[i]) ||
		    intent_of(l, cycle[i]) == NULL)
			return XR_EINVAL;
		members |= XR_SET(cycle[i]);
	}
	if (cycle_index(m, m->from) != 0)
		return XR_EINVAL; /* the initiator reports its own cycle */
	uint32_t w = 0;
	for (uint32_t i = 1; i < len; i++)
		if (xr_arrived_before(intent_of(l, cycle[i]),
				      intent_of(l, cycle[w])))
			w = i;
	struct xr_override ov = {.epoch = l->epoch,
				 .winner = cycle[w],
				 .loser = cycle[(w + 1) % len]};
	ov.also = also_losers(n, ov.winner, ov.loser);
	l->epoch_acted = true;
	l->pending = ov;
	l->deadlocks++;
	l->n_last_cycle = len;
	memcpy(l->last_cycle, cycle, len * sizeof cycle[0]);
	char buf[160];
	xr_tracef(n,
		  "cycle %s from %u in epoch %u -> deadlock, %u arrived first "
		  "and goes before %u",
		  xr_ids_str(cycle, len, buf, sizeof buf), m->from, ov.epoch,
		  ov.winner, ov.loser);
	struct xr_effect *fx = xr_out_effect(n, XR_FX_DEADLOCK);
	if (fx != NULL) {
		fx->round = l->round;
		fx->car = ov.winner;
		fx->override = ov;
		fx->n_cycle = len;
		memcpy(fx->cycle, cycle, len * sizeof cycle[0]);
	}
	l->phase = XR_LIGHT_OVERRIDING;
	struct xr_wave_msg down = {.kind = XR_WAVE_OVERRIDE,
				   .round = l->round,
				   .has_override = true,
				   .override = ov};
	start_wave(n, &down);
	return 0;
}

/* Tells `car` where the round is: its intent set, log and overrides (a car
 * that restarted, or was away while the round went on without it). */
static void send_round_state(struct xr_node *n, uint32_t car)
{
	const struct xr_light *l = &n->light;
	struct xr_msg *out = xr_out_msg(n, car, XR_MSG_REJOIN_STATE);
	if (out == NULL)
		return;
	struct xr_rejoin_state *s = &out->u.rejoin_state;
	s->round = l->round;
	s->intents_fixed = xr_light_round_open(l);
	if (s->intents_fixed) {
		s->n_intents = l->n_intents;
		memcpy(s->intents, l->intents,
		       l->n_intents * sizeof l->intents[0]);
		s->n_log = l->n_log;
		memcpy(s->log, l->log, l->n_log * sizeof l->log[0]);
		/* The overrides this car takes part in, then the newest of the
		 * round (so the car knows how far the light has got). An
		 * override whose wave still runs is decided too: the car may
		 * have applied and echoed it before it crashed, and the wave
		 * will not ask it again, and so is one a takeover is about to
		 * spread again (a car without it would go by the rules while
		 * its winner goes by the override). */
		const struct xr_override *last = NULL;
		for (uint32_t i = 0; i <= l->n_overrides; i++) {
			const struct xr_override *ov =
				i < l->n_overrides ? &l->overrides[i] : NULL;
			if (ov == NULL && (l->phase == XR_LIGHT_OVERRIDING ||
					   l->respread_pending))
				ov = &l->pending;
			if (ov == NULL)
				break;
			last = ov;
			if ((ov->winner == car || ov->loser == car ||
			     XR_HAS(ov->also, car)) &&
			    s->n_overrides < XR_MAX_OVERRIDES - 1)
				s->overrides[s->n_overrides++] = *ov;
		}
		if (last != NULL &&
		    (s->n_overrides == 0 ||
		     s->overrides[s->n_overrides - 1].epoch != last->epoch))
			s->overrides[s->n_overrides++] = *last;
		/* Released winners, except the winner of an override whose
		 * wave still runs: that one waits for its own Proceed. */
		for (uint32_t i = 0; i < n->cfg.n_cars; i++) {
			uint32_t c = n->cfg.cars[i];
			if (XR_HAS(l->proceed_sent, c) &&
			    !(l->phase == XR_LIGHT_OVERRIDING &&
			      l->pending.winner == c))
				s->proceed[s->n_proceed++] = c;
		}
	}
}

static int on_rejoin(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_light *l = &n->light;
	uint32_t car = m->from;
	/* Taking over: there is no state to give yet. The car asks again. */
	if (l->phase == XR_LIGHT_RECOVERING)
		return 0;
	/* Present again before the wave below starts: it must be in it. */
	xr_light_heard(n, car);
	l->reports[car].valid = false;
	send_round_state(n, car);
	xr_tracef(n, "car %u rejoins -> send state of round %u", car, l->round);
	/* A car that asks where the round is may have restarted in the middle
	 * of the running wave: its neighbours counted what it sent before the
	 * crash, and it would join again under another parent, so the wave
	 * could complete without the cars behind it (a car left without the
	 * intent set for ever, seed 1641110154 random). The wave starts again
	 * under a new id; what was sent for the old one is dropped as stale. */
	if (xr_wave_pending(n)) {
		struct xr_wave_msg down = n->wave.down;
		start_wave(n, &down);
	}
	return 0;
}

/* ------------------------------------------------------------ absent cars
 *
 * A car the coordinator has not heard from for fail_ms (no heartbeat answer,
 * no message at all) is absent. If it is in the open round and was never
 * granted the box, it is taken out of the round: a `left` entry in the
 * round's log at the place its crossing would have had, so that every car
 * drops its edges to it (as for a crossing) and the round ends without it.
 * Rounds to come are for the cars present. It comes back by speaking again,
 * and is then told where the round it is in stands.
 *
 * The grant, why no crossing is lost (I5) and no car is taken out in the
 * box (I1): a car that waits for nobody asks (a Blocked report with no
 * wait) and enters only once this coordinator, at this epoch, granted it
 * this round (car.c). A granted car may have crossed with its report lost,
 * or be in the box, dead: only it knows, so it is never taken out; the
 * round waits for its Crossed, resent when it is back. A car never granted
 * cannot have entered, so taking it out loses nothing. A new coordinator
 * grants afresh, and hears every car's state first, which a car in the box
 * gives only once out (light_takeover.c).
 *
 * Only a coordinator that hears from a majority of the nodes takes anybody
 * out: one cut off from most of the cluster is the one that is away, and the
 * others may have elected a coordinator of their own.
 *
 * The lease (a stamp of the car's that the coordinator echoed, plus fail_ms,
 * must outlast the crossing) came first and still holds at entry; with the
 * grant it is no longer needed for safety (docs/DECISIONS.md, "Failover"). */
void xr_light_heard(struct xr_node *n, uint32_t car)
{
	struct xr_light *l = &n->light;
	if (!XR_HAS(n->car_set, car))
		return;
	l->heard_ms[car] = n->now_ms;
	if (XR_HAS(l->absent, car)) {
		l->absent &= ~XR_SET(car);
		/* Still in the round (it may have crossed): the round went on
		 * without it, with waves that did not wait for it, so it is
		 * told where the round is. */
		bool in_round = still_in_round(l, car);
		xr_tracef(n, "absent car %u speaks again -> %s", car,
			  in_round ? "send state of the round it is in"
				   : "in the rounds to come");
		if (in_round)
			send_round_state(n, car);
		/* Open rounds: waiting for a vehicle, the light has not heard
		 * whether this car has one, or has sent its last: only a
		 * collect asks (its vehicles all crossed, it sends nothing,
		 * and the run would never end; seed 1113811527 line). */
		if (l->phase == XR_LIGHT_WAITING)
			xr_light_collect(n);
	}
}

void xr_light_hear_all(struct xr_node *n)
{
	for (uint32_t i = 0; i < n->cfg.n_cars; i++)
		n->light.heard_ms[n->cfg.cars[i]] = n->now_ms;
}

/* Does the coordinator hear from a majority of the nodes (the light and
 * the cars, itself included)? Only then does it take anybody out: a
 * coordinator cut off from most of the cluster is the one that is away,
 * and the others may have elected a coordinator of their own; taking
 * them out would end rounds the two decide differently (I4).
 *
 * "Heard within fail_ms" is all it claims. It does not prove that no rival
 * exists: a car heard 400 ms ago may follow a newer coordinator since. A
 * coordinator deposed without knowing it may so take a car out; nobody acts
 * on that: every car it could tell refuses its epoch, and it drops the round
 * when it learns the newer one. The simulator counts such take-outs apart
 * (`by-deposed`) and judges only the newest epoch's; whatever such a node
 * appends to its own log is judged as any append (I4, I5). */
static bool hears_majority(const struct xr_node *n)
{
	uint32_t present = 1; /* itself */
	for (uint32_t i = 0; i < n->cfg.n_cars; i++) {
		uint32_t car = n->cfg.cars[i];
		if (car != n->cfg.self &&
		    n->now_ms - n->light.heard_ms[car] < n->cfg.fail_ms)
			present++;
	}
	return 2 * present > n->cfg.n_cars + 1;
}

static void check_absent(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	if (!xr_failover_on(n) || l->phase == XR_LIGHT_RECOVERING)
		return;
	if (!hears_majority(n)) {
		if (!l->minority)
			xr_tracef(n,
				  "hears from no majority -> take nobody out");
		l->minority = true;
		return;
	}
	l->minority = false;
	for (uint32_t i = 0; i < n->cfg.n_cars; i++) {
		uint32_t car = n->cfg.cars[i];
		if (car == n->cfg.self || XR_HAS(l->absent, car) ||
		    n->now_ms - l->heard_ms[car] < n->cfg.fail_ms)
			continue;
		l->absent |= XR_SET(car);
		bool in_round = still_in_round(l, car);
		/* Granted, it may have crossed with its report lost (or be in
		 * the box, dead): only the car knows, and taking it out would
		 * lose that crossing (I5). The round waits for its Crossed,
		 * resent once it is back. */
		bool awaited = in_round && XR_HAS(l->granted, car);
		bool taken_out = in_round && !awaited;
		xr_tracef(n, "car %u silent for %u ms -> absent%s", car,
			  (unsigned)(n->now_ms - l->heard_ms[car]),
			  taken_out ? ", out of the round"
			  : awaited ? "; it may have crossed -> the round "
				      "waits for it"
				    : "");
		struct xr_effect *fx = xr_out_effect(
			n, awaited ? XR_FX_CAR_AWAITED : XR_FX_CAR_LEFT);
		if (fx != NULL) {
			fx->round = in_round ? l->round : 0;
			fx->car = car;
		}
		if (taken_out)
			log_car(n, car, true, false);
		/* A wave waiting for it starts again without it. */
		struct xr_wave_state *w = &n->wave;
		if (xr_wave_pending(n) && XR_HAS(w->nbrs, car) &&
		    !XR_HAS(w->heard, car)) {
			struct xr_wave_msg down = w->down;
			start_wave(n, &down);
		}
	}
}

int xr_light_receive(struct xr_node *n, const struct xr_msg *m)
{
	switch (m->type) {
	case XR_MSG_CROSSED:
		return on_crossed(n, m);
	case XR_MSG_BLOCKED:
		return on_blocked(n, m);
	case XR_MSG_DEADLOCK:
		return on_deadlock(n, m);
	case XR_MSG_REJOIN:
		return on_rejoin(n, m);
	case XR_MSG_ARRIVED:
		return on_arrived(n, m);
	default:
		return XR_EROLE;
	}
}

void xr_light_tick(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	check_absent(n);
	if (l->phase == XR_LIGHT_CROSSING && remaining(n) != 0 &&
	    n->now_ms - l->last_progress_ms >= n->cfg.stall_ms &&
	    (!l->detecting ||
	     n->now_ms - l->epoch_started_ms >= n->cfg.stall_ms)) {
		start_detection(n, "no progress for stall_ms", false);
		/* A car of the round that has not reported for stall_ms (a
		 * waiting car reports every resend_ms) may not know the set
		 * at all: a restarted car can take a late answer to an older
		 * Rejoin ("between rounds") for the current one and wait for
		 * a wave that has passed (seed 765202411 star). It is told
		 * where the round is; a car that has the set ignores that. */
		xr_set rest = remaining(n) & ~l->absent;
		for (uint32_t i = 0; i < n->cfg.n_cars; i++) {
			uint32_t c = n->cfg.cars[i];
			const struct xr_car_report *r = &l->reports[c];
			if (XR_HAS(rest, c) &&
			    (!r->valid ||
			     n->now_ms - r->at_ms >= n->cfg.stall_ms))
				send_round_state(n, c);
		}
	}
	for (uint32_t i = 0; i < n->cfg.n_cars; i++) {
		uint32_t c = n->cfg.cars[i];
		if (XR_HAS(l->proceeding, c))
			send_proceed(n, c);
	}
	if (xr_light_round_open(l) || xr_wave_pending(n) ||
	    l->phase == XR_LIGHT_RECOVERING)
		xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}

int xr_light_command(struct xr_node *n, const struct xr_event *ev)
{
	struct xr_light *l = &n->light;
	bool resting = l->phase == XR_LIGHT_IDLE || l->phase == XR_LIGHT_DONE;
	switch (ev->op) {
	case XR_CMD_RUN:
		if (ev->rounds == 0 || ev->rounds > 1000000)
			return XR_ERANGE;
		l->rounds_left += ev->rounds;
		xr_tracef(n, "run %u more rounds -> %u left", ev->rounds,
			  l->rounds_left);
		break;
	case XR_CMD_PAUSE:
		l->paused = true;
		xr_tracef(n, "pause -> hold after this round");
		return 0;
	case XR_CMD_RESUME:
		l->paused = false;
		xr_tracef(n, "resume");
		break;
	case XR_CMD_SHUTDOWN:
		return 0;
	default:
		return XR_ERANGE;
	}
	if (resting && !l->paused && l->rounds_left > 0)
		start_round(n, false);
	return 0;
}
