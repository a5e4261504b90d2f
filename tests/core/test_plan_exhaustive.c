/* All 256 combinations of {absent, right, straight, left} on the four
 * approaches, checked against the rules of docs/DESIGN.md section 1 computed
 * independently here from xr_yields/xr_paths_conflict:
 *   - the plan's edges are exactly the rule edges, and every conflicting or
 *     same-lane pair has exactly one edge (the rules order every pair);
 *   - deadlock exactly when the rule graph has a cycle (by transitive
 *     closure, not by the plan's own cycle search);
 *   - every combination completes: the order holds every car once, respects
 *     every edge the light did not reverse and every reversed edge the other
 *     way round, each override's winner is the earliest car of a real cycle;
 *   - I1 per phase: no two cars of one phase have conflicting paths.
 * Plus the two deadlocks the design names, and a few fixed expectations.
 *
 * With --schedule optimal (xr_plan_compute_schedule), for the same
 * combinations: no deadlock, no cycle, no override; every conflicting pair
 * has exactly one edge and no other pair has one; the edges are acyclic and
 * the order and phases honour them; each phase is an independent set; and
 * the number of phases is the chromatic number of the conflict graph, found
 * here by trying every colouring. The totals over the 255 non-empty
 * combinations are the issue's: 640 phases by the rules, 561 optimal. */
#include <stdio.h>
#include <string.h>

#include "ctl_plan.h"

#include "checkf.h"

static const char *combo_name(const bool present[4], const enum xr_turn t[4],
			      char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int a = 0; a < 4 && used < len; a++) {
		int w = snprintf(buf + used, len - used, "%s%s:%s",
				 used ? " " : "", xr_approach_name((enum xr_approach)a),
				 present[a] ? xr_turn_name(t[a]) : "absent");
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

static struct xr_car_intent mk(int a, enum xr_turn t)
{
	struct xr_car_intent i = {.car = (uint32_t)a + 1,
				  .approach = (enum xr_approach)a,
				  .turn = t,
				  .arrival_ms = 0};
	return i;
}

/* Cycle check by transitive closure: independent of the plan's search. */
/* reach[i] bit j: a path of edges leads from i to j. */
static void closure(const unsigned waits[4], unsigned reach[4])
{
	memcpy(reach, waits, 4 * sizeof reach[0]);
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 4; i++)
			if (reach[i] & (1u << k))
				reach[i] |= reach[k];
}

static bool has_cycle(const unsigned waits[4])
{
	unsigned reach[4];
	closure(waits, reach);
	for (int i = 0; i < 4; i++)
		if (reach[i] & (1u << i))
			return true;
	return false;
}

static bool is_cycle_of(const unsigned g[4], const struct xr_plan_cycle *c)
{
	if (c->n < 2)
		return false;
	for (uint32_t i = 0; i < c->n; i++)
		if (!(g[c->members[i]] & (1u << c->members[(i + 1) % c->n])))
			return false;
	return true;
}

