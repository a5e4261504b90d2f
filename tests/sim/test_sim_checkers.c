/* The checkers must catch what they claim to catch: fed effects that break
 * I1, I2, I3, I4 and I5 on purpose, each reports a violation, and fed a
 * correct stream, none. (A checker that never fires would make every
 * simulator run pass.) The coordinator is not always the light: several
 * cases have a car coordinating, or a car that crashed in the cycle. */
#include <stdio.h>
#include <string.h>

#include "sim_check.h"

#include "checkf.h"

#define CARS 4
#define ROUNDS 3
#define FRESH 0xcbf29ce484222325ULL

static struct xr_node nodes[CARS + 1];
static struct sim_violations v;
static struct sim_checker c;

/* Round 1, all four go straight: the 4-cycle S->E->N->W->S (1->2->3->4->1),
 * the light coordinating, every car waiting for the next one. */
static void reset(void)
{
	memset(nodes, 0, sizeof nodes);
	memset(&v, 0, sizeof v);
	v.out = NULL;
	CHECK(sim_check_init(&c, CARS, ROUNDS, FRESH, &v) == 0, "init");
	for (uint32_t id = 0; id <= CARS; id++) {
		nodes[id].coordinator = 0;
		nodes[id].is_car = id != 0;
		nodes[id].durable.log_digest = FRESH;
	}
	struct xr_light *l = &nodes[0].light;
	l->round = 1;
	l->n_intents = CARS;
	for (uint32_t i = 0; i < CARS; i++) {
		l->intents[i].car = i + 1;
		l->intents[i].approach = (enum xr_approach)i;
		l->intents[i].turn = XR_STRAIGHT;
		l->intents[i].arrival_ms = 10 + i;
	}
	for (uint32_t car = 1; car <= CARS; car++) {
		struct xr_car *k = &nodes[car].car;
		k->round = 1;
		k->have_set = true;
		k->phase = XR_CAR_WAITING;
		k->waits = (xr_set)1 << (car % CARS + 1);
	}
}

/* Car `car` takes coordination over from the light. */
static void car_coordinates(uint32_t car)
{
	for (uint32_t id = 0; id <= CARS; id++)
		nodes[id].coordinator = car;
	nodes[car].light = nodes[0].light;
}

static struct xr_effect fx_move(enum xr_effect_type t, uint32_t car,
				enum xr_turn turn)
{
	struct xr_effect fx;
	memset(&fx, 0, sizeof fx);
	fx.type = t;
	fx.round = 1;
	fx.car = car;
	fx.intent.car = car;
	fx.intent.approach = (enum xr_approach)(car - 1);
	fx.intent.turn = turn;
	fx.at_ms = 5;
	return fx;
}

static void cross_in(uint32_t round, uint32_t car, uint64_t at)
{
	struct xr_effect fx = fx_move(XR_FX_ENTER, car, XR_RIGHT);
	fx.round = round;
	sim_check_effect(&c, nodes, car, &fx, at);
	fx = fx_move(XR_FX_EXIT, car, XR_RIGHT);
	fx.round = round;
	sim_check_effect(&c, nodes, car, &fx, at + 1);
}

static void cross(uint32_t car, uint64_t at)
{
	cross_in(1, car, at);
}

static struct xr_effect fx_deadlock(const uint32_t *cycle, uint32_t n,
				    uint32_t winner, uint32_t loser)
{
	struct xr_effect fx;
	memset(&fx, 0, sizeof fx);
	fx.type = XR_FX_DEADLOCK;
	fx.round = 1;
	fx.n_cycle = n;
	memcpy(fx.cycle, cycle, n * sizeof cycle[0]);
	fx.override.winner = winner;
	fx.override.loser = loser;
	return fx;
}

/* Node `node` appends (round, index, car), and its durable log with it. */
static void append_entry(uint32_t node, uint32_t round, uint32_t index,
			 uint32_t car, bool left)
{
	struct xr_effect fx;
	memset(&fx, 0, sizeof fx);
	fx.type = XR_FX_LOG_APPEND;
	fx.crossing = (struct xr_crossing){.round = round, .index = index,
					   .car = car, .left = left};
	sim_check_effect(&c, nodes, node, &fx, 1);
	struct xr_durable *d = &nodes[node].durable;
	d->log_count++;
	d->log_digest = xr_crossing_log_digest(d->log_digest, &fx.crossing);
	/* A car appending its own crossing at the round's end learns its
	 * index there (car.c), as the core does. */
	if (node == car && !left) {
		fx.type = XR_FX_CROSSING_INDEXED;
		sim_check_effect(&c, nodes, node, &fx, 1);
	}
}

