/* Whole rounds of the core in one process over a perfect network (FIFO, no
 * loss): the baseline every fault scenario of the simulator departs from.
 * Checks that rounds complete, deadlocks are found and broken, and every
 * node ends with the same log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

#include "checkf.h"

#define MAXQ 100000

static struct xr_node nodes[XR_MAX_NODES];
static struct xr_msg queue[MAXQ];
static size_t q_head, q_tail;
static int n_nodes;
static int deadlocks;
static int in_box[XR_MAX_NODES];
static uint64_t now;


static void tracer(void *ctx, uint32_t node, uint64_t at, const char *line)
{
	(void)ctx;
	if (getenv("XROAD_VERBOSE"))
		fprintf(stderr, "%6llu n%u %s\n", (unsigned long long)at, node,
			line);
}

static void apply(struct xr_node *n)
{
	for (uint32_t i = 0; i < n->out.n_effects; i++) {
		struct xr_effect *fx = &n->out.effects[i];
		if (fx->type == XR_FX_ENTER) {
			for (int o = 1; o < n_nodes; o++)
				if (in_box[o] && o != (int)fx->car)
					CHECK(!xr_paths_conflict(
						      &nodes[o].car.intent,
						      &fx->intent),
					      "I1: car %u enters with %d", fx->car,
					      o);
			in_box[fx->car] = 1;
		}
		if (fx->type == XR_FX_EXIT)
			in_box[fx->car] = 0;
		if (fx->type == XR_FX_DEADLOCK)
			deadlocks++;
	}
	for (uint32_t i = 0; i < n->out.n_msgs; i++) {
		if (q_tail - q_head >= MAXQ) {
			fprintf(stderr, "queue overflow\n");
			exit(2);
		}
		queue[q_tail++ % MAXQ] = n->out.msgs[i];
	}
}

static void setup(int cars, const uint32_t weights[3], uint32_t rounds)
{
	n_nodes = cars + 1;
	memset(in_box, 0, sizeof in_box);
	q_head = q_tail = 0;
	deadlocks = 0;
	now = 0;
	for (int id = 0; id < n_nodes; id++) {
		struct xr_node_config cfg = {0};
		cfg.self = (uint32_t)id;
		cfg.light = 0;
		cfg.n_cars = (uint32_t)cars;
		for (int c = 0; c < cars; c++) {
			cfg.cars[c] = (uint32_t)c + 1;
			cfg.approaches[c] = (enum xr_approach)(c % 4);
		}
		/* star */
		if (id == 0) {
			cfg.n_neighbours = (uint32_t)cars;
			for (int c = 0; c < cars; c++)
				cfg.neighbours[c] = (uint32_t)c + 1;
		} else {
			cfg.n_neighbours = 1;
			cfg.neighbours[0] = 0;
		}
		cfg.seed = 7;
		memcpy(cfg.weights, weights, sizeof cfg.weights);
		cfg.cross_ms = 10;
		cfg.resend_ms = 1000;
		cfg.stall_ms = 5000;
		cfg.rounds = id == 0 ? rounds : 0;
		snprintf(cfg.run, sizeof cfg.run, "test");
		cfg.tracer = tracer;
		int rv = xr_node_init(&nodes[id], &cfg, NULL);
		CHECK(rv == 0, "init %d: %d", id, rv);
	}
	/* Cars first so they are waiting for RejoinState before waves. */
	for (int id = n_nodes - 1; id >= 0; id--) {
		struct xr_event ev = {.type = XR_EV_START, .now_ms = now};
		xr_node_step(&nodes[id], &ev);
		apply(&nodes[id]);
	}
}

/* Delivers messages in FIFO order; when the network is quiet, advances time
 * to the next timer. Returns when the light is done or time runs out. */
static void run(uint64_t limit_ms)
{
	while (now < limit_ms && nodes[0].light.phase != XR_LIGHT_DONE) {
		if (q_head < q_tail) {
			struct xr_msg m = queue[q_head++ % MAXQ];
			struct xr_event ev = {.type = XR_EV_RECEIVE,
					      .now_ms = now, .msg = &m};
			xr_node_step(&nodes[m.to], &ev);
			apply(&nodes[m.to]);
			continue;
		}
		uint64_t next = XR_NEVER;
		int who = -1, which = 0;
		for (int id = 0; id < n_nodes; id++)
			for (int k = 0; k < XR_TIMERS; k++)
				if (nodes[id].timer_at[k] < next) {
					next = nodes[id].timer_at[k];
					who = id;
					which = k;
				}
		if (who < 0)
			break;
		if (next > now)
			now = next;
		struct xr_event ev = {.type = XR_EV_TIMER, .now_ms = now,
				      .timer = (enum xr_timer)which};
		xr_node_step(&nodes[who], &ev);
		apply(&nodes[who]);
	}
}

static void check_agreement(int cars, uint32_t rounds)
{
	CHECK(nodes[0].light.phase == XR_LIGHT_DONE, "light phase %d",
	      nodes[0].light.phase);
	CHECK(nodes[0].light.rounds_done == rounds, "rounds %u",
	      nodes[0].light.rounds_done);
	CHECK(nodes[0].durable.log_count == (uint32_t)cars * rounds,
	      "light log %u", nodes[0].durable.log_count);
	for (int id = 1; id <= cars; id++) {
		CHECK(nodes[id].durable.log_count == nodes[0].durable.log_count,
		      "car %d log %u", id, nodes[id].durable.log_count);
		CHECK(nodes[id].durable.log_digest ==
			      nodes[0].durable.log_digest,
		      "car %d digest differs", id);
	}
}

int main(void)
{
	const uint32_t straight[3] = {0, 1, 0};
	const uint32_t right[3] = {1, 0, 0};
	const uint32_t mixed[3] = {1, 2, 1};

	setup(4, straight, 10);
	run(10000000);
	check_agreement(4, 10);
	CHECK(deadlocks == 10, "all-straight: %d deadlocks, want 10", deadlocks);

	setup(4, right, 5);
	run(10000000);
	check_agreement(4, 5);
	CHECK(deadlocks == 0, "all-right: %d deadlocks", deadlocks);

	setup(16, mixed, 20);
	run(100000000);
	check_agreement(16, 20);
	printf("16 cars mixed: %d deadlocks in 20 rounds\n", deadlocks);

	setup(8, straight, 10);
	run(100000000);
	check_agreement(8, 10);
	printf("8 cars straight: %d deadlocks in 10 rounds\n", deadlocks);

	/* The most cars a cluster may have: many overrides in one round, more
	 * than any car takes part in. */
	setup(31, straight, 3);
	run(1000000000);
	check_agreement(31, 3);
	printf("31 cars straight: %d deadlocks in 3 rounds\n", deadlocks);
	CHECK(deadlocks > 3 * 64, "31 cars straight: only %d overrides",
	      deadlocks);

	if (failures) {
		printf("test_core_rounds: %d failures\n", failures);
		return 1;
	}
	printf("test_core_rounds: ok\n");
	return 0;
}
