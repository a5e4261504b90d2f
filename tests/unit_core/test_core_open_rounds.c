/* Open rounds (arrivals = poisson, docs/PROTOCOL.md) on a star of cores:
 *   - every car sends all its vehicles, each crossing once, and the light
 *     ends the run by the cars' "done" answers, not by a round count;
 *   - rounds hold the cars that have a vehicle (some rounds lack cars), and
 *     the light waits idle, with no timer, when nobody has one;
 *   - an Arrived lost (the first of every vehicle) is resent until a
 *     collect takes it;
 *   - an Arrived out of place changes nothing, and an intent set that says
 *     "no vehicle" is refused;
 *   - a car away (failover) while the others send their last vehicles, whose
 *     own last one had crossed, is asked again when it is heard: the run
 *     ends (it hung, the light waiting for a vehicle nobody had). */
#include "core_cluster.h"
#include "err.h"

static uint32_t vehicles = 5;

static void poisson(struct xr_node_config *cfg)
{
	cfg->arrivals = XR_ARRIVALS_POISSON;
	cfg->headway_ms = 700;
	cfg->rounds = vehicles;
	cfg->resend_ms = 100;
}

static int waited, done_fx, lose_arrived, lost;
static bool lost_for[XR_MAX_NODES][16];
static uint32_t round_cars_min = XR_MAX_CARS;

static void watch(int id, const struct xr_durable *before, int rv)
{
	(void)before;
	(void)rv;
	const struct xr_node *n = &nodes[id];
	if (id == 0 && n->light.phase == XR_LIGHT_WAITING) {
		waited++;
		/* An idle crossroad sends nothing while it waits. */
		CHECK(n->out.n_msgs == 0, "the light sent %u messages waiting",
		      n->out.n_msgs);
	}
	for (uint32_t i = 0; i < n->out.n_effects; i++) {
		const struct xr_effect *fx = &n->out.effects[i];
		if (id == 0 && fx->type == XR_FX_DONE)
			done_fx++;
		if (id == 0 && fx->type == XR_FX_ROUND_END) {
			uint32_t k = n->light.n_log;
			if (k < round_cars_min)
				round_cars_min = k;
		}
	}
	/* Lose the first Arrived each vehicle's car sends for it: the last
	 * vehicle of the run then crosses only if its car says so again. */
	struct xr_outbox *out = &nodes[id].out;
	uint32_t k = n->durable.crossings + 1;
	for (uint32_t i = 0; i < out->n_msgs && lose_arrived; i++)
		if (out->msgs[i].type == XR_MSG_ARRIVED && !lost_for[id][k]) {
			lost_for[id][k] = true;
			/* Refused by its sender: a message to itself. */
			out->msgs[i].to = n->cfg.self;
			lost++;
		}
}

static void run_all(void)
{
	for (long guard = 0; guard < 10000000 && cluster_step(); guard++)
		if (nodes[0].light.phase == XR_LIGHT_DONE && q_head == q_tail)
			break;
}

static void whole_run(int cars, int lose)
{
	waited = done_fx = lost = 0;
	memset(lost_for, 0, sizeof lost_for);
	lose_arrived = lose;
	round_cars_min = XR_MAX_CARS;
	cluster_on_step = watch;
	const uint32_t mixed[3] = {1, 2, 1};
	cluster_start(cars, mixed, vehicles, poisson);
	run_all();
	CHECK(nodes[0].light.phase == XR_LIGHT_DONE && done_fx == 1,
	      "%d cars: light phase %d, %d DONE effects", cars,
	      (int)nodes[0].light.phase, done_fx);
	for (int c = 1; c <= cars; c++)
		CHECK(nodes[c].durable.crossings == vehicles,
		      "%d cars: car %d crossed %u of %u vehicles", cars, c,
		      nodes[c].durable.crossings, vehicles);
	CHECK(nodes[0].light.rounds_done >= vehicles &&
		      nodes[0].light.rounds_done <= vehicles * (uint32_t)cars,
	      "%d cars: %u rounds for %u vehicles each", cars,
	      nodes[0].light.rounds_done, vehicles);
	CHECK(round_cars_min < (uint32_t)cars,
	      "%d cars: every round held every car", cars);
	CHECK(waited > 0, "%d cars: the light never waited for a vehicle",
	      cars);
	CHECK(lose == 0 || lost >= cars, "%d cars: lost only %d Arrived", cars,
	      lost);
	cluster_on_step = NULL;
}

