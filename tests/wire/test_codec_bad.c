/* One test per class of bad input the codec must refuse, each with the code
 * node.h and codec.h promise and a reason that names the field:
 * truncated, garbage, out-of-range enum, UNSPECIFIED enum, oversized repeated
 * field, oversized message, missing body, node id out of range; and structs
 * the encoder must refuse. None of them may crash (run under the sanitizer
 * build as well). */
#include <stdlib.h>

#include "check.h"
#include "codec.h"
#include "err.h"
#include "samples.h"
#include "xroad.pb-c.h"

static uint8_t buf[2 * XR_MSG_MAX_BYTES];
static struct xr_msg out;
static char why[512];

static int decode(const uint8_t *b, size_t len)
{
	why[0] = '\0';
	return xr_msg_decode(b, len, &out, why, sizeof why);
}

/* Packs a hand-built Envelope (something our encoder would never write). */
static size_t pack(const Xroad__Envelope *e)
{
	size_t len = xroad__envelope__get_packed_size(e);
	if (len > sizeof buf)
		abort();
	return xroad__envelope__pack(e, buf);
}

static bool why_has(const char *part)
{
	if (strstr(why, part) != NULL)
		return true;
	fprintf(stderr, "reason \"%s\" does not mention \"%s\"\n", why, part);
	return false;
}

static bool out_is_zero(void)
{
	static const struct xr_msg zero;
	return memcmp(&out, &zero, sizeof out) == 0;
}

static void truncated(void)
{
	for (int t = XR_MSG_NONE + 1; t < XR_MSG_TYPES; t++) {
		struct xr_msg m;
		uint8_t enc[XR_MSG_MAX_BYTES];
		size_t len;
		sample_msg((enum xr_msg_type)t, true, &m);
		CHECK_EQ_INT(xr_msg_encode(&m, enc, sizeof enc, &len), 0);
		/* The body is the last field and its length covers the rest,
		 * so every strict prefix is either cut inside a field or has
		 * no body: never a valid message. */
		for (size_t cut = 0; cut < len; cut++) {
			int rc = decode(enc, cut);
			if (rc != XR_EDECODE) {
				fprintf(stderr, "type %d cut at %zu/%zu: %d %s\n",
					t, cut, len, rc, why);
				check_failures++;
				break;
			}
			CHECK(out_is_zero());
		}
	}
	CHECK_EQ_INT(decode(buf, 0), XR_EDECODE); /* empty */
}

static void garbage(void)
{
	static const uint8_t ff[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff};
	static const uint8_t text[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	/* Field 10 (wave), wire type 2, length 100, with 2 bytes present. */
	static const uint8_t short_sub[] = {0x52, 100, 0x08, 0x01};
	/* Field 0 does not exist in protobuf. */
	static const uint8_t field0[] = {0x00, 0x01};

	CHECK_EQ_INT(decode(ff, sizeof ff), XR_EDECODE);
	CHECK(why_has("not a valid Envelope"));
	CHECK_EQ_INT(decode(text, sizeof text - 1), XR_EDECODE);
	CHECK_EQ_INT(decode(short_sub, sizeof short_sub), XR_EDECODE);
	CHECK_EQ_INT(decode(field0, sizeof field0), XR_EDECODE);

	/* Seeded noise: any outcome but a crash or an unchecked success. */
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(x % 200);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		int rc = decode(buf, len);
		if (rc == 0)
			CHECK_EQ_INT(xr_msg_check(&out, NULL, 0), 0);
		else
			CHECK(why[0] != '\0' && out_is_zero());
		x += (uint64_t)round;
	}
}