static void append(uint32_t node, uint32_t round, uint32_t index,
		   uint32_t car)
{
	append_entry(node, round, index, car, false);
}

static void taken_out(uint32_t node, uint32_t round, uint32_t car)
{
	struct xr_effect fx;
	memset(&fx, 0, sizeof fx);
	fx.type = XR_FX_CAR_LEFT;
	fx.round = round;
	fx.car = car;
	sim_check_effect(&c, nodes, node, &fx, 1);
}

static void round_end(uint32_t node, uint32_t round)
{
	struct xr_effect fx;
	memset(&fx, 0, sizeof fx);
	fx.type = XR_FX_ROUND_END;
	fx.round = round;
	sim_check_effect(&c, nodes, node, &fx, 1);
}

/* Rounds `from`..ROUNDS, whole: every car crosses, every node logs every
 * car (cars 1..CARS in order, CARS..1 when `reverse`), the light ends the
 * round. Node `short_node` holds only entry #0 of round 1 (0: nobody). */
static void whole_rounds(uint32_t from, bool reverse, uint32_t short_node)
{
	for (uint32_t r = from; r <= ROUNDS; r++) {
		for (uint32_t car = 1; car <= CARS; car++)
			cross_in(r, car, 100 * r + car);
		for (uint32_t node = 0; node <= CARS; node++)
			for (uint32_t i = 0; i < CARS; i++)
				if (node != short_node || short_node == 0 ||
				    r != 1 || i == 0)
					append(node, r, i,
					       reverse ? CARS - i : i + 1);
		round_end(0, r);
	}
}

static const uint32_t cyc[4] = {1, 2, 3, 4};

static void test_i1(void)
{
	/* S straight and E straight share NE. */
	reset();
	struct xr_effect fx = fx_move(XR_FX_ENTER, 1, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 1, &fx, 1);
	fx = fx_move(XR_FX_ENTER, 2, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 2, &fx, 2);
	CHECK(v.count == 1 && strstr(v.first, "I1") != NULL, "I1 missed: %u %s",
	      v.count, v.first);
	sim_check_free(&c);

	/* Opposite straights do not conflict; after EXIT the box is free;
	 * entering again after leaving is caught. */
	reset();
	fx = fx_move(XR_FX_ENTER, 1, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 1, &fx, 1);
	fx = fx_move(XR_FX_ENTER, 3, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 3, &fx, 1);
	fx = fx_move(XR_FX_EXIT, 1, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 1, &fx, 2);
	fx = fx_move(XR_FX_ENTER, 2, XR_RIGHT); /* NE only: 1 has left */
	sim_check_effect(&c, nodes, 2, &fx, 3);
	CHECK(v.count == 0, "false I1: %s", v.first);
	fx = fx_move(XR_FX_ENTER, 1, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 1, &fx, 4);
	CHECK(v.count >= 1 && strstr(v.first, "again") != NULL,
	      "re-entry after exit missed: %s", v.first);
	sim_check_free(&c);
}

