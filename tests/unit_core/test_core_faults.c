/* The core under a hostile network, in one process: random delivery order,
 * loss, duplication and car crashes with restarts, then a quiet phase in
 * which every round must complete. A small, fast cousin of xroad-sim kept
 * beside the core so a core change is checked by `ctest -L unit` alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define MAXQ 20000

struct pending {
	struct xr_msg msg;
	uint64_t at;
};

static struct xr_node nodes[XR_MAX_NODES];
static struct xr_durable saved[XR_MAX_NODES];
static struct xr_node_config cfgs[XR_MAX_NODES];
static bool down[XR_MAX_NODES];
static uint64_t up_at[XR_MAX_NODES];
static struct pending q[MAXQ];
static size_t nq;
static int n_nodes, failures, in_box[XR_MAX_NODES];
static struct xr_car_intent box_intent[XR_MAX_NODES];
static uint64_t now, rng;
static bool faults;
static bool failover;      /* this seed runs with failover on */
static unsigned light_crashes, takeovers;
static unsigned crashes, deadlocks_total, dropped;
static unsigned snaps_checked, snaps_started;
/* Every node's crossing log as its LOG_APPEND effects wrote it (the file a
 * daemon keeps), and the crossings the cars made (EXIT), for I4 and I5. */
#define MAXLOG 512
static struct xr_crossing logs[XR_MAX_NODES][MAXLOG];
static int n_logs[XR_MAX_NODES];
static bool exited[XR_MAX_NODES][64];
static unsigned cars_left;
static uint32_t snap_id;      /* snapshot in progress, 0: none */
static bool snap_crashed;     /* a node crashed while it ran */

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fail(uint64_t seed, const char *what, unsigned a)
{
	if (failures++ < 5 || getenv("XROAD_ALL"))
		fprintf(stderr, "seed %llu: %s (%u) at t=%llu\n",
			(unsigned long long)seed, what, a,
			(unsigned long long)now);
}

static void tracer(void *ctx, uint32_t node, uint64_t at, const char *line)
{
	(void)ctx;
	if (getenv("XROAD_VERBOSE"))
		fprintf(stderr, "%6llu n%u %s\n", (unsigned long long)at, node,
			line);
}

static void push(const struct xr_msg *m)
{
	if (nq >= MAXQ)
		return;
	q[nq].msg = *m;
	q[nq].at = now + 1 + (faults ? rnd() % 40 : rnd() % 3);
	nq++;
}

static void apply(uint64_t seed, int id)
{
	struct xr_node *n = &nodes[id];
	for (uint32_t i = 0; i < n->out.n_effects; i++) {
		struct xr_effect *fx = &n->out.effects[i];
		if (fx->type == XR_FX_ENTER) {
			for (int o = 1; o < n_nodes; o++)
				if (in_box[o] && o != (int)fx->car &&
				    xr_paths_conflict(&box_intent[o],
						      &fx->intent)) {
					fail(seed, "I1 violated by car", fx->car);
					if (getenv("XROAD_VERBOSE"))
						fprintf(stderr, "  car %d is in the box\n", o);
				}
			if (getenv("XROAD_VERBOSE"))
				fprintf(stderr, "%6llu ENTER car %u r%u %s %s\n",
					(unsigned long long)now, fx->car, fx->round,
					xr_approach_name(fx->intent.approach),
					xr_turn_name(fx->intent.turn));
			in_box[fx->car] = 1;
			box_intent[fx->car] = fx->intent;
		} else if (fx->type == XR_FX_LOG_APPEND) {
			if (n_logs[id] < MAXLOG)
				logs[id][n_logs[id]++] = fx->crossing;
			if (fx->crossing.index == 0 && getenv("XROAD_VERBOSE"))
				fprintf(stderr, "%6llu LOG n%d r%u\n",
					(unsigned long long)now, id,
					fx->crossing.round);
		} else if (fx->type == XR_FX_CAR_LEFT && fx->round != 0) {
			/* Taken out of its round: only a car that was never
			 * granted the box, so never one in it, driving or
			 * dead there (light.c, "absent cars"). */
			cars_left++;
			if (in_box[fx->car])
				fail(seed, "I1: taken out of the round in the box, car",
				     fx->car);
		} else if (fx->type == XR_FX_EXIT) {
			in_box[fx->car] = 0;
			if (fx->round < 64)
				exited[fx->car][fx->round] = true;
			if (getenv("XROAD_VERBOSE"))
				fprintf(stderr, "%6llu EXIT car %u r%u\n",
					(unsigned long long)now, fx->car, fx->round);
		}
	}
	for (uint32_t i = 0; i < n->out.n_msgs; i++) {
		if (faults && rnd() % 100 < 10) {
			dropped++;
			continue; /* lost */
		}
		push(&n->out.msgs[i]);
		if (faults && rnd() % 100 < 5)
			push(&n->out.msgs[i]); /* duplicated */
	}
	saved[id] = n->durable;
}

