/* What callers read of a core (node.h): out.durable_changed and
 * xr_node_view(), on a fault-free star of 4 cars running 3 rounds:
 *   - durable_changed is set on exactly the steps that change `durable`,
 *     on every step with a LogAppend effect among them, and never on a
 *     refused event (whose outbox is empty);
 *   - the view follows the roles: the light coordinates, its rounds_done
 *     and deadlocks are the light's; a car's round, phase and intent are its
 *     own; both hold the durable log count;
 *   - mid-round a waiting car's view names its intent and whom it waits for
 *     by the rules. */
#include <stdint.h>

#include "err.h"

#include "core_cluster.h"

#define CARS 4
#define ROUNDS 3

static int steps_changed, steps_appended;
static bool saw_waiting;

/* After every step: the flag against the state, and the cars' views. */
static void check_step(int id, const struct xr_durable *before, int rv)
{
	const struct xr_outbox *out = &nodes[id].out;
	bool changed = memcmp(before, &nodes[id].durable, sizeof *before) != 0;
	CHECK(out->durable_changed == changed,
	      "node %d: durable_changed %d, durable %s", id,
	      out->durable_changed, changed ? "changed" : "unchanged");
	bool appended = false;
	for (uint32_t i = 0; i < out->n_effects; i++)
		appended = appended || out->effects[i].type == XR_FX_LOG_APPEND;
	CHECK(!appended || out->durable_changed,
	      "node %d: a LogAppend without durable_changed", id);
	if (rv != 0)
		CHECK(!out->durable_changed && out->n_msgs == 0 &&
			      out->n_effects == 0,
		      "node %d: refused (%d) but outbox or flag set", id, rv);
	steps_changed += changed;
	steps_appended += appended;
	for (int c = 1; c <= CARS; c++) {
		struct xr_node_view v;
		xr_node_view(&nodes[c], &v);
		if (v.car.phase != XR_CAR_WAITING)
			continue;
		saw_waiting = true;
		CHECK(v.car.intent.car == (uint32_t)c && v.car.round >= 1,
		      "car %d waits with intent of %u in round %u", c,
		      v.car.intent.car, v.car.round);
		CHECK((v.car.waits & ~nodes[c].car_set) == 0,
		      "car %d waits for a non-car", c);
	}
}

int main(void)
{
	static const uint32_t weights[3] = {1, 2, 1};
	cluster_on_step = check_step;
	cluster_start(CARS, weights, ROUNDS, NULL);
	for (int guard = 0; guard < 200000 && cluster_step(); guard++)
		;
	CHECK(steps_appended > 0 && steps_changed >= steps_appended,
	      "%d steps changed durable state, %d appended", steps_changed,
	      steps_appended);
	CHECK(saw_waiting, "no car was ever seen waiting");

	/* A refused event: a message from a node that is not in the
	 * cluster. */
	struct xr_msg bad = {.from = 30, .to = 1, .type = XR_MSG_CROSSED,
			     .epoch = nodes[1].coordinator_epoch};
	struct xr_event ev = {.type = XR_EV_RECEIVE, .now_ms = now,
			      .msg = &bad};
	uint32_t rejected = nodes[1].rejected;
	node_step(1, &ev);
	CHECK(nodes[1].rejected == rejected + 1, "the bad message not refused");

	struct xr_node_view v;
	xr_node_view(&nodes[0], &v);
	CHECK(v.coordinating && v.coordinator == 0 && v.epoch >= 1,
	      "light: coordinating %d, coordinator %u", v.coordinating,
	      v.coordinator);
	CHECK(v.light.rounds_done == ROUNDS && v.light.rounds_left == 0,
	      "light: %u rounds done, %u left", v.light.rounds_done,
	      v.light.rounds_left);
	CHECK(v.light.deadlocks == nodes[0].light.deadlocks &&
		      v.durable.log_count == ROUNDS * CARS,
	      "light: %u deadlocks, log %u", v.light.deadlocks,
	      v.durable.log_count);
	CHECK(v.car.phase == XR_CAR_IDLE && v.car.round == 0,
	      "the light has a car role");
	for (int c = 1; c <= CARS; c++) {
		xr_node_view(&nodes[c], &v);
		CHECK(!v.coordinating && v.coordinator == 0,
		      "car %d: coordinating %d", c, v.coordinating);
		CHECK(v.car.round == ROUNDS && v.car.intent.car == (uint32_t)c,
		      "car %d: round %u, intent of %u", c, v.car.round,
		      v.car.intent.car);
		CHECK(v.durable.log_count == ROUNDS * CARS &&
			      v.durable.crossings == ROUNDS,
		      "car %d: log %u, own crossings %u", c,
		      v.durable.log_count, v.durable.crossings);
		CHECK(v.rejected == nodes[c].rejected, "car %d: rejected", c);
	}
	if (failures) {
		printf("test_core_view: %d failures\n", failures);
		return 1;
	}
	printf("test_core_view: ok (%d steps changed durable state, %d with "
	       "LogAppend)\n",
	       steps_changed, steps_appended);
	return 0;
}
