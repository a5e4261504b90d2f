/* The simulator's world: a discrete-event scheduler driving every node's
 * core, a network that delays, reorders, loses and duplicates messages, and
 * a fault schedule that clogs nodes, cuts the network in two, and crashes
 * and restarts cars and the light.
 *
 * Each step is one event for one node (a message, a timer, a start); its
 * outbox is applied in the documented order of node.h (effects, then
 * messages, then timers), and the checkers (sim_check.c) run on every
 * effect as it is applied. Everything random comes from sim_rng.h seeded by
 * the run's seed, and ties between events at the same millisecond are broken
 * by a sequence number, so a seed replays exactly.
 *
 * The run has a fault phase and a heal phase (TigerBeetle VOPR's safety and
 * liveness modes): at heal time every crashed node restarts, clogs lift,
 * cuts mend and the network stops losing, duplicating and spiking; from
 * then on all rounds must finish within a bound of simulated time (I2). */
#include "sim_world.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "describe.h"
#include "err.h"
#include "sim_check.h"
#include "sim_rng.h"

#define HAS(set, id) (((set) >> (id)) & 1u)
#define BIT(id) ((xr_set)1 << (id))
#define MAX_IN_FLIGHT (1u << 20)
/* No round of 32 nodes needs this many messages on the wire at once (the
 * largest legitimate burst, a probe flood of 16 cars, is under 2,000); more
 * means messages breed messages, and the run would never converge. */
#define STORM_IN_FLIGHT 50000u
#define MAX_STEPS 50000000ull
#define MAX_CONTROL 64
#define DRAIN_MS                                                               \
	2000 /* keep running after DONE: late messages must be harmless */
#define MAX_CUTS 3

enum control_kind { CTL_CRASH, CTL_RESTART, CTL_CUT, CTL_MEND, CTL_HEAL };

struct control {
	uint64_t at;
	enum control_kind kind;
	uint32_t node; /* CRASH, RESTART: the node; CUT, MEND: the cut */
};

/* Fault parameters, drawn per seed so that 2,000 seeds cover gentle and
 * brutal networks alike. Probabilities in parts per million. */
struct faults {
	uint64_t heal_ms;
	uint32_t p_loss, p_dup, p_spike;
	uint32_t delay_max, spike_max;
	uint64_t clog_from[XR_MAX_NODES], clog_to[XR_MAX_NODES];
	/* Partitions: while cut k is made, a message between a node of
	 * side[k] and a node outside it is dropped, in either direction. */
	uint32_t n_cuts;
	xr_set side[MAX_CUTS];
};

struct flight {
	struct xr_msg msg;
};

struct heap_entry {
	uint64_t at;
	uint64_t seq;
	uint32_t slot;
};

struct world {
	const struct sim_config *cfg;
	struct sim_result *res;
	struct sim_stats *st;
	struct sim_violations v;
	struct sim_checker chk;
	uint32_t n_nodes;
	uint64_t adj[XR_MAX_NODES];
	struct xr_node_config node_cfg[XR_MAX_NODES];
	struct xr_node *nodes;
	struct xr_durable saved[XR_MAX_NODES];
	bool up[XR_MAX_NODES];
	uint64_t now;
	uint64_t seq;
	struct sim_rng net;
	struct faults f;
	bool faulty; /* faults on and not yet healed */
	struct control ctl[MAX_CONTROL];
	uint32_t n_ctl, next_ctl;
	uint32_t cuts_made; /* bit k: cut k is made now */
	uint64_t link_last[XR_MAX_NODES][XR_MAX_NODES]; /* FIFO per link */
	/* In-flight messages: a pool of slots and a min-heap on (at, seq). */
	struct flight *pool;
	uint32_t pool_cap;
	uint32_t *free_slots;
	uint32_t n_free;
	struct heap_entry *heap;
	uint32_t n_heap;
	/* Cost accounting (fault-free runs): messages per wave id, probes
	 * and initiators per epoch, rule edges per epoch. */
	uint32_t *wave_count;
	uint32_t wave_cap;
	struct epoch_info {
		uint64_t probes;
		xr_set initiators;
		uint32_t edges;
		/* Edges the epoch's override reversed: its loser's and each
		 * `also` car's (0 without one). */
		uint32_t reversed;
	} * epochs;
	uint32_t epoch_cap;
	uint32_t last_rule_edges;
	/* --snapshots: the snapshot in progress (0: none), whether a node
	 * crashed while it ran, when to start the next. */
	uint32_t snap_id;
	bool snap_crashed;
	uint64_t snap_started_ms, snap_next_ms;
	struct sim_rng snap_rng;
	/* Each node's crossing log as its shell keeps it (the daemon's
	 * node-N.log): what its LOG_APPEND effects appended, kept across
	 * crashes. A node's shell answers LogFetch from it (node.h). */
	struct xr_crossing *logs[XR_MAX_NODES];
	uint32_t log_n[XR_MAX_NODES], log_cap[XR_MAX_NODES];
};

const uint32_t sim_weights[XR_TURNS] = {
	[XR_RIGHT] = 1, [XR_STRAIGHT] = 2, [XR_LEFT] = 1};

