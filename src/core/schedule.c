/* The schedules of schedule.h.
 *
 * The rule `optimal` implements is the Gallai-Hasse-Roy-Vitaver theorem
 * (Gallai 1968, Hasse 1965, Roy 1967, Vitaver 1962), as it is usually stated:
 * "the chromatic number of a graph G equals the smallest, over all
 * orientations of G, of the number of vertices of a longest directed path";
 * and the proof's construction: colour G with the fewest colours, orient
 * every edge from the higher colour to the lower. No orientation of the
 * conflict graph can then do better than ours, and ours is acyclic because
 * every edge goes down in colour.
 *
 * Lane order. A lane is FIFO: of two cars on one approach, the later arrival
 * waits for the earlier (xr_yields does the same). So the colours we look for
 * are those of the conflict graph that also increase along every lane in
 * arrival order; their minimum is the chromatic number of the graph *with
 * lane order*, which can exceed the plain chromatic number when a lane's
 * later car would rather go first. With one car per approach (the 255
 * combinations of `xroadctl plan`) there is no lane pair and the two agree.
 *
 * The search is exact for every n. A colour class (a phase) holds at most
 * one car per lane, since a lane's cars share its entry cell, and with lane
 * order the cars coloured <= c form a prefix of every lane. So a schedule is
 * a path through the states (p_S, p_E, p_N, p_W), p_a = how many cars of
 * lane a have crossed, each step letting through a set of lane fronts that
 * pairwise do not conflict. The fewest phases is a shortest path in that DAG:
 * prod(len_a + 1) states, at most 9^4 = 6,561 for 32 cars, each with at most
 * 15 steps (non-empty sets of the <= 4 fronts). No exponential colouring
 * search and no greedy fallback is needed.
 *
 * Tie-break, among the schedules with the fewest phases: phase 1 is the set
 * of fronts that is largest by arrival, comparing two sets by their members
 * in arrival order ((arrival_ms, car), xr_arrived_before) as binary words,
 * the earliest arrival the most significant bit: the earliest car that can
 * cross first in some optimal schedule does, then the next earliest that can
 * join it and still leave an optimal schedule, and so on. Phase 2 is chosen
 * the same way among the rest, and so on. This is deterministic (arrival
 * order is total) and makes every car's phase its level: a car has a
 * conflicting car in the phase just before its own, else it could have
 * joined that phase, a larger set. So phase[i] = 1 + the largest phase among
 * those i waits for, as the cars will see it. */
#include "schedule.h"

#include <string.h>

#include "err.h"
#include "node.h"

_Static_assert(XR_MAX_CARS <= XR_SCHEDULE_MAX_CARS,
	       "a round's cars must fit a schedule's bit masks");

/* The most states a round can have: prod(len_a + 1) with sum len_a <= 32
 * is largest at len_a = 8 for every a. */
#define MAX_STATES (9 * 9 * 9 * 9)

const char *xr_schedule_name(enum xr_schedule s)
{
	switch (s) {
	case XR_SCHEDULE_RULES:
		return "rules";
	case XR_SCHEDULE_OPTIMAL:
		return "optimal";
	}
	return "?";
}

int xr_schedule_parse(const char *s, enum xr_schedule *out)
{
	if (s == NULL)
		return XR_EINVAL;
	if (strcmp(s, "rules") == 0)
		*out = XR_SCHEDULE_RULES;
	else if (strcmp(s, "optimal") == 0)
		*out = XR_SCHEDULE_OPTIMAL;
	else
		return XR_EINVAL;
	return 0;
}

static int check_intents(const struct xr_car_intent *intents, uint32_t n)
{
	if (n > XR_SCHEDULE_MAX_CARS || (n > 0 && intents == NULL))
		return XR_EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		if ((unsigned)intents[i].approach >= XR_APPROACHES ||
		    (unsigned)intents[i].turn >= XR_TURNS)
			return XR_EINVAL;
		for (uint32_t j = 0; j < i; j++)
			if (intents[j].car == intents[i].car)
				return XR_EINVAL;
	}
	return 0;
}

/* Two distinct cars that must be ordered: shared cell or shared lane. */
static bool must_order(const struct xr_car_intent *a,
		       const struct xr_car_intent *b)
{
	return a->approach == b->approach || xr_paths_conflict(a, b);
}