static void check_combo(const bool present[4], const enum xr_turn turn[4],
			int *deadlocks, int phase_hist[5])
{
	char name[96];
	combo_name(present, turn, name, sizeof name);
	struct xr_plan p;
	int rv = xr_plan_compute(present, turn, &p);
	CHECK(rv == 0, "%s: plan failed (%d): the light's policy does not end",
	      name, rv);
	if (rv != 0)
		return;

	unsigned rules[4] = {0};
	int n_cars = 0, n_edges = 0;
	for (int a = 0; a < 4; a++) {
		if (!present[a])
			continue;
		n_cars++;
		for (int b = 0; b < 4; b++) {
			if (a == b || !present[b])
				continue;
			struct xr_car_intent ia = mk(a, turn[a]), ib = mk(b, turn[b]);
			bool ab = xr_yields(&ia, &ib), ba = xr_yields(&ib, &ia);
			bool ordered = xr_paths_conflict(&ia, &ib);
			CHECK(ab + ba == (ordered ? 1 : 0),
			      "%s: pair %s,%s: yields %d/%d conflict %d", name,
			      xr_approach_name((enum xr_approach)a),
			      xr_approach_name((enum xr_approach)b), ab, ba, ordered);
			if (ab) {
				rules[a] |= 1u << b;
				n_edges++;
			}
		}
	}
	for (int a = 0; a < 4; a++)
		CHECK(p.waits[a] == rules[a], "%s: edges of %s differ", name,
		      xr_approach_name((enum xr_approach)a));
	CHECK((int)p.n_edges == n_edges, "%s: %u edges listed, %d expected",
	      name, p.n_edges, n_edges);

	bool cyc = has_cycle(rules);
	CHECK(p.deadlock == cyc, "%s: deadlock %d but rule graph cycle %d", name,
	      p.deadlock, cyc);
	CHECK((p.n_cycles > 0) == cyc, "%s: %u cycles listed", name, p.n_cycles);
	for (uint32_t i = 0; i < p.n_cycles && i < XR_PLAN_MAX_CYCLES; i++)
		CHECK(is_cycle_of(rules, &p.cycles[i]), "%s: cycle %u is not one",
		      name, i);
	if (cyc)
		(*deadlocks)++;
	CHECK(cyc == (p.n_overrides > 0), "%s: %u overrides", name,
	      p.n_overrides);

	/* Replay the overrides: each must break a real cycle at its time, its
	 * winner the earliest car (lowest id, equal arrival) of the cycle and
	 * its loser the winner's successor. */
	unsigned g[4];
	memcpy(g, rules, sizeof g);
	for (uint32_t i = 0; i < p.n_overrides; i++) {
		const struct xr_plan_cycle *c = &p.overrides[i].cycle;
		CHECK(is_cycle_of(g, c), "%s: override %u on a non-cycle", name, i);
		enum xr_approach min = c->members[0];
		uint32_t at = 0;
		for (uint32_t k = 0; k < c->n; k++)
			if (c->members[k] < min) {
				min = c->members[k];
				at = k;
			}
		CHECK(p.overrides[i].winner == min,
		      "%s: override %u winner %s, earliest is %s", name, i,
		      xr_approach_name(p.overrides[i].winner),
		      xr_approach_name(min));
		CHECK(p.overrides[i].loser == c->members[(at + 1) % c->n],
		      "%s: override %u loser is not the winner's successor", name,
		      i);
		/* The other cars it goes before: each a later car it waits
		 * for that closes a cycle with it (by closure here, not by the
		 * plan's search), and no other (light.c, also_losers). */
		enum xr_approach w = p.overrides[i].winner;
		unsigned reach[4];
		closure(g, reach);
		unsigned want = 0;
		for (int t = (int)w + 1; t < 4; t++)
			if ((g[w] & (1u << t)) && (reach[t] & (1u << w)) &&
			    t != (int)p.overrides[i].loser)
				want |= 1u << t;
		CHECK(p.overrides[i].also == want,
		      "%s: override %u goes before %#x as well, want %#x", name,
		      i, p.overrides[i].also, want);
		g[w] &= ~(1u << p.overrides[i].loser);
		g[p.overrides[i].loser] |= 1u << w;
		for (int t = 0; t < 4; t++)
			if (p.overrides[i].also & (1u << t)) {
				g[w] &= ~(1u << t);
				g[t] |= 1u << w;
			}
	}
	CHECK(!has_cycle(g), "%s: still cyclic after the overrides", name);
	CHECK(memcmp(g, p.final_waits, sizeof g) == 0,
	      "%s: final graph differs from the overrides", name);

	/* Completes: every car once, in an order that honours the final graph
	 * (every rule edge not reversed, every reversed edge reversed). */
	CHECK((int)p.n_order == n_cars, "%s: order has %u of %d cars", name,
	      p.n_order, n_cars);
	int pos[4] = {-1, -1, -1, -1};
	for (uint32_t i = 0; i < p.n_order; i++) {
		CHECK(present[p.order[i]] && pos[p.order[i]] < 0,
		      "%s: order entry %u bad", name, i);
		pos[p.order[i]] = (int)i;
	}
	for (int a = 0; a < 4; a++) {
		for (int b = 0; b < 4; b++) {
			if (!(g[a] & (1u << b)))
				continue;
			CHECK(pos[b] < pos[a] && p.phase_of[b] < p.phase_of[a],
			      "%s: %s waits for %s but crosses first", name,
			      xr_approach_name((enum xr_approach)a),
			      xr_approach_name((enum xr_approach)b));
		}
	}
	/* I1 per phase. */
	for (int a = 0; a < 4; a++) {
		for (int b = a + 1; b < 4; b++) {
			if (!present[a] || !present[b] || p.phase_of[a] != p.phase_of[b])
				continue;
			struct xr_car_intent ia = mk(a, turn[a]), ib = mk(b, turn[b]);
			CHECK(!xr_paths_conflict(&ia, &ib),
			      "%s: %s and %s conflict in phase %u", name,
			      xr_approach_name((enum xr_approach)a),
			      xr_approach_name((enum xr_approach)b), p.phase_of[a]);
		}
	}
	CHECK(p.phases <= (uint32_t)n_cars && (n_cars == 0 || p.phases >= 1),
	      "%s: %u phases for %d cars", name, p.phases, n_cars);
	if (p.phases <= 4)
		phase_hist[p.phases]++;
}

