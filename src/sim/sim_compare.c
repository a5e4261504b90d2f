/* --compare-light (see sim_compare.h). For every seed: run xroad with
 * Poisson arrivals (open rounds: each car node's vehicles come as the core
 * draws them, xr_vehicle_arrival_ms), run the fixed-cycle light on the very
 * same vehicles (same arrival, approach, and the turn xr_pick_turn gives the
 * core for that vehicle), and pool the delays of all seeds per system. */
#include "sim_compare.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_compare_svg.h"
#include "sim_fixed_light.h"
#include "sim_world.h"

void sim_compare_defaults(struct sim_compare_config *c)
{
	memset(c, 0, sizeof *c);
	c->seeds = 100;
	c->first_seed = 1;
	c->cars = 4;
	c->vehicles = 10;
	c->cross_ms = 300;
	c->headway_ms = 4000;
	c->green_ms = 3000;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct sim_delay_summary sim_delay_summarise(uint64_t *d, size_t n)
{
	struct sim_delay_summary s = {.n = n};
	if (n == 0)
		return s;
	qsort(d, n, sizeof d[0], cmp_u64);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)d[i];
	s.mean = sum / (double)n;
	s.p50 = d[(n * 50 + 99) / 100 - 1];
	s.p99 = d[(n * 99 + 99) / 100 - 1];
	s.max = d[n - 1];
	return s;
}

static void print_line(FILE *out, const char *name, size_t n,
		       const struct sim_delay_summary *s)
{
	fprintf(out,
		"%-12s vehicles %zu  mean %.1f ms  p50 %" PRIu64
		" ms  p99 %" PRIu64 " ms  max %" PRIu64 " ms\n",
		name, n, s->mean, s->p50, s->p99, s->max);
}

int sim_compare_run(const struct sim_compare_config *c, FILE *out)
{
	if (c->cross_ms == 0 || c->green_ms < c->cross_ms) {
		fprintf(stderr, "xroad-sim --compare-light: needs cross_ms > 0 "
				"and green_ms >= cross_ms\n");
		return 2;
	}
	uint32_t R = c->vehicles, C = c->cars;
	size_t per_seed = (size_t)C * R;
	size_t slots = (size_t)(C + 1) * (R + 1);
	uint64_t *arrivals = calloc(slots, sizeof *arrivals);
	uint64_t *exits = calloc(slots, sizeof *exits);
	uint64_t *d_xroad = calloc(per_seed * c->seeds, sizeof *d_xroad);
	uint64_t *d_fixed = calloc(per_seed * c->seeds, sizeof *d_fixed);
	struct sim_vehicle *veh = calloc(per_seed, sizeof *veh);
	if (!arrivals || !exits || !d_xroad || !d_fixed || !veh) {
		fprintf(stderr, "xroad-sim: out of memory\n");
		free(arrivals);
		free(exits);
		free(d_xroad);
		free(d_fixed);
		free(veh);
		return 2;
	}
	uint64_t violations = 0, deadlocks = 0, rounds = 0;
	size_t nx = 0, nf = 0;
	int status = 0;
	for (uint64_t s = 0; s < c->seeds; s++) {
		uint64_t seed = c->first_seed + s;
		for (uint32_t car = 1; car <= C; car++)
			for (uint32_t k = 1; k <= R; k++)
				arrivals[(size_t)car * (R + 1) + k] =
					xr_vehicle_arrival_ms(seed, car, k,
							      c->headway_ms);
		struct sim_config cfg;
		sim_config_defaults(&cfg);
		cfg.seed = seed;
		cfg.cars = C;
		cfg.rounds = R;
		cfg.cross_ms = c->cross_ms;
		cfg.schedule = c->schedule;
		cfg.verbose = c->verbose;
		cfg.arrivals = XR_ARRIVALS_POISSON;
		cfg.headway_ms = c->headway_ms;
		cfg.exit_ms = exits;
		cfg.out = out;
		char extra[120];
		snprintf(extra, sizeof extra,
			 " --compare-light --cross-ms %u --headway-ms %u "
			 "--green-ms %u",
			 c->cross_ms, c->headway_ms, c->green_ms);
		cfg.repro_extra = extra;
		struct sim_result res;
		if (sim_run(&cfg, &res) != 0) {
			status = 2;
			break;
		}
		violations += res.violations;
		deadlocks += res.stats.deadlocks;
		rounds += res.stats.rounds;
		if (res.violations > 0) {
			char repro[200];
			sim_repro(&cfg, repro, sizeof repro);
			fprintf(out, "FAIL %s\nreproduce: %s\n", res.first,
				repro);
		}
		uint32_t nv = 0;
		for (uint32_t car = 1; car <= C; car++) {
			for (uint32_t k = 1; k <= R; k++) {
				size_t i = (size_t)car * (R + 1) + k;
				if (exits[i] != 0)
					d_xroad[nx++] = exits[i] - arrivals[i] -
							c->cross_ms;
				struct sim_vehicle *v = &veh[nv++];
				v->car = car;
				v->approach = (enum xr_approach)((car - 1) % 4);
				v->turn =
					xr_pick_turn(seed, car, k, sim_weights);
				v->arrival_ms = arrivals[i];
			}
		}
		if (sim_fixed_light_run(veh, nv, c->cross_ms, c->green_ms) !=
		    0) {
			status = 2;
			break;
		}
		for (uint32_t i = 0; i < nv; i++)
			d_fixed[nf++] = veh[i].exit_ms - veh[i].arrival_ms -
					c->cross_ms;
	}
	if (status == 0) {
		fprintf(out,
			"compare-light: seeds %" PRIu64 " from %" PRIu64
			", %u car nodes x %u vehicles, cross %u ms, mean headway "
			"%u ms per car node, fixed light %u ms N-S green + %u ms "
			"E-W green\n",
			c->seeds, c->first_seed, C, R, c->cross_ms,
			c->headway_ms, c->green_ms, c->green_ms);
		fprintf(out, "delay per vehicle = exit - arrival - cross_ms\n");
		struct sim_delay_summary sx = sim_delay_summarise(d_xroad, nx);
		struct sim_delay_summary sf = sim_delay_summarise(d_fixed, nf);
		print_line(out, "xroad", nx, &sx);
		print_line(out, "fixed-light", nf, &sf);
		if (nx != per_seed * c->seeds)
			fprintf(out, "xroad: %zu vehicles never crossed\n",
				per_seed * c->seeds - nx);
		char why[300];
		if (c->svg != NULL &&
		    sim_compare_svg_write(c, d_xroad, &sx, d_fixed, &sf, why,
					  sizeof why) != 0) {
			fprintf(stderr, "xroad-sim: %s\n", why);
			status = 2;
		}
	}
	fprintf(out,
		"seeds: %" PRIu64 " violations: %" PRIu64 " deadlocks: %" PRIu64
		" rounds: %" PRIu64 "\n",
		c->seeds, violations, deadlocks, rounds);
	free(arrivals);
	free(exits);
	free(d_xroad);
	free(d_fixed);
	free(veh);
	if (status != 0)
		return status;
	return violations > 0 ? 1 : 0;
}
