/* xroad-bench-phases: phases per round under the two schedules against the
 * physical lower bound (docs/SIM.md "Phases").
 *
 * Default: the 255 non-empty one-car-per-approach combinations as
 * `xroadctl plan` models them (cars 1-4 = S E N W, equal arrivals, ties by
 * car id): the phases of the rules with the light's overrides
 * (xr_plan_compute), of the optimal schedule (xr_schedule_optimal), and the
 * chromatic number of the conflict graph, found here by trying every
 * colouring. Totals per number of cars, and a histogram.
 *
 * --cars N [--rounds R] [--seed S]: R random rounds of N cars (1..32),
 * approaches and turns uniform, arrivals 0-99 ms: the optimal schedule's
 * phases against the most cars through one cell (a lower bound), and the
 * CPU time one xr_schedule_optimal call takes (the coordinator would make one
 * per round).
 *
 * Exits 1 when the optimal total differs from the bound (a bug). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_plan.h"
#include "node.h"
#include "schedule.h"

static uint32_t chromatic(const struct xr_car_intent *in, uint32_t n)
{
	for (uint32_t k = 1; k <= n; k++) {
		uint32_t total = 1;
		for (uint32_t i = 0; i < n; i++)
			total *= k;
		for (uint32_t code = 0; code < total; code++) {
			uint32_t c[XR_APPROACHES], x = code;
			for (uint32_t i = 0; i < n; i++, x /= k)
				c[i] = x % k;
			bool ok = true;
			for (uint32_t i = 0; i < n && ok; i++)
				for (uint32_t j = i + 1; j < n && ok; j++)
					if (c[i] == c[j] && xr_paths_conflict(&in[i], &in[j]))
						ok = false;
			if (ok)
				return k;
		}
	}
	return 0;
}

static int combinations(void)
{
	uint32_t combos[5] = {0}, rules[5] = {0}, optimal[5] = {0}, bound[5] = {0};
	uint32_t hist[3][5] = {{0}}, above = 0, extra = 0, deadlocks = 0;
	for (unsigned code = 1; code < 256; code++) {
		bool present[XR_APPROACHES];
		enum xr_turn turn[XR_APPROACHES];
		struct xr_car_intent in[XR_APPROACHES];
		uint32_t n = 0;
		unsigned c = code;
		for (int a = 0; a < XR_APPROACHES; a++, c /= 4) {
			present[a] = c % 4 != 0;
			turn[a] = present[a] ? (enum xr_turn)(c % 4 - 1) : XR_STRAIGHT;
			if (present[a])
				in[n++] = (struct xr_car_intent){
					.car = xr_plan_car_id((enum xr_approach)a),
					.approach = (enum xr_approach)a,
					.turn = turn[a]};
		}
		struct xr_plan p;
		struct xr_schedule_plan s;
		if (xr_plan_compute(present, turn, &p) != 0 ||
		    xr_schedule_optimal(in, n, &s) != 0) {
			fprintf(stderr, "xroad-bench-phases: combination %u failed\n",
				code);
			return 1;
		}
		uint32_t chi = chromatic(in, n);
		combos[n]++;
		rules[n] += p.phases;
		optimal[n] += s.phases;
		bound[n] += chi;
		hist[0][p.phases]++;
		hist[1][s.phases]++;
		hist[2][chi]++;
		deadlocks += p.deadlock;
		if (p.phases > chi) {
			above++;
			extra += p.phases - chi;
		}
	}
	printf("phases over the 255 non-empty one-car-per-approach combinations\n"
	       "(cars 1-4 = S E N W, equal arrivals; rules = priority to the "
	       "right + the light's overrides)\n\n");
	printf("| cars | combinations | rules | optimal | chromatic bound |\n"
	       "|---|---|---|---|---|\n");
	uint32_t t[4] = {0};
	for (int k = 1; k <= 4; k++) {
		printf("| %d | %u | %u | %u | %u |\n", k, combos[k], rules[k],
		       optimal[k], bound[k]);
		t[0] += combos[k];
		t[1] += rules[k];
		t[2] += optimal[k];
		t[3] += bound[k];
	}
	printf("| all | %u | %u | %u | %u |\n\n", t[0], t[1], t[2], t[3]);
	printf("combinations by number of phases:\n\n"
	       "| phases | rules | optimal | chromatic bound |\n"
	       "|---|---|---|---|\n");
	for (int k = 1; k <= 4; k++)
		printf("| %d | %u | %u | %u |\n", k, hist[0][k], hist[1][k],
		       hist[2][k]);
	printf("\nrules above the bound in %u combinations: +%u phases, %.1f%% "
	       "over the bound (%.1f%% of the rules' phases); the rules "
	       "deadlock in %u combinations\n",
	       above, extra, 100.0 * extra / t[3], 100.0 * extra / t[1],
	       deadlocks);
	return t[2] == t[3] ? 0 : 1;
}

static uint64_t rng_state;

/* SplitMix64 (the core's xr_splitmix64, stepped). */
static uint64_t rng(void)
{
	uint64_t z = xr_splitmix64(rng_state);
	rng_state += 0x9e3779b97f4a7c15ull;
	return z;
}

