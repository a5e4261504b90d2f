/* The invariant checkers of docs/DESIGN.md section 3, run by the simulator after
 * every step on what the nodes emitted (effects) and on their state.
 * They judge against the physical world the simulator keeps itself (who is
 * in the box, who has left it) and against a log agreed by every node that
 * has appended, never against one node's opinion, and never assume that the
 * light coordinates: with failover any car may take the light's role, and
 * the light may crash and come back (docs/SIM.md, "Invariants"). */
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

void sim_violation(struct sim_violations *v, uint64_t now_ms, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

struct sim_checker {
	uint32_t cars;         /* car ids are 1..cars, the light is 0 */
	uint32_t rounds;       /* rounds requested */
	uint64_t first_digest; /* log digest of a fresh node */
	struct sim_violations *v;
	/* I1: the physical box. */
	xr_set in_box;
	uint32_t in_box_round[XR_MAX_NODES];
	struct xr_car_intent box_intent[XR_MAX_NODES];
	xr_set *exited;    /* [round], rounds + 2 entries: left the box */
	uint32_t *indexed; /* [car * (rounds + 2) + round]: the index + 1
			       * a car learnt for its crossing (its report
			       * can go: CROSSING_INDEXED), 0: none yet */
	uint32_t *exits;   /* [car * (rounds + 2) + round]: EXIT effects */
	uint64_t *exit_ms; /* same index: first EXIT time, 0 = none */
	/* Open rounds (arrivals = poisson; 0 vehicles: always): each car's
	 * vehicles cross once each, in order, never before they arrived, and
	 * all of them by the end (I2). [car * (vehicles + 1) + k]: */
	uint32_t vehicles;
	uint64_t seed;
	uint32_t headway_ms;
	uint32_t *vehicle_round;   /* the round vehicle k crossed in, 0 */
	uint64_t *vehicle_exit_ms; /* when it first left the box */
	/* I3: nodes that are down, and what each car knew of its round the
	 * last time it went down knowing one (its memory is gone, but it
	 * was blocked on exactly those edges when it died). */
	xr_set down;
	struct xr_car known[XR_MAX_NODES];
	/* A car that coordinates declares a deadlock and applies its override
	 * in one step: it is judged by its memory before that step. */
	uint32_t stepping;    /* node being stepped, or XR_MAX_NODES */
	uint32_t coord_round; /* the stepped coordinator's round and */
	xr_set coord_set;     /* intent set before the step (0: none) */
	struct xr_car stepping_car;
	/* I4: the agreed log, round by round, set by the first node to
	 * append each entry: agreed[round * cars + index] = car + 1, plus
	 * SIM_LEFT for a car taken out of the round; 0 = nobody yet. A round
	 * holds the cars that were in it (absent cars are not), so a round
	 * may be shorter than `cars`; a node away when a round ended never
	 * gets that round, so each node's log is the agreed log with whole
	 * rounds missing. */
	uint32_t *agreed;
	uint32_t *node_round_len; /* [node * (rounds + 2) + round] appended */
	uint32_t last_round[XR_MAX_NODES]; /* round of each node's last entry */
	uint64_t digest[XR_MAX_NODES];     /* running digest of each node's */
	uint32_t count[XR_MAX_NODES]; /* LOG_APPEND effects (or adoption) */
	uint32_t taken_out;           /* cars taken out of a round (CAR_LEFT) */
	uint32_t stale_acts; /* take-outs by a coordinator already deposed */
	/* I2 bookkeeping. */
	uint32_t rounds_ended; /* rounds 1..rounds_ended have ended */
	bool done;             /* the light said DONE and still coordinates */
	uint64_t done_ms;
};

/* Allocates the tables; 0 or -1 (out of memory). `first_digest` is the log
 * digest of a fresh node (every node starts from it). */
int sim_check_init(struct sim_checker *c, uint32_t cars, uint32_t rounds,
		   uint64_t first_digest, struct sim_violations *v);
void sim_check_free(struct sim_checker *c);

/* Before node `id` (`n`) takes a step. */
void sim_check_step_begin(struct sim_checker *c, const struct xr_node *n,
			  uint32_t id);

/* Before the effects of a step of node `id`: its durable log grew only by
 * the step's LOG_APPEND effects (no node takes a log's length and digest
 * without its entries). `n` is the node after the step. */
void sim_check_log_grew(struct sim_checker *c, const struct xr_node *n,
			uint32_t id, uint64_t now);

/* One effect of node `node` at `now`; `nodes` is the world, node i at
 * nodes[i], for the checks that need a node's state. */
void sim_check_effect(struct sim_checker *c, const struct xr_node *nodes,
		      uint32_t node, const struct xr_effect *fx, uint64_t now);

/* Node `id` crashes (its memory `n` is about to be lost), or restarts. */
void sim_check_crash(struct sim_checker *c, const struct xr_node *n,
		     uint32_t id);
void sim_check_restart(struct sim_checker *c, uint32_t id);

/* Poisson arrivals: judge each car's `vehicles` vehicles as the struct
 * says (call after init). 0, or -1 out of memory. */
int sim_check_vehicles(struct sim_checker *c, uint32_t vehicles, uint64_t seed,
		       uint32_t headway_ms);

/* End of run: I2 (all rounds ended, or with poisson arrivals every vehicle
 * crossed; box empty), I4 (every node's durable log is what its LOG_APPEND
 * effects built, every round it holds is whole, the light's is the whole
 * agreed log) and I5 (every crossing made is in the log as a crossing). */
void sim_check_final(struct sim_checker *c, const struct xr_node *nodes,
		     uint64_t now);

/* Bit set in an agreed entry for a car taken out of the round. */
#define SIM_LEFT 0x10000u

/* Number of wait-for edges of the round's intents as a coordinator holds
 * them (every ordered pair a, b with xr_yields(a, b)); overrides reverse
 * edges, so this is also the count after any overrides. */
uint32_t sim_rule_edges(const struct xr_light *l);

#endif
