/* A star cluster of cores in one process, for the core's scenario tests: the
 * light (node 0) and cars 1..n, one FIFO queue for every message (a perfect
 * network unless the test drops some), the physical box for I1. Each test
 * moves time and delivers messages its own way.
 *
 * Header-only, like checkf.h: the state is the test's own (static). */
#ifndef XR_TESTS_CORE_CLUSTER_H
#define XR_TESTS_CORE_CLUSTER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

#include "checkf.h"

#define MAXQ 100000

static struct xr_node nodes[XR_MAX_NODES];
static struct xr_msg queue[MAXQ];
static size_t q_head, q_tail;
static int n_nodes, deadlocks, in_box[XR_MAX_NODES];
/* Edges reversed by the overrides: the loser's and every `also` car's. */
static int reversed;
static bool down[XR_MAX_NODES];
static uint64_t now;

static void tracer(void *ctx, uint32_t node, uint64_t at, const char *line)
{
	(void)ctx;
	if (getenv("XROAD_VERBOSE"))
		fprintf(stderr, "%6llu n%u %s\n", (unsigned long long)at, node,
			line);
}

/* After a step of `n`: its effects on the box (I1 checked at every ENTER),
 * its deadlocks counted, its messages queued. */
static void apply(struct xr_node *n)
{
	for (uint32_t i = 0; i < n->out.n_effects; i++) {
		const struct xr_effect *fx = &n->out.effects[i];
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
		if (fx->type == XR_FX_DEADLOCK) {
			deadlocks++;
			reversed += 1 + __builtin_popcountll(fx->override.also);
		}
	}
	for (uint32_t i = 0; i < n->out.n_msgs; i++) {
		if (q_tail - q_head >= MAXQ) {
			fprintf(stderr, "queue overflow\n");
			exit(2);
		}
		queue[q_tail++ % MAXQ] = n->out.msgs[i];
	}
}

/* A fresh star of `cars` cars running `rounds` rounds; `tune`, if not NULL,
 * changes each node's configuration (timers, failover) before its init.
 * Every node is started, cars first. */
static void cluster_start(int cars, const uint32_t weights[3], uint32_t rounds,
			  void (*tune)(struct xr_node_config *))
{
	n_nodes = cars + 1;
	memset(in_box, 0, sizeof in_box);
	memset(down, 0, sizeof down);
	q_head = q_tail = 0;
	deadlocks = 0;
	reversed = 0;
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
		if (tune != NULL)
			tune(&cfg);
		int rv = xr_node_init(&nodes[id], &cfg, NULL);
		CHECK(rv == 0, "init %d: %d", id, rv);
	}
	/* Cars first, so they are waiting for RejoinState before waves. */
	for (int id = n_nodes - 1; id >= 0; id--) {
		struct xr_event ev = {.type = XR_EV_START, .now_ms = now};
		xr_node_step(&nodes[id], &ev);
		apply(&nodes[id]);
	}
}

/* Called after every step cluster_step makes, before its outbox is applied,
 * with the durable state from before the step and the step's result; NULL
 * (the default): nothing. */
static void (*cluster_on_step)(int id, const struct xr_durable *before, int rv);

static void node_step(int id, struct xr_event *ev)
{
	struct xr_durable before = nodes[id].durable;
	int rv = xr_node_step(&nodes[id], ev);
	if (cluster_on_step != NULL)
		cluster_on_step(id, &before, rv);
	apply(&nodes[id]);
}

/* One step of the cluster: the next queued message delivered (lost if its
 * node is down), or, when none is queued, time moved to the earliest timer
 * of a live node and that timer fired. False: nothing was left to do. */
static bool cluster_step(void)
{
	if (q_head < q_tail) {
		struct xr_msg m = queue[q_head++ % MAXQ];
		if (down[m.to])
			return true;
		struct xr_event ev = {.type = XR_EV_RECEIVE, .now_ms = now,
				      .msg = &m};
		node_step((int)m.to, &ev);
		return true;
	}
	uint64_t next = XR_NEVER;
	int who = -1, which = 0;
	for (int id = 0; id < n_nodes; id++)
		for (int k = 0; k < XR_TIMERS && !down[id]; k++)
			if (nodes[id].timer_at[k] < next) {
				next = nodes[id].timer_at[k];
				who = id;
				which = k;
			}
	if (who < 0)
		return false;
	if (next > now)
		now = next;
	struct xr_event ev = {.type = XR_EV_TIMER, .now_ms = now,
			      .timer = (enum xr_timer)which};
	node_step(who, &ev);
	return true;
}

#endif
