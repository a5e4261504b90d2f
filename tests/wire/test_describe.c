/* The text renderings are an interface (trace twins, xroadctl trace, test
 * oracles): these are their exact expected forms. Changing one is a
 * decision; change the twin files in the same commit. */
#include "check.h"
#include "describe.h"
#include "samples.h"

static const char *msg(const struct xr_msg *m)
{
	static char buf[XR_DESCRIBE_MAX];
	size_t n = xr_msg_describe(m, buf, sizeof buf);
	CHECK(n == strlen(buf));
	return buf;
}

static void messages(void)
{
	struct xr_msg m;

	memset(&m, 0, sizeof m);
	m.from = 0;
	m.to = 2;
	m.epoch = 1;
	m.type = XR_MSG_WAVE;
	m.u.wave.wave = 3;
	m.u.wave.kind = XR_WAVE_INTENT_SET;
	m.u.wave.round = 1;
	m.u.wave.n_intents = 2;
	m.u.wave.intents[0] = (struct xr_car_intent){1, XR_S, XR_STRAIGHT, 0,
						     XR_LANE_VEHICLE};
	m.u.wave.intents[1] =
		(struct xr_car_intent){2, XR_E, XR_LEFT, 0, XR_LANE_VEHICLE};
	CHECK_EQ_STR(msg(&m), "0->2 Wave#3 IntentSet r1 down "
			      "intents=[1:S:straight@0 2:E:left@0]");

	m.u.wave.echo = true;
	m.u.wave.n_intents = 0;
	m.u.wave.kind = XR_WAVE_ROUND_END;
	m.u.wave.n_log = 2;
	m.u.wave.log[0] = (struct xr_crossing){1, 0, 2, false};
	m.u.wave.log[1] = (struct xr_crossing){1, 1, 4, true};
	m.u.wave.has_override = true;
	m.u.wave.override = (struct xr_override){1, 2, 3, 0};
	m.epoch = 2;
	CHECK_EQ_STR(msg(&m), "0->2 ep=2 Wave#3 RoundEnd r1 echo "
			      "override=e1:2>3 log=[r1#0:2 r1#1:4 left]");

	memset(&m, 0, sizeof m);
	m.from = 1;
	m.to = 3;
	m.epoch = 1;
	m.type = XR_MSG_PROBE;
	m.u.probe.round = 2;
	m.u.probe.epoch = 1;
	m.u.probe.initiator = 1;
	m.u.probe.n_path = 2;
	m.u.probe.path[0] = 1;
	m.u.probe.path[1] = 2;
	CHECK_EQ_STR(msg(&m), "1->3 Probe r2 e1 init=1 path=[1,2]");

	sample_msg(XR_MSG_BLOCKED, false, &m);
	CHECK_EQ_STR(msg(&m), "1->2 Blocked r3 seen=1 overrides=2 waits=[1,2]");
	m.u.blocked.held = true;
	m.u.blocked.n_waits = 0;
	CHECK_EQ_STR(msg(&m),
		     "1->2 Blocked r3 seen=1 overrides=2 held waits=[]");

	sample_msg(XR_MSG_CROSSED, false, &m);
	CHECK_EQ_STR(msg(&m), "1->2 Crossed r3 at=1234");
	sample_msg(XR_MSG_NOTICE, false, &m);
	CHECK_EQ_STR(msg(&m), "1->2 CrossingNotice r3#1:8");
	sample_msg(XR_MSG_DETECT, false, &m);
	CHECK_EQ_STR(msg(&m), "1->2 Detect r3 e5");
	sample_msg(XR_MSG_DEADLOCK, false, &m);
	CHECK_EQ_STR(msg(&m), "1->2 DeadlockFound r3 e5 cycle=[2,1]");
	sample_msg(XR_MSG_PROCEED, false, &m);
	CHECK_EQ_STR(msg(&m), "1->2 Proceed r3 e5");
	sample_msg(XR_MSG_REJOIN, false, &m);
	CHECK_EQ_STR(msg(&m), "1->2 Rejoin r3");

	/* Open rounds: a collect's echo says a lane is empty or done. */
	sample_msg(XR_MSG_ARRIVED, false, &m);
	CHECK_EQ_STR(msg(&m), "1->2 Arrived r3");
	memset(&m, 0, sizeof m);
	m.from = 2;
	m.to = 0;
	m.type = XR_MSG_WAVE;
	m.u.wave.wave = 4;
	m.u.wave.kind = XR_WAVE_COLLECT_INTENTS;
	m.u.wave.round = 2;
	m.u.wave.echo = true;
	m.u.wave.n_intents = 2;
	m.u.wave.intents[0] =
		(struct xr_car_intent){.car = 1, .lane = XR_LANE_EMPTY};
	m.u.wave.intents[1] =
		(struct xr_car_intent){.car = 2, .lane = XR_LANE_DONE};
	CHECK_EQ_STR(msg(&m), "2->0 ep=0 Wave#4 CollectIntents r2 echo "
			      "intents=[1:S:right@0/empty 2:S:right@0/done]");
	sample_msg(XR_MSG_MARKER, false, &m);
	m.snapshot = 2;
	CHECK_EQ_STR(msg(&m), "1->2 snap=2 Marker s2");
	sample_msg(XR_MSG_REJOIN_STATE, false, &m);
	CHECK_EQ_STR(msg(&m),
		     "1->2 RejoinState r3 fixed "
		     "intents=[1:S:straight@7 2:E:left@1007] "
		     "log=[r3#0:1 r3#1:8] overrides=[e1:1>2] proceed=[1]");

	/* Out of range values never index a name table. */
	memset(&m, 0, sizeof m);
	m.type = (enum xr_msg_type)77;
	m.epoch = 1;
	CHECK_EQ_STR(msg(&m), "0->0 ?77");
	m.type = XR_MSG_WAVE;
	m.u.wave.kind = (enum xr_wave_kind)9;
	m.u.wave.n_intents = 1;
	m.u.wave.intents[0].approach = (enum xr_approach)8;
	m.u.wave.intents[0].turn = (enum xr_turn)8;
	CHECK_EQ_STR(msg(&m), "0->0 Wave#0 ?9 r0 down intents=[0:?8:?8@0]");

	/* The longest message fits the documented maximum. */
	sample_msg(XR_MSG_REJOIN_STATE, true, &m);
	char big[XR_DESCRIBE_MAX];
	CHECK(xr_msg_describe(&m, big, sizeof big) < sizeof big);
	sample_msg(XR_MSG_WAVE, true, &m);
	CHECK(xr_msg_describe(&m, big, sizeof big) < sizeof big);

	/* Truncation is snprintf's: the full length is still returned. */
	char small[8];
	sample_msg(XR_MSG_DETECT, false, &m);
	CHECK_EQ_INT(xr_msg_describe(&m, small, sizeof small),
		     strlen("1->2 Detect r3 e5"));
	CHECK_EQ_STR(small, "1->2 De");
}