static void setup(uint64_t seed, int cars, uint32_t rounds)
{
	memset(n_logs, 0, sizeof n_logs);
	memset(exited, 0, sizeof exited);
	n_nodes = cars + 1;
	nq = 0;
	now = 0;
	rng = seed * 2654435761u + 1;
	memset(in_box, 0, sizeof in_box);
	memset(down, 0, sizeof down);
	for (int id = 0; id < n_nodes; id++) {
		struct xr_node_config *cfg = &cfgs[id];
		memset(cfg, 0, sizeof *cfg);
		cfg->self = (uint32_t)id;
		cfg->n_cars = (uint32_t)cars;
		for (int c = 0; c < cars; c++) {
			cfg->cars[c] = (uint32_t)c + 1;
			cfg->approaches[c] = (enum xr_approach)(c % 4);
		}
		/* The topology rotates with the seed: star, ring, line, complete. */
		cfg->n_neighbours = 0;
		for (int v = 0; v < n_nodes; v++) {
			bool edge = false;
			switch (seed % 4) {
			case 0: /* star around the light */
				edge = v != id && (v == 0 || id == 0);
				break;
			case 1: /* ring 0-1-...-cars-0 */
				edge = v != id && ((v + 1) % n_nodes == id ||
						   (id + 1) % n_nodes == v);
				break;
			case 2: /* line 0-1-...-cars */
				edge = v == id + 1 || id == v + 1;
				break;
			default: /* complete */
				edge = v != id;
			}
			if (edge)
				cfg->neighbours[cfg->n_neighbours++] = (uint32_t)v;
		}
		cfg->seed = seed;
		cfg->weights[0] = 1;
		cfg->weights[1] = 3;
		cfg->weights[2] = 1;
		cfg->cross_ms = 5;
		cfg->resend_ms = 50;
		cfg->stall_ms = 200;
		if (failover) {
			cfg->heartbeat_ms = 100;
			cfg->fail_ms = 400;
		}
		cfg->rounds = id == 0 ? rounds : 0;
		cfg->tracer = tracer;
		xr_node_init(&nodes[id], cfg, NULL);
	}
	for (int id = n_nodes - 1; id >= 0; id--) {
		struct xr_event ev = {.type = XR_EV_START, .now_ms = now};
		xr_node_step(&nodes[id], &ev);
		apply(seed, id);
	}
}

static void step_once(uint64_t seed)
{
	/* Earliest of: a due message (random among those due), a timer. */
	uint64_t next = XR_NEVER;
	for (size_t i = 0; i < nq; i++)
		if (q[i].at < next)
			next = q[i].at;
	int who = -1, which = 0;
	for (int id = 0; id < n_nodes; id++) {
		if (down[id]) {
			if (up_at[id] < next) {
				next = up_at[id];
				who = id;
				which = -1;
			}
			continue;
		}
		for (int k = 0; k < XR_TIMERS; k++)
			if (nodes[id].timer_at[k] < next) {
				next = nodes[id].timer_at[k];
				who = id;
				which = k;
			}
	}
	if (next == XR_NEVER)
		return;
	if (next > now)
		now = next;
	if (who >= 0 && which == -1) { /* restart a crashed car */
		down[who] = false;
		xr_node_init(&nodes[who], &cfgs[who], &saved[who]);
		struct xr_event ev = {.type = XR_EV_START, .now_ms = now};
		xr_node_step(&nodes[who], &ev);
		apply(seed, who);
		return;
	}
	if (who >= 0) {
		struct xr_event ev = {.type = XR_EV_TIMER, .now_ms = now,
				      .timer = (enum xr_timer)which};
		xr_node_step(&nodes[who], &ev);
		apply(seed, who);
		return;
	}
	size_t due[MAXQ], nd = 0;
	for (size_t i = 0; i < nq; i++)
		if (q[i].at <= now)
			due[nd++] = i;
	size_t pick = due[faults ? rnd() % nd : 0];
	struct xr_msg m = q[pick].msg;
	q[pick] = q[--nq];
	if (down[m.to])
		return;
	if (m.type == XR_MSG_LOG_FETCH) {
		/* The node's shell answers from its log (node.h), as the
		 * daemon does from its log file. */
		struct xr_msg r;
		xr_crossing_log_round_answer(&nodes[m.to], &m, logs[m.to],
				    (size_t)n_logs[m.to], &r);
		push(&r);
		return;
	}
	struct xr_event ev = {.type = XR_EV_RECEIVE, .now_ms = now, .msg = &m};
	xr_node_step(&nodes[m.to], &ev);
	apply(seed, (int)m.to);
	/* A crash now and then: the car forgets all but its durable state. */
	/* With failover on the light may crash too (less often). */
	bool crash = m.to != 0 ? rnd() % 1000 < 3 : failover && rnd() % 1000 < 2;
	if (faults && crash) {
		light_crashes += m.to == 0;
		down[m.to] = true;
		crashes++;
		snap_crashed = snap_id != 0;
		if (getenv("XROAD_VERBOSE"))
			fprintf(stderr, "%6llu CRASH car %u\n",
				(unsigned long long)now, m.to);
		/* The light stays down long enough, often, for a car to take
		 * over and run rounds as coordinator. */
		up_at[m.to] = now + 50 + rnd() % (m.to == 0 ? 2500 : 300);
		in_box[m.to] = in_box[m.to]; /* still physically where it was */
	}
}