static void test_i3(void)
{
	struct xr_effect fx;

	/* The real 4-cycle passes; the winner is car 1 (earliest); a cycle
	 * the wrong way round (1 does not wait for 4) is caught. */
	reset();
	fx = fx_deadlock(cyc, 4, 1, 2);
	sim_check_effect(&c, nodes, 0, &fx, 1);
	CHECK(v.count == 0, "real cycle refused: %s", v.first);
	uint32_t rev[4] = {1, 4, 3, 2};
	fx = fx_deadlock(rev, 4, 1, 4);
	sim_check_effect(&c, nodes, 0, &fx, 2);
	CHECK(v.count == 1 && strstr(v.first, "I3") != NULL, "phantom missed");
	sim_check_free(&c);

	/* After an override car 1 no longer waits for 2. */
	reset();
	nodes[1].car.waits = 0;
	nodes[1].car.held = true;
	fx = fx_deadlock(cyc, 4, 1, 2);
	sim_check_effect(&c, nodes, 0, &fx, 1);
	CHECK(v.count == 1, "cycle through a reversed edge not caught");
	sim_check_free(&c);

	/* A car that has left the box is in no cycle. */
	reset();
	cross(3, 1);
	fx = fx_deadlock(cyc, 4, 1, 2);
	sim_check_effect(&c, nodes, 0, &fx, 3);
	CHECK(v.count == 1, "cycle with a crossed car not caught");
	sim_check_free(&c);

	/* Wrong winner (policy: earliest arrival at the coordinator). */
	reset();
	fx = fx_deadlock(cyc, 4, 3, 4);
	sim_check_effect(&c, nodes, 0, &fx, 1);
	CHECK(v.count == 1, "wrong winner not caught");
	sim_check_free(&c);

	/* Declared by a node that does not coordinate. */
	reset();
	fx = fx_deadlock(cyc, 4, 1, 2);
	sim_check_effect(&c, nodes, 4, &fx, 1);
	CHECK(v.count == 1 && strstr(v.first, "coordinates") != NULL,
	      "deadlock from a non-coordinator not caught: %s", v.first);
	sim_check_free(&c);

	/* Car 4 coordinates and is in the cycle: it applies its own override
	 * (4 before 1) in the step that declares it, and is judged by its
	 * memory before that step. Without that memory it is a phantom. */
	reset();
	car_coordinates(4);
	sim_check_step_begin(&c, &nodes[4], 4);
	nodes[4].car.waits = 0;
	nodes[4].car.held = true;
	nodes[4].light.intents[3].arrival_ms = 1; /* 4 arrived first */
	fx = fx_deadlock(cyc, 4, 4, 1);
	sim_check_effect(&c, nodes, 4, &fx, 1);
	CHECK(v.count == 0, "coordinator car judged after its step: %s",
	      v.first);
	sim_check_step_begin(&c, &nodes[4], 4);
	sim_check_effect(&c, nodes, 4, &fx, 2);
	CHECK(v.count == 1, "coordinator car without the edge not caught");
	sim_check_free(&c);

	/* Car 3 crashed in the cycle and came back without its memory: it
	 * is judged by what it knew when it went down. A car that never knew
	 * the round cannot be in a cycle of it. */
	reset();
	sim_check_crash(&c, &nodes[3], 3);
	memset(&nodes[3].car, 0, sizeof nodes[3].car);
	nodes[3].car.rejoining = true;
	sim_check_restart(&c, 3);
	fx = fx_deadlock(cyc, 4, 1, 2);
	sim_check_effect(&c, nodes, 0, &fx, 1);
	CHECK(v.count == 0, "crashed car not judged by its memory: %s",
	      v.first);
	sim_check_free(&c);
	reset();
	memset(&nodes[3].car, 0, sizeof nodes[3].car);
	fx = fx_deadlock(cyc, 4, 1, 2);
	sim_check_effect(&c, nodes, 0, &fx, 1);
	CHECK(v.count == 1 && strstr(v.first, "never known") != NULL,
	      "car without the round in a cycle not caught: %s", v.first);
	sim_check_free(&c);
}

