/* One simulated run: every node's core in this process, a seeded network and
 * fault schedule, and the invariant checkers after every step.
 * See docs/SIM.md for the fault model and the output. */
#ifndef XR_SIM_WORLD_H
#define XR_SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "node.h"
#include "sim_topology.h"

struct sim_config {
	uint64_t seed;
	uint32_t cars; /* 1..31; car i has approach (i - 1) % 4 */
	enum sim_topology topology;
	uint32_t rounds; /* rounds the light runs; with poisson arrivals,
			  * vehicles per car node */
	bool faults;     /* fault phase (loss, duplication, delay spikes,
			   * reordering, clogging, partitions, crashes and
			   * restarts of cars and of the light), then heal */
	bool fifo;       /* keep every link FIFO even with faults */
	bool snapshots;  /* take Chandy-Lamport snapshots, check I6 on each */
	bool verbose;    /* every event, message, effect and core decision */
	enum xr_schedule schedule; /* every node's (node.h); rules by default */
	uint32_t cross_ms;
	uint32_t resend_ms;
	uint32_t stall_ms;
	/* Failover (heartbeats, bully election, takeover), on in fault runs
	 * only: the light may crash there. Fault-free runs keep it off, so
	 * their message costs are the protocol's alone. */
	uint32_t heartbeat_ms;
	uint32_t fail_ms;
	/* When vehicles come (node.h): always (one per car and round) or
	 * poisson (open rounds, mean gap headway_ms per car node). */
	enum xr_arrivals arrivals;
	uint32_t headway_ms;
	/* Filled when not NULL: exit_ms[c * (rounds + 1) + r], the time car
	 * c left the box in round r, or with poisson with its r-th vehicle
	 * (0 = never). Borrowed. */
	uint64_t *exit_ms;
	FILE *out; /* violations and --verbose lines */
	const char
		*repro_extra; /* appended to the reproduction line, or NULL */
};

/* The routes weights every simulated car uses (right, straight, left): the
 * default routes file of docs/CONFIG.md. */
extern const uint32_t sim_weights[XR_TURNS];

/* Defaults for everything but seed/cars/topology/rounds/faults. */
void sim_config_defaults(struct sim_config *cfg);

struct sim_stats {
	uint64_t msgs[XR_MSG_TYPES];       /* sent, per type */
	uint64_t wave_msgs[XR_WAVE_KINDS]; /* sent, per wave kind */
	uint64_t sent, delivered, lost, duplicated, refused, steps;
	uint32_t crashes, restarts, clogged;
	uint32_t light_crashes;    /* of the crashes, the light's */
	uint32_t partitions;       /* cuts made */
	uint64_t cut;              /* messages dropped by a cut */
	uint32_t coordinators;     /* COORDINATOR effects: elections won */
	uint32_t car_coordinators; /* of those, won by a car */
	uint32_t car_rounds;       /* rounds a car ended as coordinator */
	uint32_t car_deadlocks;    /* deadlocks a car declared as coordinator */
	uint32_t cars_taken_out;   /* cars taken out of a round (absent) */
	uint32_t stale_take_outs;  /* by a coordinator already deposed */
	uint32_t snapshots_started, snapshots_checked; /* --snapshots */
	uint32_t max_in_flight; /* most messages on the wire at once */
	uint32_t edges;         /* |E| of the wave topology */
	uint32_t waves;         /* distinct waves seen on the wire */
	uint32_t waves_exact;   /* of those, waves of exactly 2|E| messages */
	uint32_t epochs;        /* detection epochs (Detect sent) */
	uint32_t epochs_within_bound; /* probes <= edges x initiators */
	uint64_t probes_max_epoch;    /* most probes in one epoch */
	uint32_t deadlocks;           /* DEADLOCK effects, by any coordinator */
	uint32_t rounds;  /* rounds ended (by whichever coordinator) */
	uint64_t heal_ms; /* end of the fault phase (0 without faults) */
	uint64_t done_ms; /* DONE effect, 0 = never */
	uint64_t end_ms;  /* simulated time at the end */
};

struct sim_result {
	uint32_t violations;
	char first[320]; /* the first violation, one line ("" when none) */
	struct sim_stats stats;
};

/* Runs one seed to the end (all rounds done and drained, or a violation
 * that stops it, or the liveness bound). Returns 0, or -1 when the world
 * could not be built (bad configuration, out of memory), with a message on
 * cfg->out. Invariant violations are counted in res, not returned. */
int sim_run(const struct sim_config *cfg, struct sim_result *res);

/* The command line that reruns this seed alone, into buf. */
void sim_repro(const struct sim_config *cfg, char *buf, size_t len);

#endif
