/* Bad input as the core sees it once the codec has let it through (or when a
 * driver hands it a struct directly): node.h promises a negative code, an
 * empty outbox and an unchanged protocol state. Classes: unknown sender,
 * wrong round, out-of-range enum, and bytes that never reach the core
 * (truncated) because the decoder stops them. */
#include "check.h"
#include "codec.h"
#include "err.h"
#include "samples.h"

static struct xr_node light, car;

static void config(struct xr_node_config *c, uint32_t self)
{
	memset(c, 0, sizeof *c);
	c->self = self;
	c->light = 0;
	c->n_cars = 4;
	for (uint32_t i = 0; i < 4; i++) {
		c->cars[i] = i + 1;
		c->approaches[i] = (enum xr_approach)i;
	}
	if (self == 0) {
		c->n_neighbours = 4;
		for (uint32_t i = 0; i < 4; i++)
			c->neighbours[i] = i + 1;
	} else {
		c->n_neighbours = 1;
		c->neighbours[0] = 0;
	}
	c->seed = 42;
	c->weights[XR_RIGHT] = 1;
	c->weights[XR_STRAIGHT] = 1;
	c->weights[XR_LEFT] = 1;
	c->resend_ms = 50;
	c->stall_ms = 500;
	c->rounds = 2;
	memcpy(c->run, "bad", 4);
}

static void start(struct xr_node *n, uint32_t self)
{
	struct xr_node_config c;
	config(&c, self);
	/* Started as after a restart (durable state given), so that a car
	 * asks the light where the round is and takes a RejoinState. */
	struct xr_durable durable = {.log_digest = 0xcbf29ce484222325ULL};
	CHECK_EQ_INT(xr_node_init(n, &c, self == 0 ? NULL : &durable), 0);
	struct xr_event ev = {.type = XR_EV_START, .now_ms = 0};
	CHECK_EQ_INT(xr_node_step(n, &ev), 0);
}

/* Steps `m` into `n` and checks the refusal contract: `want` returned,
 * outbox empty, protocol state untouched. */
static void refused(struct xr_node *n, const struct xr_msg *m, int want,
		    const char *what)
{
	static struct xr_node before;
	before = *n;
	struct xr_event ev = {.type = XR_EV_RECEIVE, .now_ms = 1, .msg = m};
	int rc = xr_node_step(n, &ev);
	if (rc != want) {
		fprintf(stderr, "%s: xr_node_step = %d (%s), want %d (%s)\n",
			what, rc, xr_strerror(rc), want, xr_strerror(want));
		check_failures++;
	}
	CHECK_EQ_INT(n->out.n_msgs, 0);
	CHECK_EQ_INT(n->out.n_effects, 0);
	CHECK(memcmp(&n->light, &before.light, sizeof n->light) == 0);
	CHECK(memcmp(&n->car, &before.car, sizeof n->car) == 0);
	CHECK(memcmp(&n->wave, &before.wave, sizeof n->wave) == 0);
	CHECK(memcmp(&n->durable, &before.durable, sizeof n->durable) == 0);
	CHECK(memcmp(n->timer_at, before.timer_at, sizeof n->timer_at) == 0);
	if (n->rejected != before.rejected + 1)
		fprintf(stderr, "note: %s: rejected counter %u -> %u\n", what,
			before.rejected, n->rejected);
}

static void unknown_sender(void)
{
	struct xr_msg m;
	sample_msg(XR_MSG_CROSSED, false, &m);
	m.from = 9; /* a valid id, not in this cluster */
	m.to = 0;
	m.u.crossed.round = 1;
	uint32_t rejected = light.rejected;
	refused(&light, &m, XR_ESENDER, "Crossed from 9");
	CHECK_EQ_INT(light.rejected, rejected + 1);

	/* The same bytes through the decoder: accepted by the codec (the
	 * cluster is the core's business), refused by the core. */
	uint8_t buf[256];
	size_t len;
	struct xr_msg back;
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), 0);
	CHECK_EQ_INT(xr_msg_decode(buf, len, &back, NULL, 0), 0);
	refused(&light, &back, XR_ESENDER, "decoded Crossed from 9");

	/* A node sending to itself is not a peer either. */
	m.from = 0;
	refused(&light, &m, XR_ESENDER, "Crossed from self");
}

