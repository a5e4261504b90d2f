/* Invariant checkers (DESIGN.md section 3) over the effect stream.
 *
 * I1 safety: the simulator keeps the physical box from ENTER and EXIT
 *   effects; a car entering while a car with a conflicting path is inside is
 *   a violation. A car that crashes inside the box stays physically inside
 *   (the car does not vanish with its process) until it drives out.
 * I3 no phantom deadlock: on every DEADLOCK effect the declared cycle is
 *   judged against the true global wait-for graph computed here: the round's
 *   intents as the light holds them, xr_yields for the edges, every override
 *   whose wave has completed applied as a reversal, and no car that has
 *   entered or left the box (a car that entered waits for nobody). Every
 *   edge cycle[i] -> cycle[i+1] must exist. The winner must be the earliest
 *   (arrival_ms, car) of the cycle and the loser its successor.
 * I4 agreement: during the run, each entry a car appends must equal the
 *   light's entry at that (round, index), as the light holds it in memory or
 *   has appended it; at the end every node's durable log_count/log_digest
 *   must equal the light's and the digest of its own LOG_APPEND effects.
 * I2 liveness: at the end, every requested round ended, every car crossed in
 *   every round exactly once, and the box is empty. The time bound is the
 *   driver's (sim_world.c), since only it knows when the faults stopped. */
#include "sim_check.h"

#include <stdlib.h>
#include <string.h>

#define HAS(set, id) (((set) >> (id)) & 1u)
#define BIT(id) ((xr_set)1 << (id))

void sim_violation(struct sim_violations *v, uint64_t now_ms, const char *fmt,
		   ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (v->count == 0)
		snprintf(v->first, sizeof v->first, "seed %llu t=%llu %s",
			 (unsigned long long)v->seed,
			 (unsigned long long)now_ms, line);
	if (v->count < v->print_max && v->out != NULL)
		fprintf(v->out, "violation: seed %llu t=%llu %s\n",
			(unsigned long long)v->seed, (unsigned long long)now_ms,
			line);
	v->count++;
}

int sim_check_init(struct sim_checker *c, uint32_t cars, uint32_t rounds,
		   uint64_t first_digest, struct sim_violations *v)
{
	memset(c, 0, sizeof *c);
	c->cars = cars;
	c->rounds = rounds;
	c->v = v;
	size_t nr = (size_t)rounds + 2;
	c->exited = calloc(nr, sizeof *c->exited);
	c->exits = calloc((cars + 1) * nr, sizeof *c->exits);
	c->exit_ms = calloc((cars + 1) * nr, sizeof *c->exit_ms);
	c->log = calloc((cars + 1) * nr * cars, sizeof *c->log);
	if (!c->exited || !c->exits || !c->exit_ms || !c->log) {
		sim_check_free(c);
		return -1;
	}
	for (uint32_t i = 0; i <= cars; i++)
		c->digest[i] = first_digest;
	return 0;
}

void sim_check_free(struct sim_checker *c)
{
	free(c->exited);
	free(c->exits);
	free(c->exit_ms);
	free(c->log);
	c->exited = NULL;
	c->exits = NULL;
	c->exit_ms = NULL;
	c->log = NULL;
}

static uint32_t *log_at(struct sim_checker *c, uint32_t node, uint32_t round,
			uint32_t index)
{
	return &c->log[((size_t)node * (c->rounds + 2) + round) * c->cars +
		       index];
}

static const struct xr_car_intent *intent_of(const struct xr_light *l,
					     uint32_t car)
{
	for (uint32_t i = 0; i < l->n_intents; i++)
		if (l->intents[i].car == car)
			return &l->intents[i];
	return NULL;
}

uint32_t sim_rule_edges(const struct xr_light *l)
{
	uint32_t e = 0;
	for (uint32_t i = 0; i < l->n_intents; i++)
		for (uint32_t j = 0; j < l->n_intents; j++)
			if (i != j && xr_yields(&l->intents[i], &l->intents[j]))
				e++;
	return e;
}

/* Does `a` wait for `b` in the true graph? Rules, then every completed
 * override in order, as a reversal (the order matters only if one pair was
 * overridden twice, and the cars apply them in this same order). */
static bool true_edge(const struct xr_light *l, const struct xr_car_intent *a,
		      const struct xr_car_intent *b)
{
	bool e = xr_yields(a, b);
	uint32_t cap = sizeof l->overrides / sizeof l->overrides[0];
	for (uint32_t i = 0; i < l->n_overrides && i < cap; i++) {
		const struct xr_override *ov = &l->overrides[i];
		if (ov->winner == a->car && ov->loser == b->car)
			e = false;
		else if (ov->loser == a->car && ov->winner == b->car)
			e = true;
	}
	return e;
}