static void bad_enums(void)
{
	Xroad__Envelope e = XROAD__ENVELOPE__INIT;
	Xroad__WaveMsg w = XROAD__WAVE_MSG__INIT;
	Xroad__Intent in = XROAD__INTENT__INIT;
	Xroad__Intent *ins[1] = {&in};

	e.from = 0;
	e.to = 1;
	e.body_case = XROAD__ENVELOPE__BODY_WAVE;
	e.wave = &w;
	w.n_intents = 1;
	w.intents = ins;
	in.car = 1;
	in.approach = XROAD__APPROACH__APPROACH_N;
	in.turn = XROAD__TURN__TURN_LEFT;

	/* UNSPECIFIED wave kind: a zero-filled message is not a real one. */
	w.kind = XROAD__WAVE_KIND__WAVE_KIND_UNSPECIFIED;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	CHECK(why_has("WaveMsg.kind"));
	/* Out of range wave kind. */
	w.kind = (Xroad__WaveKind)5;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	w.kind = (Xroad__WaveKind)-1;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	w.kind = XROAD__WAVE_KIND__WAVE_INTENT_SET;
	CHECK_EQ_INT(decode(buf, pack(&e)), 0);
	CHECK_EQ_INT(out.u.wave.intents[0].approach, XR_N);
	CHECK_EQ_INT(out.u.wave.intents[0].turn, XR_LEFT);

	in.approach = XROAD__APPROACH__APPROACH_UNSPECIFIED;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	CHECK(why_has("WaveMsg.intents[0].approach"));
	in.approach = (Xroad__Approach)5;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	in.approach = XROAD__APPROACH__APPROACH_W;

	in.turn = XROAD__TURN__TURN_UNSPECIFIED;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	CHECK(why_has("turn"));
	in.turn = (Xroad__Turn)4;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	in.turn = XROAD__TURN__TURN_RIGHT;
	CHECK_EQ_INT(decode(buf, pack(&e)), 0);
}

static void oversized_repeated(void)
{
	static uint32_t ids[XR_MAX_CARS + 1];
	Xroad__Envelope e = XROAD__ENVELOPE__INIT;
	Xroad__Probe p = XROAD__PROBE__INIT;

	for (uint32_t i = 0; i < XR_MAX_CARS + 1; i++)
		ids[i] = 1 + i % XR_MAX_CARS;
	e.to = 1;
	e.body_case = XROAD__ENVELOPE__BODY_PROBE;
	e.probe = &p;
	p.initiator = 1;
	p.path = ids;
	p.n_path = XR_MAX_CARS;
	CHECK_EQ_INT(decode(buf, pack(&e)), 0);
	p.n_path = XR_MAX_CARS + 1;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ETOOBIG);
	CHECK(why_has("Probe.path"));

	/* RejoinState.overrides has its own, larger, bound. */
	static Xroad__Override ov[XR_MAX_OVERRIDES + 1];
	static Xroad__Override *ovp[XR_MAX_OVERRIDES + 1];
	Xroad__RejoinState rs = XROAD__REJOIN_STATE__INIT;
	for (uint32_t i = 0; i < XR_MAX_OVERRIDES + 1; i++) {
		xroad__override__init(&ov[i]);
		ov[i].winner = 1;
		ov[i].loser = 2;
		ovp[i] = &ov[i];
	}
	e.body_case = XROAD__ENVELOPE__BODY_REJOIN_STATE;
	e.rejoin_state = &rs;
	rs.overrides = ovp;
	rs.n_overrides = XR_MAX_OVERRIDES;
	CHECK_EQ_INT(decode(buf, pack(&e)), 0);
	rs.n_overrides = XR_MAX_OVERRIDES + 1;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ETOOBIG);
	CHECK(why_has("RejoinState.overrides"));

	/* Blocked.waits_for far beyond any array: refused, not truncated. */
	static uint32_t many[1000];
	Xroad__Blocked b = XROAD__BLOCKED__INIT;
	for (uint32_t i = 0; i < 1000; i++)
		many[i] = 1;
	b.waits_for = many;
	b.n_waits_for = 1000;
	e.body_case = XROAD__ENVELOPE__BODY_BLOCKED;
	e.blocked = &b;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ETOOBIG);
}

static void oversized_message(void)
{
	struct xr_msg m;
	size_t len;

	/* A valid message followed by padding up to just over the limit:
	 * refused on its length alone, before protobuf-c allocates. */
	sample_msg(XR_MSG_PROBE, false, &m);
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), 0);
	memset(buf + len, 0, sizeof buf - len);
	CHECK_EQ_INT(decode(buf, XR_MSG_MAX_BYTES + 1), XR_ETOOBIG);
	CHECK(why_has("at most"));
	CHECK_EQ_INT(decode(buf, sizeof buf), XR_ETOOBIG);

	/* At the limit exactly the length check passes; a huge unknown
	 * field makes such a message, which then decodes normally. */
	size_t pad = XR_MSG_MAX_BYTES - len - 4; /* tag + 3-byte length */
	uint8_t *p = buf + len;
	p[0] = (9 << 3) | 2; /* field 9, length-delimited, unused */
	p[1] = (uint8_t)(0x80 | (pad & 0x7f));
	p[2] = (uint8_t)(0x80 | ((pad >> 7) & 0x7f));
	p[3] = (uint8_t)(pad >> 14);
	CHECK_EQ_INT(decode(buf, XR_MSG_MAX_BYTES), 0);
	CHECK_EQ_INT(out.type, XR_MSG_PROBE);
}