void sim_config_defaults(struct sim_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->seed = 1;
	cfg->cars = 4;
	cfg->topology = SIM_STAR;
	cfg->rounds = 10;
	cfg->cross_ms = 50;
	cfg->resend_ms = 100;
	cfg->stall_ms = 400;
	cfg->headway_ms = 1000; /* with --arrivals poisson */
	/* Failover in fault runs: a heartbeat per resend period, and a light
	 * is given up after five silent ones. That is more than any delay of
	 * the network model (40 ms, spikes up to 600 ms are rare), so most
	 * elections follow a real crash or cut; a long clog of the light
	 * starts one too, which is a fault worth having. */
	cfg->heartbeat_ms = 100;
	cfg->fail_ms = 500;
	cfg->out = stdout;
}

void sim_repro(const struct sim_config *cfg, char *buf, size_t len)
{
	char arrivals[64] = "", cross[32] = "";
	/* --compare-light names its own (repro_extra). */
	if (cfg->arrivals == XR_ARRIVALS_POISSON && cfg->repro_extra == NULL)
		snprintf(arrivals, sizeof arrivals,
			 " --arrivals poisson --headway-ms %u",
			 cfg->headway_ms);
	if (cfg->cross_ms != 50 && cfg->repro_extra == NULL)
		snprintf(cross, sizeof cross, " --cross-ms %u", cfg->cross_ms);
	snprintf(buf, len,
		 "build/xroad-sim --seeds 1 --first-seed %" PRIu64
		 " --cars %u --topology %s%s --rounds %u%s%s%s%s%s%s",
		 cfg->seed, cfg->cars, sim_topology_name(cfg->topology),
		 cfg->faults ? " --faults" : "", cfg->rounds,
		 cfg->fifo ? " --fifo" : "",
		 cfg->schedule != XR_SCHEDULE_RULES ? " --schedule " : "",
		 cfg->schedule != XR_SCHEDULE_RULES
			 ? xr_schedule_name(cfg->schedule)
			 : "",
		 arrivals, cross,
		 cfg->repro_extra != NULL ? cfg->repro_extra : "");
}

/* ------------------------------------------------------------ heap */

/* The heap holds its keys itself: comparing through the 2 KB pool slots
 * was most of the simulator's run time (a cache miss per comparison). */
static bool before(const struct heap_entry *x, const struct heap_entry *y)
{
	return x->at < y->at || (x->at == y->at && x->seq < y->seq);
}

static void heap_push(struct world *w, struct heap_entry e)
{
	uint32_t i = w->n_heap++;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!before(&e, &w->heap[p]))
			break;
		w->heap[i] = w->heap[p];
		i = p;
	}
	w->heap[i] = e;
}

static uint32_t heap_pop(struct world *w)
{
	uint32_t top = w->heap[0].slot;
	struct heap_entry last = w->heap[--w->n_heap];
	uint32_t i = 0, n = w->n_heap;
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = l;
		if (l >= n)
			break;
		if (r < n && before(&w->heap[r], &w->heap[l]))
			m = r;
		if (!before(&w->heap[m], &last))
			break;
		w->heap[i] = w->heap[m];
		i = m;
	}
	if (n > 0)
		w->heap[i] = last;
	return top;
}

static int pool_grow(struct world *w)
{
	uint32_t cap = w->pool_cap ? w->pool_cap * 2 : 256;
	if (cap > MAX_IN_FLIGHT)
		return -1;
	struct flight *p = realloc(w->pool, cap * sizeof *p);
	if (p == NULL)
		return -1;
	w->pool = p;
	uint32_t *fs = realloc(w->free_slots, cap * sizeof *fs);
	if (fs == NULL)
		return -1;
	w->free_slots = fs;
	struct heap_entry *h = realloc(w->heap, cap * sizeof *h);
	if (h == NULL)
		return -1;
	w->heap = h;
	for (uint32_t i = cap; i > w->pool_cap; i--)
		w->free_slots[w->n_free++] = i - 1;
	w->pool_cap = cap;
	return 0;
}

/* Bytes of an xr_msg worth copying for its type: the header and the union
 * member in use. Copying 2 KB of RejoinState room for every Probe would
 * dominate the simulator's run time. */
static size_t msg_size(const struct xr_msg *m)
{
	size_t head = offsetof(struct xr_msg, u);
	switch (m->type) {
	case XR_MSG_WAVE:
		return head + sizeof m->u.wave;
	case XR_MSG_CROSSED:
		return head + sizeof m->u.crossed;
	case XR_MSG_NOTICE:
		return head + sizeof m->u.notice;
	case XR_MSG_BLOCKED:
		return head + sizeof m->u.blocked;
	case XR_MSG_DETECT:
		return head + sizeof m->u.detect;
	case XR_MSG_PROBE:
		return head + sizeof m->u.probe;
	case XR_MSG_DEADLOCK:
		return head + sizeof m->u.deadlock;
	case XR_MSG_PROCEED:
		return head + sizeof m->u.proceed;
	case XR_MSG_REJOIN:
		return head + sizeof m->u.rejoin;
	default:
		/* RejoinState, and any type added later: copy it all. */
		break;
	}
	return sizeof *m;
}

/* ------------------------------------------------------------ printing */

static void tracer(void *ctx, uint32_t node, uint64_t now_ms, const char *line)
{
	struct world *w = ctx;
	fprintf(w->cfg->out, "t=%" PRIu64 " node %u: %s\n", now_ms, node, line);
}

