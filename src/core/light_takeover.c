/* A new coordinator takes over a round in the middle: it asks every car for
 * its view (Recover), merges the answers, and goes on from where the old
 * coordinator was, re-running only what some car may have missed.
 *
 * Why the merge is enough: everything the old coordinator decided reached
 * the cars before it mattered. A crossing counts once the crossing car
 * knows the light logged it, or, if the notice was lost, once the car resends
 * `Crossed`, which the new coordinator logs. The intent set and every
 * override but the newest were spread by waves that completed, so every car
 * has them; the newest override may have reached only some cars, so if any
 * car lacks it the coordinator spreads it again before releasing its winner.
 * A round whose end wave reached some cars is over for all (every car had
 * crossed), and the end wave is re-run so the rest log it too.
 *
 * All of that holds only if the merge hears from every car: a car that
 * follows us has stopped listening to any older coordinator, so once all
 * have answered, what they told us is all that any coordinator before us
 * made anyone know. Resuming without a car that was merely cut off (or
 * following a rival coordinator of the same epoch) loses what only it
 * knows: an override it holds as a winner, a crossing acknowledged to it,
 * an index it holds for another car. So the takeover waits for every car,
 * however long; the round could not end without them anyway. */
#include <string.h>

#include "internal.h"

void xr_light_takeover(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	uint32_t deadlocks = l->deadlocks;
	memset(l, 0, sizeof *l);
	l->deadlocks = deadlocks;
	l->phase = XR_LIGHT_RECOVERING;
	l->star = n->cfg.self != n->cfg.light;
	/* Wave ids only grow, across coordinators too. */
	l->next_wave = (n->coordinator_epoch << 20) + 1;
	n->wave.active = false;
	xr_light_hear_all(n); /* nobody is absent before fail_ms from now */
	for (uint32_t i = 0; i < n->cfg.n_cars; i++)
		xr_out_msg(n, n->cfg.cars[i], XR_MSG_RECOVER);
	xr_tracef(n, "take over at epoch %u -> ask %u cars for their state",
		  n->coordinator_epoch, n->cfg.n_cars);
	xr_timer_arm(n, XR_TIMER_TICK, n->cfg.resend_ms);
}

static bool in_log(const struct xr_light *l, uint32_t car)
{
	return xr_crossing_log_find(l->log, l->n_log, car) != NULL;
}

static bool have_override(const struct xr_light *l, uint32_t epoch)
{
	for (uint32_t i = 0; i < l->n_overrides; i++)
		if (l->overrides[i].epoch == epoch)
			return true;
	return false;
}

static void add_override(struct xr_light *l, const struct xr_override *ov)
{
	if (have_override(l, ov->epoch) ||
	    l->n_overrides >= XR_MAX_ROUND_OVERRIDES)
		return;
	/* Kept in epoch order, as the old coordinator had them. */
	uint32_t at = l->n_overrides;
	while (at > 0 && l->overrides[at - 1].epoch > ov->epoch) {
		l->overrides[at] = l->overrides[at - 1];
		at--;
	}
	l->overrides[at] = *ov;
	l->n_overrides++;
}

/* The cars of the round: those in its intent set. */
static xr_set intent_cars(const struct xr_light *l)
{
	xr_set cars = 0;
	for (uint32_t i = 0; i < l->n_intents; i++)
		cars |= XR_SET(l->intents[i].car);
	return cars;
}

/* Cars that say they crossed in `round` (durable) and are not in its log. */
static xr_set unacked_crossers(const struct xr_light *l, uint32_t round)
{
	xr_set unacked = 0;
	for (uint32_t id = 0; id < XR_MAX_NODES; id++)
		if (XR_HAS(l->recover_have, id) &&
		    l->recovered[id].crossed_round == round && !in_log(l, id))
			unacked |= XR_SET(id);
	return unacked;
}

/* Logs every unacknowledged crossing of `round` at the end of the log. */
static void log_unacked(struct xr_node *n, uint32_t round)
{
	struct xr_light *l = &n->light;
	xr_set unacked = unacked_crossers(l, round);
	while (unacked && l->n_log < XR_MAX_CARS) {
		uint32_t car = (uint32_t)__builtin_ctzll(unacked);
		unacked &= ~XR_SET(car);
		l->log[l->n_log] = (struct xr_crossing){
			.round = round, .index = l->n_log, .car = car};
		l->crossed |= XR_SET(car);
		xr_tracef(n, "car %u crossed round %u, unlogged -> log #%u",
			  car, round, l->n_log);
		l->n_log++;
	}
}