static void check_deadlock(struct sim_checker *c, const struct xr_node *nodes,
			   const struct xr_effect *fx, uint64_t now)
{
	const struct xr_light *l = &nodes[0].light;
	uint32_t n = fx->n_cycle;
	c->deadlocks++;
	if (n < 2 || n > XR_MAX_CARS) {
		sim_violation(c->v, now, "I3: deadlock declared with %u cars", n);
		return;
	}
	if (fx->round != l->round || fx->round > c->rounds) {
		sim_violation(c->v, now, "I3: deadlock for round %u, light in %u",
			      fx->round, l->round);
		return;
	}
	xr_set gone = c->exited[fx->round] | c->in_box;
	xr_set members = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = fx->cycle[i], b = fx->cycle[(i + 1) % n];
		if (a == 0 || a > c->cars || HAS(members, a)) {
			sim_violation(c->v, now,
				      "I3: cycle lists car %u wrongly", a);
			return;
		}
		members |= BIT(a);
		if (HAS(gone, a)) {
			sim_violation(c->v, now,
				      "I3: phantom deadlock in round %u: car %u "
				      "of the cycle has already %s the box",
				      fx->round, a,
				      HAS(c->in_box, a) ? "entered" : "left");
			return;
		}
		const struct xr_car_intent *ia = intent_of(l, a),
					   *ib = intent_of(l, b);
		if (ia == NULL || ib == NULL) {
			sim_violation(c->v, now,
				      "I3: cycle edge %u->%u: no intent at the "
				      "light",
				      a, b);
			return;
		}
		if (!true_edge(l, ia, ib)) {
			sim_violation(c->v, now,
				      "I3: phantom deadlock in round %u: %u does "
				      "not wait for %u (%u overrides applied)",
				      fx->round, a, b, l->n_overrides);
			return;
		}
	}
	/* The winner: the earliest (arrival_ms, car) of the cycle; the loser:
	 * its successor in the cycle. */
	uint32_t w = 0;
	for (uint32_t i = 1; i < n; i++)
		if (xr_arrived_before(intent_of(l, fx->cycle[i]),
				      intent_of(l, fx->cycle[w])))
			w = i;
	if (fx->override.winner != fx->cycle[w] ||
	    fx->override.loser != fx->cycle[(w + 1) % n])
		sim_violation(c->v, now,
			      "I3: override %u before %u, policy says %u before "
			      "%u",
			      fx->override.winner, fx->override.loser,
			      fx->cycle[w], fx->cycle[(w + 1) % n]);
}

static void check_enter(struct sim_checker *c, uint32_t car,
			const struct xr_effect *fx, uint64_t now)
{
	if (HAS(c->in_box, car)) {
		/* Restarted inside the box: still the same physical car. */
		if (c->in_box_round[car] != fx->round)
			sim_violation(c->v, now,
				      "I1: car %u enters round %u while still in "
				      "the box for round %u",
				      car, fx->round, c->in_box_round[car]);
		return;
	}
	/* Physically the car is past the crossroad; a process that forgot
	 * its crossing (crash before the light logged it) must not drive in
	 * again: the others already treat it as crossed. */
	if (fx->round <= c->rounds + 1 && HAS(c->exited[fx->round], car))
		sim_violation(c->v, now,
			      "I1: car %u enters the box again in round %u after "
			      "leaving it",
			      car, fx->round);
	for (uint32_t o = 1; o <= c->cars; o++) {
		if (!HAS(c->in_box, o))
			continue;
		if (xr_paths_conflict(&fx->intent, &c->box_intent[o]))
			sim_violation(c->v, now,
				      "I1: car %u (%s %s) enters while car %u "
				      "(%s %s) is in the box",
				      car, xr_approach_name(fx->intent.approach),
				      xr_turn_name(fx->intent.turn), o,
				      xr_approach_name(c->box_intent[o].approach),
				      xr_turn_name(c->box_intent[o].turn));
	}
	c->in_box |= BIT(car);
	c->in_box_round[car] = fx->round;
	c->box_intent[car] = fx->intent;
}

static void check_exit(struct sim_checker *c, uint32_t car,
		       const struct xr_effect *fx, uint64_t now)
{
	if (!HAS(c->in_box, car) || c->in_box_round[car] != fx->round) {
		sim_violation(c->v, now,
			      "I1: car %u leaves the box in round %u without "
			      "having entered it",
			      car, fx->round);
		return;
	}
	c->in_box &= ~BIT(car);
	if (fx->round <= c->rounds + 1) {
		c->exited[fx->round] |= BIT(car);
		size_t k = (size_t)car * (c->rounds + 2) + fx->round;
		if (c->exits[k]++ == 0)
			c->exit_ms[k] = fx->at_ms;
	}
}