/* Starts a snapshot now and then; checks I6 when every node has it. */
static void snapshot_watch(uint64_t seed)
{
	if (snap_id == 0) {
		if (rnd() % 300 != 0)
			return;
		int at = (int)(rnd() % (uint64_t)n_nodes);
		if (down[at])
			return;
		struct xr_event ev = {.type = XR_EV_COMMAND, .now_ms = now,
				      .op = XR_CMD_SNAPSHOT};
		xr_node_step(&nodes[at], &ev);
		snap_id = nodes[at].snap.id;
		snap_crashed = false;
		snaps_started++;
		apply(seed, at);
		return;
	}
	const struct xr_snapshot *all[XR_MAX_NODES];
	for (int id = 0; id < n_nodes; id++) {
		if (down[id] || nodes[id].snap.id != snap_id ||
		    !nodes[id].snap.complete) {
			if (snap_crashed || nodes[id].snap.id > snap_id)
				snap_id = 0; /* abandoned */
			return;
		}
		all[id] = &nodes[id].snap;
	}
	char why[160];
	int rv = xr_snapshot_check_i6(all, (size_t)n_nodes, why, sizeof why);
	if (rv < 0) { /* spanned a change of coordinator: no cut to judge */
		snap_id = 0;
		return;
	}
	if (rv != 1) {
		fail(seed, "I6 violated in snapshot", snap_id);
		fprintf(stderr, "  %s (coordinator %u)\n", why, nodes[1].coordinator);
		for (int id = 0; id < n_nodes; id++)
			fprintf(stderr, "  node %d: light=%d car=%d round %u "
				"logged %u crossed %u pending %u durable "
				"count %u last_round %u\n",
				id, all[id]->is_light, all[id]->is_car,
				all[id]->round, all[id]->crossings,
				all[id]->car_crossings, all[id]->pending_round,
				nodes[id].durable.log_count,
				nodes[id].durable.last_round);
	}
	snaps_checked++;
	snap_id = 0;
}

/* The run is over when the light, back if it crashed (it outranks every
 * car, so it coordinates again), has no rounds left. */
static bool done(void)
{
	return !down[0] && nodes[0].coordinator == 0 &&
	       nodes[0].light.phase == XR_LIGHT_DONE;
}

/* I4 and I5 over the logs. A node that was away when a round ended (taken
 * out as absent, or down) never gets that round's lines, so a node's log is
 * the common log with whole rounds missing: every round any node holds is
 * the same entries in the same order at every node that holds it, each node
 * holds its rounds in order, and some node holds every round. Each car is in
 * a round's log once; a car that crossed in a round has an entry there (I5:
 * not lost; the taker-out side, a `left` entry for a car that crossed, is
 * xroad-sim's check), and an entry that is not `left` is a crossing it made
 * (nor invented). */