/* ------------------------------------------------------------ network */

static bool clogged(const struct world *w, uint32_t node)
{
	return w->faulty && w->now >= w->f.clog_from[node] &&
	       w->now < w->f.clog_to[node];
}

/* Is a cut made now between nodes a and b? */
static bool cut_between(const struct world *w, uint32_t a, uint32_t b)
{
	for (uint32_t k = 0; k < w->f.n_cuts; k++)
		if (((w->cuts_made >> k) & 1u) &&
		    HAS(w->f.side[k], a) != HAS(w->f.side[k], b))
			return true;
	return false;
}

/* The cost record of detection epoch e, grown on demand; NULL for epoch 0
 * or when out of memory (the counters are then incomplete, not wrong). */
static struct epoch_info *epoch_at(struct world *w, uint32_t e)
{
	if (e == 0 || e >= (1u << 20))
		return NULL;
	if (e >= w->epoch_cap) {
		uint32_t cap = w->epoch_cap ? w->epoch_cap : 64;
		while (cap <= e)
			cap *= 2;
		struct epoch_info *p = realloc(w->epochs, cap * sizeof *p);
		if (p == NULL)
			return NULL;
		memset(p + w->epoch_cap, 0, (cap - w->epoch_cap) * sizeof *p);
		w->epochs = p;
		w->epoch_cap = cap;
	}
	return &w->epochs[e];
}

static void count_sent(struct world *w, const struct xr_msg *m)
{
	struct sim_stats *st = w->st;
	st->sent++;
	if ((unsigned)m->type < XR_MSG_TYPES)
		st->msgs[m->type]++;
	if (m->type == XR_MSG_WAVE &&
	    (unsigned)m->u.wave.kind < XR_WAVE_KINDS) {
		st->wave_msgs[m->u.wave.kind]++;
		uint32_t id = m->u.wave.wave;
		if (id >= w->wave_cap && id < (1u << 20)) {
			uint32_t cap = w->wave_cap ? w->wave_cap : 64;
			while (cap <= id)
				cap *= 2;
			uint32_t *p = realloc(w->wave_count, cap * sizeof *p);
			if (p != NULL) {
				memset(p + w->wave_cap, 0,
				       (cap - w->wave_cap) * sizeof *p);
				w->wave_count = p;
				w->wave_cap = cap;
			}
		}
		if (id < w->wave_cap)
			w->wave_count[id]++;
	}
	uint32_t e = 0;
	if (m->type == XR_MSG_DETECT)
		e = m->u.detect.epoch;
	else if (m->type == XR_MSG_PROBE)
		e = m->u.probe.epoch;
	struct epoch_info *ei = epoch_at(w, e);
	if (ei == NULL)
		return;
	if (m->type == XR_MSG_DETECT) {
		/* The detecting coordinator's intents right now: edges only
		 * reverse, so the count holds for the whole epoch. */
		if (ei->initiators == 0)
			ei->edges = sim_rule_edges(&w->nodes[m->from].light);
		ei->initiators |= BIT(m->to);
	} else {
		ei->probes++;
	}
}

static void enqueue(struct world *w, const struct xr_msg *m, uint64_t at)
{
	if (w->n_free == 0 && pool_grow(w) != 0) {
		sim_violation(&w->v, w->now,
			      "simulator: more than %u messages in flight",
			      MAX_IN_FLIGHT);
		return;
	}
	uint32_t slot = w->free_slots[--w->n_free];
	memcpy(&w->pool[slot].msg, m, msg_size(m));
	struct heap_entry e = {.at = at, .seq = w->seq++, .slot = slot};
	heap_push(w, e);
	if (w->n_heap > w->st->max_in_flight) {
		w->st->max_in_flight = w->n_heap;
		if (w->n_heap == STORM_IN_FLIGHT)
			sim_violation(
				&w->v, w->now,
				"I2: message storm: %u messages in flight "
				"(last %u->%u %s)",
				STORM_IN_FLIGHT, m->from, m->to,
				xr_msg_type_name(m->type));
	}
}

/* Send one message through the network model. */
static void transmit(struct world *w, const struct xr_msg *m)
{
	count_sent(w, m);
	if (m->to >= w->n_nodes || m->to == m->from) {
		sim_violation(&w->v, w->now, "node %u sends %s to node %u",
			      m->from, xr_msg_type_name(m->type), m->to);
		return;
	}
	int copies = 1;
	if (cut_between(w, m->from, m->to)) {
		w->st->cut++;
		return;
	}
	if (w->faulty) {
		if (sim_rng_chance(&w->net, w->f.p_loss)) {
			w->st->lost++;
			return;
		}
		if (sim_rng_chance(&w->net, w->f.p_dup)) {
			w->st->duplicated++;
			copies = 2;
		}
	}
	for (int c = 0; c < copies; c++) {
		uint64_t at;
		if (w->faulty) {
			at = w->now + sim_rng_range(&w->net, 1, w->f.delay_max);
			if (sim_rng_chance(&w->net, w->f.p_spike))
				at += sim_rng_range(&w->net, 1, w->f.spike_max);
			/* A clogged node's traffic waits for the clog to lift
			 * (FoundationDB's swizzle-clogging): held, not lost. */
			for (int e = 0; e < 2; e++) {
				uint32_t node = e ? m->to : m->from;
				if (clogged(w, node) && at < w->f.clog_to[node])
					at = w->f.clog_to[node] +
					     sim_rng_range(&w->net, 1, 5);
			}
		} else {
			at = w->now + sim_rng_range(&w->net, 1, 2);
		}
		if (!w->faulty || w->cfg->fifo) {
			if (at < w->link_last[m->from][m->to])
				at = w->link_last[m->from][m->to];
			w->link_last[m->from][m->to] = at;
		}
		enqueue(w, m, at);
	}
}