static void missing_body(void)
{
	Xroad__Envelope e = XROAD__ENVELOPE__INIT;
	e.from = 1;
	e.to = 2;
	e.epoch = 1;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_EDECODE);
	CHECK(why_has("no message body"));
}

static void bad_ids(void)
{
	Xroad__Envelope e = XROAD__ENVELOPE__INIT;
	Xroad__Detect d = XROAD__DETECT__INIT;
	e.body_case = XROAD__ENVELOPE__BODY_DETECT;
	e.detect = &d;
	e.from = XR_MAX_NODES;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	CHECK(why_has("from"));
	e.from = 0;
	e.to = 0xffffffffu;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);

	Xroad__CrossingNotice n = XROAD__CROSSING_NOTICE__INIT;
	Xroad__Crossing c = XROAD__CROSSING__INIT;
	e.to = 1;
	e.body_case = XROAD__ENVELOPE__BODY_NOTICE;
	e.notice = &n;
	n.crossing = &c;
	c.car = 1;
	c.index = XR_MAX_CARS; /* past the end of a round's log */
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	CHECK(why_has("index"));
	c.index = 0;
	c.car = 64;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
}

/* Epochs near 2^32 (issue 13: one Envelope at 4294967295 made the next
 * epoch wrap to 0): refused at decode and at encode, in the envelope and in
 * every body epoch; a jump above the receiver's epoch beyond the bound is
 * refused by xr_msg_check_epoch. */
static void bad_epochs(void)
{
	Xroad__Envelope e = XROAD__ENVELOPE__INIT;
	Xroad__Election el = XROAD__ELECTION__INIT;
	Xroad__Detect d = XROAD__DETECT__INIT;
	Xroad__Probe pr = XROAD__PROBE__INIT;
	Xroad__Blocked bl = XROAD__BLOCKED__INIT;
	struct xr_msg m;
	size_t len;
	char w[256];

	e.from = 4;
	e.body_case = XROAD__ENVELOPE__BODY_ELECTION;
	e.election = &el;
	e.epoch = 0xffffffffu;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	CHECK(why_has("envelope epoch: 4294967295 above the ceiling"));
	CHECK(out_is_zero());
	e.epoch = XR_EPOCH_MAX + 1;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	e.epoch = XR_EPOCH_MAX;
	CHECK_EQ_INT(decode(buf, pack(&e)), 0);
	CHECK_EQ_INT((int)out.epoch, (int)XR_EPOCH_MAX);

	e.epoch = 1;
	e.body_case = XROAD__ENVELOPE__BODY_DETECT;
	e.detect = &d;
	d.epoch = 0xffffffffu;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	CHECK(why_has("Detect.epoch"));
	e.body_case = XROAD__ENVELOPE__BODY_PROBE;
	e.probe = &pr;
	pr.epoch = 0xfffffff0u;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	CHECK(why_has("Probe.epoch"));
	e.body_case = XROAD__ENVELOPE__BODY_BLOCKED;
	e.blocked = &bl;
	bl.overrides = 0xffffffffu;
	CHECK_EQ_INT(decode(buf, pack(&e)), XR_ERANGE);
	CHECK(why_has("Blocked.overrides"));

	/* Our own encoder never writes one either. */
	sample_msg(XR_MSG_HEARTBEAT, false, &m);
	m.epoch = 0xffffffffu;
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), XR_ERANGE);
	sample_msg(XR_MSG_REJOIN_STATE, true, &m);
	if (m.u.rejoin_state.n_overrides > 0) {
		m.u.rejoin_state.overrides[0].epoch = 0xffffffffu;
		CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), XR_ERANGE);
	}

	/* The jump bound, relative to what the receiver knows. */
	sample_msg(XR_MSG_ELECTION, false, &m);
	m.from = 4;
	m.epoch = 5 + XR_EPOCH_JUMP_MAX;
	CHECK_EQ_INT(xr_msg_check_epoch(&m, 5, w, sizeof w), 0);
	m.epoch = 6 + XR_EPOCH_JUMP_MAX;
	CHECK_EQ_INT(xr_msg_check_epoch(&m, 5, w, sizeof w), XR_ERANGE);
	CHECK(strstr(w, "envelope epoch 65542 from node 4: 65537 above this node's epoch 5") != NULL);
	m.epoch = 0; /* older epochs are the core's to refuse */
	CHECK_EQ_INT(xr_msg_check_epoch(&m, 5, w, sizeof w), 0);
	m.epoch = XR_EPOCH_MAX;
	CHECK_EQ_INT(xr_msg_check_epoch(&m, XR_EPOCH_MAX - 1, w, sizeof w), 0);
}