/* ------------------------------------------------------------ catching up
 *
 * The light is the node whose log holds every round (I4): the crossing log
 * everyone agrees on. One that comes back (restarted, or cut off while cars
 * coordinated) has missed the rounds that ended without it, and appends
 * nothing after a gap: it fetches each missed round, in order, from the
 * cars that logged that far (LogFetch), and appends the first whole answer
 * (LogRound) as its own. Every holder of a round holds the same entries
 * (I4), so any answer will do; a car away when the round ended says it
 * does not hold it. The core keeps only the last round, so a car's shell
 * answers from its log file (node.h). Only then does the takeover resume:
 * a car that missed rounds is allowed to (it was away), the light is not.
 * Taking the count and digest of the longest car log instead, as the light
 * once did, misses whatever that car was away for (the light lost log
 * entries, seed 30014015 star). */
static void send_fetch(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		if (!XR_HAS(l->recover_have, id) ||
		    l->recovered[id].logged_round < l->catchup_round)
			continue;
		struct xr_msg *m = xr_out_msg(n, id, XR_MSG_LOG_FETCH);
		if (m != NULL)
			m->u.log_fetch.round = l->catchup_round;
	}
}

static void catch_up(struct xr_node *n, uint32_t to)
{
	struct xr_light *l = &n->light;
	if (l->catchup_round == 0) {
		l->catchup_round = n->durable.last_round + 1;
		xr_tracef(n, "missed rounds %u..%u -> fetch them from the cars",
			  l->catchup_round, to);
	}
	l->catchup_to = to;
	send_fetch(n);
}

static void finish(struct xr_node *n);

int xr_light_on_log_round(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_light *l = &n->light;
	uint32_t r = m->u.log_round.round;
	if (l->phase != XR_LIGHT_RECOVERING || l->catchup_round == 0 ||
	    r != l->catchup_round || !m->u.log_round.held ||
	    m->u.log_round.n_log == 0)
		return 0; /* late, repeated, or from a car that was away */
	for (uint32_t i = 0; i < m->u.log_round.n_log; i++)
		xr_crossing_log_append(n, &m->u.log_round.log[i]);
	xr_tracef(n, "round %u from car %u: %u entries -> logged", r, m->from,
		  m->u.log_round.n_log);
	if (r >= l->catchup_to) {
		l->catchup_round = 0;
		finish(n);
		return 0;
	}
	l->catchup_round = r + 1;
	send_fetch(n);
	return 0;
}

/* The takeover's merge, phase by phase (finish() below runs them in order). */

/* What the cars' answers say of where the cluster is. */
struct progress {
	uint32_t
		round; /* the newest round any car started, crossed or logged */
	uint32_t target; /* the last round to run */
	uint32_t logged; /* the newest round any car logged */
	uint32_t detect; /* the newest detection epoch */
};

static struct progress merge_progress(const struct xr_light *l)
{
	struct progress p = {0};
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		if (!XR_HAS(l->recover_have, id))
			continue;
		const struct xr_recover_state *r = &l->recovered[id];
		if (r->state.round > p.round)
			p.round = r->state.round;
		if (r->target_round > p.target)
			p.target = r->target_round;
		if (r->logged_round > p.logged)
			p.logged = r->logged_round;
		/* A round some car crossed in had started, whatever the
		 * others (restarted, say) still know of it. */
		if (r->crossed_round > p.round)
			p.round = r->crossed_round;
		if (r->detect_epoch > p.detect)
			p.detect = r->detect_epoch;
	}
	if (p.logged > p.round)
		p.round = p.logged;
	return p;
}

/* Which cars logged the round and which hold its intent set; the set is
 * taken from the first car that holds it. */
struct set_holders {
	bool all_logged, any_set, some_lack_set;
};

static struct set_holders adopt_intent_set(struct xr_light *l, uint32_t round)
{
	struct set_holders h = {.all_logged = true};
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		if (!XR_HAS(l->recover_have, id))
			continue;
		const struct xr_recover_state *r = &l->recovered[id];
		h.all_logged = h.all_logged && r->logged_round >= round;
		if (r->state.round == round && r->state.intents_fixed) {
			h.any_set = true;
			if (l->n_intents == 0) {
				l->n_intents = r->state.n_intents;
				memcpy(l->intents, r->state.intents,
				       r->state.n_intents *
					       sizeof l->intents[0]);
			}
		} else {
			h.some_lack_set = true;
		}
	}
	return h;
}