static void effects(void)
{
	struct xr_effect fx;
	char buf[XR_EFFECT_LINE_MAX];

	memset(&fx, 0, sizeof fx);
	fx.type = XR_FX_ENTER;
	fx.round = 1;
	fx.car = 2;
	fx.intent =
		(struct xr_car_intent){2, XR_E, XR_LEFT, 10, XR_LANE_VEHICLE};
	xr_effect_describe(2, &fx, buf, sizeof buf);
	CHECK_EQ_STR(buf, "fx 2 Enter r1 car=2 intent=2:E:left@10");

	fx.type = XR_FX_EXIT;
	fx.at_ms = 250;
	fx.after_deadlock = true;
	xr_effect_describe(2, &fx, buf, sizeof buf);
	CHECK_EQ_STR(buf, "fx 2 Exit r1 car=2 intent=2:E:left@10 at=250 "
			  "after_deadlock");

	memset(&fx, 0, sizeof fx);
	fx.type = XR_FX_ROUND_START;
	fx.round = 4;
	xr_effect_describe(0, &fx, buf, sizeof buf);
	CHECK_EQ_STR(buf, "fx 0 RoundStart r4");
	fx.car = 3; /* not documented for the type, but never lost */
	xr_effect_describe(0, &fx, buf, sizeof buf);
	CHECK_EQ_STR(buf, "fx 0 RoundStart r4 car=3");

	memset(&fx, 0, sizeof fx);
	fx.type = XR_FX_LOG_APPEND;
	fx.round = 1;
	fx.crossing = (struct xr_crossing){1, 0, 2, false};
	xr_effect_describe(0, &fx, buf, sizeof buf);
	CHECK_EQ_STR(buf, "fx 0 LogAppend r1 crossing=r1#0:2");

	memset(&fx, 0, sizeof fx);
	fx.type = XR_FX_DEADLOCK;
	fx.round = 1;
	fx.override = (struct xr_override){1, 1, 2, 0};
	fx.n_cycle = 4;
	for (uint32_t i = 0; i < 4; i++)
		fx.cycle[i] = i + 1;
	xr_effect_describe(0, &fx, buf, sizeof buf);
	CHECK_EQ_STR(buf, "fx 0 Deadlock r1 override=e1:1>2 cycle=[1,2,3,4]");

	memset(&fx, 0, sizeof fx);
	fx.type = (enum xr_effect_type)42;
	xr_effect_describe(5, &fx, buf, sizeof buf);
	CHECK_EQ_STR(buf, "fx 5 ?42 r0");
}

static void config(void)
{
	struct xr_node_config c;
	char buf[XR_DESCRIBE_MAX];

	memset(&c, 0, sizeof c);
	c.self = 0;
	c.light = 0;
	c.n_cars = 2;
	c.cars[0] = 1;
	c.cars[1] = 2;
	c.approaches[0] = XR_S;
	c.approaches[1] = XR_E;
	c.n_neighbours = 2;
	c.neighbours[0] = 1;
	c.neighbours[1] = 2;
	c.seed = 42;
	c.weights[0] = 1;
	c.weights[1] = 2;
	c.weights[2] = 1;
	c.resend_ms = 50;
	c.stall_ms = 1000;
	c.rounds = 2;
	memcpy(c.run, "a b\n", 5);
	xr_config_describe(&c, buf, sizeof buf);
	CHECK_EQ_STR(buf, "config self=0 light=0 cars=[1:S 2:E] nbrs=[1,2] "
			  "seed=42 weights=1/2/1 cross_ms=0 resend_ms=50 "
			  "stall_ms=1000 rounds=2 run=a\\x20b\\x0a");
	/* Failover on: the pair appears before run=; off (both 0, above),
	 * it is left out. */
	c.heartbeat_ms = 200;
	c.fail_ms = 1000;
	xr_config_describe(&c, buf, sizeof buf);
	CHECK_EQ_STR(buf,
		     "config self=0 light=0 cars=[1:S 2:E] nbrs=[1,2] "
		     "seed=42 weights=1/2/1 cross_ms=0 resend_ms=50 "
		     "stall_ms=1000 rounds=2 heartbeat_ms=200 fail_ms=1000 "
		     "run=a\\x20b\\x0a");
}

int main(void)
{
	messages();
	effects();
	config();
	return check_status("test_describe");
}
