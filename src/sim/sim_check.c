/* Invariant checkers (docs/DESIGN.md section 3) over the effect stream, for any
 * coordinator: the light, a car that took over, or the light back again.
 *
 * I1 safety: the simulator keeps the physical box from ENTER and EXIT
 *   effects; a car entering while a car with a conflicting path is inside is
 *   a violation. A car that crashes inside the box stays physically inside
 *   (the car does not vanish with its process) until it drives out. A car
 *   entering again in a round it has left the box in is a violation.
 * I3 no phantom deadlock: a DEADLOCK effect must come from a node that
 *   coordinates, and its cycle must be real when declared: no car of it has
 *   entered or left the box (the physical record), and each car is blocked
 *   on the next one by what it knows, its own wait-for edges (for a car
 *   that is down or has not relearnt the round since a restart: the edges
 *   it had when it went down). The winner must be the earliest
 *   (arrival_ms, car) of the cycle in the declaring coordinator's intent
 *   set, and the loser its successor.
 * I4 agreement: the agreed log is set by the first node to append each
 *   entry of a round; every later append of that entry, by any node, must
 *   be the same car (crossed, or taken out), and every node appends a
 *   round's entries in order, rounds in order, so every node's log is the
 *   agreed log with whole rounds missing (a node away when a round ended
 *   never gets it: light.c, "absent cars"). A light that takes the log's
 *   length and digest from the cars without appending must land on a point
 *   some node's log has been at. At the end every node's durable
 *   log_count/log_digest is the digest of its own LOG_APPEND effects, each
 *   round a node holds is whole, and the light holds the whole agreed log.
 * I5 exactly once: a car appears at most once in a round's agreed log; as a
 *   crossing only after it has physically left the box in that round, as
 *   taken out (`left`) only if it never leaves the box in that round; at
 *   the end every crossing made is in it as a crossing.
 * I1 also: a car is never taken out of its round while it is in the box,
 *   driving or dead there (light.c, "absent cars": a car enters only once
 *   granted, and a granted car is never taken out).
 * I2 liveness: a round ends only after the one before it, with its log
 *   agreed from its first entry with no gap; at the end every requested
 *   round ended and the box is empty. (Whether a car that never crossed a
 *   round should have been in it is not judged: a car absent at the
 *   collect is in no round.) The time bound is the driver's
 *   (sim_world.c), since only it knows when the faults stopped. */
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
	c->first_digest = first_digest;
	c->v = v;
	size_t nr = (size_t)rounds + 2;
	c->exited = calloc(nr, sizeof *c->exited);
	c->indexed = calloc((cars + 1) * nr, sizeof *c->indexed);
	c->exits = calloc((cars + 1) * nr, sizeof *c->exits);
	c->exit_ms = calloc((cars + 1) * nr, sizeof *c->exit_ms);
	c->agreed = calloc(nr * cars, sizeof *c->agreed);
	c->node_round_len = calloc((cars + 1) * nr, sizeof *c->node_round_len);
	if (!c->exited || !c->indexed || !c->exits || !c->exit_ms ||
	    !c->agreed || !c->node_round_len) {
		sim_check_free(c);
		return -1;
	}
	for (uint32_t i = 0; i <= cars; i++)
		c->digest[i] = first_digest;
	c->stepping = XR_MAX_NODES;
	return 0;
}

int sim_check_vehicles(struct sim_checker *c, uint32_t vehicles, uint64_t seed,
		       uint32_t headway_ms)
{
	size_t n = (size_t)(c->cars + 1) * (vehicles + 1);
	c->vehicles = vehicles;
	c->seed = seed;
	c->headway_ms = headway_ms;
	c->vehicle_round = calloc(n, sizeof *c->vehicle_round);
	c->vehicle_exit_ms = calloc(n, sizeof *c->vehicle_exit_ms);
	return c->vehicle_round && c->vehicle_exit_ms ? 0 : -1;
}

