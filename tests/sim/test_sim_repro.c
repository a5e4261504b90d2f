/* A seed is a reproduction: the same seed twice gives the same run, counter
 * for counter, including the faults (crashes, losses, duplicates) it drew,
 * and two different seeds give different runs. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim_world.h"

#include "checkf.h"

static struct sim_result run(uint64_t seed, enum sim_topology t, uint32_t cars)
{
	struct sim_config cfg;
	sim_config_defaults(&cfg);
	cfg.seed = seed;
	cfg.cars = cars;
	cfg.topology = t;
	cfg.faults = true;
	cfg.rounds = 5;
	cfg.out = stderr;
	struct sim_result r;
	memset(&r, 0, sizeof r);
	CHECK(sim_run(&cfg, &r) == 0, "sim_run");
	return r;
}

int main(void)
{
	int differ = 0;
	for (uint64_t seed = 1; seed <= 30; seed++) {
		enum sim_topology t = (enum sim_topology)(seed % SIM_TOPOLOGIES);
		uint32_t cars = seed % 3 == 0 ? 8 : 4;
		struct sim_result a = run(seed, t, cars), b = run(seed, t, cars);
		CHECK(memcmp(&a.stats, &b.stats, sizeof a.stats) == 0 &&
			      a.violations == b.violations &&
			      strcmp(a.first, b.first) == 0,
		      "seed %" PRIu64 " ran differently twice (steps %" PRIu64
		      " vs %" PRIu64 ")",
		      seed, a.stats.steps, b.stats.steps);
		struct sim_result c = run(seed + 1000, t, cars);
		if (memcmp(&a.stats, &c.stats, sizeof a.stats) != 0)
			differ++;
	}
	CHECK(differ >= 25, "only %d of 30 seed pairs differ", differ);
	printf("failures %d\n", failures);
	return failures == 0 ? 0 : 1;
}