static void test_i4_i5(void)
{
	/* Two nodes log different cars at r1 #0: the second disagrees. */
	reset();
	cross(2, 1);
	cross(3, 1);
	append(4, 1, 0, 2);
	append(0, 1, 0, 3);
	CHECK(v.count == 1 && strstr(v.first, "I4") != NULL, "I4 missed: %s",
	      v.first);
	sim_check_free(&c);

	/* A node skips an entry: its log is no prefix of the agreed one. */
	reset();
	cross(2, 1);
	append(1, 1, 1, 2);
	CHECK(v.count == 1 && strstr(v.first, "belongs elsewhere") != NULL,
	      "out-of-order append missed: %s", v.first);
	sim_check_free(&c);

	/* I5: a crossing logged that never happened; one car twice. */
	reset();
	append(1, 1, 0, 2);
	CHECK(v.count == 1 && strstr(v.first, "I5") != NULL,
	      "logged crossing that never happened missed: %s", v.first);
	sim_check_free(&c);
	reset();
	cross(2, 1);
	append(1, 1, 0, 2);
	append(1, 1, 1, 2);
	CHECK(v.count == 1 && strstr(v.first, "I5") != NULL,
	      "car logged twice in a round missed: %s", v.first);
	sim_check_free(&c);

	/* A whole round: the light, then a car coordinating, end it; the
	 * light comes back and takes the log from the cars (a prefix of the
	 * agreed one); a durable log that does not match is caught. */
	reset();
	for (uint32_t car = 1; car <= CARS; car++)
		cross(car, car * 10);
	for (uint32_t node = 1; node <= CARS; node++)
		for (uint32_t i = 0; i < CARS; i++)
			append(node, 1, i, i + 1);
	car_coordinates(4);
	round_end(4, 1);
	CHECK(v.count == 0 && c.rounds_ended == 1, "round 1 by car 4: %s",
	      v.first);
	round_end(4, 1); /* ended again after a takeover: counted once */
	CHECK(v.count == 0 && c.rounds_ended == 1, "round 1 again: %s",
	      v.first);
	/* A light taking a car's log length and digest without appending
	 * the entries (as it once did after missing rounds) is caught. */
	nodes[0].durable = nodes[1].durable;
	nodes[0].out.n_effects = 0;
	sim_check_log_grew(&c, &nodes[0], 0, 5);
	CHECK(v.count == 1 && strstr(v.first, "without LOG_APPEND") != NULL,
	      "light adopting the log without its entries not caught: %s",
	      v.first);
	sim_check_free(&c);

	/* Round 2 ended before round 1; a round ended by a non-coordinator. */
	reset();
	round_end(0, 2);
	CHECK(v.count == 1 && strstr(v.first, "before round 1") != NULL,
	      "round ended out of order not caught: %s", v.first);
	sim_check_free(&c);
	reset();
	round_end(3, 1);
	CHECK(v.count == 1 && strstr(v.first, "coordinates") != NULL,
	      "round end from a non-coordinator not caught: %s", v.first);
	sim_check_free(&c);

	/* A crossing whose car never learnt its index (its report would
	 * never reach the table), and an index other than the agreed one. */
	reset();
	whole_rounds(1, false, 0);
	c.indexed[1 * (ROUNDS + 2) + 2] = 0;
	sim_check_final(&c, nodes, 9);
	CHECK(v.count == 1 && strstr(v.first, "car 1 crossed in round 2 and "
					       "never learnt its index") != NULL,
	      "an unindexed crossing not caught: %s", v.first);
	sim_check_free(&c);
	reset();
	whole_rounds(1, false, 0);
	c.indexed[1 * (ROUNDS + 2) + 1] = 3 + 1;
	sim_check_final(&c, nodes, 9);
	CHECK(v.count == 1 && strstr(v.first, "learnt index 3 for round 1") != NULL,
	      "a wrong index not caught: %s", v.first);
	sim_check_free(&c);

	/* A round ended without a car of its intent set in its log. */
	reset();
	nodes[0].light.have_intent = 0x1e; /* cars 1..4 */
	sim_check_step_begin(&c, &nodes[0], 0);
	for (uint32_t car = 1; car <= CARS - 1; car++)
		cross(car, car * 10);
	for (uint32_t i = 0; i < CARS - 1; i++)
		append(0, 1, i, i + 1);
	round_end(0, 1);
	CHECK(v.count == 1 && strstr(v.first, "without car 4 of its intent set") != NULL,
	      "a car of the set forgotten at the round's end not caught: %s",
	      v.first);
	sim_check_free(&c);

	/* The end of a run: rounds missing. */
	reset();
	cross(2, 1);
	append(1, 1, 0, 2);
	sim_check_final(&c, nodes, 9);
	CHECK(v.count >= 1 && strstr(v.first, "I2") != NULL,
	      "missing rounds not caught: %s", v.first);
	sim_check_free(&c);

	/* A whole run passes the end checks; then one car's durable log
	 * that is not what it appended, and the light's that is not the
	 * agreed log, are caught. */
	reset();
	whole_rounds(1, true, 0);
	sim_check_final(&c, nodes, 1000);
	CHECK(v.count == 0, "a correct run refused: %s", v.first);
	nodes[2].durable.log_digest ^= 1;
	sim_check_final(&c, nodes, 1001);
	CHECK(v.count == 1 && strstr(v.first, "node 2 durable") != NULL,
	      "durable log unlike the appends not caught: %s", v.first);
	sim_check_free(&c);
}

