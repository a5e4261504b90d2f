/* A car: says what it wants, derives its own wait-for edges from the round's
 * intent set and the rules (geometry.c), enters the box only when every car
 * it waits for has crossed, and tells the light when it is out.
 *
 * Its edges are its own: they are never sent anywhere except as the targets
 * of its probes (car_probe.c) and as a count in its Blocked reports. Edges
 * change in three ways only: a car it waits for has crossed (the edge goes),
 * an override names it as winner (its edge to the loser goes) or as loser
 * (it now waits for the winner). */
#include <string.h>

#include "internal.h"

/* Which vehicle the car drives this round and the key of its turn: the
 * round itself with arrivals = always (a car has one vehicle per round);
 * its next vehicle with poisson, the same one after a restart since it
 * counts crossings made (durable). */
static uint32_t vehicle_of(const struct xr_node *n, uint32_t round)
{
	return n->cfg.arrivals == XR_ARRIVALS_POISSON ? n->durable.crossings + 1
						      : round;
}

/* An effect about this car's own vehicle (INTENT, ENTER, EXIT): its round,
 * intent, and which vehicle it is (0 with arrivals = always); or NULL. */
static struct xr_effect *car_effect(struct xr_node *n, enum xr_effect_type t)
{
	struct xr_effect *fx = xr_out_effect(n, t);
	if (fx != NULL) {
		fx->round = n->car.round;
		fx->car = n->cfg.self;
		fx->intent = n->car.intent;
		fx->vehicle = n->cfg.arrivals == XR_ARRIVALS_POISSON
				      ? n->car.vehicle
				      : 0;
	}
	return fx;
}

static bool override_known(const struct xr_car *c, uint32_t epoch)
{
	for (uint32_t i = 0; i < c->n_overrides; i++)
		if (c->overrides[i].epoch == epoch)
			return true;
	return false;
}

/* The car's edges now: the schedule's (the rules, or the optimal edges),
 * every override applied as a reversal, minus the cars that have crossed. */
static xr_set compute_waits(const struct xr_node *n)
{
	const struct xr_car *c = &n->car;
	uint32_t self = n->cfg.self;
	xr_set waits = 0;
	if (n->cfg.schedule == XR_SCHEDULE_OPTIMAL)
		waits = c->schedule_waits;
	else
		for (uint32_t i = 0; i < c->n_intents; i++)
			if (xr_yields(&c->intent, &c->intents[i]))
				waits |= XR_SET(c->intents[i].car);
	for (uint32_t i = 0; i < c->n_overrides; i++) {
		const struct xr_override *ov = &c->overrides[i];
		if (ov->winner == self)
			waits &= ~(XR_SET(ov->loser) | ov->also);
		else if (ov->loser == self || XR_HAS(ov->also, self))
			waits |= XR_SET(ov->winner);
	}
	return waits & ~c->crossed;
}

void xr_car_send_blocked(struct xr_node *n)
{
	struct xr_car *c = &n->car;
	struct xr_msg *m = xr_out_to_coordinator(n, XR_MSG_BLOCKED);
	if (m == NULL)
		return;
	m->u.blocked.round = c->round;
	m->u.blocked.seen = c->seen;
	m->u.blocked.overrides = c->override_epoch;
	m->u.blocked.held = c->held;
	m->u.blocked.stamp_ms = n->now_ms;
	c->asked_grant = c->waits == 0 && !c->held;
	c->asked_overrides = c->override_epoch;
	c->asked_lease_ms = n->election.lease_ms;
	c->asked_grant_round = n->election.grant_round;
	for (uint32_t id = 0; id < XR_MAX_NODES; id++)
		if (XR_HAS(c->waits, id))
			m->u.blocked.waits_for[m->u.blocked.n_waits++] = id;
}

/* May the car enter the box now (light.c, "absent cars")? Only once the
 * coordinator of this epoch granted this round: it then knows the car may
 * have crossed and never takes it out. And only under a lease (a stamp of
 * ours it echoed, plus fail_ms, outlasting the crossing), which came before
 * the grant and is no longer needed for safety (docs/DECISIONS.md). */