static void check_append(struct sim_checker *c, const struct xr_node *nodes,
			 uint32_t node, const struct xr_effect *fx,
			 uint64_t now)
{
	const struct xr_crossing *x = &fx->crossing;
	c->digest[node] = xr_log_digest_step(c->digest[node], x);
	c->count[node]++;
	if (x->round == 0 || x->round > c->rounds || x->index >= c->cars ||
	    x->car == 0 || x->car > c->cars) {
		sim_violation(c->v, now,
			      "I4: node %u appends r%u #%u car %u: out of range",
			      node, x->round, x->index, x->car);
		return;
	}
	uint32_t *mine = log_at(c, node, x->round, x->index);
	if (*mine != 0) {
		sim_violation(c->v, now,
			      "I4: node %u appends r%u #%u twice (car %u, then "
			      "%u)",
			      node, x->round, x->index, *mine - 1, x->car);
		return;
	}
	*mine = x->car + 1;
	const struct xr_light *l = &nodes[0].light;
	if (node != 0) {
		uint32_t truth = *log_at(c, 0, x->round, x->index);
		if (truth == 0 && l->round == x->round && x->index < l->n_log)
			truth = l->log[x->index].car + 1;
		if (truth != 0 && truth != x->car + 1)
			sim_violation(c->v, now,
				      "I4: car %u has car %u at r%u #%u, the "
				      "light car %u",
				      node, x->car, x->round, x->index,
				      truth - 1);
		return;
	}
	for (uint32_t n = 1; n <= c->cars; n++) {
		uint32_t other = *log_at(c, n, x->round, x->index);
		if (other != 0 && other != x->car + 1)
			sim_violation(c->v, now,
				      "I4: light logs car %u at r%u #%u, car %u "
				      "has car %u",
				      x->car, x->round, x->index, n, other - 1);
	}
}

static void check_round_end(struct sim_checker *c, const struct xr_effect *fx,
			    uint64_t now)
{
	c->rounds_ended++;
	if (fx->round != c->rounds_ended)
		sim_violation(c->v, now, "I2: round %u ended as the %u-th round",
			      fx->round, c->rounds_ended);
	if (fx->round == 0 || fx->round > c->rounds) {
		sim_violation(c->v, now, "I2: round %u ended, %u requested",
			      fx->round, c->rounds);
		return;
	}
	/* Every car exactly once in the light's log of the round. */
	xr_set seen = 0;
	for (uint32_t i = 0; i < c->cars; i++) {
		uint32_t car = *log_at(c, 0, fx->round, i);
		if (car == 0 || HAS(seen, car - 1)) {
			sim_violation(c->v, now,
				      "I2: round %u ended with log #%u %s",
				      fx->round, i,
				      car == 0 ? "missing" : "a repeated car");
			return;
		}
		seen |= BIT(car - 1);
	}
}

void sim_check_effect(struct sim_checker *c, const struct xr_node *nodes,
		      uint32_t node, const struct xr_effect *fx, uint64_t now)
{
	switch (fx->type) {
	case XR_FX_ENTER:
	case XR_FX_EXIT:
		if (node == 0 || fx->car != node) {
			sim_violation(c->v, now, "I1: node %u reports %s of car %u",
				      node, xr_effect_type_name(fx->type),
				      fx->car);
			return;
		}
		if (fx->type == XR_FX_ENTER)
			check_enter(c, node, fx, now);
		else
			check_exit(c, node, fx, now);
		return;
	case XR_FX_LOG_APPEND:
		check_append(c, nodes, node, fx, now);
		return;
	case XR_FX_DEADLOCK:
		if (node != 0) {
			sim_violation(c->v, now, "I3: car %u declares a deadlock",
				      node);
			return;
		}
		check_deadlock(c, nodes, fx, now);
		return;
	case XR_FX_ROUND_END:
		if (node == 0)
			check_round_end(c, fx, now);
		return;
	case XR_FX_DONE:
		if (node == 0 && !c->done) {
			c->done = true;
			c->done_ms = now;
		}
		return;
	default:
		/* ROUND_START, INTENT, SHUTDOWN, snapshots: no invariant of
		 * this checker depends on them. */
		return;
	}
}

void sim_check_final(struct sim_checker *c, const struct xr_node *nodes,
		     uint64_t now)
{
	if (c->rounds_ended != c->rounds)
		sim_violation(c->v, now, "I2: %u of %u rounds ended",
			      c->rounds_ended, c->rounds);
	if (c->in_box != 0)
		sim_violation(c->v, now, "I2: cars still in the box (set %#llx)",
			      (unsigned long long)c->in_box);
	for (uint32_t r = 1; r <= c->rounds_ended && r <= c->rounds; r++) {
		for (uint32_t car = 1; car <= c->cars; car++) {
			if (!HAS(c->exited[r], car)) {
				sim_violation(c->v, now,
					      "I2: car %u never crossed in round %u",
					      car, r);
				return;
			}
		}
	}
	const struct xr_durable *ld = &nodes[0].durable;
	for (uint32_t n = 0; n <= c->cars; n++) {
		const struct xr_durable *d = &nodes[n].durable;
		if (d->log_count != c->count[n] || d->log_digest != c->digest[n])
			sim_violation(c->v, now,
				      "I4: node %u durable log (%u entries) is not "
				      "what its LOG_APPEND effects built (%u)",
				      n, d->log_count, c->count[n]);
		if (n > 0 && (d->log_count != ld->log_count ||
			      d->log_digest != ld->log_digest))
			sim_violation(c->v, now,
				      "I4: car %u log has %u entries digest "
				      "%016llx, the light %u digest %016llx",
				      n, d->log_count,
				      (unsigned long long)d->log_digest,
				      ld->log_count,
				      (unsigned long long)ld->log_digest);
	}
}
