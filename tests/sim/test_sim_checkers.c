/* The checkers must catch what they claim to catch: fed effects that break
 * I1, I3 and I4 on purpose, each reports exactly one violation, and fed a
 * correct stream, none. (A checker that never fires would make every
 * simulator run pass.) */
#include <stdio.h>
#include <string.h>

#include "sim_check.h"

#include "checkf.h"

static struct xr_node nodes[5];
static struct sim_violations v;
static struct sim_checker c;

static void reset(void)
{
	memset(nodes, 0, sizeof nodes);
	memset(&v, 0, sizeof v);
	v.out = NULL;
	CHECK(sim_check_init(&c, 4, 3, 0, &v) == 0, "init");
	/* Round 1, all four go straight: the 4-cycle S->E->N->W->S. */
	struct xr_light *l = &nodes[0].light;
	l->round = 1;
	l->n_intents = 4;
	for (uint32_t i = 0; i < 4; i++) {
		l->intents[i].car = i + 1;
		l->intents[i].approach = (enum xr_approach)i;
		l->intents[i].turn = XR_STRAIGHT;
		l->intents[i].arrival_ms = 10 + i;
	}
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

int main(void)
{
	struct xr_effect fx;

	/* I1: S straight and E straight share NE. */
	reset();
	fx = fx_move(XR_FX_ENTER, 1, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 1, &fx, 1);
	fx = fx_move(XR_FX_ENTER, 2, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 2, &fx, 2);
	CHECK(v.count == 1 && strstr(v.first, "I1") != NULL, "I1 missed: %u %s",
	      v.count, v.first);
	sim_check_free(&c);

	/* I1 negative: opposite straights do not conflict; after EXIT the
	 * box is free. */
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
	/* ... and entering again after leaving is caught. */
	fx = fx_move(XR_FX_ENTER, 1, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 1, &fx, 4);
	CHECK(v.count >= 1 && strstr(v.first, "again") != NULL,
	      "re-entry after exit missed: %s", v.first);
	sim_check_free(&c);

	/* I3: the real 4-cycle passes; winner is car 1 (earliest). */
	reset();
	uint32_t cyc[4] = {1, 2, 3, 4};
	fx = fx_deadlock(cyc, 4, 1, 2);
	sim_check_effect(&c, nodes, 0, &fx, 1);
	CHECK(v.count == 0, "real cycle refused: %s", v.first);
	/* Wrong direction: 1 -> 4 is no edge (4 waits for 1). */
	uint32_t rev[4] = {1, 4, 3, 2};
	fx = fx_deadlock(rev, 4, 1, 4);
	sim_check_effect(&c, nodes, 0, &fx, 2);
	CHECK(v.count == 1 && strstr(v.first, "I3") != NULL, "phantom missed");
	sim_check_free(&c);

	/* I3: after a completed override 1 no longer waits for 2. */
	reset();
	nodes[0].light.n_overrides = 1;
	nodes[0].light.overrides[0].winner = 1;
	nodes[0].light.overrides[0].loser = 2;
	fx = fx_deadlock(cyc, 4, 1, 2);
	sim_check_effect(&c, nodes, 0, &fx, 1);
	CHECK(v.count == 1, "cycle through a reversed edge not caught");
	sim_check_free(&c);

	/* I3: a car that has left the box is in no cycle. */
	reset();
	fx = fx_move(XR_FX_ENTER, 3, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 3, &fx, 1);
	fx = fx_move(XR_FX_EXIT, 3, XR_STRAIGHT);
	sim_check_effect(&c, nodes, 3, &fx, 2);
	fx = fx_deadlock(cyc, 4, 1, 2);
	sim_check_effect(&c, nodes, 0, &fx, 3);
	CHECK(v.count == 1, "cycle with a crossed car not caught");
	sim_check_free(&c);

	/* I3: wrong winner (policy: earliest arrival). */
	reset();
	fx = fx_deadlock(cyc, 4, 3, 4);
	sim_check_effect(&c, nodes, 0, &fx, 1);
	CHECK(v.count == 1, "wrong winner not caught");
	sim_check_free(&c);

	/* I4: a car's entry differs from the light's. */
	reset();
	nodes[0].light.n_log = 1;
	nodes[0].light.log[0] = (struct xr_crossing){.round = 1, .index = 0,
						     .car = 3};
	memset(&fx, 0, sizeof fx);
	fx.type = XR_FX_LOG_APPEND;
	fx.crossing = (struct xr_crossing){.round = 1, .index = 0, .car = 2};
	sim_check_effect(&c, nodes, 4, &fx, 1);
	CHECK(v.count == 1 && strstr(v.first, "I4") != NULL, "I4 missed");
	sim_check_free(&c);

	printf("failures %d\n", failures);
	return failures == 0 ? 0 : 1;
}