/* A car that logged the round holds its final order: that is the log, and
 * the round ends again, for every car that has not logged it (those that
 * have skip it). True when one did. */
static bool end_logged_round(struct xr_node *n, uint32_t round)
{
	struct xr_light *l = &n->light;
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		const struct xr_recover_state *r = &l->recovered[id];
		if (!XR_HAS(l->recover_have, id) || r->logged_round != round ||
		    r->n_last_log == 0 || r->last_log[0].round != round)
			continue;
		l->n_log = r->n_last_log;
		memcpy(l->log, r->last_log, r->n_last_log * sizeof l->log[0]);
		for (uint32_t i = 0; i < l->n_log; i++)
			l->crossed |= XR_SET(l->log[i].car);
		l->have_intent = l->crossed;
		xr_tracef(n, "car %u logged round %u -> end it again", id,
			  round);
		xr_light_resume_crossing(n);
		return true;
	}
	return false;
}

/* The round's log: every entry any car saw, at its index; and every
 * override any car knows. */
static void merge_round_log(struct xr_light *l, uint32_t round)
{
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		if (!XR_HAS(l->recover_have, id))
			continue;
		const struct xr_recover_state *r = &l->recovered[id];
		if (r->state.round != round)
			continue;
		for (uint32_t i = 0; i < r->state.n_log; i++) {
			const struct xr_crossing *x = &r->state.log[i];
			if (x->index >= XR_MAX_CARS || in_log(l, x->car))
				continue;
			if (x->index >= l->n_log) {
				l->log[x->index] = *x;
				l->n_log = x->index + 1;
			} else if (l->log[x->index].round == 0) {
				l->log[x->index] = *x;
			}
		}
		for (uint32_t i = 0; i < r->state.n_overrides; i++)
			add_override(l, &r->state.overrides[i]);
		if (r->has_last_override && r->last_override.epoch != 0)
			add_override(l, &r->last_override);
	}
}

/* An index no car saw belonged to a car that never got its own notice: it
 * still reports "crossed, not acknowledged". Such cars fill the gaps (no
 * car holds those indexes, so nobody disagrees), then go at the end. Every
 * car answered, so every gap has its car; should one stay all the same, it
 * is closed, at the cost of renumbering what follows. */
static void close_gaps(struct xr_node *n, uint32_t round)
{
	struct xr_light *l = &n->light;
	xr_set unacked = unacked_crossers(l, round);
	for (uint32_t i = 0; i < l->n_log && unacked; i++) {
		if (l->log[i].round != 0)
			continue;
		uint32_t car = (uint32_t)__builtin_ctzll(unacked);
		unacked &= ~XR_SET(car);
		l->log[i] = (struct xr_crossing){
			.round = round, .index = i, .car = car};
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i < l->n_log; i++)
		if (l->log[i].round != 0)
			l->log[k++] = l->log[i];
	l->n_log = k;
	log_unacked(n, round);
	for (uint32_t i = 0; i < l->n_log; i++) {
		l->log[i].index = i;
		l->crossed |= XR_SET(l->log[i].car);
	}
}

/* Winners of every override that all cars have are released; the newest
 * override, if some car lacks it, is spread again first. */
static void release_winners(struct xr_light *l)
{
	struct xr_override newest = {0};
	if (l->n_overrides > 0) {
		newest = l->overrides[l->n_overrides - 1];
		l->override_epoch = newest.epoch;
		if (newest.epoch > l->epoch)
			l->epoch = newest.epoch;
	}
	bool respread = false;
	for (uint32_t id = 0; id < XR_MAX_NODES; id++)
		if (XR_HAS(l->recover_have, id) &&
		    l->recovered[id].override_epoch < newest.epoch)
			respread = true;
	for (uint32_t i = 0; i < l->n_overrides; i++) {
		uint32_t w = l->overrides[i].winner;
		if (respread && l->overrides[i].epoch == newest.epoch)
			continue;
		l->proceed_sent |= XR_SET(w);
		if (!XR_HAS(l->crossed, w))
			l->proceeding |= XR_SET(w);
	}
	if (respread) {
		l->n_overrides--; /* the wave's end adds it back */
		l->override_epoch =
			l->n_overrides ? l->overrides[l->n_overrides - 1].epoch
				       : 0;
		l->pending = newest;
		l->respread_pending = true;
	}
}