/* Cars taken out of a round (light.c, "absent cars"): a `left` entry is no
 * crossing, a round may be shorter than the cars, a node away when a round
 * ended lacks that round; but a crossing turned into `left`, a car driving
 * out of a round it was taken out of, and a take-out while it drives are
 * caught. */
static void test_taken_out(void)
{
	/* Round 1: car 2 taken out, the others cross; round 2: car 2 is
	 * absent (not in it), the others cross. Car 2 holds round 2 only. */
	reset();
	for (uint32_t car = 1; car <= CARS; car++)
		if (car != 2)
			cross_in(1, car, 10 * car);
	taken_out(0, 1, 2);
	for (uint32_t node = 0; node <= CARS; node++) {
		if (node == 2)
			continue;
		append(node, 1, 0, 1);
		append_entry(node, 1, 1, 2, true);
		append(node, 1, 2, 3);
		append(node, 1, 3, 4);
	}
	round_end(0, 1);
	for (uint32_t car = 1; car <= CARS; car++)
		if (car != 2)
			cross_in(2, car, 100 + car);
	for (uint32_t node = 0; node <= CARS; node++) {
		append(node, 2, 0, 4);
		append(node, 2, 1, 3);
		append(node, 2, 2, 1);
	}
	round_end(0, 2);
	whole_rounds(3, false, 0);
	sim_check_final(&c, nodes, 1000);
	CHECK(v.count == 0 && c.taken_out == 1,
	      "a run with a car taken out refused: %s", v.first);
	sim_check_free(&c);

	/* A car that crossed, taken out: its crossing is lost. */
	reset();
	cross(2, 1);
	append_entry(0, 1, 0, 2, true);
	CHECK(v.count == 1 && strstr(v.first, "which it crossed") != NULL,
	      "crossing turned into left not caught: %s", v.first);
	sim_check_free(&c);

	/* A car taken out that drives out after all. */
	reset();
	struct xr_effect fx = fx_move(XR_FX_ENTER, 2, XR_RIGHT);
	sim_check_effect(&c, nodes, 2, &fx, 1);
	sim_check_crash(&c, &nodes[2], 2);
	append_entry(0, 1, 0, 2, true);
	sim_check_restart(&c, 2);
	fx = fx_move(XR_FX_EXIT, 2, XR_RIGHT);
	sim_check_effect(&c, nodes, 2, &fx, 2);
	CHECK(v.count == 1 && strstr(v.first, "taken out of") != NULL,
	      "exit from a round taken out of not caught: %s", v.first);
	sim_check_free(&c);

	/* Taken out while it drives in the box, or dead in it. */
	reset();
	fx = fx_move(XR_FX_ENTER, 2, XR_RIGHT);
	sim_check_effect(&c, nodes, 2, &fx, 1);
	taken_out(0, 1, 2);
	CHECK(v.count == 1 && strstr(v.first, "(driving)") != NULL,
	      "take-out of a driving car not caught: %s", v.first);
	sim_check_free(&c);
	reset();
	fx = fx_move(XR_FX_ENTER, 2, XR_RIGHT);
	sim_check_effect(&c, nodes, 2, &fx, 1);
	sim_check_crash(&c, &nodes[2], 2);
	taken_out(0, 1, 2);
	CHECK(v.count == 1 && strstr(v.first, "(dead)") != NULL,
	      "take-out of a car dead in the box not caught: %s", v.first);
	sim_check_free(&c);

	/* A node that holds part of a round only. */
	reset();
	whole_rounds(1, false, 3);
	sim_check_final(&c, nodes, 1000);
	CHECK(v.count >= 1 && strstr(v.first, "node 3 holds 1 of round 1") != NULL,
	      "a node with part of a round not caught: %s", v.first);
	sim_check_free(&c);
}

int main(void)
{
	test_i1();
	test_i3();
	test_i4_i5();
	test_taken_out();
	printf("failures %d\n", failures);
	return failures == 0 ? 0 : 1;
}