static bool may_enter(const struct xr_node *n)
{
	if (!xr_failover_on(n))
		return true;
	/* Coordinating ourselves: unless the log we took over has us out,
	 * and only once we have applied every override we decided (as for
	 * any car's grant, light.c; seed 5002440 star). */
	if (n->coordinator == n->cfg.self)
		return !xr_light_took_out(n, n->cfg.self, n->car.round) &&
		       n->car.override_epoch >= xr_light_decided_override(n);
	const struct xr_election *e = &n->election;
	if (e->grant_round != n->car.round ||
	    e->grant_epoch != n->coordinator_epoch)
		return false;
	return e->lease_ms != 0 &&
	       n->now_ms + n->cfg.cross_ms + n->cfg.resend_ms <
		       e->lease_ms + n->cfg.fail_ms;
}

static void enter(struct xr_node *n)
{
	struct xr_car *c = &n->car;
	/* Only a car that knows the round's intent set knows whom to wait
	 * for (I1); or one that restarted in the box, which drives out. */
	XR_ASSERT(c->have_set ||
		  n->durable.entered_round > n->durable.last_crossed_round);
	c->phase = XR_CAR_CROSSING;
	/* Being in the box is a fact a crash does not undo (see start). */
	n->durable.entered_round = c->round;
	car_effect(n, XR_FX_ENTER);
	xr_tracef(n, "waits for nobody%s -> enter the box",
		  c->n_overrides ? " after override" : "");
	n->timer_at[XR_TIMER_CROSS] = n->now_ms + n->cfg.cross_ms;
}

/* Re-derives the edges and moves on if nothing is left to wait for. Sends a
 * Blocked report when still waiting and `report` is set. */
static void reconsider(struct xr_node *n, bool report)
{
	struct xr_car *c = &n->car;
	if (c->phase != XR_CAR_WAITING)
		return;
	/* Its durable state says it crossed this round already (then crashed
	 * and forgot): it never enters twice; it only makes sure the light
	 * logs it. */
	if (c->round != 0 && n->durable.last_crossed_round == c->round) {
		c->phase = XR_CAR_CROSSED;
		c->crossed_ms = n->now_ms;
		xr_tracef(n,
			  "crossed round %u before a restart -> tell the light",
			  c->round);
		xr_timer_arm(n, XR_TIMER_TICK, 0);
		return;
	}
	c->waits = compute_waits(n);
	if (c->waits != 0 || c->held)
		xr_wave_release(n); /* no crossing soon to carry */
	if (c->waits == 0 && !c->held) {
		if (!may_enter(n)) {
			/* Our Blocked report with no wait asks for the grant;
			 * asked already, the tick asks again each resend_ms.
			 * A crossing we hear of meanwhile changes nothing the
			 * coordinator grants on (light.c, grant) nor our lease:
			 * an override we learn, a grant or lease we got (too
			 * old to enter on: ask for a fresh one) do. */
			if (c->asked_grant &&
			    c->asked_overrides == c->override_epoch &&
			    c->asked_lease_ms == n->election.lease_ms &&
			    c->asked_grant_round == n->election.grant_round)
				return;
			xr_tracef(n, "free to go, no grant or lease -> ask the "
				     "coordinator");
			xr_car_send_blocked(n);
			xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
			return;
		}
		enter(n);
		return;
	}
	if (report)
		xr_car_send_blocked(n);
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}

void xr_car_lease_renewed(struct xr_node *n)
{
	if (n->is_car && n->car.phase == XR_CAR_WAITING && !n->car.rejoining)
		reconsider(n, false);
}

static void reset_round(struct xr_car *c, uint32_t round)
{
	uint32_t deadlocks = c->deadlocks;
	uint32_t epoch = c->epoch;
	uint32_t closed = c->closed_epoch;
	uint32_t n_last = c->n_last_cycle;
	bool rejoining = c->rejoining; /* a restart's, not the round's */
	uint32_t last[XR_MAX_CARS];
	memcpy(last, c->last_cycle, sizeof last);
	memset(c, 0, sizeof *c);
	c->rejoining = rejoining;
	c->round = round;
	c->deadlocks = deadlocks;
	c->epoch = epoch; /* detection epochs grow across rounds */
	c->closed_epoch = closed;
	c->n_last_cycle = n_last;
	memcpy(c->last_cycle, last, sizeof last);
}

/* Our crossing has its final place in the round's log, from the round's
 * end (or a LogRound of a round that ended): the shell's report of it to
 * the cloud can carry its index. Not from a notice: a takeover may still
 * renumber an open round's log (light_takeover.c closes gaps). */