static void wrong_round(void)
{
	struct xr_msg m;
	sample_msg(XR_MSG_CROSSED, false, &m);
	m.from = 1;
	m.to = 0;
	m.u.crossed.round = 7;
	refused(&light, &m, XR_EROUND, "Crossed for round 7 at the light");

	sample_msg(XR_MSG_BLOCKED, false, &m);
	m.from = 2;
	m.to = 0;
	m.u.blocked.round = 9;
	refused(&light, &m, XR_EROUND, "Blocked for round 9 at the light");

	/* A car refuses everything until the light tells it where the round
	 * is (XR_ESTATE); place it in round 1 first. */
	memset(&m, 0, sizeof m);
	m.from = 0;
	m.to = 1;
	m.epoch = 1;
	m.type = XR_MSG_REJOIN_STATE;
	m.u.rejoin_state.round = 1;
	m.u.rejoin_state.intents_fixed = true;
	m.u.rejoin_state.n_intents = 4;
	for (uint32_t i = 0; i < 4; i++)
		m.u.rejoin_state.intents[i] =
			(struct xr_car_intent){i + 1, (enum xr_approach)i,
					       XR_RIGHT, 0, XR_LANE_VEHICLE};
	struct xr_event ev = {.type = XR_EV_RECEIVE, .now_ms = 1, .msg = &m};
	CHECK_EQ_INT(xr_node_step(&car, &ev), 0);
	CHECK(!car.car.rejoining && car.car.round == 1);

	sample_msg(XR_MSG_NOTICE, false, &m);
	m.from = 0;
	m.to = 1;
	m.u.notice.crossing = (struct xr_crossing){9, 0, 2, false};
	refused(&car, &m, XR_EROUND, "CrossingNotice for round 9 at a car");
}

static void out_of_range_enum(void)
{
	struct xr_msg m;
	sample_msg(XR_MSG_WAVE, false, &m);
	m.from = 1;
	m.to = 0;
	m.u.wave.kind = (enum xr_wave_kind)99;
	refused(&light, &m, XR_ERANGE, "Wave kind 99");

	sample_msg(XR_MSG_WAVE, false, &m);
	m.from = 1;
	m.to = 0;
	m.u.wave.intents[0].approach = (enum xr_approach)9;
	refused(&light, &m, XR_ERANGE, "intent approach 9");

	sample_msg(XR_MSG_WAVE, false, &m);
	m.from = 1;
	m.to = 0;
	m.u.wave.intents[1].turn = (enum xr_turn)3;
	refused(&light, &m, XR_ERANGE, "intent turn 3");

	memset(&m, 0, sizeof m);
	m.from = 1;
	m.to = 0;
	m.epoch = 1;
	m.type = (enum xr_msg_type)40;
	refused(&light, &m, XR_ERANGE, "message type 40");

	struct xr_event ev = {
		.type = XR_EV_TIMER, .now_ms = 1, .timer = (enum xr_timer)7};
	CHECK_EQ_INT(xr_node_step(&light, &ev), XR_ERANGE);
	CHECK_EQ_INT(light.out.n_msgs + light.out.n_effects, 0);
}

static void truncated(void)
{
	struct xr_msg m, back;
	uint8_t buf[512];
	size_t len;
	sample_msg(XR_MSG_WAVE, false, &m);
	m.from = 1;
	m.to = 0;
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), 0);
	/* What a driver does: decode first; the core never sees the bytes. */
	CHECK_EQ_INT(xr_msg_decode(buf, len - 3, &back, NULL, 0), XR_EDECODE);
}

int main(void)
{
	start(&light, 0);
	start(&car, 1);
	unknown_sender();
	wrong_round();
	out_of_range_enum();
	truncated();
	return check_status("test_core_bad");
}