uint32_t xr_schedule_levels(const uint32_t *waits, uint32_t n, uint32_t *level)
{
	uint32_t all = n >= 32 ? UINT32_MAX : (1u << n) - 1;
	uint32_t left = all, phases = 0;
	for (uint32_t i = 0; i < n; i++)
		level[i] = 0;
	while (left != 0) {
		uint32_t ready = 0;
		for (uint32_t i = 0; i < n; i++)
			if ((left & (1u << i)) && (waits[i] & all & left) == 0)
				ready |= 1u << i;
		if (ready == 0) {
			for (uint32_t i = 0; i < n; i++)
				level[i] = 0;
			return 0;
		}
		phases++;
		for (uint32_t i = 0; i < n; i++)
			if (ready & (1u << i))
				level[i] = phases;
		left &= ~ready;
	}
	return phases;
}

/* Checks the intents and starts an empty plan of n cars. */
static int begin_plan(const struct xr_car_intent *intents, uint32_t n,
		      struct xr_schedule_plan *out)
{
	int rv = check_intents(intents, n);
	if (rv == 0) {
		memset(out, 0, sizeof *out);
		out->n = n;
	}
	return rv;
}

int xr_schedule_rules(const struct xr_car_intent *intents, uint32_t n,
		      struct xr_schedule_plan *out)
{
	int rv = begin_plan(intents, n, out);
	if (rv != 0)
		return rv;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < n; j++)
			if (xr_yields(&intents[i], &intents[j]))
				out->waits[i] |= 1u << j;
	out->phases = xr_schedule_levels(out->waits, n, out->phase);
	return 0;
}

/* Bit `set` of the result: the cars at the fronts of the lanes in `set`
 * (approach bits, a subset of `have`) pairwise do not conflict. */
static uint32_t free_sets(const uint32_t *front, uint32_t have,
			  const uint32_t *conflict)
{
	uint32_t clash[XR_APPROACHES] = {0};
	for (int a = 0; a < XR_APPROACHES; a++)
		for (int b = 0; b < XR_APPROACHES; b++)
			if (a != b && (have & (1u << a)) &&
			    (have & (1u << b)) &&
			    (conflict[front[a]] & (1u << front[b])))
				clash[a] |= 1u << b;
	uint32_t ok = 1; /* the empty set; each set extends a smaller one */
	for (uint32_t set = 1; set < (1u << XR_APPROACHES); set++) {
		if (set & ~have)
			continue;
		int a = 0;
		while (!(set & (1u << a)))
			a++;
		uint32_t rest = set & (set - 1);
		if ((ok & (1u << rest)) && (clash[a] & rest) == 0)
			ok |= 1u << set;
	}
	return ok & ~1u;
}

int xr_schedule_optimal(const struct xr_car_intent *intents, uint32_t n,
			struct xr_schedule_plan *out)
{
	int rv = begin_plan(intents, n, out);
	if (rv != 0)
		return rv;
	if (n == 0)
		return 0;