/* ------------------------------------------------------------ shell log */

static void shell_log_append(struct world *w, uint32_t id,
			     const struct xr_crossing *c)
{
	if (w->log_n[id] == w->log_cap[id]) {
		uint32_t cap = w->log_cap[id] ? 2 * w->log_cap[id] : 64;
		struct xr_crossing *p = realloc(w->logs[id], cap * sizeof *p);
		if (p == NULL) {
			sim_violation(&w->v, w->now,
				      "simulator: out of memory");
			return;
		}
		w->logs[id] = p;
		w->log_cap[id] = cap;
	}
	w->logs[id][w->log_n[id]++] = *c;
}

/* What a node's shell does with a LogFetch (the daemon reads its log file,
 * daemon_state.c): the round's entries, whole, or "not held". */
static void shell_answer_fetch(struct world *w, const struct xr_msg *m)
{
	static struct xr_msg out;
	xr_crossing_log_round_answer(&w->nodes[m->to], m, w->logs[m->to],
				     w->log_n[m->to], &out);
	transmit(w, &out);
}

/* ------------------------------------------------------------ stepping */

static void apply_outbox(struct world *w, uint32_t id)
{
	struct xr_node *n = &w->nodes[id];
	sim_check_log_grew(&w->chk, n, id, w->now);
	/* 1. effects: made durable before anything is sent. */
	for (uint32_t i = 0; i < n->out.n_effects; i++) {
		const struct xr_effect *fx = &n->out.effects[i];
		if (w->cfg->verbose)
			fprintf(w->cfg->out,
				"t=%" PRIu64
				" node %u effect %s round:%u car:%u\n",
				w->now, id, xr_effect_type_name(fx->type),
				fx->round, fx->car);
		sim_check_effect(&w->chk, w->nodes, id, fx, w->now);
		if (fx->type == XR_FX_LOG_APPEND)
			shell_log_append(w, id, &fx->crossing);
		if (fx->type == XR_FX_ROUND_END)
			w->st->car_rounds += id != 0;
		if (fx->type == XR_FX_DEADLOCK) {
			w->st->deadlocks++;
			w->st->car_deadlocks += id != 0;
			struct epoch_info *ei = epoch_at(w, fx->override.epoch);
			if (ei != NULL)
				ei->reversed +=
					1 + (uint32_t)__builtin_popcountll(
						    fx->override.also);
		}
		if (fx->type == XR_FX_COORDINATOR) {
			w->st->coordinators++;
			w->st->car_coordinators += id != 0;
		}
	}
	w->saved[id] = n->durable;
	/* 2. messages, in order. */
	for (uint32_t i = 0; i < n->out.n_msgs; i++) {
		if (w->cfg->verbose) {
			char line[XR_DESCRIBE_MAX];
			xr_msg_describe(&n->out.msgs[i], line, sizeof line);
			fprintf(w->cfg->out, "t=%" PRIu64 " send %s\n", w->now,
				line);
		}
		transmit(w, &n->out.msgs[i]);
	}
	/* 3. timers: read from n->timer_at by the scheduler. */
}

static void step(struct world *w, uint32_t id, const struct xr_event *ev)
{
	struct xr_node *n = &w->nodes[id];
	w->st->steps++;
	sim_check_step_begin(&w->chk, n, id);
	int rv = xr_node_step(n, ev);
	if (rv != 0) {
		w->st->refused++;
		if (w->cfg->verbose)
			fprintf(w->cfg->out,
				"t=%" PRIu64 " node %u: refused: %s\n", w->now,
				id, xr_strerror(rv));
	}
	apply_outbox(w, id);
}

static void start_node(struct world *w, uint32_t id, bool restart)
{
	struct xr_node *n = &w->nodes[id];
	int rv = xr_node_init(n, &w->node_cfg[id],
			      restart ? &w->saved[id] : NULL);
	if (rv != 0) {
		sim_violation(&w->v, w->now, "node %u init failed: %d", id, rv);
		return;
	}
	w->up[id] = true;
	if (!restart)
		w->saved[id] = n->durable;
	struct xr_event ev = {.type = XR_EV_START, .now_ms = w->now};
	step(w, id, &ev);
}

/* ------------------------------------------------------------ setup */

static void add_control(struct world *w, uint64_t at, enum control_kind k,
			uint32_t node)
{
	if (w->n_ctl >= MAX_CONTROL)
		return;
	struct control c = {.at = at, .kind = k, .node = node};
	uint32_t i = w->n_ctl++;
	while (i > 0 && w->ctl[i - 1].at > at) {
		w->ctl[i] = w->ctl[i - 1];
		i--;
	}
	w->ctl[i] = c;
}

