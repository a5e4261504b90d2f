/* src/core/schedule.c against checks computed here, independently of its
 * lane-prefix search:
 *   - all 255 non-empty one-car-per-approach combinations: `optimal` orients
 *     every conflicting pair exactly once and no other pair, is acyclic, its
 *     longest path (in cars) is its number of phases, that number is the
 *     chromatic number found by trying every colouring, and every phase is
 *     an independent set; the totals are the 561 (and `rules`'
 *     edges are xr_yields');
 *   - random rounds of 1..12 cars, several per approach, arrival ties
 *     included (seeded; the seed is printed, argv[1] replays one): the same,
 *     plus lane FIFO, the number of phases equal to the fewest colours that
 *     keep every lane in arrival order (backtracking over all colourings)
 *     and at least the plain chromatic number, and, up to 8 cars, the
 *     tie-break of schedule.c checked against every optimal colouring;
 *   - rounds of 31 and 32 cars: the checks that need no brute force;
 *   - the checker itself rejects broken plans (a reversed edge making a
 *     cycle, a dropped edge, a lane out of order, a wrong phase count), so
 *     the test can fail. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "node.h"
#include "schedule.h"

#include "checkf.h"

#define MAXC XR_SCHEDULE_MAX_CARS

/* ------------------------------------------------------- independent checks */

static bool ordered_pair(const struct xr_car_intent *a,
			 const struct xr_car_intent *b)
{
	return a->approach == b->approach || xr_paths_conflict(a, b);
}

/* Transitive closure; true when some car reaches itself. */
static bool cyclic(const uint32_t *waits, uint32_t n)
{
	uint32_t reach[MAXC];
	memcpy(reach, waits, n * sizeof *waits);
	for (uint32_t k = 0; k < n; k++)
		for (uint32_t i = 0; i < n; i++)
			if (reach[i] & (1u << k))
				reach[i] |= reach[k];
	for (uint32_t i = 0; i < n; i++)
		if (reach[i] & (1u << i))
			return true;
	return false;
}

/* Longest path (in cars) starting at i, memoised; the graph is acyclic. */
static uint32_t longest_from(const uint32_t *waits, uint32_t n, uint32_t i,
			     uint32_t *memo)
{
	if (memo[i])
		return memo[i];
	uint32_t best = 0;
	for (uint32_t j = 0; j < n; j++)
		if (waits[i] & (1u << j)) {
			uint32_t l = longest_from(waits, n, j, memo);
			if (l > best)
				best = l;
		}
	return memo[i] = best + 1;
}

/* Everything a schedule must be, whatever its number of phases. Returns the
 * number of problems and describes the first in why. */
static int verify(const struct xr_car_intent *in, uint32_t n,
		  const struct xr_schedule_plan *p, char *why, size_t len)
{
	int bad = 0;
#define BAD(...)                                                              \
	do {                                                                  \
		if (bad++ == 0)                                               \
			snprintf(why, len, __VA_ARGS__);                      \
	} while (0)
	why[0] = '\0';
	if (p->n != n)
		BAD("n %u, %u cars given", p->n, n);
	for (uint32_t i = 0; i < n; i++) {
		if (n < 32 && (p->waits[i] >> n) != 0)
			BAD("car %u waits for a car beyond n", i);
		if (p->waits[i] & (1u << i))
			BAD("car %u waits for itself", i);
		for (uint32_t j = i + 1; j < n; j++) {
			bool ij = p->waits[i] & (1u << j), ji = p->waits[j] & (1u << i);
			if (ordered_pair(&in[i], &in[j]) && ij + ji != 1)
				BAD("conflicting %u,%u oriented %d times", i, j, ij + ji);
			if (!ordered_pair(&in[i], &in[j]) && (ij || ji))
				BAD("non-conflicting %u,%u oriented", i, j);
			if (in[i].approach == in[j].approach) {
				bool i_first = xr_arrived_before(&in[i], &in[j]);
				if (i_first ? !ji : !ij)
					BAD("lane %s: %u,%u out of arrival order",
					    xr_approach_name(in[i].approach), i, j);
			}
		}
	}
	if (cyclic(p->waits, n)) {
		BAD("cyclic");
		return bad;
	}
	uint32_t memo[MAXC] = {0}, longest = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t l = longest_from(p->waits, n, i, memo);
		if (l > longest)
			longest = l;
	}
	if (longest != p->phases)
		BAD("longest path %u cars, %u phases", longest, p->phases);
	for (uint32_t i = 0; i < n; i++) {
		if (p->phase[i] < 1 || p->phase[i] > p->phases)
			BAD("car %u in phase %u of %u", i, p->phase[i], p->phases);
		uint32_t level = 1;
		for (uint32_t j = 0; j < n; j++) {
			if (i != j && p->phase[i] == p->phase[j] &&
			    ordered_pair(&in[i], &in[j]))
				BAD("phase %u: %u and %u conflict", p->phase[i], i, j);
			if ((p->waits[i] & (1u << j)) && p->phase[j] + 1 > level)
				level = p->phase[j] + 1;
		}
		if (level != p->phase[i])
			BAD("car %u in phase %u, its waits put it in %u", i,
			    p->phase[i], level);
	}
	return bad;