/* Fewest colours of the conflict graph, by trying all k^n colourings. */
static uint32_t chromatic(const bool present[4], const enum xr_turn turn[4])
{
	int cars[4], n = 0;
	for (int a = 0; a < 4; a++)
		if (present[a])
			cars[n++] = a;
	if (n == 0)
		return 0;
	for (uint32_t k = 1;; k++) {
		uint32_t total = 1;
		for (int i = 0; i < n; i++)
			total *= k;
		for (uint32_t code = 0; code < total; code++) {
			uint32_t c[4], x = code;
			for (int i = 0; i < n; i++, x /= k)
				c[i] = x % k;
			bool ok = true;
			for (int i = 0; i < n && ok; i++)
				for (int j = i + 1; j < n && ok; j++) {
					struct xr_car_intent ia = mk(cars[i], turn[cars[i]]),
							     ib = mk(cars[j], turn[cars[j]]);
					if (c[i] == c[j] && xr_paths_conflict(&ia, &ib))
						ok = false;
				}
			if (ok)
				return k;
		}
	}
}

static void check_optimal(const bool present[4], const enum xr_turn turn[4],
			  uint32_t *total, uint32_t *bound, int hist[5])
{
	char name[96];
	combo_name(present, turn, name, sizeof name);
	struct xr_plan p;
	int rv = xr_plan_compute_schedule(present, turn, XR_SCHEDULE_OPTIMAL, &p);
	CHECK(rv == 0, "%s optimal: failed (%d)", name, rv);
	if (rv != 0)
		return;
	CHECK(p.schedule == XR_SCHEDULE_OPTIMAL && !p.deadlock &&
		      p.n_cycles == 0 && p.n_overrides == 0,
	      "%s optimal: deadlock %d, %u cycles, %u overrides", name,
	      p.deadlock, p.n_cycles, p.n_overrides);
	CHECK(memcmp(p.final_waits, p.waits, sizeof p.waits) == 0,
	      "%s optimal: final graph differs", name);
	int n_cars = 0, n_edges = 0;
	for (int a = 0; a < 4; a++) {
		if (!present[a])
			continue;
		n_cars++;
		for (int b = a + 1; b < 4; b++) {
			if (!present[b])
				continue;
			struct xr_car_intent ia = mk(a, turn[a]), ib = mk(b, turn[b]);
			bool ab = p.waits[a] & (1u << b), ba = p.waits[b] & (1u << a);
			bool conflict = xr_paths_conflict(&ia, &ib);
			CHECK(ab + ba == (conflict ? 1 : 0),
			      "%s optimal: pair %s,%s oriented %d times, conflict %d",
			      name, xr_approach_name((enum xr_approach)a),
			      xr_approach_name((enum xr_approach)b), ab + ba,
			      conflict);
			n_edges += ab + ba;
			CHECK(!(conflict && p.phase_of[a] == p.phase_of[b]),
			      "%s optimal: %s and %s conflict in phase %u", name,
			      xr_approach_name((enum xr_approach)a),
			      xr_approach_name((enum xr_approach)b), p.phase_of[a]);
		}
		CHECK((p.waits[a] & ~0xfu) == 0, "%s optimal: stray bits", name);
	}
	CHECK((int)p.n_edges == n_edges, "%s optimal: %u edges listed, %d", name,
	      p.n_edges, n_edges);
	CHECK(!has_cycle(p.waits), "%s optimal: cyclic", name);
	CHECK((int)p.n_order == n_cars, "%s optimal: order has %u of %d", name,
	      p.n_order, n_cars);
	int pos[4] = {-1, -1, -1, -1};
	for (uint32_t i = 0; i < p.n_order; i++)
		pos[p.order[i]] = (int)i;
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < 4; b++)
			if (p.waits[a] & (1u << b))
				CHECK(pos[b] >= 0 && pos[b] < pos[a] &&
					      p.phase_of[b] < p.phase_of[a],
				      "%s optimal: %s waits for %s but crosses "
				      "first",
				      name, xr_approach_name((enum xr_approach)a),
				      xr_approach_name((enum xr_approach)b));
	uint32_t chi = chromatic(present, turn);
	CHECK(p.phases == chi, "%s optimal: %u phases, chromatic number %u",
	      name, p.phases, chi);
	*total += p.phases;
	*bound += chi;
	if (p.phases <= 4)
		hist[p.phases]++;
}

