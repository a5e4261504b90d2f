/* Schedules of a round: which car waits for which, computed from the intents
 * of the round alone (pure: no allocation, no clock, no globals).
 *
 *   rules    the wait-for edges of docs/DESIGN.md section 1 (xr_yields): priority
 *            to the right, a left turn yields to the oncoming car, a lane is
 *            FIFO. They may form cycles; the protocol finds those with
 *            Chandy-Misra-Haas and breaks them at run time.
 *   optimal  every conflicting pair oriented from the later phase to the
 *            earlier, the phases being a colouring of the conflict graph with
 *            the fewest colours that keeps every lane in arrival order. The
 *            orientation is acyclic and its longest path (in cars) is the
 *            number of phases. See schedule.c for the search and the tie-break.
 *
 * Pairs that must be ordered ("conflicting" below): two distinct cars whose
 * paths share a cell (xr_paths_conflict), or on the same approach (a lane;
 * two cars of one approach always share its entry cell, so that is the same
 * set of pairs). Both schedules orient exactly these pairs.
 *
 * Both functions take the intent set the coordinator holds after the collect
 * wave, in any order; the output is indexed by position in that array. */
#ifndef XR_SCHEDULE_H
#define XR_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "geometry.h"

/* Cars per round a schedule takes: one bit each in a uint32_t. The core's
 * XR_MAX_CARS (node.h) is at most this (checked in schedule.c). */
#define XR_SCHEDULE_MAX_CARS 32

enum xr_schedule { XR_SCHEDULE_RULES = 0, XR_SCHEDULE_OPTIMAL = 1 };

/* Filled by the functions below; caller-owned, no pointers inside. */
struct xr_schedule_plan {
	uint32_t n; /* cars, as passed */
	/* waits[i] bit j: intents[i] waits for intents[j] (the edge i -> j). */
	uint32_t waits[XR_SCHEDULE_MAX_CARS];
	/* phase[i], 1-based: 1 + the longest chain of waits from i, i.e. the
	 * car crosses as soon as everyone it waits for has crossed, and cars of
	 * one phase never conflict. 0 for every car when `waits` has a cycle
	 * (only possible with rules). */
	uint32_t phase[XR_SCHEDULE_MAX_CARS];
	/* Number of phases: the longest path of `waits` in cars; 0 when cyclic. */
	uint32_t phases;
};

/* "rules" / "optimal" (case-sensitive, as the configuration spells them). */
const char *xr_schedule_name(enum xr_schedule s);
/* 0 and *out set, or XR_EINVAL. */
int xr_schedule_parse(const char *s, enum xr_schedule *out);

/* Computes the schedule `kind` of intents[0..n-1] into *out. Returns 0, or
 * XR_EINVAL when n > XR_SCHEDULE_MAX_CARS, an approach or turn is out of
 * range, or two intents name the same car (arrival order must be total).
 * n == 0 gives an empty plan. Cost for optimal: at most 9^4 = 6,561 states of
 * at most 15 moves each, whatever n <= 32 (schedule.c says why). */
int xr_schedule_compute(enum xr_schedule kind,
			const struct xr_car_intent *intents, uint32_t n,
			struct xr_schedule_plan *out);

/* The two schedules, as xr_schedule_compute calls them. */
int xr_schedule_rules(const struct xr_car_intent *intents, uint32_t n,
		      struct xr_schedule_plan *out);
int xr_schedule_optimal(const struct xr_car_intent *intents, uint32_t n,
			struct xr_schedule_plan *out);

/* Peels `waits` (n <= XR_SCHEDULE_MAX_CARS cars, bits >= n ignored) into
 * phases: level[i] = 1 + the largest level among those i waits for. Returns
 * the number of phases, or 0 when the graph has a cycle (every level[i] then
 * 0). */
uint32_t xr_schedule_levels(const uint32_t *waits, uint32_t n, uint32_t *level);

/* The car ids intents[i] waits for under `plan`, in the order of `intents`,
 * into cars[] (room for XR_SCHEDULE_MAX_CARS); returns how many. For a car
 * told its edges with the intent set. */
uint32_t xr_schedule_waits_for(const struct xr_schedule_plan *plan,
			       const struct xr_car_intent *intents, uint32_t i,
			       uint32_t *cars);

#endif