	/* rank[i]: position of intents[i] in arrival order. */
	uint32_t rank[XR_SCHEDULE_MAX_CARS];
	for (uint32_t i = 0; i < n; i++) {
		rank[i] = 0;
		for (uint32_t j = 0; j < n; j++)
			if (j != i &&
			    xr_arrived_before(&intents[j], &intents[i]))
				rank[i]++;
	}
	/* lane[a][k]: the k-th arrival on approach a. */
	uint32_t lane[XR_APPROACHES][XR_SCHEDULE_MAX_CARS];
	uint32_t len[XR_APPROACHES] = {0};
	for (uint32_t r = 0; r < n; r++)
		for (uint32_t i = 0; i < n; i++)
			if (rank[i] == r) {
				unsigned a = intents[i].approach;
				lane[a][len[a]++] = i;
			}
	uint32_t conflict[XR_SCHEDULE_MAX_CARS] = {0};
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < n; j++)
			if (i != j && must_order(&intents[i], &intents[j]))
				conflict[i] |= 1u << j;

	/* State index: mixed radix over (p_S, p_E, p_N, p_W), p_W fastest;
	 * step[set]: what letting the fronts of `set` through adds to it. */
	uint32_t stride[XR_APPROACHES], states = 1, step[1u << XR_APPROACHES];
	for (int a = XR_APPROACHES - 1; a >= 0; a--) {
		stride[a] = states;
		states *= len[a] + 1;
	}
	for (uint32_t set = 0; set < (1u << XR_APPROACHES); set++) {
		step[set] = 0;
		for (int a = 0; a < XR_APPROACHES; a++)
			if (set & (1u << a))
				step[set] += stride[a];
	}
	/* fewest[s]: fewest phases from state s to the end (<= 32). */
	uint8_t fewest[MAX_STATES];

	/* From the last state (every lane done) down to the first, p[] being
	 * the state s counts down like an odometer. */
	uint32_t p[XR_APPROACHES];
	memcpy(p, len, sizeof p);
	for (uint32_t s = states; s-- > 0;) {
		uint32_t front[XR_APPROACHES] = {0}, have = 0;
		for (int a = 0; a < XR_APPROACHES; a++)
			if (p[a] < len[a]) {
				front[a] = lane[a][p[a]];
				have |= 1u << a;
			}
		uint32_t best = 0;
		if (have != 0) {
			/* A single front is always free: best gets set. */
			uint32_t sets = free_sets(front, have, conflict);
			best = UINT32_MAX;
			for (uint32_t set = have; set != 0;
			     set = (set - 1) & have)
				if ((sets & (1u << set)) &&
				    1u + fewest[s + step[set]] < best)
					best = 1u + fewest[s + step[set]];
		}
		fewest[s] = (uint8_t)best;
		for (int a = XR_APPROACHES - 1; a >= 0; a--) {
			if (p[a] > 0) {
				p[a]--;
				break;
			}
			p[a] = len[a];
		}
	}

	/* Walk from the start, each phase the best set by arrival among those
	 * that keep the total at fewest[0]. */
	uint32_t s = 0;
	memset(p, 0, sizeof p);
	while (fewest[s] > 0) {
		uint32_t front[XR_APPROACHES] = {0}, have = 0;
		for (int a = 0; a < XR_APPROACHES; a++)
			if (p[a] < len[a]) {
				front[a] = lane[a][p[a]];
				have |= 1u << a;
			}
		uint32_t sets = free_sets(front, have, conflict);
		uint64_t best_key = 0;
		uint32_t best_set = 0, best_cars = 0;
		for (uint32_t set = have; set != 0; set = (set - 1) & have) {
			if (!(sets & (1u << set)) ||
			    fewest[s + step[set]] + 1u != fewest[s])
				continue;
			uint32_t cars = 0;
			uint64_t key = 0;
			for (int a = 0; a < XR_APPROACHES; a++)
				if (set & (1u << a)) {
					cars |= 1u << front[a];
					key |= 1ull << (63 - rank[front[a]]);
				}
			if (key > best_key) {
				best_key = key;
				best_set = set;
				best_cars = cars;
			}
		}
		/* fewest[s] was reached by some set: best_set != 0. */
		out->phases++;
		for (uint32_t i = 0; i < n; i++)
			if (best_cars & (1u << i))
				out->phase[i] = out->phases;
		for (int a = 0; a < XR_APPROACHES; a++)
			if (best_set & (1u << a))
				p[a]++;
		s += step[best_set];
	}

	/* Every conflicting pair, from the later phase to the earlier. */
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < n; j++)
			if ((conflict[i] & (1u << j)) &&
			    out->phase[i] > out->phase[j])
				out->waits[i] |= 1u << j;
	return 0;
}

int xr_schedule_compute(enum xr_schedule kind,
			const struct xr_car_intent *intents, uint32_t n,
			struct xr_schedule_plan *out)
{
	switch (kind) {
	case XR_SCHEDULE_RULES:
		return xr_schedule_rules(intents, n, out);
	case XR_SCHEDULE_OPTIMAL:
		return xr_schedule_optimal(intents, n, out);
	}
	return XR_EINVAL;
}

uint32_t xr_schedule_waits_for(const struct xr_schedule_plan *plan,
			       const struct xr_car_intent *intents, uint32_t i,
			       uint32_t *cars)
{
	uint32_t k = 0;
	if (i >= plan->n)
		return 0;
	for (uint32_t j = 0; j < plan->n; j++)
		if (plan->waits[i] & (1u << j))
			cars[k++] = intents[j].car;
	return k;
}