static void encoder_refuses(void)
{
	struct xr_msg m;
	size_t len;
	char w[256];

	memset(&m, 0, sizeof m);
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), XR_ERANGE);
	m.type = XR_MSG_TYPES;
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), XR_ERANGE);

	sample_msg(XR_MSG_WAVE, false, &m);
	m.u.wave.n_intents = XR_MAX_CARS + 1;
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), XR_ETOOBIG);
	sample_msg(XR_MSG_WAVE, false, &m);
	m.u.wave.kind = XR_WAVE_NONE;
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), XR_ERANGE);
	sample_msg(XR_MSG_WAVE, false, &m);
	m.u.wave.intents[1].turn = (enum xr_turn)7;
	CHECK_EQ_INT(xr_msg_check(&m, w, sizeof w), XR_ERANGE);
	CHECK(strstr(w, "WaveMsg.intents[1].turn") != NULL);
	sample_msg(XR_MSG_REJOIN_STATE, false, &m);
	m.u.rejoin_state.n_overrides = XR_MAX_OVERRIDES + 1;
	CHECK_EQ_INT(xr_msg_encode(&m, buf, sizeof buf, &len), XR_ETOOBIG);
}

static void bad_configs(void)
{
	Xroad__NodeConfig c = XROAD__NODE_CONFIG__INIT;
	uint32_t cars[2] = {1, 2};
	Xroad__Approach ap[2] = {XROAD__APPROACH__APPROACH_S,
				 XROAD__APPROACH__APPROACH_UNSPECIFIED};
	char run[XR_RUN_MAX + 1];
	struct xr_node_config cfg;
	size_t len;

	c.n_cars = 2;
	c.cars = cars;
	c.n_approaches = 2;
	c.approaches = ap;
	c.run = (char *)"demo";
	len = xroad__node_config__pack(&c, buf);
	CHECK_EQ_INT(xr_config_decode(buf, len, &cfg, why, sizeof why),
		     XR_ERANGE);
	CHECK(why_has("approaches[1]"));
	ap[1] = XROAD__APPROACH__APPROACH_E;
	c.n_approaches = 1;
	len = xroad__node_config__pack(&c, buf);
	CHECK_EQ_INT(xr_config_decode(buf, len, &cfg, why, sizeof why),
		     XR_EDECODE);
	c.n_approaches = 2;
	memset(run, 'r', XR_RUN_MAX);
	run[XR_RUN_MAX] = '\0';
	c.run = run;
	len = xroad__node_config__pack(&c, buf);
	CHECK_EQ_INT(xr_config_decode(buf, len, &cfg, why, sizeof why),
		     XR_ETOOBIG);
	CHECK(why_has("run"));
	c.run = (char *)"demo";
	len = xroad__node_config__pack(&c, buf);
	CHECK_EQ_INT(xr_config_decode(buf, len, &cfg, why, sizeof why), 0);
	CHECK_EQ_INT(cfg.approaches[1], XR_E);
	CHECK_EQ_INT(xr_config_decode(buf, len - 1, &cfg, why, sizeof why),
		     XR_EDECODE);
}

int main(void)
{
	truncated();
	garbage();
	bad_enums();
	oversized_repeated();
	oversized_message();
	missing_body();
	bad_ids();
	bad_epochs();
	encoder_refuses();
	bad_configs();
	return check_status("test_codec_bad");
}