/* A crossing longer than a held echo (car.c, hold_echo): the light is in
 * CROSSING once the set is out, whoever is free to go. */
static void poisson_long_cross(struct xr_node_config *cfg)
{
	poisson(cfg);
	cfg->cross_ms = cfg->resend_ms;
}

/* An Arrived while the light crosses a round, and an intent set saying "no
 * vehicle" to a car. */
static void out_of_place(void)
{
	const uint32_t straight[3] = {0, 1, 0};
	/* Short crossings ride the set's echo: a round whose cars are all
	 * free to go never shows the light in CROSSING. */
	cluster_start(4, straight, vehicles, poisson_long_cross);
	/* Up to the first round's intent set. */
	for (long guard = 0; guard < 1000000 && cluster_step(); guard++)
		if (nodes[0].light.phase == XR_LIGHT_CROSSING)
			break;
	CHECK(nodes[0].light.phase == XR_LIGHT_CROSSING, "no round crossed");
	struct xr_light before = nodes[0].light;
	struct xr_msg m = {
		.from = 1, .to = 0, .epoch = 1, .type = XR_MSG_ARRIVED};
	m.u.arrived.round = nodes[0].light.round;
	struct xr_event ev = {.type = XR_EV_RECEIVE, .now_ms = now, .msg = &m};
	CHECK(xr_node_step(&nodes[0], &ev) == 0 && nodes[0].out.n_msgs == 0 &&
		      memcmp(&before, &nodes[0].light, sizeof before) == 0,
	      "an Arrived while crossing changed the light");

	struct xr_msg w = {.from = 0, .to = 2, .epoch = 1, .type = XR_MSG_WAVE};
	w.u.wave.wave = 900;
	w.u.wave.kind = XR_WAVE_INTENT_SET;
	w.u.wave.round = nodes[2].car.round + 1;
	w.u.wave.n_intents = 1;
	w.u.wave.intents[0] =
		(struct xr_car_intent){.car = 2, .lane = XR_LANE_EMPTY};
	ev.msg = &w;
	CHECK(xr_node_step(&nodes[2], &ev) == XR_ERANGE,
	      "an intent set with an empty lane was taken");
}

/* Car 1 sends one vehicle, the others five; failover on. */
static void one_vehicle_car1(struct xr_node_config *cfg)
{
	poisson(cfg);
	cfg->heartbeat_ms = 100;
	cfg->fail_ms = 400;
	if (cfg->self == 1)
		cfg->rounds = 1;
}

static void away_when_done(void)
{
	const uint32_t mixed[3] = {1, 2, 1};
	cluster_start(4, mixed, vehicles, one_vehicle_car1);
	/* Car 1's one crossing logged by the light: car 1 goes away before
	 * the round's end (which would have asked it for the next round and
	 * heard "done") reaches it. */
	long guard = 0;
	while (guard++ < 10000000 && !((nodes[0].light.crossed >> 1) & 1u) &&
	       cluster_step())
		;
	down[1] = true;
	bool waited_without = false;
	while (guard++ < 10000000 && cluster_step()) {
		bool others_done = true;
		for (int c = 2; c <= 4; c++)
			others_done = others_done &&
				      nodes[c].durable.crossings == vehicles;
		if (others_done && nodes[0].light.phase == XR_LIGHT_WAITING &&
		    ((nodes[0].light.absent >> 1) & 1u)) {
			waited_without = true;
			break;
		}
	}
	CHECK(waited_without,
	      "the light never waited with car 1 away (phase %d)",
	      (int)nodes[0].light.phase);
	down[1] = false;
	/* Its next heartbeat answer is heard. Each node has a tick due. */
	for (int i = 0; guard++ < 10000000 && i < 1000000 && cluster_step() &&
			nodes[0].light.phase != XR_LIGHT_DONE;
	     i++)
		;
	CHECK(nodes[0].light.phase == XR_LIGHT_DONE,
	      "car 1 back, every vehicle crossed, light phase %d, not done",
	      (int)nodes[0].light.phase);
}

int main(void)
{
	whole_run(4, 0);
	whole_run(4, 1);
	vehicles = 3;
	whole_run(9, 1);
	vehicles = 5;
	out_of_place();
	away_when_done();
	if (failures) {
		printf("test_core_open_rounds: %d failures\n", failures);
		return 1;
	}
	printf("test_core_open_rounds: ok\n");
	return 0;
}
