/* Fault-free runs on every topology and car count: no violation, every
 * round done, every Echo wave exactly 2|E| messages (Chang 1982), and every
 * Chandy-Misra-Haas epoch within |edges| x |initiators| probes. The numbers
 * come from the simulator's wire counters, not from the core's opinion. */
#include <inttypes.h>
#include <stdio.h>

#include "sim_world.h"

#include "checkf.h"

int main(void)
{
	static const uint32_t cars[] = {1, 4, 8, 16};
	uint64_t waves = 0, epochs = 0, deadlocks = 0;
	for (int t = 0; t < SIM_TOPOLOGIES; t++) {
		for (size_t k = 0; k < sizeof cars / sizeof cars[0]; k++) {
			uint32_t seeds = cars[k] >= 16 ? 6 : 25;
			for (uint32_t s = 1; s <= seeds; s++) {
				struct sim_config cfg;
				sim_config_defaults(&cfg);
				cfg.seed = 1000 + s;
				cfg.cars = cars[k];
				cfg.topology = (enum sim_topology)t;
				cfg.rounds = 4;
				cfg.out = stderr;
				struct sim_result r;
				CHECK(sim_run(&cfg, &r) == 0, "sim_run failed");
				const struct sim_stats *st = &r.stats;
				const char *tn =
					sim_topology_name(cfg.topology);
				CHECK(r.violations == 0,
				      "%s cars %u seed %" PRIu64 ": %s", tn,
				      cfg.cars, cfg.seed, r.first);
				CHECK(st->rounds == cfg.rounds,
				      "%s cars %u seed %" PRIu64 ": %u rounds",
				      tn, cfg.cars, cfg.seed, st->rounds);
				/* At least the 2 waves of every round (the
				 * round's end collects the next) and the
				 * first round's collect. */
				CHECK(st->waves >= 2 * cfg.rounds + 1 &&
					      st->waves == st->waves_exact,
				      "%s cars %u seed %" PRIu64
				      ": %u of %u waves cost 2|E|=%u",
				      tn, cfg.cars, cfg.seed, st->waves_exact,
				      st->waves, 2 * st->edges);
				CHECK(st->msgs[XR_MSG_WAVE] ==
					      (uint64_t)st->waves * 2 *
						      st->edges,
				      "%s cars %u: %" PRIu64 " wave messages",
				      tn, cfg.cars, st->msgs[XR_MSG_WAVE]);
				CHECK(st->epochs == st->epochs_within_bound,
				      "%s cars %u seed %" PRIu64
				      ": %u of %u epochs within the probe bound",
				      tn, cfg.cars, cfg.seed,
				      st->epochs_within_bound, st->epochs);
				CHECK(st->lost == 0 && st->duplicated == 0,
				      "fault-free run lost or duplicated");
				waves += st->waves;
				epochs += st->epochs;
				deadlocks += st->deadlocks;
			}
		}
	}
	/* The runs must have exercised detection at all. */
	CHECK(deadlocks > 0 && epochs > 0, "no deadlock in any run");
	printf("waves %" PRIu64 " epochs %" PRIu64 " deadlocks %" PRIu64
	       " failures %d\n",
	       waves, epochs, deadlocks, failures);
	return failures == 0 ? 0 : 1;
}
