/* `xroadctl plan`: what the rules of docs/DESIGN.md section 1 and the light's
 * deadlock policy do with one car per approach, computed offline from
 * src/core/geometry.h alone (no cluster, no network).
 *
 * Cars are numbered by approach as the reference deployment numbers them:
 * S = car 1, E = car 2, N = car 3, W = car 4, all arriving at the same time,
 * so every tie is broken by car id, as the light breaks it.
 *
 * The resolution mirrors the light: while the wait-for graph has a cycle, the
 * winner is the earliest (arrival_ms, car) of the cycle, and the override
 * reverses the edge winner -> its successor in the cycle (never drops it, so
 * the two cars stay ordered). Phases are then peeled off the acyclic graph:
 * every car with no remaining wait crosses in the same phase.
 *
 * With --schedule optimal the edges are src/core/schedule.c's instead: every
 * conflicting pair oriented from the later phase to the earlier, the phases
 * an optimal colouring of the conflict graph (ties by arrival, here by car
 * id). That graph is acyclic by construction: no deadlock, no override. */
#ifndef XR_CTL_PLAN_H
#define XR_CTL_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "geometry.h"
#include "schedule.h"

#define XR_PLAN_MAX_EDGES 12  /* ordered pairs of 4 approaches */
#define XR_PLAN_MAX_CYCLES 20 /* elementary directed cycles on 4 nodes */
#define XR_PLAN_MAX_OVERRIDES 12

struct xr_plan_cycle {
	uint32_t n;
	enum xr_approach
		members[XR_APPROACHES]; /* members[i] waits for members[i+1] */
};

/* Everything the plan reports; filled by xr_plan_compute, caller-owned. */
struct xr_plan {
	enum xr_schedule schedule; /* which edges: the rules' or optimal's */
	bool present[XR_APPROACHES];
	enum xr_turn turn[XR_APPROACHES];
	/* waits[a] bit b: car on a waits for car on b, by the rules alone
	 * (rules) or by the optimal schedule (optimal). */
	unsigned waits[XR_APPROACHES];
	uint32_t n_edges;
	enum xr_approach edges[XR_PLAN_MAX_EDGES][2];
	bool deadlock;
	/* Every elementary cycle of the rule graph, each listed once, starting
	 * at its earliest car. */
	uint32_t n_cycles;
	struct xr_plan_cycle cycles[XR_PLAN_MAX_CYCLES];
	/* The overrides in the order the light would make them: the cycle it
	 * resolved, the winner and the loser whose edge was reversed, and the
	 * other later cars on a cycle through the winner that it goes before
	 * too (bit per approach; src/core/light.c, also_losers). */
	uint32_t n_overrides;
	struct {
		struct xr_plan_cycle cycle;
		enum xr_approach winner;
		enum xr_approach loser;
		unsigned also;
	} overrides[XR_PLAN_MAX_OVERRIDES];
	/* The wait-for graph after every override: acyclic. */
	unsigned final_waits[XR_APPROACHES];
	uint32_t n_order;
	enum xr_approach order[XR_APPROACHES];
	uint32_t phases;
	uint32_t
		phase_of[XR_APPROACHES]; /* 1-based phase of each present car */
};

/* The car id the plan gives the car on approach a (S=1, E=2, N=3, W=4). */
uint32_t xr_plan_car_id(enum xr_approach a);

/* Fills `out` for the cars with present[a] true, turning turn[a]. Returns 0,
 * or XR_EINVAL when the overrides do not make the graph acyclic (a policy
 * bug: the exhaustive test in tests/core checks that it never happens). */
int xr_plan_compute(const bool present[XR_APPROACHES],
		    const enum xr_turn turn[XR_APPROACHES],
		    struct xr_plan *out);

/* The same with the schedule's edges: XR_SCHEDULE_RULES is xr_plan_compute;
 * XR_SCHEDULE_OPTIMAL takes xr_schedule_optimal's edges and phases (no
 * cycles, no overrides, final_waits = waits). Returns 0 or XR_EINVAL. */
int xr_plan_compute_schedule(const bool present[XR_APPROACHES],
			     const enum xr_turn turn[XR_APPROACHES],
			     enum xr_schedule schedule, struct xr_plan *out);

/* The `xroadctl plan` command. argv[0] is the command name ("plan"); then
 * "A:turn" arguments (A in S E N W or south east north west, turn in right
 * straight left, case-insensitive, each approach at most once), --json and
 * --schedule rules|optimal (default rules).
 * Prints to stdout; returns the exit status: 0, or 2 for bad arguments with a
 * message on stderr. */
int xr_ctl_plan(int argc, char **argv);

#endif
