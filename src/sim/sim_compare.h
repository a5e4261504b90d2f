/* --compare-light: the same seeded arrival stream driven through xroad (the
 * real cores in the simulator) and through a fixed-cycle two-phase traffic
 * light (sim_fixed_light.h), with the delay per vehicle of both.
 *
 * Delay of a vehicle = (time it leaves the box) - (time it arrived at the
 * stop line) - cross_ms: the time it lost against an empty crossroad with
 * nobody to wait for, where it would drive straight through in cross_ms.
 * See docs/SIM.md. */
#ifndef XR_SIM_COMPARE_H
#define XR_SIM_COMPARE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "schedule.h"

struct sim_compare_config {
	uint64_t seeds;
	uint64_t first_seed;
	uint32_t cars;     /* car nodes; car i serves approach (i - 1) % 4 */
	uint32_t vehicles; /* per car node: xroad runs one round per vehicle */
	uint32_t cross_ms; /* > 0: time in the box, both systems */
	uint32_t headway_ms; /* mean time between two vehicles of one car node
			      * (exponential: a Poisson stream) */
	uint32_t green_ms;   /* fixed light: each of the two greens */
	enum xr_schedule schedule; /* xroad's (node.h) */
	bool verbose;
	const char *svg; /* --svg FILE: the delay distributions drawn
			      * (sim_compare_svg.h); NULL: none */
};

/* One system's delays, over all vehicles of all seeds. Percentiles are
 * nearest-rank: a delay some vehicle really had. */
struct sim_delay_summary {
	size_t n;
	double mean;
	uint64_t p50, p99, max;
};

/* Sorts d[0..n) in place and summarises it. */
struct sim_delay_summary sim_delay_summarise(uint64_t *d, size_t n);

void sim_compare_defaults(struct sim_compare_config *c);

/* Prints the comparison and the usual summary line, and draws c->svg;
 * returns the exit status (0, 1 on an invariant violation in the xroad
 * runs, 2 on bad parameters or an SVG file that cannot be written). */
int sim_compare_run(const struct sim_compare_config *c, FILE *out);

#endif