void sim_check_free(struct sim_checker *c)
{
	free(c->vehicle_round);
	free(c->vehicle_exit_ms);
	c->vehicle_round = NULL;
	c->vehicle_exit_ms = NULL;
	free(c->exited);
	free(c->indexed);
	free(c->exits);
	free(c->exit_ms);
	free(c->agreed);
	free(c->node_round_len);
	c->exited = NULL;
	c->indexed = NULL;
	c->exits = NULL;
	c->exit_ms = NULL;
	c->agreed = NULL;
	c->node_round_len = NULL;
}

static uint32_t *agreed_at(struct sim_checker *c, uint32_t round,
			   uint32_t index)
{
	return &c->agreed[(size_t)round * c->cars + index];
}

static uint32_t *round_len_at(struct sim_checker *c, uint32_t node,
			      uint32_t round)
{
	return &c->node_round_len[(size_t)node * (c->rounds + 2) + round];
}

/* Entries of `round` agreed from index 0 with no gap. */
static uint32_t agreed_len(struct sim_checker *c, uint32_t round)
{
	uint32_t k = 0;
	while (k < c->cars && *agreed_at(c, round, k) != 0)
		k++;
	return k;
}

/* Where `car` is in the agreed log of `round`, or -1. */
static int agreed_index(struct sim_checker *c, uint32_t round, uint32_t car)
{
	for (uint32_t i = 0; i < c->cars; i++)
		if ((*agreed_at(c, round, i) & ~SIM_LEFT) == car + 1)
			return (int)i;
	return -1;
}