/* Light crashes and partitions, from a stream of their own so that adding
 * them left the other faults of every seed as they were. In a third of the
 * seeds each:
 * - one or two light crashes, each down 1 ms to 4 s, with the fault phase
 *   made up to 4 s longer: long enough, often, for a car to be elected
 *   (fail_ms of silence, then fail_ms / 2 for answers), take the round
 *   over and run rounds before the light is back;
 * - up to MAX_CUTS cuts, each isolating the light, isolating one car, or
 *   splitting the cars (a random subset on its own, the light with the
 *   rest), 1 ms to 2 s long.
 * Cuts may overlap each other and anything else. */
static void plan_failover_faults(struct world *w, struct sim_rng *r)
{
	struct faults *f = &w->f;
	uint32_t cars = w->cfg->cars;
	xr_set all_cars = (((xr_set)1 << cars) - 1) << 1;
	if (sim_rng_chance(r, 333333)) {
		f->heal_ms += sim_rng_range(r, 0, 4000);
		uint32_t crashes = (uint32_t)sim_rng_range(r, 1, 2);
		for (uint32_t i = 0; i < crashes; i++) {
			uint64_t at = sim_rng_range(r, 1, f->heal_ms);
			uint64_t down = sim_rng_range(r, 1, 4000);
			add_control(w, at, CTL_CRASH, 0);
			if (at + down < f->heal_ms)
				add_control(w, at + down, CTL_RESTART, 0);
		}
	}
	if (sim_rng_chance(r, 333333)) {
		f->n_cuts = (uint32_t)sim_rng_range(r, 1, MAX_CUTS);
		for (uint32_t k = 0; k < f->n_cuts; k++) {
			switch (sim_rng_range(r, 0, 2)) {
			case 0: /* the light alone */
				f->side[k] = BIT(0);
				break;
			case 1: /* one car alone */
				f->side[k] = BIT(sim_rng_range(r, 1, cars));
				break;
			default: /* some cars apart from the light and the rest */
				f->side[k] = sim_rng_next(r) & all_cars;
				if (f->side[k] == 0)
					f->side[k] =
						BIT(sim_rng_range(r, 1, cars));
				break;
			}
			uint64_t at = sim_rng_range(r, 0, f->heal_ms - 1);
			uint64_t until = at + sim_rng_range(r, 1, 2000);
			add_control(w, at, CTL_CUT, k);
			if (until < f->heal_ms)
				add_control(w, until, CTL_MEND, k);
		}
	}
}

/* The fault schedule of this seed: network parameters, a swizzle-clog, car
 * crashes with restarts, partitions and light crashes, all inside
 * [0, heal_ms). */
