/* Records real traces of a real core run, in one process, until the node
 * daemon's multi-process recordings exist: a light and 4 cars (star
 * topology), every message delivered in FIFO order one millisecond after it
 * was sent, timers fired when due. Every node's inputs and outputs go through
 * the same trace writer the daemon uses (src/wire/trace.h), so a replay of
 * these files tests the same path as a replay of a daemon's.
 *
 *   gen_trace --scenario clean|deadlock|mixed [--out FILE] [--dir DIR]
 *             [--corrupt-seed]
 * --out writes one file with every node's records in the order they
 * happened (what tests/replay/ checks in, readable as one conversation);
 * --dir writes DIR/SCENARIO.nID.trace per node, as daemons do; both may be
 * given. --corrupt-seed records a seed the run did not use, a trace that
 * must NOT replay (the test that the replay test can fail).
 * Deterministic: the same scenario always gives the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "node.h"
#include "trace.h"

#define N_NODES 5
#define QUEUE_MAX 65536
#define STEP_LIMIT 200000

struct scenario {
	const char *name;
	uint32_t weights[XR_TURNS];
	uint32_t rounds;
	const char *why;
	/* Crash `crash_car` right after its Exit in `crash_round` (its Crossed
	 * is already on the wire), drop what reaches it for DOWN_MS, then
	 * restart it from its durable state, as `xroad` does after kill -9. */
	uint32_t crash_car, crash_round;
};

#define DOWN_MS 100

static const struct scenario scenarios[] = {
	{"clean", {1, 0, 0}, 2, "four right turns: no conflict, one phase", 0,
	 0},
	{"deadlock", {0, 1, 0}, 1,
	 "four straights: the 4-cycle S->E->N->W->S, found and broken", 0, 0},
	{"mixed", {1, 2, 1}, 3, "routes 1/2/1, seed 42: whatever it draws", 0,
	 0},
	{"restart", {1, 2, 1}, 3,
	 "mixed, car 2 killed after crossing in round 2 and restarted", 2, 2},
};

static struct xr_node nodes[N_NODES];
/* Per node: [0] the combined file (shared), [1] its own file; NULL: none. */
static struct xr_trace_writer *writers[N_NODES][2];
static bool corrupt_seed;
static struct {
	struct xr_msg msg;
	uint64_t at; /* delivery time */
} queue[QUEUE_MAX];
static size_t q_head, q_tail;
static bool done;
static const struct scenario *scen;
static bool crashed, down;  /* the crash happened; the car is down now */
static uint64_t restart_at;

static void die(const char *what, int rc)
{
	fprintf(stderr, "gen_trace: %s: %s\n", what, xr_strerror(rc));
	exit(1);
}

static void trace_rc(int rc, struct xr_trace_writer *w)
{
	if (rc != 0)
		die(xr_trace_writer_error(w), rc);
}

#define EACH_WRITER(w, id)                                                \
	for (int k_ = 0; k_ < 2; k_++)                                    \
		for (struct xr_trace_writer *w = writers[id][k_]; w != NULL; \
		     w = NULL)

/* Records the outbox and applies it as every driver does: effects, then
 * messages, then timers (kept in node->timer_at). */
static void apply(uint32_t id, uint64_t now)
{
	const struct xr_outbox *out = &nodes[id].out;
	EACH_WRITER(w, id)
		trace_rc(xr_trace_outbox(w, id, now, out), w);
	for (uint32_t i = 0; i < out->n_effects; i++) {
		const struct xr_effect *fx = &out->effects[i];
		if (fx->type == XR_FX_DONE)
			done = true;
		if (fx->type == XR_FX_EXIT && id == scen->crash_car &&
		    fx->round == scen->crash_round && !crashed) {
			crashed = down = true;
			restart_at = now + DOWN_MS;
		}
	}
	for (uint32_t i = 0; i < out->n_msgs; i++) {
		if (q_tail - q_head >= QUEUE_MAX)
			die("message queue", XR_EFULL);
		queue[q_tail % QUEUE_MAX].msg = out->msgs[i];
		queue[q_tail % QUEUE_MAX].at = now + 1;
		q_tail++;
	}
}

static void step(uint32_t id, const struct xr_event *ev)
{
	EACH_WRITER(w, id)
		trace_rc(xr_trace_event(w, id, ev), w);
	/* A refused input is part of the trace too; its outbox is empty. */
	(void)xr_node_step(&nodes[id], ev);
	apply(id, ev->now_ms);
}

static void config(const struct scenario *s, uint32_t id,
		   struct xr_node_config *c)
{
	memset(c, 0, sizeof *c);
	c->self = id;
	c->light = 0;
	c->n_cars = N_NODES - 1;
	for (uint32_t i = 0; i < c->n_cars; i++) {
		c->cars[i] = i + 1;
		c->approaches[i] = (enum xr_approach)(i % XR_APPROACHES);
	}
	if (id == 0) {
		c->n_neighbours = N_NODES - 1;
		for (uint32_t i = 0; i < c->n_neighbours; i++)
			c->neighbours[i] = i + 1;
	} else {
		c->n_neighbours = 1;
		c->neighbours[0] = 0;
	}
	c->seed = 42;
	memcpy(c->weights, s->weights, sizeof c->weights);
	c->cross_ms = 10;
	c->resend_ms = 200;
	c->stall_ms = 500;
	c->rounds = id == 0 ? s->rounds : 0;
	snprintf(c->run, sizeof c->run, "gen-%s", s->name);
}