#undef BAD
}

/* ------------------------------------------------------------ brute force */

/* Every assignment of k colours to n cars, literally (k^n of them): true
 * when one is proper. For the 255 combinations (n <= 4). */
static bool colourable_all(const struct xr_car_intent *in, uint32_t n,
			   uint32_t k)
{
	uint32_t total = 1, c[MAXC];
	for (uint32_t i = 0; i < n; i++)
		total *= k;
	for (uint32_t code = 0; code < total; code++) {
		uint32_t x = code;
		for (uint32_t i = 0; i < n; i++) {
			c[i] = x % k;
			x /= k;
		}
		bool ok = true;
		for (uint32_t i = 0; i < n && ok; i++)
			for (uint32_t j = i + 1; j < n && ok; j++)
				if (c[i] == c[j] && ordered_pair(&in[i], &in[j]))
					ok = false;
		if (ok)
			return true;
	}
	return false;
}

/* Backtracking over colourings in index order (not arrival order), every
 * colour tried at every car: counts the proper k-colourings (lane order
 * kept when `lanes`), calling `each` on each when not NULL, and stops at
 * the first when `first`. */
struct bt {
	const struct xr_car_intent *in;
	uint32_t n, k;
	bool lanes, first;
	uint32_t c[MAXC];
	uint64_t found;
	void (*each)(struct bt *);
	void *arg;
};

static void bt_go(struct bt *b, uint32_t i)
{
	if (b->first && b->found)
		return;
	if (i == b->n) {
		b->found++;
		if (b->each)
			b->each(b);
		return;
	}
	/* Without lane order colours are interchangeable: a car takes at most
	 * one colour more than the cars before it used (every colouring is
	 * still found, up to renaming). */
	uint32_t top = b->k;
	if (!b->lanes) {
		uint32_t used = 0;
		for (uint32_t j = 0; j < i; j++)
			used = b->c[j] > used ? b->c[j] : used;
		top = used + 1 < b->k ? used + 1 : b->k;
	}
	for (uint32_t col = 1; col <= top; col++) {
		bool ok = true;
		for (uint32_t j = 0; j < i && ok; j++) {
			if (!ordered_pair(&b->in[i], &b->in[j]))
				continue;
			if (b->c[j] == col)
				ok = false;
			else if (b->lanes && b->in[i].approach == b->in[j].approach &&
				 (b->c[j] < col) != xr_arrived_before(&b->in[j], &b->in[i]))
				ok = false;
		}
		if (!ok)
			continue;
		b->c[i] = col;
		bt_go(b, i + 1);
	}
}

/* The most cars through one cell: they pairwise conflict, a clique. */
static uint32_t cell_load(const struct xr_car_intent *in, uint32_t n)
{
	uint32_t most = 0;
	for (int cell = 0; cell < XR_CELLS; cell++) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < n; i++)
			k += (xr_path_cells(in[i].approach, in[i].turn) >> cell) & 1;
		most = k > most ? k : most;
	}
	return most;
}