static struct xr_plan plan_of(const char *spec)
{
	/* spec: four letters, one per approach S E N W: '-' r s l */
	bool present[4] = {false};
	enum xr_turn turn[4] = {XR_STRAIGHT, XR_STRAIGHT, XR_STRAIGHT,
				XR_STRAIGHT};
	for (int a = 0; a < 4; a++) {
		present[a] = spec[a] != '-';
		turn[a] = spec[a] == 'r' ? XR_RIGHT
			  : spec[a] == 'l' ? XR_LEFT
					   : XR_STRAIGHT;
	}
	struct xr_plan p;
	int rv = xr_plan_compute(present, turn, &p);
	CHECK(rv == 0, "plan %s failed", spec);
	return p;
}

int main(void)
{
	int deadlocks = 0, combos = 0;
	int phase_hist[5] = {0}, optimal_hist[5] = {0};
	uint32_t optimal_total = 0, bound = 0;
	for (unsigned code = 0; code < 256; code++) {
		bool present[4];
		enum xr_turn turn[4];
		unsigned c = code;
		for (int a = 0; a < 4; a++) {
			unsigned v = c % 4; /* 0 absent, 1 right, 2 straight, 3 left */
			c /= 4;
			present[a] = v != 0;
			turn[a] = v == 0 ? XR_STRAIGHT : (enum xr_turn)(v - 1);
		}
		check_combo(present, turn, &deadlocks, phase_hist);
		check_optimal(present, turn, &optimal_total, &bound, optimal_hist);
		combos++;
	}

	/* The two deadlocks docs/DESIGN.md names. */
	struct xr_plan p = plan_of("ssss");
	CHECK(p.deadlock, "4x straight must deadlock");
	CHECK(p.n_cycles == 1 && p.cycles[0].n == 4 &&
		      p.cycles[0].members[0] == XR_S &&
		      p.cycles[0].members[1] == XR_E &&
		      p.cycles[0].members[2] == XR_N &&
		      p.cycles[0].members[3] == XR_W,
	      "4x straight: cycle S E N W expected (%u cycles)", p.n_cycles);
	CHECK(p.n_overrides == 1 && p.overrides[0].winner == XR_S &&
		      p.overrides[0].loser == XR_E,
	      "4x straight: S wins over E");
	CHECK(p.n_order == 4 && p.order[0] == XR_S, "4x straight: S first");

	p = plan_of("sl-s");
	CHECK(p.deadlock, "S straight, E left, W straight must deadlock");
	CHECK(p.n_cycles == 1 && p.cycles[0].n == 3 &&
		      p.cycles[0].members[0] == XR_S &&
		      p.cycles[0].members[1] == XR_E &&
		      p.cycles[0].members[2] == XR_W,
	      "S-E-W 3-cycle expected");
	CHECK(p.n_overrides == 1 && p.overrides[0].winner == XR_S,
	      "S wins the 3-cycle");
	CHECK(p.n_order == 3, "all three cross");

	p = plan_of("rrrr");
	CHECK(!p.deadlock && p.n_edges == 0 && p.phases == 1,
	      "four right turns cross together (%u phases)", p.phases);
	p = plan_of("s-s-");
	CHECK(!p.deadlock && p.n_edges == 0 && p.phases == 1,
	      "opposite straights cross together");
	p = plan_of("l-s-");
	CHECK(!p.deadlock && p.n_edges == 1 && p.edges[0][0] == XR_S &&
		      p.edges[0][1] == XR_N && p.phases == 2,
	      "a left turn yields to the oncoming straight");
	p = plan_of("ss--");
	CHECK(p.n_edges == 1 && p.edges[0][0] == XR_S && p.edges[0][1] == XR_E,
	      "S yields to E on its right");

	/* The figures over the 255 non-empty combinations. */
	uint32_t rules_total = 0;
	for (int k = 1; k <= 4; k++)
		rules_total += (uint32_t)(k * phase_hist[k]);
	CHECK(rules_total == 640 && optimal_total == 561 && bound == 561,
	      "phases: rules %u (issue 640), optimal %u, chromatic %u (issue "
	      "561)",
	      rules_total, optimal_total, bound);

	printf("combinations: %d deadlocks: %d phases: 0=%d 1=%d 2=%d 3=%d 4=%d "
	       "(total %u)\n"
	       "optimal phases: 0=%d 1=%d 2=%d 3=%d 4=%d (total %u, chromatic "
	       "%u) failures: %d\n",
	       combos, deadlocks, phase_hist[0], phase_hist[1], phase_hist[2],
	       phase_hist[3], phase_hist[4], rules_total, optimal_hist[0],
	       optimal_hist[1], optimal_hist[2], optimal_hist[3],
	       optimal_hist[4], optimal_total, bound, failures);
	return failures == 0 ? 0 : 1;
}