/* The whole agreed log: its length and digest. */
static void agreed_whole(struct sim_checker *c, uint32_t *len, uint64_t *out)
{
	uint64_t d = c->first_digest;
	uint32_t n = 0;
	for (uint32_t r = 1; r <= c->rounds; r++) {
		uint32_t k = agreed_len(c, r);
		for (uint32_t i = 0; i < k; i++) {
			uint32_t a = *agreed_at(c, r, i);
			struct xr_crossing x = {.round = r,
						.index = i,
						.car = (a & ~SIM_LEFT) - 1,
						.left = (a & SIM_LEFT) != 0};
			d = xr_crossing_log_digest(d, &x);
		}
		n += k;
	}
	*len = n;
	*out = d;
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

void sim_check_step_begin(struct sim_checker *c, const struct xr_node *n,
			  uint32_t id)
{
	/* Only a coordinator that is a car can change its own edges in the
	 * step that declares a deadlock; copying every node at every step
	 * would cost more than the rest of the checks. */
	c->stepping = XR_MAX_NODES;
	/* The round the coordinator runs and its intent set before the
	 * step: a round it ends must hold every car of that set. */
	c->coord_set = 0;
	if (n->coordinator == id) {
		c->coord_round = n->light.round;
		c->coord_set = n->light.have_intent;
	}
	if (n->is_car && n->coordinator == id) {
		c->stepping = id;
		c->stepping_car = n->car;
	}
}

/* What `car` knows of `round` at the start of this step: its memory if it
 * is up and has the round's intent set, else what it knew when it last
 * went down knowing the round, else NULL. (A restarted car asking where the
 * round is has no set yet: it takes one only from the answer, car.c.) */
static const struct xr_car *knowledge(const struct sim_checker *c,
				      const struct xr_node *nodes, uint32_t car,
				      uint32_t round)
{
	const struct xr_car *now =
		car == c->stepping ? &c->stepping_car : &nodes[car].car;
	if (!HAS(c->down, car) && now->have_set && now->round == round)
		return now;
	const struct xr_car *then = &c->known[car];
	if (then->have_set && then->round == round)
		return then;
	return NULL;
}

static void check_deadlock(struct sim_checker *c, const struct xr_node *nodes,
			   uint32_t node, const struct xr_effect *fx,
			   uint64_t now)
{
	const struct xr_light *l = &nodes[node].light;
	uint32_t n = fx->n_cycle;
	if (nodes[node].coordinator != node) {
		sim_violation(c->v, now,
			      "I3: node %u declares a deadlock while node %u "
			      "coordinates",
			      node, nodes[node].coordinator);
		return;
	}
	if (n < 2 || n > XR_MAX_CARS) {
		sim_violation(c->v, now, "I3: deadlock declared with %u cars",
			      n);
		return;
	}
	if (fx->round != l->round || fx->round == 0 || fx->round > c->rounds) {
		sim_violation(c->v, now,
			      "I3: deadlock for round %u, coordinator %u in %u",
			      fx->round, node, l->round);
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
			sim_violation(
				c->v, now,
				"I3: phantom deadlock in round %u: car %u "
				"of the cycle has already %s the box",
				fx->round, a,
				HAS(c->in_box, a) ? "entered" : "left");
			return;
		}
		const struct xr_car *k = knowledge(c, nodes, a, fx->round);
		if (k == NULL) {
			sim_violation(c->v, now,
				      "I3: car %u of the cycle has never known "
				      "round %u's intent set",
				      a, fx->round);
			return;
		}
		if (k->phase != XR_CAR_WAITING || !HAS(k->waits, b)) {
			sim_violation(
				c->v, now,
				"I3: phantom deadlock in round %u: car %u "
				"does not wait for %u (%s, %u overrides "
				"of its own)",
				fx->round, a, b,
				k->phase == XR_CAR_WAITING ? "waiting"
							   : "not waiting",
				k->n_overrides);
			return;
		}
		if (intent_of(l, a) == NULL) {
			sim_violation(
				c->v, now,
				"I3: car %u of the cycle has no intent at "
				"coordinator %u",
				a, node);
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
		sim_violation(
			c->v, now,
			"I3: override %u before %u, policy says %u before "
			"%u",
			fx->override.winner, fx->override.loser, fx->cycle[w],
			fx->cycle[(w + 1) % n]);
	/* The other cars the winner goes before: each still in the round and
	 * arrived after it, so every edge reversed goes from an earlier to a
	 * later car, which is what makes resolution terminate (light.c). */
	const struct xr_car_intent *wi = intent_of(l, fx->override.winner);
	for (uint32_t t = 1; t <= c->cars; t++) {
		if (!HAS(fx->override.also, t))
			continue;
		const struct xr_car_intent *ti = intent_of(l, t);
		if (ti == NULL || HAS(gone, t) || t == fx->override.winner ||
		    !xr_arrived_before(wi, ti)) {
			sim_violation(c->v, now,
				      "I3: override e%u puts %u before car %u, "
				      "%s",
				      fx->override.epoch, fx->override.winner,
				      t,
				      ti == NULL ? "which is not in the round"
				      : HAS(gone, t) ? "which is past the line"
						     : "which arrived first");
			return;
		}
	}
}

/* Poisson arrivals: the vehicle a car drives in is its next one, there
 * (the simulator starts every node at time 0, where arrivals count from). */
static bool vehicle_ok(struct sim_checker *c, uint32_t car,
		       const struct xr_effect *fx, uint64_t now)
{
	uint32_t k = fx->vehicle;
	if (c->vehicles == 0)
		return true;
	if (k == 0 || k > c->vehicles) {
		sim_violation(c->v, now,
			      "I2: car %u drives vehicle %u in round %u, it "
			      "has %u",
			      car, k, fx->round, c->vehicles);
		return false;
	}
	uint64_t at = xr_vehicle_arrival_ms(c->seed, car, k, c->headway_ms);
	if (at > now) {
		sim_violation(c->v, now,
			      "I2: car %u's vehicle %u enters the box before "
			      "it arrives (at %llu)",
			      car, k, (unsigned long long)at);
		return false;
	}
	size_t i = (size_t)car * (c->vehicles + 1);
	if (k > 1 && c->vehicle_round[i + k - 1] == 0) {
		sim_violation(c->v, now,
			      "I2: car %u's vehicle %u enters the box before "
			      "vehicle %u crossed",
			      car, k, k - 1);
		return false;
	}
	if (c->vehicle_round[i + k] != 0 &&
	    c->vehicle_round[i + k] != fx->round) {
		sim_violation(c->v, now,
			      "I2: car %u's vehicle %u crosses again in round "
			      "%u (it crossed in round %u)",
			      car, k, fx->round, c->vehicle_round[i + k]);
		return false;
	}
	return true;
}

static void check_enter(struct sim_checker *c, uint32_t car,
			const struct xr_effect *fx, uint64_t now)
{
	if (!vehicle_ok(c, car, fx, now))
		return;
	if (fx->round == 0 || fx->round > c->rounds) {
		sim_violation(c->v, now,
			      "I1: car %u enters the box in round %u, rounds "
			      "1..%u were run",
			      car, fx->round, c->rounds);
		return;
	}
	if (HAS(c->in_box, car)) {
		/* Restarted inside the box: still the same physical car. */
		if (c->in_box_round[car] != fx->round)
			sim_violation(
				c->v, now,
				"I1: car %u enters round %u while still in "
				"the box for round %u",
				car, fx->round, c->in_box_round[car]);
		return;
	}
	/* Physically the car is past the crossroad; a process that forgot
	 * its crossing (crash before the light logged it) must not drive in
	 * again: the others already treat it as crossed. */
	if (HAS(c->exited[fx->round], car))
		sim_violation(
			c->v, now,
			"I1: car %u enters the box again in round %u after "
			"leaving it",
			car, fx->round);
	for (uint32_t o = 1; o <= c->cars; o++) {
		if (!HAS(c->in_box, o))
			continue;
		if (xr_paths_conflict(&fx->intent, &c->box_intent[o]))
			sim_violation(
				c->v, now,
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
	c->exited[fx->round] |= BIT(car);
	int at = agreed_index(c, fx->round, car);
	if (at >= 0 && (*agreed_at(c, fx->round, (uint32_t)at) & SIM_LEFT))
		sim_violation(c->v, now,
			      "I5: car %u leaves the box in round %u, which it "
			      "was taken out of: the crossing is lost",
			      car, fx->round);
	size_t k = (size_t)car * (c->rounds + 2) + fx->round;
	if (c->exits[k]++ == 0)
		c->exit_ms[k] = fx->at_ms;
	if (c->vehicles != 0 && vehicle_ok(c, car, fx, now)) {
		size_t v = (size_t)car * (c->vehicles + 1) + fx->vehicle;
		if (c->vehicle_round[v] == 0) {
			c->vehicle_round[v] = fx->round;
			c->vehicle_exit_ms[v] = fx->at_ms;
		}
	}
}

static void check_append(struct sim_checker *c, uint32_t node,
			 const struct xr_effect *fx, uint64_t now)
{
	const struct xr_crossing *x = &fx->crossing;
	c->digest[node] = xr_crossing_log_digest(c->digest[node], x);
	c->count[node]++;
	if (x->round == 0 || x->round > c->rounds || x->index >= c->cars ||
	    x->car == 0 || x->car > c->cars) {
		sim_violation(
			c->v, now,
			"I4: node %u appends r%u #%u car %u: out of range",
			node, x->round, x->index, x->car);
		return;
	}
	/* Rounds in order, each from its first entry, no entry skipped. */
	uint32_t *len = round_len_at(c, node, x->round);
	if (x->round < c->last_round[node] || x->index != *len) {
		sim_violation(c->v, now,
			      "I4: node %u appends r%u #%u (car %u) after r%u "
			      "#%u; it belongs elsewhere",
			      node, x->round, x->index, x->car,
			      c->last_round[node],
			      *round_len_at(c, node, c->last_round[node]));
		return;
	}
	c->last_round[node] = x->round;
	(*len)++;
	uint32_t want = (x->car + 1) | (x->left ? SIM_LEFT : 0);
	uint32_t *agreed = agreed_at(c, x->round, x->index);
	if (*agreed != 0) {
		if (*agreed != want)
			sim_violation(
				c->v, now,
				"I4: node %u has car %u%s at r%u #%u, the "
				"agreed log car %u%s",
				node, x->car, x->left ? " (left)" : "",
				x->round, x->index, (*agreed & ~SIM_LEFT) - 1,
				(*agreed & SIM_LEFT) ? " (left)" : "");
		return;
	}
	/* The first node to append this entry: it becomes the agreed one,
	 * unless it counts a car twice, a crossing that never happened, or
	 * takes out a car that crossed. */
	int before = agreed_index(c, x->round, x->car);
	if (before >= 0) {
		sim_violation(c->v, now,
			      "I5: node %u logs car %u at r%u #%u, the "
			      "agreed log has it at #%d",
			      node, x->car, x->round, x->index, before);
		return;
	}
	if (!x->left && !HAS(c->exited[x->round], x->car)) {
		sim_violation(c->v, now,
			      "I5: node %u logs car %u in round %u, which has "
			      "not left the box in that round",
			      node, x->car, x->round);
		return;
	}
	if (x->left && HAS(c->exited[x->round], x->car)) {
		sim_violation(c->v, now,
			      "I5: node %u takes car %u out of round %u, which "
			      "it crossed: the crossing is lost",
			      node, x->car, x->round);
		return;
	}
	*agreed = want;
}

void sim_check_log_grew(struct sim_checker *c, const struct xr_node *n,
			uint32_t id, uint64_t now)
{
	uint32_t appends = 0;
	for (uint32_t i = 0; i < n->out.n_effects; i++)
		appends += n->out.effects[i].type == XR_FX_LOG_APPEND;
	if (n->durable.log_count < appends ||
	    n->durable.log_count - appends < c->count[id]) {
		sim_violation(
			c->v, now,
			"I4: node %u's durable log shrank from %u entries", id,
			c->count[id]);
		return;
	}
	/* Every entry comes through a LOG_APPEND: a light that missed
	 * rounds fetches and appends them (light_takeover.c, "catching up"). */
	if (n->durable.log_count - appends != c->count[id])
		sim_violation(c->v, now,
			      "I4: node %u's durable log grew from %u to %u "
			      "entries without LOG_APPEND",
			      id, c->count[id], n->durable.log_count - appends);
}

static void check_round_end(struct sim_checker *c, const struct xr_node *nodes,
			    uint32_t node, const struct xr_effect *fx,
			    uint64_t now)
{
	uint32_t r = fx->round;
	if (nodes[node].coordinator != node) {
		sim_violation(c->v, now,
			      "I2: node %u ends round %u while node %u "
			      "coordinates",
			      node, r, nodes[node].coordinator);
		return;
	}
	if (r == 0 || r > c->rounds) {
		sim_violation(c->v, now, "I2: round %u ended, %u requested", r,
			      c->rounds);
		return;
	}
	/* Rounds end in order, so rounds 1..rounds_ended have ended: the
	 * last one may end again (a takeover re-runs its end). */
	if (r < c->rounds_ended) {
		sim_violation(c->v, now,
			      "I4: round %u ended again after round %u", r,
			      c->rounds_ended);
		return;
	}
	if (r > c->rounds_ended + 1) {
		sim_violation(c->v, now, "I2: round %u ended before round %u",
			      r, r - 1);
		return;
	}
	/* The round's log is agreed from its first entry with no gap
	 * (appends refuse a car twice, so each car of the round is there
	 * once); a coordinator that appended none of it and adopted nothing
	 * past it must not end it. Whether a node holds all of it is checked
	 * at the end (sim_check_final). */
	uint32_t k = agreed_len(c, r);
	bool gap = k == 0;
	for (uint32_t i = k; i < c->cars; i++)
		gap = gap || *agreed_at(c, r, i) != 0;
	if (gap) {
		sim_violation(c->v, now,
			      "I2: round %u ended with log #%u missing", r, k);
		return;
	}
	/* Every car of the round's intent set is in its log, crossed or
	 * rightly taken out (I2: nobody of the round is forgotten). */
	if (r == c->coord_round)
		for (uint32_t car = 1; car <= c->cars; car++)
			if (HAS(c->coord_set, car) &&
			    agreed_index(c, r, car) < 0) {
				sim_violation(
					c->v, now,
					"I2: node %u ends round %u without "
					"car %u of its intent set in the log",
					node, r, car);
				return;
			}
	if (*round_len_at(c, node, r) != k &&
	    nodes[node].durable.last_round < r) {
		sim_violation(c->v, now,
			      "I2: node %u ends round %u holding %u of its "
			      "%u entries",
			      node, r, *round_len_at(c, node, r), k);
		return;
	}
	c->rounds_ended = r;
}

/* A car learnt its crossing's index: its own, for a round it crossed in;
 * whether it is the agreed place (I4), and that every crossing got one
 * (I5: every report can go, docs/FAILURES.md), is judged at the end, when
 * the agreed log is known. */
static void check_indexed(struct sim_checker *c, uint32_t node,
			  const struct xr_effect *fx, uint64_t now)
{
	const struct xr_crossing *x = &fx->crossing;
	if (x->car != node || x->round == 0 || x->round > c->rounds ||
	    !HAS(c->exited[x->round], node)) {
		sim_violation(c->v, now,
			      "I5: node %u learns an index for car %u in round "
			      "%u, which it did not cross",
			      node, x->car, x->round);
		return;
	}
	c->indexed[(size_t)node * (c->rounds + 2) + x->round] = x->index + 1;
}

/* A car taken out of its round: never one in the box, driving or dead
 * there (it was granted the box, so it may have crossed: light.c, "absent
 * cars"). */
static void check_taken_out(struct sim_checker *c, const struct xr_node *nodes,
			    uint32_t node, const struct xr_effect *fx,
			    uint64_t now)
{
	if (fx->round == 0)
		return; /* absent, not out of a round */
	/* A coordinator deposed without knowing it yet (a newer epoch exists
	 * somewhere) decides for nobody: every car it could tell refuses its
	 * epoch, and it drops its round when it learns the newer one
	 * (light.c, hears_majority). Counted as such, not judged. */
	uint32_t newest = 0;
	for (uint32_t i = 0; i <= c->cars; i++)
		if (nodes[i].coordinator_epoch > newest)
			newest = nodes[i].coordinator_epoch;
	if (nodes[node].coordinator_epoch < newest) {
		c->stale_acts++;
		return;
	}
	c->taken_out++;
	if (fx->car != 0 && fx->car <= c->cars && HAS(c->in_box, fx->car))
		sim_violation(c->v, now,
			      "I1: car %u taken out of round %u while it is in "
			      "the box (%s)",
			      fx->car, fx->round,
			      HAS(c->down, fx->car) ? "dead" : "driving");
}

void sim_check_effect(struct sim_checker *c, const struct xr_node *nodes,
		      uint32_t node, const struct xr_effect *fx, uint64_t now)
{
	switch (fx->type) {
	case XR_FX_ENTER:
	case XR_FX_EXIT:
		if (node == 0 || fx->car != node) {
			sim_violation(c->v, now,
				      "I1: node %u reports %s of car %u", node,
				      xr_effect_type_name(fx->type), fx->car);
			return;
		}
		if (fx->type == XR_FX_ENTER)
			check_enter(c, node, fx, now);
		else
			check_exit(c, node, fx, now);
		return;
	case XR_FX_LOG_APPEND:
		check_append(c, node, fx, now);
		return;
	case XR_FX_DEADLOCK:
		check_deadlock(c, nodes, node, fx, now);
		return;
	case XR_FX_ROUND_END:
		check_round_end(c, nodes, node, fx, now);
		return;
	case XR_FX_CROSSING_INDEXED:
		check_indexed(c, node, fx, now);
		return;
	case XR_FX_CAR_LEFT:
		check_taken_out(c, nodes, node, fx, now);
		return;
	case XR_FX_DONE:
		/* A car coordinating may run out of rounds too, but the run
		 * ends only with the light back in charge (it outranks every
		 * car, and the heal restarts it). */
		if (node == 0 && !c->done) {
			c->done = true;
			c->done_ms = now;
		}
		return;
	case XR_FX_DEPOSED:
		if (node == 0)
			c->done = false;
		return;
	default:
		/* ROUND_START, INTENT, SHUTDOWN, snapshots, COORDINATOR: no
		 * invariant of this checker depends on them. */
		return;
	}
}

void sim_check_crash(struct sim_checker *c, const struct xr_node *n,
		     uint32_t id)
{
	c->down |= BIT(id);
	if (id == 0)
		c->done = false;
	else if (n->car.have_set && n->car.round >= c->known[id].round)
		c->known[id] = n->car;
}

void sim_check_restart(struct sim_checker *c, uint32_t id)
{
	c->down &= ~BIT(id);
}

void sim_check_final(struct sim_checker *c, const struct xr_node *nodes,
		     uint64_t now)
{
	if (c->vehicles == 0 && c->rounds_ended != c->rounds)
		sim_violation(c->v, now, "I2: %u of %u rounds ended",
			      c->rounds_ended, c->rounds);
	/* Open rounds: as many rounds as it took, and every vehicle that
	 * arrived crossed (all of them arrive during a run). */
	for (uint32_t car = 1; c->vehicles != 0 && car <= c->cars; car++) {
		uint32_t crossed = 0;
		for (uint32_t k = 1; k <= c->vehicles; k++)
			crossed += c->vehicle_round[(size_t)car *
							    (c->vehicles + 1) +
						    k] != 0;
		if (crossed != c->vehicles) {
			sim_violation(c->v, now,
				      "I2: car %u's vehicles: %u of %u "
				      "crossed",
				      car, crossed, c->vehicles);
			break;
		}
	}
	if (c->in_box != 0)
		sim_violation(c->v, now,
			      "I2: cars still in the box (set %#llx)",
			      (unsigned long long)c->in_box);
	/* Every crossing made is in its round's log as a crossing (I5); every
	 * round a node holds, it holds whole (I4). */
	for (uint32_t r = 1; r <= c->rounds; r++) {
		uint32_t k = agreed_len(c, r);
		for (uint32_t car = 1; car <= c->cars; car++) {
			if (!HAS(c->exited[r], car))
				continue;
			int at = agreed_index(c, r, car);
			if (at < 0 ||
			    (*agreed_at(c, r, (uint32_t)at) & SIM_LEFT)) {
				sim_violation(
					c->v, now,
					"I5: car %u crossed in round %u and "
					"is not logged as crossing",
					car, r);
				return;
			}
		}
		for (uint32_t n = 0; n <= c->cars; n++) {
			uint32_t held = *round_len_at(c, n, r);
			if (held != 0 && held != k)
				sim_violation(c->v, now,
					      "I4: node %u holds %u of round "
					      "%u's %u entries",
					      n, held, r, k);
		}
	}
	/* Every crossing's car learnt its index, the agreed one: its report
	 * to the cloud carries it (car.c, "a crossing of ours whose index we
	 * never learnt"). */
	for (uint32_t r = 1; r <= c->rounds; r++)
		for (uint32_t car = 1; car <= c->cars; car++) {
			int at = agreed_index(c, r, car);
			if (!HAS(c->exited[r], car) || at < 0)
				continue;
			uint32_t learnt =
				c->indexed[(size_t)car * (c->rounds + 2) + r];
			if (learnt == 0)
				sim_violation(
					c->v, now,
					"I5: car %u crossed in round %u and "
					"never learnt its index: its report "
					"never reaches the table",
					car, r);
			else if (learnt - 1 != (uint32_t)at)
				sim_violation(
					c->v, now,
					"I4: car %u learnt index %u for "
					"round %u, the agreed log has it at %d",
					car, learnt - 1, r, at);
		}
	uint32_t whole_len = 0;
	uint64_t whole = 0;
	agreed_whole(c, &whole_len, &whole);
	for (uint32_t n = 0; n <= c->cars; n++) {
		const struct xr_durable *d = &nodes[n].durable;
		if (d->log_count != c->count[n] ||
		    d->log_digest != c->digest[n])
			sim_violation(
				c->v, now,
				"I4: node %u durable log (%u entries) is not "
				"what its LOG_APPEND effects built (%u)",
				n, d->log_count, c->count[n]);
		else if (n == 0 &&
			 (d->log_count != whole_len || d->log_digest != whole))
			sim_violation(
				c->v, now,
				"I4: node %u log has %u entries digest "
				"%016llx, the agreed log %u digest %016llx",
				n, d->log_count,
				(unsigned long long)d->log_digest, whole_len,
				(unsigned long long)whole);
	}
}