static void check_logs(uint64_t seed, uint32_t rounds)
{
	for (uint32_t r = 1; r <= rounds; r++) {
		const struct xr_crossing *ref = NULL;
		int ref_n = 0;
		for (int id = 0; id < n_nodes; id++) {
			int first = -1, k = 0;
			for (int i = 0; i < n_logs[id]; i++)
				if (logs[id][i].round == r) {
					if (first < 0)
						first = i;
					k++;
				}
			if (first < 0)
				continue;
			for (int i = first; i < first + k; i++)
				if (i >= n_logs[id] || logs[id][i].round != r)
					fail(seed, "I4: round split in the log of node", (unsigned)id);
			if (ref == NULL) {
				ref = &logs[id][first];
				ref_n = k;
			} else if (k != ref_n ||
				   memcmp(ref, &logs[id][first], (size_t)k * sizeof *ref) != 0) {
				fail(seed, "I4: log of a round differs at node", (unsigned)id);
			}
		}
		if (ref == NULL) {
			fail(seed, "I2: no node logged round", r);
			continue;
		}
		xr_set seen = 0;
		for (int i = 0; i < ref_n; i++) {
			uint32_t car = ref[i].car;
			if ((seen >> car) & 1u)
				fail(seed, "I4: car logged twice in a round, car", car);
			seen |= (xr_set)1 << car;
			if (!ref[i].left && !exited[car][r])
				fail(seed, "I5: logged a crossing never made, car", car);
		}
		for (int car = 1; car < n_nodes; car++)
			if (exited[car][r] && !((seen >> car) & 1u))
				fail(seed, "I5: a crossing made is not in the log, car",
				     (unsigned)car);
	}
	for (int id = 0; id < n_nodes; id++)
		for (int i = 1; i < n_logs[id]; i++)
			if (logs[id][i].round < logs[id][i - 1].round)
				fail(seed, "I4: rounds out of order at node", (unsigned)id);
}

static void run_seed(uint64_t seed, int cars, uint32_t rounds)
{
	failover = (seed / 4) % 2 == 1;
	setup(seed, cars, rounds);
	faults = true;
	snap_id = 0;
	for (int s = 0; s < 20000 && !done(); s++) {
		step_once(seed);
		snapshot_watch(seed);
	}
	faults = false;
	for (int id = 1; id < n_nodes; id++)
		if (down[id])
			up_at[id] = now + 1;
	for (int s = 0; s < 400000 && !done(); s++)
		step_once(seed);
	if (!done()) {
		fail(seed, "I2: rounds done", nodes[0].light.rounds_done);
		if (getenv("XROAD_VERBOSE"))
			for (int id = 0; id < n_nodes; id++)
				fprintf(stderr, "  node %d: coord %u e%u phase "
					"l%d c%d round %u waits %llx crossed "
					"%llx held %d rejoining %d lcrossed %llx "
					"proceeding %llx\n", id,
					nodes[id].coordinator,
					nodes[id].coordinator_epoch,
					nodes[id].light.phase, nodes[id].car.phase,
					nodes[id].car.round,
					(unsigned long long)nodes[id].car.waits,
					(unsigned long long)nodes[id].car.crossed,
					nodes[id].car.held, nodes[id].car.rejoining,
					(unsigned long long)nodes[id].light.crossed,
					(unsigned long long)nodes[id].light.proceeding);
		return;
	}
	/* Let the last round-end wave reach everyone. */
	for (int s = 0; s < 100000 && nq > 0; s++)
		step_once(seed);
	check_logs(seed, rounds);
	for (int id = 0; id < n_nodes; id++)
		deadlocks_total += nodes[id].light.deadlocks;
	takeovers += nodes[1].coordinator_epoch - 1;
}

int main(int argc, char **argv)
{
	uint64_t seeds = argc > 1 ? strtoull(argv[1], NULL, 10) : 200;
	uint64_t first = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	for (uint64_t seed = first; seed < first + seeds; seed++)
		run_seed(seed, seed % 5 == 0 ? 16 : seed % 3 == 0 ? 8 : 4, 5);
	printf("test_core_faults: %llu seeds, %u crashes, %u deadlocks, "
	       "%u messages lost, %u/%u snapshots checked, %u light crashes, "
	       "%u coordinator changes, %u cars taken out of a round, "
	       "%d failures\n",
	       (unsigned long long)seeds, crashes, deadlocks_total, dropped,
	       snaps_checked, snaps_started, light_crashes, takeovers, cars_left,
	       failures);
	/* The faults must have happened for the run to mean anything. */
	if (seeds >= 100 && (crashes == 0 || deadlocks_total == 0 || dropped == 0 ||
			     snaps_checked == 0 || light_crashes == 0 ||
			     takeovers == 0))
		failures++;
	return failures ? 1 : 0;
}
