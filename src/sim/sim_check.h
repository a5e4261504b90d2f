/* The invariant checkers of DESIGN.md section 3, run by the simulator after
 * every step on what the nodes emitted (effects) and on the light's state.
 * They judge against the physical world the simulator keeps itself (who is
 * in the box, who has left it), never against a node's own opinion. */
#ifndef XR_SIM_CHECK_H
#define XR_SIM_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "node.h"

/* Where violations go. The first is kept for the summary; at most
 * `print_max` are printed per seed so a broken core does not flood. */
struct sim_violations {
	uint32_t count;
	uint32_t print_max;
	uint64_t seed;
	FILE *out;
	char first[320];
};

void sim_violation(struct sim_violations *v, uint64_t now_ms,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct sim_checker {
	uint32_t cars;   /* car ids are 1..cars, the light is 0 */
	uint32_t rounds; /* rounds requested */
	struct sim_violations *v;
	/* I1: the physical box. */
	xr_set in_box;
	uint32_t in_box_round[XR_MAX_NODES];
	struct xr_car_intent box_intent[XR_MAX_NODES];
	xr_set *exited;       /* [round], rounds + 2 entries: left the box */
	uint32_t *exits;      /* [car * (rounds + 2) + round]: EXIT effects */
	uint64_t *exit_ms;    /* same index: first EXIT time, 0 = none */
	/* I4: every node's log as its LOG_APPEND effects built it:
	 * log[(node * (rounds + 2) + round) * cars + index] = car + 1. */
	uint32_t *log;
	uint64_t digest[XR_MAX_NODES]; /* running digest of those effects */
	uint32_t count[XR_MAX_NODES];
	/* I2 bookkeeping. */
	uint32_t rounds_ended;
	uint32_t deadlocks;
	bool done;
	uint64_t done_ms;
};

/* Allocates the tables; 0 or -1 (out of memory). `first_digest` is the log
 * digest of a fresh node (every node starts from it). */
int sim_check_init(struct sim_checker *c, uint32_t cars, uint32_t rounds,
		   uint64_t first_digest, struct sim_violations *v);
void sim_check_free(struct sim_checker *c);

/* One effect of node `node` at `now`; `nodes` is the world (the light is
 * nodes[0]) for the checks that need the light's state. */
void sim_check_effect(struct sim_checker *c, const struct xr_node *nodes,
		      uint32_t node, const struct xr_effect *fx, uint64_t now);

/* End of run: I2 (all rounds, everyone crossed each, box empty) and I4
 * (every car's durable log equals the light's, and equals its effects). */
void sim_check_final(struct sim_checker *c, const struct xr_node *nodes,
		     uint64_t now);

/* Number of wait-for edges of the round's intents as the light holds them
 * (every ordered pair a, b with xr_yields(a, b)); overrides reverse edges,
 * so this is also the count after any overrides. */
uint32_t sim_rule_edges(const struct xr_light *l);

#endif