static uint32_t chromatic(const struct xr_car_intent *in, uint32_t n,
			  bool lanes)
{
	for (uint32_t k = cell_load(in, n); k <= n; k++) {
		struct bt b = {.in = in, .n = n, .k = k, .lanes = lanes, .first = true};
		bt_go(&b, 0);
		if (b.found)
			return k;
	}
	return 0;
}

/* The tie-break of schedule.c, by exhaustion: among all optimal colourings,
 * the one whose phases, first to last, are largest as arrival-ordered
 * binary words. */
struct best {
	uint32_t rank[MAXC];
	uint64_t key[MAXC + 1];
	uint32_t c[MAXC];
	bool any;
};

static void keep_best(struct bt *b)
{
	struct best *best = b->arg;
	uint64_t key[MAXC + 1] = {0};
	for (uint32_t i = 0; i < b->n; i++)
		key[b->c[i]] |= 1ull << (63 - best->rank[i]);
	int cmp = 0;
	for (uint32_t col = 1; col <= b->k && cmp == 0; col++)
		if (key[col] != best->key[col])
			cmp = key[col] > best->key[col] ? 1 : -1;
	if (!best->any || cmp > 0) {
		best->any = true;
		memcpy(best->key, key, sizeof key);
		memcpy(best->c, b->c, sizeof b->c);
	}
}

/* --------------------------------------------------------------- random */

static uint64_t rng_state;

/* SplitMix64 (the core's xr_splitmix64, stepped). */
static uint64_t rng(void)
{
	uint64_t z = xr_splitmix64(rng_state);
	rng_state += 0x9e3779b97f4a7c15ull;
	return z;
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

/* n cars with distinct shuffled ids; approaches from a random subset of
 * 1-4 approaches (so lanes get long), arrivals in a small range (ties). */
static void random_round(struct xr_car_intent *in, uint32_t n)
{
	uint32_t approaches = 1 + below(15); /* non-empty subset of S E N W */
	uint32_t ids[64];
	for (uint32_t i = 0; i < 64; i++)
		ids[i] = i + 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = i + below(64 - i), t = ids[i];
		ids[i] = ids[j];
		ids[j] = t;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a;
		do
			a = below(4);
		while (!(approaches & (1u << a)));
		in[i].car = ids[i];
		in[i].approach = (enum xr_approach)a;
		in[i].turn = (enum xr_turn)below(3);
		in[i].arrival_ms = below(3) == 0 ? 1000 : 1000 + below(20);
	}
}

static void describe(const struct xr_car_intent *in, uint32_t n, char *buf,
		     size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%u:%s:%s@%" PRIu64,
				 i ? " " : "", in[i].car,
				 xr_approach_name(in[i].approach),
				 xr_turn_name(in[i].turn), in[i].arrival_ms);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* ----------------------------------------------------------------- tests */

static void combinations(void)
{
	uint32_t total = 0, bound = 0, hist[5] = {0};
	for (unsigned code = 1; code < 256; code++) {
		struct xr_car_intent in[4];
		uint32_t n = 0;
		unsigned c = code;
		for (int a = 0; a < 4; a++, c /= 4) {
			if (c % 4 == 0)
				continue; /* absent */
			in[n].car = (uint32_t)a + 1;
			in[n].approach = (enum xr_approach)a;
			in[n].turn = (enum xr_turn)(c % 4 - 1);
			in[n].arrival_ms = 0;
			n++;
		}
		if (n == 0)
			continue;
		char name[160], why[160];
		describe(in, n, name, sizeof name);
		struct xr_schedule_plan p;
		int rv = xr_schedule_compute(XR_SCHEDULE_OPTIMAL, in, n, &p);
		CHECK(rv == 0, "%s: optimal failed %d", name, rv);
		CHECK(verify(in, n, &p, why, sizeof why) == 0, "%s: %s", name, why);
		uint32_t chi = 0;
		for (uint32_t k = 1; k <= n && chi == 0; k++)
			if (colourable_all(in, n, k))
				chi = k;
		CHECK(p.phases == chi, "%s: %u phases, chromatic number %u", name,
		      p.phases, chi);
		total += p.phases;
		bound += chi;
		hist[p.phases < 5 ? p.phases : 0]++;

		/* rules: exactly xr_yields, phases 0 exactly when cyclic. */
		rv = xr_schedule_compute(XR_SCHEDULE_RULES, in, n, &p);
		CHECK(rv == 0, "%s: rules failed %d", name, rv);
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = 0; j < n; j++)
				CHECK(((p.waits[i] >> j) & 1) == xr_yields(&in[i], &in[j]),
				      "%s: rules edge %u->%u", name, i, j);
		CHECK((p.phases == 0) == cyclic(p.waits, n),
		      "%s: rules %u phases, cyclic %d", name, p.phases,
		      cyclic(p.waits, n));
	}
	/* The figure: 561 over the 255 combinations. */
	CHECK(total == bound && bound == 561,
	      "255 combinations: optimal %u phases, chromatic %u, issue 561",
	      total, bound);
	printf("255 combinations: optimal %u phases, chromatic bound %u; "
	       "phases 1=%u 2=%u 3=%u 4=%u\n",
	       total, bound, hist[1], hist[2], hist[3], hist[4]);
}