/* A round end that also collects the next round (light.c, pipelined) may
 * have reached some cars, or all, before its coordinator went, and no
 * coordinator may have seen it complete: the cars that had it are in the
 * next round with an intent, the others still in the round without its
 * log, and nobody declared the round over. So while the next round is
 * still being collected (no car holds its set or crossed in it), that
 * round's end is run again first: the cars lacking the log take it, the
 * others skip it, the round is declared over, and the same wave collects
 * the next round from all (a car already in it answers with the intent it
 * gave). Without it a round never ended for the cluster (the simulator:
 * "round 2 ended before round 1"). Should the end have completed before
 * (a plain collect was under way), it ends again, which every car takes at
 * most once. */
static bool half_ended(const struct xr_light *l, const struct progress *p)
{
	if (p->logged == 0 || p->round != p->logged + 1)
		return false;
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		if (!XR_HAS(l->recover_have, id))
			continue;
		const struct xr_recover_state *r = &l->recovered[id];
		if ((r->state.round == p->round && r->state.intents_fixed) ||
		    r->crossed_round == p->round)
			return false;
	}
	return true;
}

static void finish(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	struct progress p = merge_progress(l);
	/* A light that comes back missed whole rounds: it fetches them
	 * before anything else changes (see "catching up" below). */
	if (n->is_light && n->durable.last_round < p.logged) {
		catch_up(n, p.logged);
		return;
	}
	/* Our own target counts too: a light deposed or restarted before
	 * any car saw its first COLLECT wave knows it alone. */
	if (n->durable.target_round > p.target)
		p.target = n->durable.target_round;
	if (half_ended(l, &p)) {
		xr_tracef(n,
			  "round %u's end may not have completed, cars are "
			  "in round %u -> end round %u again",
			  p.logged, p.round, p.logged);
		p.round = p.logged;
	}
	l->round = p.round;
	l->epoch = p.detect;
	l->rounds_done = p.logged;
	/* Added to, not set: rounds an operator queued (XR_CMD_RUN) while we
	 * were still collecting the cars' state are kept. */
	l->rounds_left += p.target > p.round ? p.target - p.round : 0;
	l->last_progress_ms = n->now_ms;
	struct set_holders h = adopt_intent_set(l, p.round);
	xr_tracef(n, "state of %d cars in: round %u, target %u -> resume",
		  xr_set_count(l->recover_have), p.round, p.target);
	if (end_logged_round(n, p.round))
		return;
	/* Only when no car kept the round's log (or there was no round) does
	 * the cluster go straight on: a car that has not logged it would
	 * otherwise never see the round end. */
	if (p.round == 0 || h.all_logged) {
		l->phase = XR_LIGHT_IDLE;
		xr_light_next_round(n);
		return;
	}
	if (!h.any_set) {
		/* The intents were still being collected: collect again;
		 * cars keep the intent they already gave. Or no car holds
		 * the set any more (they restarted) while one had crossed:
		 * its crossing is a fact it keeps on disk, and is logged now,
		 * before the round can go on without it (a crossing lost
		 * when its car was then taken out, seed 30112779 line). */
		log_unacked(n, p.round);
		xr_light_collect(n);
		return;
	}
	merge_round_log(l, p.round);
	close_gaps(n, p.round);
	l->have_intent = intent_cars(l);
	release_winners(l);
	if (h.some_lack_set) {
		l->phase = XR_LIGHT_SPREADING;
		xr_light_spread(n);
		return;
	}
	xr_light_resume_crossing(n);
}

int xr_light_on_recover_state(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_light *l = &n->light;
	if (l->phase != XR_LIGHT_RECOVERING)
		return 0; /* a late or repeated answer */
	l->recovered[m->from] = m->u.recover_state;
	l->recover_have |= XR_SET(m->from);
	if ((l->recover_have & n->car_set) == n->car_set)
		finish(n);
	return 0;
}

void xr_light_recover_tick(struct xr_node *n)
{
	struct xr_light *l = &n->light;
	if (l->phase != XR_LIGHT_RECOVERING)
		return;
	/* No deadline: see the top of this file. */
	if (l->catchup_round != 0) {
		send_fetch(n);
		return;
	}
	for (uint32_t i = 0; i < n->cfg.n_cars; i++)
		if (!XR_HAS(l->recover_have, n->cfg.cars[i]))
			xr_out_msg(n, n->cfg.cars[i], XR_MSG_RECOVER);
}