static int random_rounds(uint32_t n, uint32_t rounds, uint64_t seed)
{
	rng_state = seed;
	uint64_t phases = 0, load = 0, ns = 0;
	uint32_t hist[XR_SCHEDULE_MAX_CARS + 1] = {0};
	for (uint32_t r = 0; r < rounds; r++) {
		struct xr_car_intent in[XR_SCHEDULE_MAX_CARS];
		for (uint32_t i = 0; i < n; i++)
			in[i] = (struct xr_car_intent){
				.car = i + 1,
				.approach = (enum xr_approach)(rng() % 4),
				.turn = (enum xr_turn)(rng() % 3),
				.arrival_ms = rng() % 100};
		struct xr_schedule_plan s;
		struct timespec t0, t1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		int rv = xr_schedule_optimal(in, n, &s);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		if (rv != 0) {
			fprintf(stderr, "xroad-bench-phases: round %u failed\n", r);
			return 1;
		}
		ns += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL +
				 (t1.tv_nsec - t0.tv_nsec));
		uint32_t most = 0;
		for (int cell = 0; cell < XR_CELLS; cell++) {
			uint32_t k = 0;
			for (uint32_t i = 0; i < n; i++)
				k += (xr_path_cells(in[i].approach, in[i].turn) >> cell) & 1;
			most = k > most ? k : most;
		}
		phases += s.phases;
		load += most;
		hist[s.phases - most < XR_SCHEDULE_MAX_CARS ? s.phases - most : 0]++;
	}
	printf("%u random rounds of %u cars (seed %" PRIu64 "): optimal %.2f "
	       "phases per round, most cars through one cell %.2f; "
	       "xr_schedule_optimal %.1f us CPU per call\n",
	       rounds, n, seed, (double)phases / rounds, (double)load / rounds,
	       ns / 1000.0 / rounds);
	printf("rounds by phases above the one-cell bound:");
	for (uint32_t k = 0; k <= n; k++)
		if (hist[k])
			printf(" +%u: %u", k, hist[k]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t cars = 0, rounds = 10000;
	uint64_t seed = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cars") == 0 && i + 1 < argc)
			cars = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr,
				"usage: xroad-bench-phases [--cars N [--rounds R] "
				"[--seed S]]\n");
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}
	if (cars == 0)
		return combinations();
	if (cars > XR_SCHEDULE_MAX_CARS || rounds == 0) {
		fprintf(stderr, "xroad-bench-phases: --cars 1..%d, --rounds >= 1\n",
			XR_SCHEDULE_MAX_CARS);
		return 2;
	}
	return random_rounds(cars, rounds, seed);
}