static void fixed(void)
{
	/* The example: W right, N, E, S straight: 2 phases, {S, N}
	 * (S is car 1, the earliest) then {E, W}. */
	struct xr_car_intent in[4] = {
		{.car = 1, .approach = XR_S, .turn = XR_STRAIGHT},
		{.car = 2, .approach = XR_E, .turn = XR_STRAIGHT},
		{.car = 3, .approach = XR_N, .turn = XR_STRAIGHT},
		{.car = 4, .approach = XR_W, .turn = XR_RIGHT},
	};
	struct xr_schedule_plan p;
	CHECK(xr_schedule_optimal(in, 4, &p) == 0, "example");
	CHECK(p.phases == 2 && p.phase[0] == 1 && p.phase[2] == 1 &&
		      p.phase[1] == 2 && p.phase[3] == 2,
	      "example: %u phases, S%u E%u N%u W%u", p.phases, p.phase[0],
	      p.phase[1], p.phase[2], p.phase[3]);
	uint32_t cars[MAXC];
	uint32_t k = xr_schedule_waits_for(&p, in, 1, cars);
	CHECK(k == 2 && cars[0] == 1 && cars[1] == 3,
	      "E waits for S and N (%u cars)", k);
	/* An earlier arrival of E makes E's pair go first. */
	in[1].arrival_ms = 0;
	in[0].arrival_ms = in[2].arrival_ms = in[3].arrival_ms = 5;
	CHECK(xr_schedule_optimal(in, 4, &p) == 0 && p.phases == 2 &&
		      p.phase[1] == 1 && p.phase[3] == 1,
	      "E first by arrival: E%u W%u", p.phase[1], p.phase[3]);

	/* One lane: FIFO whatever the turns, one phase per car. */
	struct xr_car_intent lane[3] = {
		{.car = 7, .approach = XR_N, .turn = XR_LEFT, .arrival_ms = 30},
		{.car = 3, .approach = XR_N, .turn = XR_RIGHT, .arrival_ms = 10},
		{.car = 5, .approach = XR_N, .turn = XR_RIGHT, .arrival_ms = 10},
	};
	CHECK(xr_schedule_optimal(lane, 3, &p) == 0 && p.phases == 3 &&
		      p.phase[1] == 1 && p.phase[2] == 2 && p.phase[0] == 3,
	      "lane order 3, 5, 7: %u %u %u", p.phase[1], p.phase[2],
	      p.phase[0]);

	/* Refusals and the empty round. */
	CHECK(xr_schedule_optimal(in, 0, &p) == 0 && p.phases == 0 && p.n == 0,
	      "empty round");
	struct xr_car_intent dup[2] = {in[0], in[1]};
	dup[1].car = dup[0].car;
	CHECK(xr_schedule_optimal(dup, 2, &p) == XR_EINVAL, "duplicate car id");
	CHECK(xr_schedule_rules(dup, 2, &p) == XR_EINVAL, "duplicate car id");
	struct xr_car_intent many[MAXC + 1];
	for (uint32_t i = 0; i < MAXC + 1; i++)
		many[i] = (struct xr_car_intent){.car = i + 1, .approach = XR_S};
	CHECK(xr_schedule_optimal(many, MAXC + 1, &p) == XR_EINVAL,
	      "33 cars refused");
	dup[1].car = 9;
	dup[1].turn = (enum xr_turn)3;
	CHECK(xr_schedule_optimal(dup, 2, &p) == XR_EINVAL, "bad turn");
	CHECK(xr_schedule_compute((enum xr_schedule)7, in, 4, &p) == XR_EINVAL,
	      "bad kind");

	enum xr_schedule s;
	CHECK(xr_schedule_parse("optimal", &s) == 0 && s == XR_SCHEDULE_OPTIMAL &&
		      xr_schedule_parse("rules", &s) == 0 && s == XR_SCHEDULE_RULES &&
		      xr_schedule_parse("best", &s) == XR_EINVAL &&
		      strcmp(xr_schedule_name(XR_SCHEDULE_OPTIMAL), "optimal") == 0,
	      "names");
}