static void plan_faults(struct world *w)
{
	struct sim_rng r;
	sim_rng_seed(&r, w->cfg->seed, 2);
	struct faults *f = &w->f;
	memset(f, 0, sizeof *f);
	uint32_t cars = w->cfg->cars;
	f->heal_ms = sim_rng_range(&r, 500, 1500 + 250ull * cars);
	f->p_loss = (uint32_t)sim_rng_range(&r, 0, 100000); /* <= 10% */
	f->p_dup = (uint32_t)sim_rng_range(&r, 0, 50000);   /* <= 5% */
	f->p_spike = (uint32_t)sim_rng_range(&r, 0, 30000); /* <= 3% */
	f->delay_max = (uint32_t)sim_rng_range(&r, 2, 40);
	f->spike_max = (uint32_t)sim_rng_range(&r, 50, 600);
	/* Swizzle-clogging: clog some nodes one by one, lift the clogs in a
	 * random order. */
	if (sim_rng_chance(&r, 600000)) {
		uint32_t perm[XR_MAX_NODES];
		for (uint32_t i = 0; i < w->n_nodes; i++)
			perm[i] = i;
		for (uint32_t i = w->n_nodes - 1; i > 0; i--) {
			uint32_t j = (uint32_t)sim_rng_range(&r, 0, i);
			uint32_t t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
		uint32_t k = (uint32_t)sim_rng_range(&r, 1, w->n_nodes);
		uint64_t t0 = sim_rng_range(&r, 0, f->heal_ms);
		uint64_t gap = sim_rng_range(&r, 5, 100);
		for (uint32_t i = 0; i < k; i++) {
			uint32_t node = perm[i];
			f->clog_from[node] = t0 + i * gap;
			f->clog_to[node] = t0 + k * gap +
					   sim_rng_range(&r, 0, k * gap + 200);
			if (f->clog_to[node] > f->heal_ms)
				f->clog_to[node] = f->heal_ms;
		}
		w->st->clogged = k;
	}
	uint32_t crashes = (uint32_t)sim_rng_range(&r, 0, 1 + cars / 2);
	for (uint32_t i = 0; i < crashes; i++) {
		uint32_t car = (uint32_t)sim_rng_range(&r, 1, cars);
		uint64_t at = sim_rng_range(&r, 1, f->heal_ms);
		uint64_t down = sim_rng_range(&r, 1, 800);
		add_control(w, at, CTL_CRASH, car);
		if (at + down < f->heal_ms)
			add_control(w, at + down, CTL_RESTART, car);
	}
	struct sim_rng rf;
	sim_rng_seed(&rf, w->cfg->seed, 5);
	plan_failover_faults(w, &rf);
	add_control(w, f->heal_ms, CTL_HEAL, 0);
}

static int build(struct world *w)
{
	const struct sim_config *cfg = w->cfg;
	w->n_nodes = cfg->cars + 1;
	w->st->edges = sim_topology_build(cfg->topology, w->n_nodes, cfg->seed,
					  w->adj);
	for (uint32_t id = 0; id < w->n_nodes; id++) {
		struct xr_node_config *nc = &w->node_cfg[id];
		memset(nc, 0, sizeof *nc);
		nc->self = id;
		nc->light = 0;
		nc->n_cars = cfg->cars;
		for (uint32_t i = 0; i < cfg->cars; i++) {
			nc->cars[i] = i + 1;
			nc->approaches[i] =
				(enum xr_approach)(i % XR_APPROACHES);
		}
		for (uint32_t o = 0; o < w->n_nodes; o++)
			if (HAS(w->adj[id], o))
				nc->neighbours[nc->n_neighbours++] = o;
		nc->seed = cfg->seed;
		for (int t = 0; t < XR_TURNS; t++)
			nc->weights[t] = sim_weights[t];
		nc->cross_ms = cfg->cross_ms;
		nc->resend_ms = cfg->resend_ms;
		nc->stall_ms = cfg->stall_ms;
		nc->rounds = cfg->rounds;
		nc->schedule = cfg->schedule;
		nc->arrivals = cfg->arrivals;
		nc->headway_ms = cfg->headway_ms;
		if (cfg->faults) {
			nc->heartbeat_ms = cfg->heartbeat_ms;
			nc->fail_ms = cfg->fail_ms;
		}
		snprintf(nc->run, sizeof nc->run, "sim-%" PRIu64, cfg->seed);
		if (cfg->verbose) {
			nc->tracer = tracer;
			nc->tracer_ctx = w;
		}
		char why[128];
		if (xr_node_config_check(nc, why, sizeof why) != 0) {
			fprintf(cfg->out, "xroad-sim: node %u: %s\n", id, why);
			return -1;
		}
	}
	w->nodes = malloc(w->n_nodes * sizeof *w->nodes);
	if (w->nodes == NULL || pool_grow(w) != 0)
		return -1;
	sim_rng_seed(&w->net, cfg->seed, 1);
	if (cfg->faults) {
		plan_faults(w);
		w->faulty = true;
	}
	return 0;
}

static void teardown(struct world *w)
{
	free(w->nodes);
	free(w->pool);
	free(w->free_slots);
	free(w->heap);
	free(w->wave_count);
	free(w->epochs);
	for (uint32_t i = 0; i < XR_MAX_NODES; i++)
		free(w->logs[i]);
	sim_check_free(&w->chk);
}

/* ------------------------------------------------------------ control */

static void crash(struct world *w, uint32_t id)
{
	if (!w->up[id])
		return;
	/* Everything but the durable struct is gone; the in-flight messages
	 * it sent are already on the wire. */
	sim_check_crash(&w->chk, &w->nodes[id], id);
	w->up[id] = false;
	w->st->crashes++;
	w->st->light_crashes += id == 0;
	w->snap_crashed = w->snap_id != 0;
	if (w->cfg->verbose)
		fprintf(w->cfg->out, "t=%" PRIu64 " crash node %u\n", w->now,
			id);
}

static void restart(struct world *w, uint32_t id)
{
	if (w->up[id])
		return;
	w->st->restarts++;
	if (w->cfg->verbose)
		fprintf(w->cfg->out, "t=%" PRIu64 " restart node %u\n", w->now,
			id);
	sim_check_restart(&w->chk, id);
	start_node(w, id, true);
}

static void control(struct world *w, const struct control *c)
{
	switch (c->kind) {
	case CTL_CRASH:
		crash(w, c->node);
		break;
	case CTL_RESTART:
		restart(w, c->node);
		break;
	case CTL_CUT:
	case CTL_MEND:
		if (c->kind == CTL_CUT) {
			w->cuts_made |= 1u << c->node;
			w->st->partitions++;
		} else {
			w->cuts_made &= ~(1u << c->node);
		}
		if (w->cfg->verbose)
			fprintf(w->cfg->out,
				"t=%" PRIu64 " %s %u: nodes %#llx apart\n",
				w->now, c->kind == CTL_CUT ? "cut" : "mend",
				c->node,
				(unsigned long long)w->f.side[c->node]);
		break;
	case CTL_HEAL:
		w->faulty = false;
		w->cuts_made = 0;
		w->st->heal_ms = w->now;
		if (w->cfg->verbose)
			fprintf(w->cfg->out, "t=%" PRIu64 " heal\n", w->now);
		for (uint32_t id = 0; id < w->n_nodes; id++)
			restart(w, id);
		break;
	}
}

/* ------------------------------------------------------------ run */

/* How long after the heal every round must be done: generous for the
 * protocol (waves, serialised crossings, detections and overrides per
 * round), and still finite, so a livelock is reported rather than hung. */
static uint64_t liveness_bound(const struct sim_config *cfg)
{
	uint64_t per_round =
		2000 + 6ull * cfg->stall_ms +
		(uint64_t)cfg->cars * (cfg->cross_ms + 4ull * cfg->resend_ms);
	uint64_t rounds = cfg->rounds;
	if (cfg->arrivals == XR_ARRIVALS_POISSON)
		rounds *= cfg->cars; /* one vehicle per round at worst */
	return 10000 + rounds * per_round;
}

static void cost_checks(struct world *w)
{
	struct sim_stats *st = w->st;
	for (uint32_t id = 0; id < w->wave_cap; id++) {
		if (w->wave_count[id] == 0)
			continue;
		st->waves++;
		if (w->wave_count[id] == 2 * st->edges)
			st->waves_exact++;
		else if (!w->cfg->faults)
			sim_violation(
				&w->v, w->now,
				"cost: wave %u took %u messages, 2|E| = %u", id,
				w->wave_count[id], 2 * st->edges);
	}
	for (uint32_t e = 0; e < w->epoch_cap; e++) {
		const struct epoch_info *ei = &w->epochs[e];
		if (ei->initiators == 0 && ei->probes == 0)
			continue;
		st->epochs++;
		/* Edges only reverse, but the override of this epoch can reach
		 * its losers while probes of the epoch still travel: each then
		 * forwards along its new edge, so those edges count too
		 * (docs/SIM.md "Message costs"). */
		uint64_t bound = ((uint64_t)ei->edges + ei->reversed) *
				 (uint64_t)__builtin_popcountll(ei->initiators);
		if (ei->probes > st->probes_max_epoch)
			st->probes_max_epoch = ei->probes;
		if (ei->probes <= bound)
			st->epochs_within_bound++;
		else if (!w->cfg->faults)
			sim_violation(&w->v, w->now,
				      "cost: epoch %u sent %" PRIu64
				      " probes > (%u edges + %u reversed) x %d "
				      "initiators",
				      e, ei->probes, ei->edges, ei->reversed,
				      __builtin_popcountll(ei->initiators));
	}
}

/* --snapshots: now and then a snapshot starts at a random live node; when
 * every node has completed it, I6 is checked with the core's own check
 * (xr_snapshot_check_i6). A snapshot that spans a crash or a change of
 * coordinator cannot complete consistently and is abandoned, as the core
 * makes it (docs/PROTOCOL.md, Snapshots). */
static void snapshot_watch(struct world *w)
{
	if (w->snap_id == 0) {
		if (w->now < w->snap_next_ms)
			return;
		uint32_t at = (uint32_t)sim_rng_range(&w->snap_rng, 0,
						      w->n_nodes - 1);
		if (!w->up[at])
			return;
		struct xr_event ev = {.type = XR_EV_COMMAND,
				      .now_ms = w->now,
				      .op = XR_CMD_SNAPSHOT};
		step(w, at, &ev);
		w->snap_id = w->nodes[at].snap.id;
		w->snap_crashed = false;
		w->snap_started_ms = w->now;
		w->st->snapshots_started++;
		return;
	}
	const struct xr_snapshot *all[XR_MAX_NODES];
	for (uint32_t id = 0; id < w->n_nodes; id++) {
		const struct xr_snapshot *sn = &w->nodes[id].snap;
		if (!w->up[id] || sn->id != w->snap_id || !sn->complete) {
			if (w->snap_crashed || sn->id > w->snap_id ||
			    w->now - w->snap_started_ms > 10000) {
				w->snap_id = 0; /* abandoned */
				w->snap_next_ms =
					w->now +
					sim_rng_range(&w->snap_rng, 5, 200);
			}
			return;
		}
		all[id] = sn;
	}
	char why[200];
	int rv = xr_snapshot_check_i6(all, w->n_nodes, why, sizeof why);
	if (rv == 0)
		sim_violation(&w->v, w->now, "I6: %s", why);
	else if (rv == 1)
		w->st->snapshots_checked++;
	w->snap_id = 0;
	w->snap_next_ms = w->now + sim_rng_range(&w->snap_rng, 5, 200);
}

int sim_run(const struct sim_config *cfg, struct sim_result *res)
{
	memset(res, 0, sizeof *res);
	if (cfg->cars < 1 || cfg->cars > XR_MAX_CARS || cfg->rounds < 1) {
		fprintf(cfg->out, "xroad-sim: bad car or round count\n");
		return -1;
	}
	struct world *w = calloc(1, sizeof *w);
	if (w == NULL)
		return -1;
	w->cfg = cfg;
	w->res = res;
	w->st = &res->stats;
	w->v.seed = cfg->seed;
	w->v.out = cfg->out;
	w->v.print_max = 5;
	/* Open rounds run as many rounds as it takes; the light's budget
	 * (light.c, xr_light_start) bounds them. */
	bool poisson = cfg->arrivals == XR_ARRIVALS_POISSON;
	uint32_t rounds = poisson ? 2 * cfg->rounds * cfg->cars : cfg->rounds;
	if (build(w) != 0 ||
	    sim_check_init(&w->chk, cfg->cars, rounds, 0xcbf29ce484222325ULL,
			   &w->v) != 0 ||
	    (poisson && sim_check_vehicles(&w->chk, cfg->rounds, cfg->seed,
					   cfg->headway_ms) != 0)) {
		teardown(w);
		free(w);
		return -1;
	}
	sim_rng_seed(&w->snap_rng, cfg->seed, 3);
	for (uint32_t id = 0; id < w->n_nodes; id++) {
		w->up[id] = true;
		start_node(w, id, false);
	}

	/* The clock of the liveness bound starts at the heal, or when the
	 * last vehicle has arrived (poisson). */
	uint64_t bound = liveness_bound(cfg);
	uint64_t bound_from = 0;
	for (uint32_t car = 1; poisson && car <= cfg->cars; car++) {
		uint64_t last = xr_vehicle_arrival_ms(
			cfg->seed, car, cfg->rounds, cfg->headway_ms);
		if (last > bound_from)
			bound_from = last;
	}
	for (;;) {
		if (w->v.count > 0 && !cfg->verbose)
			break; /* the first violation is the reproduction */
		uint64_t t_msg = w->n_heap ? w->heap[0].at : XR_NEVER;
		uint64_t t_ctl = w->next_ctl < w->n_ctl ? w->ctl[w->next_ctl].at
							: XR_NEVER;
		uint64_t t_tmr = XR_NEVER;
		uint32_t tmr_node = 0;
		for (uint32_t id = 0; id < w->n_nodes; id++) {
			if (!w->up[id])
				continue;
			for (int k = 0; k < XR_TIMERS; k++) {
				if (w->nodes[id].timer_at[k] < t_tmr) {
					t_tmr = w->nodes[id].timer_at[k];
					tmr_node = id;
				}
			}
		}
		uint64_t t = t_msg < t_ctl ? t_msg : t_ctl;
		if (t_tmr < t)
			t = t_tmr;
		if (t == XR_NEVER)
			break; /* quiescent */
		if (t < w->now)
			t = w->now; /* a timer armed in the past fires now */
		/* Done: the light has said so, still coordinates, and the
		 * faults are over; then late messages drain. */
		if (w->chk.done && !w->faulty &&
		    t > (w->chk.done_ms > w->st->heal_ms ? w->chk.done_ms
							 : w->st->heal_ms) +
				    DRAIN_MS)
			break;
		uint64_t from = cfg->faults ? w->f.heal_ms : 0;
		if (bound_from > from)
			from = bound_from;
		uint64_t limit = from + bound;
		if (t > limit) {
			w->now = limit;
			sim_violation(&w->v, w->now,
				      "I2: not done %" PRIu64
				      " ms after the heal or last arrival (%u "
				      "of %u rounds)",
				      bound, w->chk.rounds_ended, cfg->rounds);
			break;
		}
		if (w->st->steps > MAX_STEPS) {
			sim_violation(&w->v, w->now, "I2: more than %llu steps",
				      (unsigned long long)MAX_STEPS);
			break;
		}
		w->now = t;
		if (cfg->snapshots)
			snapshot_watch(w);
		if (t_ctl <= t) {
			control(w, &w->ctl[w->next_ctl++]);
			continue;
		}
		if (t_msg <= t) {
			uint32_t slot = heap_pop(w);
			const struct xr_msg *m = &w->pool[slot].msg;
			/* A cut made while the message was on its way
			 * drops it too. */
			if (cut_between(w, m->from, m->to)) {
				w->st->cut++;
			} else if (w->up[m->to]) {
				if (cfg->verbose) {
					char line[XR_DESCRIBE_MAX];
					xr_msg_describe(m, line, sizeof line);
					fprintf(cfg->out,
						"t=%" PRIu64 " deliver %s\n",
						w->now, line);
				}
				w->st->delivered++;
				struct xr_event ev = {.type = XR_EV_RECEIVE,
						      .now_ms = w->now,
						      .msg = m};
				if (m->type == XR_MSG_LOG_FETCH)
					shell_answer_fetch(w, m);
				else
					step(w, m->to, &ev);
			} else {
				w->st->lost++;
			}
			w->free_slots[w->n_free++] = slot;
			continue;
		}
		for (int k = 0; k < XR_TIMERS; k++) {
			struct xr_node *n = &w->nodes[tmr_node];
			if (!w->up[tmr_node] || n->timer_at[k] > w->now)
				continue;
			if (cfg->verbose)
				fprintf(cfg->out,
					"t=%" PRIu64 " timer %d node %u\n",
					w->now, k, tmr_node);
			struct xr_event ev = {.type = XR_EV_TIMER,
					      .now_ms = w->now,
					      .timer = (enum xr_timer)k};
			step(w, tmr_node, &ev);
		}
	}

	if (w->v.count == 0)
		sim_check_final(&w->chk, w->nodes, w->now);
	cost_checks(w);
	w->st->done_ms = w->chk.done ? w->chk.done_ms : 0;
	w->st->rounds = w->chk.rounds_ended;
	w->st->cars_taken_out = w->chk.taken_out;
	w->st->stale_take_outs = w->chk.stale_acts;
	w->st->end_ms = w->now;
	for (uint32_t c = 1; cfg->exit_ms != NULL && c <= cfg->cars; c++)
		for (uint32_t r = 1; r <= cfg->rounds; r++)
			cfg->exit_ms[(size_t)c * (cfg->rounds + 1) + r] =
				poisson ? w->chk.vehicle_exit_ms
						  [(size_t)c *
							   (cfg->rounds + 1) +
						   r]
					: w->chk.exit_ms[(size_t)c *
								 (cfg->rounds +
								  2) +
							 r];
	res->violations = w->v.count;
	snprintf(res->first, sizeof res->first, "%s", w->v.first);
	teardown(w);
	free(w);
	return 0;
}