static void crossing_indexed(struct xr_node *n, const struct xr_crossing *x)
{
	if (x->car != n->cfg.self || x->left)
		return;
	struct xr_effect *fx = xr_out_effect(n, XR_FX_CROSSING_INDEXED);
	if (fx != NULL) {
		fx->round = x->round;
		fx->car = x->car;
		fx->crossing = *x;
	}
}

/* durable.acked_round is a watermark: every round up to it has had its
 * log seen whole (its end, or a LogRound), so each crossing of ours in it
 * has its index. Round `r`'s log was just seen whole. */
static void rounds_indexed_to(struct xr_node *n, uint32_t r)
{
	if (r == n->durable.acked_round + 1)
		n->durable.acked_round = r;
}

static void record_crossing(struct xr_node *n, const struct xr_crossing *x)
{
	struct xr_car *c = &n->car;
	/* An index we hold for the same car: a duplicate. For another car:
	 * a takeover closed a gap that no car could fill (light_takeover.c) and
	 * renumbered what follows, and the coordinator's numbering wins. The
	 * car we held there still crossed or left (a takeover keeps every
	 * entry a car saw), so it stays in `crossed`; keeping the old entry
	 * instead made us ignore the crossing now at that index and wait for
	 * its car for ever (seed 30113562 ring). */
	if (XR_HAS(c->log_have, x->index) && c->log[x->index].car == x->car)
		return;
	/* The same car at another index is the old numbering's: dropped, or
	 * it would count twice in `seen`, the coordinator would think we hold
	 * the entry now at that index, and never send it (a car waited for
	 * one that had crossed, seed 75828623 star). */
	for (uint32_t i = 0; i < XR_MAX_CARS; i++)
		if (i != x->index && XR_HAS(c->log_have, i) &&
		    c->log[i].car == x->car)
			c->log_have &= ~XR_SET(i);
	c->log[x->index] = *x;
	c->log_have |= XR_SET(x->index);
	c->crossed |= XR_SET(x->car);
	c->seen = 0;
	while (c->seen < XR_MAX_CARS && XR_HAS(c->log_have, c->seen))
		c->seen++;
	if (x->car == n->cfg.self) {
		c->crossed_acked = true;
		/* We crossed before a crash and the light has it. A car in
		 * the box again finishes its crossing; it is already logged. */
		if (c->phase == XR_CAR_WAITING || c->phase == XR_CAR_INTENT)
			c->phase = XR_CAR_CROSSED;
	}
}

/* The optimal schedule's edges of this car (schedule.h): computed by every
 * car from the intent set alone, in arrival order, so that all cars of the
 * round orient every conflict the same way without a word more on the wire
 * (docs/DECISIONS.md, "The optimal schedule in the protocol"). */