/* The checker catches broken plans: each mutation of a good plan must be
 * reported. */
static void checker_fails(void)
{
	struct xr_car_intent in[4] = {
		{.car = 1, .approach = XR_S, .turn = XR_STRAIGHT},
		{.car = 2, .approach = XR_E, .turn = XR_STRAIGHT},
		{.car = 3, .approach = XR_N, .turn = XR_STRAIGHT},
		{.car = 4, .approach = XR_S, .turn = XR_RIGHT, .arrival_ms = 1},
	};
	struct xr_schedule_plan good, p;
	char why[160];
	CHECK(xr_schedule_optimal(in, 4, &good) == 0 &&
		      verify(in, 4, &good, why, sizeof why) == 0,
	      "good plan: %s", why);
	/* S straight and N go first, then E (waits for both) and S right. */
	CHECK(good.waits[1] == 0x5 && good.waits[3] == 0x1 &&
		      good.waits[0] == 0 && good.waits[2] == 0,
	      "plan to mutate: %x %x %x %x", good.waits[0], good.waits[1],
	      good.waits[2], good.waits[3]);
	p = good; /* E -> S reversed: acyclic, but S no longer in phase 1 */
	p.waits[1] &= ~1u;
	p.waits[0] |= 1u << 1;
	CHECK(verify(in, 4, &p, why, sizeof why) != 0, "reversed edge passed");
	/* The levels made consistent: a valid schedule of 4 phases, which
	 * verify() accepts and the chromatic check (2) rejects. */
	p.phase[0] = 3;
	p.phase[3] = 4;
	p.phases = 4;
	CHECK(verify(in, 4, &p, why, sizeof why) == 0 &&
		      p.phases > chromatic(in, 4, true),
	      "4-phase schedule: %s", why);
	/* A cycle: the four straights' conflicts form a ring S E N W; orient
	 * it round, each car one phase after the next. */
	struct xr_car_intent ring[4];
	for (int a = 0; a < 4; a++)
		ring[a] = (struct xr_car_intent){.car = (uint32_t)a + 1,
						 .approach = (enum xr_approach)a,
						 .turn = XR_STRAIGHT};
	struct xr_schedule_plan c = {.n = 4, .phases = 4,
				     .waits = {0x2, 0x4, 0x8, 0x1},
				     .phase = {4, 3, 2, 1}};
	CHECK(verify(ring, 4, &c, why, sizeof why) != 0, "cycle passed");
	p = good; /* an edge dropped */
	p.waits[1] = 0;
	CHECK(verify(in, 4, &p, why, sizeof why) != 0, "dropped edge passed");
	p = good; /* the lane reversed: car 4 (S, later) before car 1 */
	p.waits[3] &= ~1u;
	p.waits[0] |= 1u << 3;
	CHECK(verify(in, 4, &p, why, sizeof why) != 0, "lane order passed");
	p = good;
	p.phases++;
	CHECK(verify(in, 4, &p, why, sizeof why) != 0, "phase count passed");
	p = good; /* an extra edge between non-conflicting S right and N */
	p.waits[3] |= 1u << 2;
	CHECK(verify(in, 4, &p, why, sizeof why) != 0, "extra edge passed");
}