/* The crashed car comes back: rebuilt from what it had on disk, its
 * durable state (node.h: stored before any message of a step goes out),
 * its trace continued with a START that records it. */
static void restart(uint32_t id, uint64_t now)
{
	struct xr_durable durable = nodes[id].durable;
	struct xr_node_config cfg = nodes[id].cfg;
	int rc = xr_node_init(&nodes[id], &cfg, &durable);
	if (rc != 0)
		die("restart", rc);
	EACH_WRITER(w, id)
		trace_rc(xr_trace_start_durable(w, now, &cfg, &durable), w);
	struct xr_event ev = {.type = XR_EV_START, .now_ms = now};
	(void)xr_node_step(&nodes[id], &ev);
	apply(id, now);
	down = false;
}

static void run(const struct scenario *s)
{
	uint64_t now = 0;
	char why[256];

	for (uint32_t id = 0; id < N_NODES; id++) {
		struct xr_node_config c;
		config(s, id, &c);
		int rc = xr_node_init(&nodes[id], &c, NULL);
		if (rc != 0)
			die("xr_node_init", rc);
		if (xr_node_config_check(&c, why, sizeof why) != 0)
			die(why, XR_ECONFIG);
	}
	/* Cars first, as a deployment starts them before the light. */
	for (int id = N_NODES - 1; id >= 0; id--) {
		struct xr_event ev = {.type = XR_EV_START, .now_ms = now};
		struct xr_node_config rec = nodes[id].cfg;
		if (corrupt_seed)
			rec.seed++;
		EACH_WRITER(w, id)
			trace_rc(xr_trace_start(w, now, &rec), w);
		(void)xr_node_step(&nodes[id], &ev);
		apply((uint32_t)id, now);
	}

	for (long steps = 0; steps < STEP_LIMIT; steps++) {
		/* The next thing to happen: the oldest message or the
		 * earliest timer, timers first on a tie (they were due). */
		uint64_t next = XR_NEVER;
		int who = -1, which = 0;
		if (down && restart_at <= now) {
			restart(s->crash_car, now);
			continue;
		}
		for (int id = 0; id < N_NODES; id++)
			for (int k = 0; k < XR_TIMERS; k++)
				if (!(down && (uint32_t)id == s->crash_car) &&
				    nodes[id].timer_at[k] < next) {
					next = nodes[id].timer_at[k];
					who = id;
					which = k;
				}
		bool have_msg = q_head < q_tail;
		if (done && !have_msg)
			return;
		if (have_msg && (who < 0 || queue[q_head % QUEUE_MAX].at < next)) {
			struct xr_msg m = queue[q_head % QUEUE_MAX].msg;
			uint64_t at = queue[q_head % QUEUE_MAX].at;
			q_head++;
			if (at > now)
				now = at;
			if (m.to >= N_NODES)
				continue; /* not ours to deliver */
			if (down && m.to == s->crash_car)
				continue; /* lost: nobody listens */
			struct xr_event ev = {.type = XR_EV_RECEIVE,
					      .now_ms = now, .msg = &m};
			step(m.to, &ev);
			continue;
		}
		if (down && (who < 0 || restart_at < next)) {
			if (restart_at > now)
				now = restart_at;
			continue; /* the restart is the next thing */
		}
		if (who < 0) {
			fprintf(stderr, "gen_trace: %s: quiet before the light "
					"was done\n",
				s->name);
			exit(1);
		}
		if (next > now)
			now = next;
		struct xr_event ev = {.type = XR_EV_TIMER, .now_ms = now,
				      .timer = (enum xr_timer)which};
		step((uint32_t)who, &ev);
	}
	fprintf(stderr, "gen_trace: %s: no end after %d steps\n", s->name,
		STEP_LIMIT);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_trace --scenario NAME [--out FILE] "
			"[--dir DIR] [--corrupt-seed]\nscenarios:\n");
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
		fprintf(stderr, "  %-9s %s\n", scenarios[i].name,
			scenarios[i].why);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *name = NULL, *out = NULL, *dir = NULL;
	const struct scenario *s = NULL;
	char why[512];

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--scenario") == 0)
			name = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--out") == 0)
			out = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--dir") == 0)
			dir = argv[++i];
		else if (strcmp(argv[i], "--corrupt-seed") == 0)
			corrupt_seed = true;
		else
			usage();
	}
	for (size_t i = 0; name && i < sizeof scenarios / sizeof scenarios[0];
	     i++)
		if (strcmp(name, scenarios[i].name) == 0)
			s = &scenarios[i];
	if (s == NULL || (out == NULL && dir == NULL))
		usage();
	scen = s;

	if (out != NULL) {
		int rc = xr_trace_open(out, &writers[0][0], why, sizeof why);
		if (rc != 0)
			die(why, rc);
		for (int id = 1; id < N_NODES; id++)
			writers[id][0] = writers[0][0];
	}
	for (int id = 0; dir != NULL && id < N_NODES; id++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s.n%d.trace", dir, s->name,
			 id);
		int rc = xr_trace_open(path, &writers[id][1], why, sizeof why);
		if (rc != 0)
			die(why, rc);
	}
	run(s);
	int rc = xr_trace_close(writers[0][0]);
	for (int id = 0; rc == 0 && id < N_NODES; id++)
		rc = xr_trace_close(writers[id][1]);
	if (rc != 0)
		die("close", rc);
	printf("gen_trace: %s:%s%s%s%s\n", s->name, out ? " " : "",
	       out ? out : "", dir ? " " : "", dir ? dir : "");
	return 0;
}