static xr_set optimal_waits(const struct xr_node *n)
{
	const struct xr_car *c = &n->car;
	struct xr_car_intent sorted[XR_MAX_CARS];
	struct xr_schedule_plan plan;
	uint32_t k = c->n_intents, self = XR_MAX_CARS;
	memcpy(sorted, c->intents, k * sizeof sorted[0]);
	for (uint32_t i = 1; i < k; i++)
		for (uint32_t j = i;
		     j > 0 && xr_arrived_before(&sorted[j], &sorted[j - 1]);
		     j--) {
			struct xr_car_intent t = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	for (uint32_t i = 0; i < k; i++)
		if (sorted[i].car == n->cfg.self)
			self = i;
	if (self == XR_MAX_CARS || xr_schedule_optimal(sorted, k, &plan) != 0)
		return 0; /* the set was checked on arrival (node.c) */
	xr_set waits = 0;
	for (uint32_t j = 0; j < k; j++)
		if ((plan.waits[self] >> j) & 1u)
			waits |= XR_SET(sorted[j].car);
	return waits;
}

/* The intent set of the round is known: take our place in it. */
static void adopt_intents(struct xr_node *n, const struct xr_car_intent *set,
			  uint32_t count)
{
	struct xr_car *c = &n->car;
	const struct xr_car_intent *mine = NULL;
	for (uint32_t i = 0; i < count; i++)
		if (set[i].car == n->cfg.self)
			mine = &set[i];
	if (mine == NULL) {
		xr_tracef(n, "intent set of round %u lacks us -> ignore",
			  c->round);
		return;
	}
	c->n_intents = count;
	memcpy(c->intents, set, count * sizeof set[0]);
	c->intent = *mine;
	c->vehicle = vehicle_of(n, c->round);
	c->have_set = true;
	if (n->cfg.schedule == XR_SCHEDULE_OPTIMAL)
		c->schedule_waits = optimal_waits(n);
	if (c->phase == XR_CAR_IDLE || c->phase == XR_CAR_INTENT)
		c->phase = XR_CAR_WAITING;
}

static void apply_override(struct xr_node *n, const struct xr_override *ov,
			   bool proceed_known)
{
	struct xr_car *c = &n->car;
	uint32_t self = n->cfg.self;
	c->after_deadlock = true;
	if (ov->epoch > c->override_epoch) {
		c->override_epoch = ov->epoch;
		c->has_last_override = true;
		c->last_override = *ov;
	}
	/* The epoch's cycle is broken: its probes are stale from now on. */
	if (ov->epoch > c->closed_epoch)
		c->closed_epoch = ov->epoch;
	/* A car keeps only the overrides that change its own edges. */
	if ((ov->winner != self && ov->loser != self &&
	     !XR_HAS(ov->also, self)) ||
	    override_known(c, ov->epoch) || c->n_overrides >= XR_MAX_OVERRIDES)
		return;
	c->overrides[c->n_overrides++] = *ov;
	if (ov->winner == self && !XR_HAS(c->crossed, self) && !proceed_known) {
		c->held = true;
		c->held_epoch = ov->epoch;
	}
	c->deadlocks++;
	xr_tracef(n, "override e%u: %u before %u -> %s", ov->epoch, ov->winner,
		  ov->loser,
		  ov->winner == self ? "hold until Proceed"
				     : "wait for the winner");
}

static void make_intent(struct xr_node *n)
{
	struct xr_car *c = &n->car;
	c->vehicle = vehicle_of(n, c->round);
	c->intent.car = n->cfg.self;
	int i = xr_node_car_index(n, n->cfg.self);
	c->intent.approach = n->cfg.approaches[i];
	c->intent.turn = xr_pick_turn(n->cfg.seed, n->cfg.self, c->vehicle,
				      n->cfg.weights);
	/* First come, first served by the vehicle's arrival at the line;
	 * with always, by the car's joining the round. */
	c->intent.arrival_ms = n->cfg.arrivals == XR_ARRIVALS_POISSON
				       ? xr_vehicle_arrived_ms(n, c->vehicle)
				       : n->now_ms;
	c->phase = XR_CAR_INTENT;
	car_effect(n, XR_FX_INTENT);
}

/* The collect of `round` reached us (a COLLECT wave, or a ROUND_END that
 * also collects the next round): our intent, or that we sit it out, into
 * the echo. */
static void join_collect(struct xr_node *n, uint32_t round, uint32_t target,
			 struct xr_wave_msg *up)
{
	struct xr_car *c = &n->car;
	/* Durable: a coordinator taking over learns from the cars
	 * how many rounds the cluster was asked to run. */
	if (target > n->durable.target_round)
		n->durable.target_round = target;
	/* A new round; or ours with no intent of ours yet: a round
	 * learnt from a wave or a state that lacked us has our
	 * number and an empty intent, which no coordinator accepts
	 * (an echo refused for ever, seed 30008232 ring). */
	bool new_round = round > c->round || c->round == 0;
	if (new_round || (round == c->round && !c->have_set &&
			  c->intent.car != n->cfg.self)) {
		if (new_round)
			reset_round(c, round);
		/* Open rounds: with no vehicle at the line the car sits
		 * the round out, and says so; a later collect of the
		 * same round (after its Arrived) asks again. */
		enum xr_lane lane = xr_lane_now(n);
		if (lane != XR_LANE_VEHICLE) {
			up->intents[0] = (struct xr_car_intent){
				.car = n->cfg.self, .lane = lane};
			up->n_intents = 1;
			xr_tracef(n, "round %u: %s -> sit it out", c->round,
				  lane == XR_LANE_DONE
					  ? "every vehicle crossed"
					  : "no vehicle at the line");
			return;
		}
		make_intent(n);
		xr_tracef(n, "round %u: %s %s -> tell the light", c->round,
			  xr_approach_name(c->intent.approach),
			  xr_turn_name(c->intent.turn));
	}
	if (round == c->round) {
		up->intents[0] = c->intent;
		up->n_intents = 1;
	}
}

/* A round's end with its whole log: every crossing of it recorded, the log
 * appended (once), and the car between rounds. */
static void join_round_end(struct xr_node *n, const struct xr_wave_msg *down)
{
	struct xr_car *c = &n->car;
	if (down->round < c->round)
		return;
	if (down->round > c->round)
		reset_round(c, down->round);
	for (uint32_t i = 0; i < down->n_log; i++) {
		record_crossing(n, &down->log[i]);
		if (down->round > n->durable.acked_round)
			crossing_indexed(n, &down->log[i]);
	}
	rounds_indexed_to(n, down->round);
	if (n->durable.last_round < down->round)
		for (uint32_t i = 0; i < down->n_log; i++)
			xr_crossing_log_append(n, &down->log[i]);
	c->phase = XR_CAR_IDLE;
}

/* Free to go when the intent set reaches us (asking for the grant, or in
 * the box already): the set's echo waits until we are out, and carries our
 * crossing instead of a Crossed of its own (issue 16: one message and its
 * answer less per crossing). Only when the crossing fits in the hold
 * (cross_ms under XR_WAVE_HOLD_MS): a longer one would only keep the light
 * in SPREADING, where it does not look for stalls. The wave gives up the
 * hold after XR_WAVE_HOLD_MS (wave.c), and a car that finds itself waiting
 * after all (an override) lets it go at once (reconsider). */
static void hold_echo(struct xr_node *n)
{
	const struct xr_car *c = &n->car;
	if (n->cfg.cross_ms >= XR_WAVE_HOLD_MS(n))
		return;
	if ((c->phase == XR_CAR_WAITING && c->waits == 0 && !c->held) ||
	    c->phase == XR_CAR_CROSSING)
		xr_wave_hold(n);
}

/* Does the set's wave still wait for our echo? Then our crossing rides it. */
static bool echo_held_for(const struct xr_node *n, uint32_t round)
{
	const struct xr_wave_state *w = &n->wave;
	return w->active && w->held && !w->done && !w->is_root &&
	       w->down.kind == XR_WAVE_INTENT_SET && w->down.round == round;
}

void xr_car_wave_join(struct xr_node *n, const struct xr_wave_msg *down,
		      struct xr_wave_msg *up)
{
	struct xr_car *c = &n->car;
	switch (down->kind) {
	case XR_WAVE_COLLECT_INTENTS:
		join_collect(n, down->round, down->target_round, up);
		return;
	case XR_WAVE_INTENT_SET:
		if (down->round < c->round)
			return;
		if (down->round > c->round)
			reset_round(c, down->round);
		if (!c->have_set) {
			adopt_intents(n, down->intents, down->n_intents);
			reconsider(n, true);
			hold_echo(n);
		}
		return;
	case XR_WAVE_OVERRIDE:
		if (down->round != c->round || !c->have_set)
			return;
		apply_override(n, &down->override, false);
		reconsider(n, true);
		return;
	case XR_WAVE_ROUND_END:
		join_round_end(n, down);
		/* Pipelined (light.c): the same wave collects the next
		 * round, whether or not this car was still in the last. */
		if (down->collect_next)
			join_collect(n, down->round + 1, down->target_round,
				     up);
		return;
	case XR_WAVE_NONE:
	case XR_WAVE_KINDS:
		return;
	}
}

void xr_car_cross_done(struct xr_node *n)
{
	struct xr_car *c = &n->car;
	if (c->phase != XR_CAR_CROSSING)
		return;
	c->phase = XR_CAR_CROSSED;
	c->crossed_ms = n->now_ms;
	/* Counted once per round, however often a crash makes it cross. */
	if (c->round > n->durable.last_crossed_round) {
		n->durable.crossings++;
		n->durable.last_crossed_round = c->round;
	}
	struct xr_effect *fx = car_effect(n, XR_FX_EXIT);
	if (fx != NULL) {
		fx->at_ms = n->now_ms;
		fx->after_deadlock = c->after_deadlock;
	}
	/* Unacknowledged either way: the tick sends Crossed after resend_ms
	 * until the light's notice or the round's end says it is logged. */
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
	if (echo_held_for(n, c->round)) {
		xr_tracef(n, "out of the box -> tell the light in the set's "
			     "echo");
		n->wave.up.crossed |= XR_SET(n->cfg.self);
		xr_wave_release(n);
		return;
	}
	xr_tracef(n, "out of the box -> tell the light");
	struct xr_msg *m = xr_out_to_coordinator(n, XR_MSG_CROSSED);
	if (m != NULL) {
		m->u.crossed.round = c->round;
		m->u.crossed.crossed_ms = c->crossed_ms;
	}
}

static void send_rejoin(struct xr_node *n)
{
	struct xr_msg *m = xr_out_to_coordinator(n, XR_MSG_REJOIN);
	if (m != NULL)
		m->u.rejoin.round = n->durable.last_round;
}

/* A new coordinator: what this car was waiting on the old one for, it asks
 * the new one (the rest is resent by the tick anyway). */
void xr_car_new_coordinator(struct xr_node *n)
{
	if (!n->is_car)
		return;
	if (n->car.rejoining)
		send_rejoin(n);
	else if (n->car.phase == XR_CAR_WAITING)
		xr_car_send_blocked(n);
}

void xr_car_catch_up(struct xr_node *n)
{
	if (!n->is_car || n->car.rejoining || n->coordinator == n->cfg.self)
		return;
	n->car.rejoining = true;
	send_rejoin(n);
}

/* The car's answer to Recover. */
void xr_car_on_recover(struct xr_node *n)
{
	const struct xr_car *c = &n->car;
	/* Not while in the box: a coordinator that resumes without knowing
	 * we are inside (it may have lost the round we entered in) could let
	 * a car in across our path. It asks again until we are out. */
	if (c->phase == XR_CAR_CROSSING) {
		xr_tracef(n, "asked for our state while in the box -> answer "
			     "once out");
		return;
	}
	struct xr_msg *m = xr_out_msg(n, n->coordinator, XR_MSG_RECOVER_STATE);
	if (m == NULL)
		return;
	struct xr_recover_state *r = &m->u.recover_state;
	struct xr_rejoin_state *s = &r->state;
	s->round = c->round;
	s->intents_fixed = c->have_set;
	if (c->have_set) {
		s->n_intents = c->n_intents;
		memcpy(s->intents, c->intents,
		       c->n_intents * sizeof c->intents[0]);
	}
	for (uint32_t i = 0; i < XR_MAX_CARS; i++)
		if (XR_HAS(c->log_have, i))
			s->log[s->n_log++] = c->log[i];
	s->n_overrides = c->n_overrides;
	memcpy(s->overrides, c->overrides,
	       c->n_overrides * sizeof c->overrides[0]);
	r->crossed_round = n->durable.last_crossed_round;
	r->held = c->held;
	r->override_epoch = c->override_epoch;
	r->has_last_override = c->has_last_override;
	r->last_override = c->last_override;
	r->logged_round = n->durable.last_round;
	r->target_round = n->durable.target_round;
	r->detect_epoch = c->epoch;
	r->log_count = n->durable.log_count;
	r->log_digest = n->durable.log_digest;
	r->left_count = n->durable.left_count;
	r->n_last_log = n->durable.last_log_n;
	memcpy(r->last_log, n->durable.last_log,
	       n->durable.last_log_n * sizeof r->last_log[0]);
}

void xr_car_start(struct xr_node *n)
{
	/* A first start has acknowledged nothing yet: it simply answers the
	 * waves. A restart may have, so it asks where the round is first. */
	if (!n->restarted) {
		xr_tracef(n, "first start -> wait for a wave");
		return;
	}
	n->car.rejoining = true;
	xr_tracef(n, "restart with %u logged crossings -> ask the light",
		  n->durable.log_count);
	send_rejoin(n);
	/* It crashed in the box: it is still there, whatever anyone
	 * remembers of the round, so it drives on out before anything else
	 * (the others' edges to it may be lost with a crashed coordinator). */
	struct xr_car *c = &n->car;
	if (n->durable.entered_round > n->durable.last_crossed_round) {
		c->round = n->durable.entered_round;
		c->intent.car = n->cfg.self;
		c->intent.approach =
			n->cfg.approaches[xr_node_car_index(n, n->cfg.self)];
		c->vehicle = vehicle_of(n, c->round);
		c->intent.turn = xr_pick_turn(n->cfg.seed, n->cfg.self,
					      c->vehicle, n->cfg.weights);
		/* Nobody takes a car out of a round it may have entered
		 * (light.c, "absent cars"), and no coordinator resumes a round
		 * while a car is in the box (it answers Recover only once out,
		 * xr_car_on_recover). */
		xr_tracef(n, "restarted in the box in round %u -> drive out",
			  c->round);
		enter(n);
	}
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}

static void on_rejoin_state(struct xr_node *n, const struct xr_rejoin_state *s)
{
	struct xr_car *c = &n->car;
	/* The state of a round before ours is never adopted: it would
	 * install that round's intent set and our turn of then, and the real
	 * set of our round would be ignored (a car driving an old round's
	 * path, seed 30031402 complete). It is an answer overtaken by the
	 * waves; or the coordinator is behind us, ending that round again
	 * with a wave that also collects ours (light_takeover.c, half_ended),
	 * which we joined before we began to ask (a car that asks holds its
	 * round: it was cut off, or is in the box). Then the answer is to wait
	 * for that wave: asking again restarts it, for ever (seeds 458836382
	 * star, 484642238 line). */
	if (s->round < c->round) {
		bool waits = c->rejoining;
		c->rejoining = false;
		xr_tracef(n, "state of round %u while in round %u -> %s",
			  s->round, c->round,
			  waits ? "coordinator behind us, wait for its wave"
				: "stale, ignore");
		return;
	}
	/* Unasked, the coordinator sends it to a car that was away while the
	 * round went on: taken only when it tells us a round we lack. Else a
	 * duplicate answer. */
	bool news = s->intents_fixed && (s->round > c->round || !c->have_set);
	if (!c->rejoining && !news)
		return;
	c->rejoining = false;
	if (!s->intents_fixed || s->round <= n->durable.last_round) {
		xr_tracef(n, "light is between rounds (r%u) -> wait for a wave",
			  s->round);
		/* Where the cluster is, though: every round before it is
		 * over, and so is ours if it is that one (a crossing of ours
		 * in one may need its index). */
		if (s->round > c->round && c->phase != XR_CAR_CROSSING)
			reset_round(
				c,
				s->round); /* ours is over (seed 1745620001 complete) */
		/* And that one is over too, for a car that crossed in it:
		 * the light collects no round a car crossed in. The run's
		 * last round, whose end a car restarted after crossing
		 * missed, is no later round's (seed 431283691 line). */
		if (s->round == c->round)
			c->round_over = true;
		return;
	}
	/* Waves keep flowing while we wait for this answer, so the round may
	 * already be under way here (even with us in the box): merge, never
	 * start the round over. */
	if (s->round > c->round || !c->have_set) {
		if (s->round > c->round)
			reset_round(c, s->round);
		adopt_intents(n, s->intents, s->n_intents);
	}
	if (!c->have_set || s->round != c->round)
		return;
	for (uint32_t i = 0; i < s->n_log; i++)
		record_crossing(n, &s->log[i]);
	for (uint32_t i = 0; i < s->n_overrides; i++) {
		bool told = false;
		for (uint32_t k = 0; k < s->n_proceed; k++)
			told = told || s->proceed[k] == n->cfg.self;
		apply_override(n, &s->overrides[i], told);
	}
	if (XR_HAS(c->crossed, n->cfg.self)) {
		c->phase = XR_CAR_CROSSED;
		c->crossed_acked = true;
	}
	xr_tracef(n, "rejoined round %u with %u crossings -> %s", c->round,
		  c->seen, c->phase == XR_CAR_CROSSED ? "done" : "reconsider");
	reconsider(n, true);
}

static int on_notice(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_car *c = &n->car;
	const struct xr_crossing *x = &m->u.notice.crossing;
	/* A late one of a round over here: the round's end, which also took
	 * us into the next round (light.c, pipelined), overtook it. */
	if (x->round < c->round && x->round <= n->durable.last_round)
		return 0;
	if (x->round != c->round || !c->have_set)
		return XR_EROUND;
	uint32_t before = c->seen;
	record_crossing(n, x);
	reconsider(n, c->seen != before);
	return 0;
}

static int on_proceed(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_car *c = &n->car;
	if (m->u.proceed.round != c->round)
		return XR_EROUND;
	if (!c->held || m->u.proceed.epoch != c->held_epoch)
		return 0;
	c->held = false;
	xr_tracef(n, "proceed e%u -> may go", m->u.proceed.epoch);
	reconsider(n, true);
	return 0;
}

/* A crossing of ours whose index we never learnt: its round ended while we
 * were away (cut off, or down), so its end never reached us (docs/
 * FAILURES.md, once "a known gap"). The logs of the nodes that were there
 * hold it: each round after the watermark (rounds_indexed_to) up to our
 * last crossing is asked for in turn, from every node, until one that
 * holds it answers (LogFetch; a shell answers from its log, node.h). */
static uint32_t crossing_unindexed(const struct xr_node *n)
{
	uint32_t r = n->durable.acked_round + 1;
	return r <= n->durable.last_crossed_round ? r : 0;
}

/* Time to ask: once round r is over, as we are in a later round, or were
 * told the coordinator is between rounds at r (a run's last round has no
 * later one). Asking about a round still open costs one message per node:
 * no node holds it, so the answers say "not held". */
static bool time_to_fetch(const struct xr_node *n, uint32_t r)
{
	const struct xr_car *c = &n->car;
	return !c->rejoining &&
	       (c->round > r || (c->round == r && c->round_over));
}

static void fetch_index(struct xr_node *n, uint32_t round)
{
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		if (!XR_HAS(n->members, id) || id == n->cfg.self)
			continue;
		struct xr_msg *m = xr_out_msg(n, id, XR_MSG_LOG_FETCH);
		if (m != NULL)
			m->u.log_fetch.round = round;
	}
}