static void random_rounds(uint64_t seed, uint32_t rounds)
{
	rng_state = seed;
	uint32_t lane_worse = 0, tie_checked = 0;
	uint64_t phases = 0, plain = 0;
	for (uint32_t r = 0; r < rounds; r++) {
		uint32_t n = 1 + below(12);
		struct xr_car_intent in[MAXC];
		random_round(in, n);
		char name[512], why[160];
		describe(in, n, name, sizeof name);
		struct xr_schedule_plan p;
		int rv = xr_schedule_optimal(in, n, &p);
		CHECK(rv == 0, "round %u (%s): %d", r, name, rv);
		CHECK(verify(in, n, &p, why, sizeof why) == 0, "round %u (%s): %s",
		      r, name, why);
		uint32_t chi_lane = chromatic(in, n, true);
		uint32_t chi = chromatic(in, n, false);
		CHECK(p.phases == chi_lane,
		      "round %u (%s): %u phases, %u with lane order by brute force",
		      r, name, p.phases, chi_lane);
		CHECK(chi <= chi_lane, "round %u: plain %u > lane %u", r, chi,
		      chi_lane);
		lane_worse += chi < chi_lane;
		phases += p.phases;
		plain += chi;

		if (n <= 8) {
			struct best best = {.any = false};
			for (uint32_t i = 0; i < n; i++) {
				best.rank[i] = 0;
				for (uint32_t j = 0; j < n; j++)
					best.rank[i] += j != i &&
							xr_arrived_before(&in[j], &in[i]);
			}
			struct bt b = {.in = in, .n = n, .k = chi_lane,
				       .lanes = true, .each = keep_best,
				       .arg = &best};
			bt_go(&b, 0);
			bool same = best.any;
			for (uint32_t i = 0; i < n && same; i++)
				same = best.c[i] == p.phase[i];
			CHECK(same, "round %u (%s): not the tie-break's schedule",
			      r, name);
			tie_checked++;
		}
		if (failures > 20) {
			fprintf(stderr, "stopping after 20 failures\n");
			break;
		}
	}
	printf("random: %u rounds of 1-12 cars, seed %" PRIu64 ": %" PRIu64
	       " phases, plain chromatic %" PRIu64 ", lane order costs a "
	       "phase in %u rounds; tie-break checked in %u\n",
	       rounds, seed, phases, plain, lane_worse, tie_checked);
}

static void big_rounds(uint64_t seed)
{
	rng_state = seed ^ 0x5151;
	for (uint32_t r = 0; r < 200; r++) {
		uint32_t n = r % 2 ? 31 : 32;
		struct xr_car_intent in[MAXC];
		random_round(in, n);
		char why[160];
		struct xr_schedule_plan p;
		CHECK(xr_schedule_optimal(in, n, &p) == 0, "big round %u", r);
		CHECK(verify(in, n, &p, why, sizeof why) == 0, "big round %u: %s",
		      r, why);
		uint32_t most = cell_load(in, n);
		CHECK(p.phases >= most && p.phases <= n,
		      "big round %u: %u phases, %u cars through one cell", r,
		      p.phases, most);
	}
}

int main(int argc, char **argv)
{
	uint64_t seed = 20240915;
	uint32_t rounds = 3000;
	if (argc > 1)
		seed = strtoull(argv[1], NULL, 10);
	if (argc > 2)
		rounds = (uint32_t)strtoul(argv[2], NULL, 10);
	printf("seed %" PRIu64 " (reproduce: tests/core_schedule %" PRIu64
	       " %u)\n",
	       seed, seed, rounds);
	combinations();
	fixed();
	checker_fails();
	random_rounds(seed, rounds);
	big_rounds(seed);
	printf("failures: %d\n", failures);
	return failures == 0 ? 0 : 1;
}
