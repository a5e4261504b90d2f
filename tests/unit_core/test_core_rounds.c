/* Whole rounds of the core in one process over a perfect network (FIFO, no
 * loss): the baseline every fault scenario of the simulator departs from.
 * Checks that rounds complete, deadlocks are found and broken, and every
 * node ends with the same log. */
#include "core_cluster.h"

/* Delivers messages in FIFO order; when the network is quiet, advances time
 * to the next timer. Returns when the light is done or time runs out. */
static void run(uint64_t limit_ms)
{
	while (now < limit_ms && nodes[0].light.phase != XR_LIGHT_DONE &&
	       cluster_step())
		;
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

	cluster_start(4, straight, 10, NULL);
	run(10000000);
	check_agreement(4, 10);
	CHECK(deadlocks == 10, "all-straight: %d deadlocks, want 10", deadlocks);

	cluster_start(4, right, 5, NULL);
	run(10000000);
	check_agreement(4, 5);
	CHECK(deadlocks == 0, "all-right: %d deadlocks", deadlocks);

	cluster_start(16, mixed, 20, NULL);
	run(100000000);
	check_agreement(16, 20);
	printf("16 cars mixed: %d deadlocks in 20 rounds\n", deadlocks);

	cluster_start(8, straight, 10, NULL);
	run(100000000);
	check_agreement(8, 10);
	printf("8 cars straight: %d deadlocks in 10 rounds\n", deadlocks);

	/* The most cars a cluster may have: many edges reversed in one round,
	 * more than any car takes part in (XR_MAX_OVERRIDES), and a winner
	 * going before several cars at once (light.c, also_losers), so far
	 * fewer overrides than edges. */
	cluster_start(31, straight, 3, NULL);
	run(1000000000);
	check_agreement(31, 3);
	printf("31 cars straight: %d deadlocks reversing %d edges in 3 "
	       "rounds\n",
	       deadlocks, reversed);
	CHECK(reversed > 3 * XR_MAX_OVERRIDES,
	      "31 cars straight: only %d edges reversed", reversed);
	CHECK(2 * deadlocks < reversed,
	      "31 cars straight: %d overrides for %d edges", deadlocks,
	      reversed);

	if (failures) {
		printf("test_core_rounds: %d failures\n", failures);
		return 1;
	}
	printf("test_core_rounds: ok\n");
	return 0;
}
