/* Round trips of every message type and of NodeConfig: struct -> bytes ->
 * struct gives the same struct, the same bytes again (determinism), and the
 * enum offsets between proto and core are the documented ones. */
#include <stdlib.h>

#include "check.h"
#include "codec.h"
#include "err.h"
#include "samples.h"
#include "xroad.pb-c.h"

static void round_trip(enum xr_msg_type t, bool full)
{
	static struct xr_msg m, back;
	static uint8_t a[XR_MSG_MAX_BYTES], b[XR_MSG_MAX_BYTES];
	size_t la = 0, lb = 0;
	char why[256] = "";

	sample_msg(t, full, &m);
	CHECK_EQ_INT(xr_msg_encode(&m, a, sizeof a, &la), 0);
	CHECK(la > 0);
	int rc = xr_msg_decode(a, la, &back, why, sizeof why);
	if (rc != 0)
		fprintf(stderr, "type %d full %d: %s\n", t, full, why);
	CHECK_EQ_INT(rc, 0);
	/* Both structs start zeroed and are filled field by field, so the
	 * padding agrees too and memcmp compares every field at once. */
	if (memcmp(&m, &back, sizeof m) != 0) {
		fprintf(stderr, "type %d full %d: decoded struct differs\n", t,
			full);
		check_failures++;
	}
	CHECK_EQ_INT(xr_msg_encode(&back, b, sizeof b, &lb), 0);
	CHECK_EQ_INT(lb, la);
	CHECK(memcmp(a, b, la) == 0);
	/* Deterministic: the same struct twice gives the same bytes. */
	CHECK_EQ_INT(xr_msg_encode(&m, b, sizeof b, &lb), 0);
	CHECK(lb == la && memcmp(a, b, la) == 0);
	/* Exactly enough room is enough; one byte less is not. */
	CHECK_EQ_INT(xr_msg_encode(&m, b, la, &lb), 0);
	CHECK_EQ_INT(xr_msg_encode(&m, b, la - 1, &lb), XR_ETOOBIG);
}

/* APPROACH_S = 1 <-> XR_S = 0, TURN_RIGHT = 1 <-> XR_RIGHT = 0, wave kinds
 * equal: checked on the bytes with protobuf-c itself. */
static void enum_offsets(void)
{
	struct xr_msg m;
	uint8_t buf[512];
	size_t len;

	memset(&m, 0, sizeof m);
	m.from = 0;
	m.to = 1;
	m.epoch = 1;
	m.type = XR_MSG_WAVE;
	m.u.wave.kind = XR_WAVE_INTENT_SET;
	m.u.wave.n_intents = 2;
	m.u.wave.intents[0] =
		(struct xr_car_intent){1, XR_S, XR_RIGHT, 0, XR_LANE_VEHICLE};
	m.u.wave.intents[1] =
		(struct xr_car_intent){2, XR_W, XR_LEFT, 5, XR_LANE_VEHICLE};
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), 0);

	Xroad__Envelope *e = xroad__envelope__unpack(NULL, len, buf);
	CHECK(e != NULL);
	if (e == NULL)
		return;
	CHECK_EQ_INT(e->body_case, XROAD__ENVELOPE__BODY_WAVE);
	CHECK_EQ_INT(e->wave->kind, XROAD__WAVE_KIND__WAVE_INTENT_SET);
	CHECK_EQ_INT(e->wave->n_intents, 2);
	CHECK_EQ_INT(e->wave->intents[0]->approach,
		     XROAD__APPROACH__APPROACH_S);
	CHECK_EQ_INT(e->wave->intents[0]->turn, XROAD__TURN__TURN_RIGHT);
	CHECK_EQ_INT(e->wave->intents[1]->approach,
		     XROAD__APPROACH__APPROACH_W);
	CHECK_EQ_INT(e->wave->intents[1]->turn, XROAD__TURN__TURN_LEFT);
	CHECK_EQ_INT(e->wave->intents[1]->arrival_ms, 5);
	xroad__envelope__free_unpacked(e, NULL);
}

/* A wave whose override is all zeros still has one: presence survives. */
static void empty_override_kept(void)
{
	struct xr_msg m, back;
	uint8_t buf[256];
	size_t len;

	memset(&m, 0, sizeof m);
	m.from = 0;
	m.to = 3;
	m.type = XR_MSG_WAVE;
	m.u.wave.kind = XR_WAVE_OVERRIDE;
	m.u.wave.has_override = true;
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), 0);
	CHECK_EQ_INT(xr_msg_decode(buf, len, &back, NULL, 0), 0);
	CHECK(back.u.wave.has_override);
}

static void config_round_trip(void)
{
	struct xr_node_config c, back;
	uint8_t a[4096], b[4096];
	size_t la, lb;
	char why[256] = "";

	memset(&c, 0, sizeof c);
	c.self = 2;
	c.light = 0;
	c.n_cars = XR_MAX_CARS;
	for (uint32_t i = 0; i < c.n_cars; i++) {
		c.cars[i] = i + 1;
		c.approaches[i] = (enum xr_approach)(i % XR_APPROACHES);
	}
	c.n_neighbours = 3;
	c.neighbours[0] = 0;
	c.neighbours[1] = 1;
	c.neighbours[2] = 3;
	c.seed = 0xfedcba9876543210ull;
	c.weights[XR_RIGHT] = 1;
	c.weights[XR_STRAIGHT] = 2;
	c.weights[XR_LEFT] = 3;
	c.cross_ms = 200;
	c.resend_ms = 50;
	c.stall_ms = 1000;
	c.rounds = 10;
	c.heartbeat_ms = 200; /* failover: a dropped field fails the memcmp */
	c.fail_ms = 1000;
	memset(c.run, 'x', XR_RUN_MAX - 1); /* the longest run id */

	CHECK_EQ_INT(xr_config_encode(&c, a, sizeof a, &la), 0);
	int rc = xr_config_decode(a, la, &back, why, sizeof why);
	if (rc != 0)
		fprintf(stderr, "config: %s\n", why);
	CHECK_EQ_INT(rc, 0);
	CHECK(memcmp(&c, &back, sizeof c) == 0);
	CHECK_EQ_INT(back.heartbeat_ms, 200);
	CHECK_EQ_INT(back.fail_ms, 1000);
	CHECK_EQ_INT(xr_config_encode(&back, b, sizeof b, &lb), 0);
	CHECK(la == lb && memcmp(a, b, la) == 0);

	/* An unterminated run id is refused, not read past. */
	memset(c.run, 'x', sizeof c.run);
	CHECK_EQ_INT(xr_config_encode(&c, a, sizeof a, &la), XR_EINVAL);
}

int main(void)
{
	for (int t = XR_MSG_NONE + 1; t < XR_MSG_TYPES; t++) {
		round_trip((enum xr_msg_type)t, false);
		round_trip((enum xr_msg_type)t, true);
	}
	enum_offsets();
	empty_override_kept();
	config_round_trip();
	return check_status("test_codec");
}