static int on_log_round(struct xr_node *n, const struct xr_msg *m)
{
	uint32_t r = m->u.log_round.round;
	if (r == 0 || r != crossing_unindexed(n) || !m->u.log_round.held)
		return 0; /* late, repeated, or from a node that was away */
	const struct xr_crossing *x = xr_crossing_log_find(
		m->u.log_round.log, m->u.log_round.n_log, n->cfg.self);
	if (x != NULL && !x->left) {
		xr_tracef(n,
			  "round %u from %u holds our crossing at #%u -> "
			  "indexed",
			  r, m->from, x->index);
		crossing_indexed(n, x);
	}
	rounds_indexed_to(n, r);
	return 0;
}

int xr_car_receive(struct xr_node *n, const struct xr_msg *m)
{
	switch (m->type) {
	case XR_MSG_NOTICE:
		return on_notice(n, m);
	case XR_MSG_DETECT:
		return xr_car_on_detect(n, m);
	case XR_MSG_PROBE:
		return xr_car_on_probe(n, m);
	case XR_MSG_PROCEED:
		return on_proceed(n, m);
	case XR_MSG_REJOIN_STATE:
		on_rejoin_state(n, &m->u.rejoin_state);
		return 0;
	case XR_MSG_RECOVER:
		xr_car_on_recover(n);
		return 0;
	case XR_MSG_LOG_ROUND:
		return on_log_round(n, m);
	default:
		return XR_EROLE;
	}
}

