/* build/xroad-sim: the command line of the deterministic simulator.
 *
 *   xroad-sim --seeds N --first-seed S [--cars C]
 *             [--topology star|ring|line|complete|random] [--faults]
 *             [--rounds R] [--verbose] [--fifo] [--schedule rules|optimal]
 *             [--arrivals always|poisson [--headway-ms MS]]
 *             [--compare-light ... [--svg F]]
 *
 * Runs seeds S .. S+N-1 one after the other; prints a violation with its
 * one-line reproduction as soon as a seed has one, message counts at the
 * end, and as the last line exactly
 *   seeds: N violations: V deadlocks: D rounds: R
 * Exit status: 0, 1 when V > 0, 2 for bad arguments. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_compare.h"
#include "xr_version.h"
#include "sim_world.h"

static int usage(const char *why, const char *arg)
{
	if (why != NULL)
		fprintf(stderr, "xroad-sim: %s%s%s%s\n", why, arg ? ": \"" : "",
			arg ? arg : "", arg ? "\"" : "");
	fprintf(stderr,
		"usage: xroad-sim --seeds N --first-seed S [--cars C]\n"
		"                 [--topology star|ring|line|complete|random]\n"
		"                 [--faults] [--rounds R] [--verbose] [--fifo]\n"
		"                 [--snapshots] [--schedule rules|optimal]\n"
		"                 [--cross-ms MS] [--resend-ms MS] [--stall-ms MS]\n"
		"                 [--arrivals always|poisson] [--headway-ms MS]\n"
		"                 (poisson: --rounds vehicles per car node, "
		"mean gap\n"
		"                 --headway-ms, 1000 by default; open rounds)\n"
		"       xroad-sim --compare-light [--seeds N] [--first-seed S] "
		"[--cars C]\n"
		"                 [--rounds VEHICLES_PER_CAR] [--cross-ms MS]\n"
		"                 [--headway-ms MS] [--green-ms MS] [--svg FILE]\n"
		"                 [--schedule rules|optimal]\n"
		"                 (--svg: the delay distributions of both, "
		"drawn)\n"
		"       xroad-sim --version | --help\n");
	return 2;
}

/* strtoull with every check strtoul needs and atoi lacks. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static double wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sim_config cfg;
	sim_config_defaults(&cfg);
	uint64_t seeds = 1, first = 1;
	bool compare = false;
	struct sim_compare_config cmp;
	sim_compare_defaults(&cmp);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t v = 0;
		/* Options with a number: name, range, destination. */
		struct {
			const char *name;
			uint64_t lo, hi;
			int which;
		} const numeric[] = {
			{"--seeds", 1, 100000000, 0},
			{"--first-seed", 0, UINT64_MAX, 1},
			{"--cars", 1, XR_MAX_CARS, 2},
			{"--rounds", 1, 100000, 3},
			{"--cross-ms", 0, 60000, 4},
			{"--resend-ms", 1, 60000, 5},
			{"--stall-ms", 1, 600000, 6},
			{"--headway-ms", 1, 3600000, 7},
			{"--green-ms", 1, 3600000, 8},
		};
		bool matched = false;
		for (size_t k = 0; k < sizeof numeric / sizeof numeric[0];
		     k++) {
			if (strcmp(a, numeric[k].name) != 0)
				continue;
			matched = true;
			if (val == NULL)
				return usage("missing value after", a);
			if (parse_u64(val, numeric[k].lo, numeric[k].hi, &v) !=
			    0) {
				fprintf(stderr,
					"xroad-sim: %s: \"%s\" is not a number in "
					"%" PRIu64 "..%" PRIu64 "\n",
					a, val, numeric[k].lo, numeric[k].hi);
				return 2;
			}
			switch (numeric[k].which) {
			case 0:
				seeds = v;
				break;
			case 1:
				first = v;
				break;
			case 2:
				cfg.cars = (uint32_t)v;
				break;
			case 3:
				cfg.rounds = (uint32_t)v;
				break;
			case 4:
				cfg.cross_ms = (uint32_t)v;
				cmp.cross_ms = (uint32_t)v;
				break;
			case 5:
				cfg.resend_ms = (uint32_t)v;
				break;
			case 6:
				cfg.stall_ms = (uint32_t)v;
				break;
			case 7:
				cmp.headway_ms = (uint32_t)v;
				cfg.headway_ms = (uint32_t)v;
				break;
			case 8:
				cmp.green_ms = (uint32_t)v;
				break;
			}
			i++;
		}
		if (matched)
			continue;
		if (strcmp(a, "--topology") == 0) {
			if (val == NULL)
				return usage("missing value after", a);
			if (sim_topology_parse(val, &cfg.topology) != 0)
				return usage(
					"unknown topology (star, ring, line, "
					"complete, random)",
					val);
			i++;
		} else if (strcmp(a, "--schedule") == 0) {
			if (val == NULL)
				return usage("missing value after", a);
			if (xr_schedule_parse(val, &cfg.schedule) != 0)
				return usage(
					"unknown schedule (rules, optimal)",
					val);
			cmp.schedule = cfg.schedule;
			i++;
		} else if (strcmp(a, "--arrivals") == 0) {
			if (val == NULL)
				return usage("missing value after", a);
			if (xr_arrivals_parse(val, &cfg.arrivals) != 0)
				return usage(
					"unknown arrivals (always, poisson)",
					val);
			i++;
		} else if (strcmp(a, "--faults") == 0) {
			cfg.faults = true;
		} else if (strcmp(a, "--fifo") == 0) {
			cfg.fifo = true;
		} else if (strcmp(a, "--snapshots") == 0) {
			cfg.snapshots = true;
		} else if (strcmp(a, "--verbose") == 0) {
			cfg.verbose = true;
		} else if (strcmp(a, "--compare-light") == 0) {
			compare = true;
		} else if (strcmp(a, "--svg") == 0) {
			if (val == NULL || val[0] == '\0')
				return usage("missing file after", a);
			cmp.svg = val;
			i++;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(NULL, NULL);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			printf("xroad-sim %s\n", XR_VERSION);
			return 0;
		} else {
			return usage("unknown argument", a);
		}
	}
	if (first + (seeds - 1) < first)
		return usage("seed range overflows", NULL);

	if (cmp.svg != NULL && !compare)
		return usage("--svg goes with --compare-light", NULL);
	if (compare) {
		if (cfg.faults)
			return usage("--compare-light runs without --faults",
				     NULL);
		cmp.seeds = seeds;
		cmp.first_seed = first;
		cmp.cars = cfg.cars;
		cmp.vehicles = cfg.rounds;
		cmp.verbose = cfg.verbose;
		return sim_compare_run(&cmp, stdout);
	}

	uint64_t violations = 0, deadlocks = 0, rounds = 0, failed = 0;
	struct sim_stats total;
	memset(&total, 0, sizeof total);
	double t0 = wall_seconds();
	for (uint64_t s = 0; s < seeds; s++) {
		cfg.seed = first + s;
		struct sim_result res;
		if (sim_run(&cfg, &res) != 0) {
			fprintf(stderr,
				"xroad-sim: seed %" PRIu64
				": could not build the world\n",
				cfg.seed);
			return 2;
		}
		violations += res.violations;
		deadlocks += res.stats.deadlocks;
		rounds += res.stats.rounds;
		for (int k = 0; k < XR_MSG_TYPES; k++)
			total.msgs[k] += res.stats.msgs[k];
		for (int k = 0; k < XR_WAVE_KINDS; k++)
			total.wave_msgs[k] += res.stats.wave_msgs[k];
		total.sent += res.stats.sent;
		total.lost += res.stats.lost;
		total.duplicated += res.stats.duplicated;
		total.refused += res.stats.refused;
		total.steps += res.stats.steps;
		total.crashes += res.stats.crashes;
		total.light_crashes += res.stats.light_crashes;
		total.partitions += res.stats.partitions;
		total.cut += res.stats.cut;
		total.coordinators += res.stats.coordinators;
		total.car_coordinators += res.stats.car_coordinators;
		total.car_rounds += res.stats.car_rounds;
		total.car_deadlocks += res.stats.car_deadlocks;
		total.cars_taken_out += res.stats.cars_taken_out;
		total.stale_take_outs += res.stats.stale_take_outs;
		total.snapshots_started += res.stats.snapshots_started;
		total.snapshots_checked += res.stats.snapshots_checked;
		total.waves += res.stats.waves;
		total.waves_exact += res.stats.waves_exact;
		total.epochs += res.stats.epochs;
		total.epochs_within_bound += res.stats.epochs_within_bound;
		if (res.stats.probes_max_epoch > total.probes_max_epoch)
			total.probes_max_epoch = res.stats.probes_max_epoch;
		if (res.stats.max_in_flight > total.max_in_flight)
			total.max_in_flight = res.stats.max_in_flight;
		if (res.stats.end_ms > total.end_ms)
			total.end_ms = res.stats.end_ms;
		if (res.violations > 0) {
			failed++;
			char repro[200];
			sim_repro(&cfg, repro, sizeof repro);
			printf("FAIL %s\nreproduce: %s\n", res.first, repro);
		}
	}
	double dt = wall_seconds() - t0;

	printf("messages:");
	for (int k = 1; k < XR_MSG_TYPES; k++)
		printf(" %s=%" PRIu64, xr_msg_type_name((enum xr_msg_type)k),
		       total.msgs[k]);
	printf("\nwave messages:");
	for (int k = 1; k < XR_WAVE_KINDS; k++)
		printf(" %s=%" PRIu64, xr_wave_kind_name((enum xr_wave_kind)k),
		       total.wave_msgs[k]);
	printf("\nwaves: %u of exactly 2|E| messages: %u\n", total.waves,
	       total.waves_exact);
	printf("detection epochs: %u within edges x initiators: %u "
	       "most probes in one epoch: %" PRIu64 "\n",
	       total.epochs, total.epochs_within_bound, total.probes_max_epoch);
	printf("network: sent=%" PRIu64 " lost=%" PRIu64 " duplicated=%" PRIu64
	       " refused=%" PRIu64 " crashes=%u steps=%" PRIu64
	       " max-in-flight=%u\n",
	       total.sent, total.lost, total.duplicated, total.refused,
	       total.crashes, total.steps, total.max_in_flight);
	if (cfg.faults)
		printf("failover: light-crashes=%u partitions=%u cut=%" PRIu64
		       " elections-won=%u by-cars=%u rounds-ended-by-cars=%u "
		       "deadlocks-broken-by-cars=%u cars-taken-out=%u "
		       "by-deposed=%u\n",
		       total.light_crashes, total.partitions, total.cut,
		       total.coordinators, total.car_coordinators,
		       total.car_rounds, total.car_deadlocks,
		       total.cars_taken_out, total.stale_take_outs);
	if (cfg.snapshots)
		printf("snapshots: %u started, %u complete and checked for I6\n",
		       total.snapshots_started, total.snapshots_checked);
	char arrivals[64] = "";
	if (cfg.arrivals == XR_ARRIVALS_POISSON)
		snprintf(arrivals, sizeof arrivals,
			 " arrivals poisson headway %u ms", cfg.headway_ms);
	printf("config: cars %u topology %s rounds %u%s %s, failed seeds %" PRIu64
	       "\n",
	       cfg.cars, sim_topology_name(cfg.topology), cfg.rounds, arrivals,
	       cfg.faults ? "with faults" : "fault-free", failed);
	/* Wall time on stderr: stdout must be identical run after run. */
	fprintf(stderr,
		"xroad-sim: %" PRIu64 " seeds in %.2f s, %.0f seeds/s\n", seeds,
		dt, dt > 0 ? (double)seeds / dt : 0.0);
	printf("seeds: %" PRIu64 " violations: %" PRIu64 " deadlocks: %" PRIu64
	       " rounds: %" PRIu64 "\n",
	       seeds, violations, deadlocks, rounds);
	return violations > 0 ? 1 : 0;
}
