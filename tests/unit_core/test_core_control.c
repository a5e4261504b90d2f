/* Round control (run, pause, resume: XR_CMD_*) at a car that coordinates
 * because the light is dead, over a perfect network (FIFO, no loss) with
 * failover on. What `xroadctl run/pause/resume` relies on when the light is
 * away (docs/XROADCTL.md):
 *   - a car that does not coordinate refuses the command (XR_EROLE) and
 *     changes nothing;
 *   - the elected car takes it as the light would: under pause no round
 *     starts after the current one, rounds queued meanwhile wait, resume lets
 *     them go, and every car ends with the same log;
 *   - a command that reaches the new coordinator while it is still
 *     collecting the cars' state (XR_LIGHT_RECOVERING) is kept: the rounds
 *     it queues are not overwritten by the target the cars report. */
#include "err.h"

#include "core_cluster.h"

#define CARS 4
#define HEIR CARS /* the highest car: elected when the light dies */

/* Failover on, timers short enough for a takeover in a test. */
static void failover_timers(struct xr_node_config *cfg)
{
	cfg->resend_ms = 50;
	cfg->stall_ms = 300;
	cfg->heartbeat_ms = 100;
	cfg->fail_ms = 400;
}

static void setup(uint32_t rounds)
{
	static const uint32_t weights[3] = {[XR_RIGHT] = 1, [XR_STRAIGHT] = 2,
					    [XR_LEFT] = 1};
	cluster_start(CARS, weights, rounds, failover_timers);
}

/* One step; with nothing scheduled, time passes. */
static void step_once(void)
{
	if (!cluster_step())
		now += 1000;
}

/* Steps until `until` holds or `for_ms` of simulated time have passed;
 * returns whether it holds. */
static bool run(bool (*until)(void), uint64_t for_ms)
{
	uint64_t end = now + for_ms;
	while (now < end) {
		if (until != NULL && until())
			return true;
		step_once();
	}
	return until != NULL && until();
}

static struct xr_light *heir(void)
{
	return &nodes[HEIR].light;
}

static bool light_did_two(void)
{
	return nodes[0].light.rounds_done >= 2;
}

static bool heir_coordinates(void)
{
	return nodes[HEIR].coordinator == HEIR;
}

static bool heir_recovering(void)
{
	return heir_coordinates() && heir()->phase == XR_LIGHT_RECOVERING;
}

static bool heir_running(void)
{
	return heir_coordinates() && heir()->phase != XR_LIGHT_RECOVERING &&
	       heir()->phase != XR_LIGHT_IDLE;
}

static bool heir_done(void)
{
	return heir_coordinates() && heir()->phase == XR_LIGHT_DONE;
}

static int command(int id, enum xr_command_op op, uint32_t rounds)
{
	struct xr_event ev = {.type = XR_EV_COMMAND, .now_ms = now, .op = op,
			      .rounds = rounds};
	int rv = xr_node_step(&nodes[id], &ev);
	apply(&nodes[id]);
	return rv;
}

/* Kills the light once it has ended two rounds. */
static void kill_light(uint32_t rounds)
{
	setup(rounds);
	CHECK(run(light_did_two, 60000), "the light ended %u rounds",
	      nodes[0].light.rounds_done);
	down[0] = true;
}

/* Every car ends with the same log, the heir's rounds all done. */
static void check_end(uint32_t want_rounds)
{
	CHECK(heir()->rounds_done == want_rounds, "heir: %u rounds done, want %u",
	      heir()->rounds_done, want_rounds);
	for (int id = 1; id <= CARS; id++) {
		CHECK(nodes[id].durable.last_round == want_rounds,
		      "car %d logged up to round %u", id,
		      nodes[id].durable.last_round);
		CHECK(nodes[id].durable.log_count == CARS * want_rounds,
		      "car %d log %u", id, nodes[id].durable.log_count);
		CHECK(nodes[id].durable.log_digest ==
			      nodes[1].durable.log_digest,
		      "car %d digest differs", id);
	}
}

/* Pause, run and resume at the elected car, after its takeover. */
static void elected_car_obeys(void)
{
	kill_light(6);
	CHECK(run(heir_running, 60000), "car %d runs rounds", HEIR);

	/* Not the coordinator: refused, nothing changes. */
	struct xr_light before = nodes[2].light;
	CHECK(command(2, XR_CMD_PAUSE, 0) == XR_EROLE, "car 2 took a pause");
	CHECK(command(2, XR_CMD_RUN, 5) == XR_EROLE, "car 2 took a run");
	CHECK(memcmp(&before, &nodes[2].light, sizeof before) == 0,
	      "a refused command changed car 2");

	/* Pause: the round under way ends, and no other starts. */
	CHECK(command(HEIR, XR_CMD_PAUSE, 0) == 0, "pause at car %d", HEIR);
	run(NULL, 5000);
	uint32_t held = heir()->rounds_done;
	CHECK(heir()->phase == XR_LIGHT_IDLE && heir()->paused,
	      "paused car coordinator: phase %d", heir()->phase);
	CHECK(held < 6, "the run ended before the pause took (%u)", held);
	/* Rounds queued while paused wait. */
	CHECK(command(HEIR, XR_CMD_RUN, 2) == 0, "run at car %d", HEIR);
	run(NULL, 5000);
	CHECK(heir()->rounds_done == held && heir()->phase == XR_LIGHT_IDLE,
	      "paused: %u rounds done, was %u", heir()->rounds_done, held);
	/* Resume: the 6 configured rounds and the 2 queued. */
	CHECK(command(HEIR, XR_CMD_RESUME, 0) == 0, "resume at car %d", HEIR);
	CHECK(run(heir_done, 120000), "car %d done after resume: %u rounds",
	      HEIR, heir()->rounds_done);
	check_end(8);
	printf("elected car: paused at %u rounds, resumed, 8 rounds done\n",
	       held);
}

/* Run and pause reach the new coordinator before it has the cars' state. */
static void commands_while_recovering(void)
{
	kill_light(6);
	CHECK(run(heir_recovering, 60000), "car %d takes over", HEIR);
	CHECK(command(HEIR, XR_CMD_RUN, 3) == 0, "run while recovering");
	CHECK(command(HEIR, XR_CMD_PAUSE, 0) == 0, "pause while recovering");
	run(NULL, 5000);
	uint32_t held = heir()->rounds_done;
	CHECK(heir()->phase == XR_LIGHT_IDLE,
	      "paused while recovering: phase %d", heir()->phase);
	run(NULL, 3000);
	CHECK(heir()->rounds_done == held, "paused: %u rounds done, was %u",
	      heir()->rounds_done, held);
	CHECK(command(HEIR, XR_CMD_RESUME, 0) == 0, "resume");
	CHECK(run(heir_done, 120000), "done after resume: %u rounds",
	      heir()->rounds_done);
	check_end(9); /* 6 configured, 3 queued during the takeover */
	printf("while recovering: run 3 and pause kept, 9 rounds done\n");
}

int main(void)
{
	elected_car_obeys();
	commands_while_recovering();
	if (failures) {
		printf("test_core_control: %d failures\n", failures);
		return 1;
	}
	printf("test_core_control: ok\n");
	return 0;
}