/* Open rounds: a vehicle waits at our line and no round of ours has it
 * (we sat the last collect out, or are between rounds): the coordinator
 * is told, and told again each resend_ms until a collect takes it. */
static bool vehicle_unasked(const struct xr_node *n)
{
	return n->cfg.arrivals == XR_ARRIVALS_POISSON && !n->car.rejoining &&
	       n->car.phase == XR_CAR_IDLE && xr_lane_now(n) == XR_LANE_VEHICLE;
}

static void send_arrived(struct xr_node *n)
{
	struct xr_msg *m = xr_out_to_coordinator(n, XR_MSG_ARRIVED);
	if (m != NULL)
		m->u.arrived.round = n->car.round;
}

void xr_car_vehicle_arrived(struct xr_node *n)
{
	if (!vehicle_unasked(n))
		return;
	xr_tracef(n,
		  "vehicle %u at the line, in no round -> tell the "
		  "coordinator",
		  n->durable.crossings + 1);
	send_arrived(n);
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}

void xr_car_tick(struct xr_node *n)
{
	struct xr_car *c = &n->car;
	bool again = false;
	if (vehicle_unasked(n)) {
		send_arrived(n);
		again = true;
	}
	if (c->rejoining) {
		send_rejoin(n);
		again = true;
	} else if (c->phase == XR_CAR_WAITING) {
		xr_car_send_blocked(n);
		again = true;
	} else if (c->phase == XR_CAR_CROSSED && !c->crossed_acked) {
		struct xr_msg *m = xr_out_to_coordinator(n, XR_MSG_CROSSED);
		if (m != NULL) {
			m->u.crossed.round = c->round;
			m->u.crossed.crossed_ms = c->crossed_ms;
		}
		again = true;
	}
	/* Armed only while asking: a tick re-armed for nothing would shift
	 * every later resend. */
	uint32_t unindexed = crossing_unindexed(n);
	if (unindexed != 0 && time_to_fetch(n, unindexed)) {
		fetch_index(n, unindexed);
		again = true;
	}
	if (again)
		xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}
