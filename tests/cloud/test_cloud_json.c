/* Crossing record JSON: the exact encoding, and strict refusal of anything
 * that is not a valid record (missing fields, wrong types, out-of-range
 * values, oversized input, garbage), never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cloud.h"
#include "cloud_json.h"
#include "err.h"

static const char good[] =
	"{\"run\":\"demo-1\",\"round\":3,\"car\":2,\"approach\":\"E\","
	"\"turn\":\"left\",\"index\":1,\"crossed_ms\":1700000000123,"
	"\"after_deadlock\":true}";

/* Parses `json` and expects `want`; when an error is expected, the message
 * must name `what`. */
static void expect(const char *json, int want, const char *what)
{
	struct xr_crossing_record r;
	char err[256] = "";
	int rc = xr_crossing_record_from_json(json, &r, err, sizeof err);

	if (rc != want)
		fprintf(stderr, "input: %.200s\nerr: %s\n", json, err);
	CHECK_EQ(rc, want);
	if (want != 0 && what != NULL)
		CHECK_HAS(err, what);
}

/* `good` with the member `key` replaced by `"key":value` (value NULL drops
 * the member). */
static char *with(const char *key, const char *value)
{
	static char buf[8192];
	char pat[64];
	const char *at, *end;
	size_t n = 0;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	at = strstr(good, pat);
	if (at == NULL)
		abort();
	end = at + strlen(pat);
	while (*end != ',' && *end != '}')
		end++;
	memcpy(buf, good, (size_t)(at - good));
	n = (size_t)(at - good);
	if (value != NULL) {
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", pat,
				      value);
	} else {
		if (*end == ',')
			end++;
		else if (n > 0 && buf[n - 1] == ',')
			n--;
	}
	snprintf(buf + n, sizeof buf - n, "%s", end);
	return buf;
}

static void test_roundtrip(void)
{
	struct xr_crossing_record r, back;
	char err[256];
	char *json = NULL;

	CHECK_EQ(xr_crossing_record_from_json(good, &r, err, sizeof err), 0);
	CHECK_STR(r.run, "demo-1");
	CHECK_EQ(r.round, 3);
	CHECK_EQ(r.car, 2);
	CHECK_STR(r.approach, "E");
	CHECK_STR(r.turn, "left");
	CHECK_EQ(r.index, 1);
	CHECK(r.crossed_ms == 1700000000123ULL);
	CHECK_EQ(r.after_deadlock, 1);
	CHECK_EQ(xr_crossing_record_to_json(&r, &json), 0);
	CHECK_STR(json, good);
	CHECK_EQ(xr_crossing_record_from_json(json, &back, err, sizeof err), 0);
	CHECK(memcmp(&r, &back, sizeof r) == 0);
	free(json);

	/* Largest values every field allows survive exactly. */
	memset(&r, 0, sizeof r);
	memset(r.run, 'x', sizeof r.run - 1);
	r.round = UINT32_MAX;
	r.car = 31;
	memcpy(r.approach, "W", 2);
	memcpy(r.turn, "straight", 9);
	r.index = 30;
	r.crossed_ms = XR_JSON_INT_MAX;
	CHECK_EQ(xr_crossing_record_to_json(&r, &json), 0);
	CHECK_EQ(xr_crossing_record_from_json(json, &back, err, sizeof err), 0);
	CHECK(memcmp(&r, &back, sizeof r) == 0);
	free(json);

	/* Whitespace and member order are free. */
	expect("  {\"after_deadlock\" : false, \"crossed_ms\":0,\"index\":0,"
	       "\"turn\":\"right\",\"approach\":\"S\",\"car\":0,\"round\":0,"
	       "\"run\":\"r\"}\n",
	       0, NULL);
}

static void test_missing(void)
{
	static const char *const keys[] = {
		"run",	"round", "car",	       "approach",
		"turn", "index", "crossed_ms", "after_deadlock"};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char what[64];

		snprintf(what, sizeof what, "%s: missing", keys[i]);
		expect(with(keys[i], NULL), XR_EDECODE, what);
	}
	expect("{}", XR_EDECODE, "missing");
}

static void test_types(void)
{
	expect(with("run", "5"), XR_EDECODE, "run: not a string");
	expect(with("run", "null"), XR_EDECODE, "run");
	expect(with("round", "\"3\""), XR_EDECODE, "round: not a number");
	expect(with("car", "true"), XR_EDECODE, "car");
	expect(with("approach", "1"), XR_EDECODE, "approach");
	expect(with("turn", "[\"left\"]"), XR_EDECODE, "turn");
	expect(with("index", "{}"), XR_EDECODE, "index");
	expect(with("crossed_ms", "\"1700000000123\""), XR_EDECODE,
	       "crossed_ms");
	expect(with("after_deadlock", "1"), XR_EDECODE, "after_deadlock");
	expect(with("after_deadlock", "\"true\""), XR_EDECODE,
	       "after_deadlock");
	expect(with("round", "1.5"), XR_EDECODE,
	       "round: 1.5 is not an integer");
}

static void test_range(void)
{
	expect(with("round", "-1"), XR_ERANGE, "round");
	expect(with("round", "4294967296"), XR_ERANGE, "round");
	expect(with("round", "1e300"), XR_ERANGE, "round");
	expect(with("round", "4294967295"), 0, NULL);
	expect(with("car", "32"), XR_ERANGE, "car");
	expect(with("car", "31"), 0, NULL);
	expect(with("index", "31"), XR_ERANGE, "index");
	expect(with("crossed_ms", "9007199254740992"), XR_ERANGE, "crossed_ms");
	expect(with("crossed_ms", "-5"), XR_ERANGE, "crossed_ms");
	expect(with("approach", "\"X\""), XR_ERANGE, "approach");
	expect(with("approach", "\"SE\""), XR_ERANGE, "approach");
	expect(with("approach", "\"s\""), XR_ERANGE, "approach");
	expect(with("turn", "\"uturn\""), XR_ERANGE, "turn");
	expect(with("turn", "\"straightish\""), XR_ERANGE, "turn");
	expect(with("run", "\"\""), XR_ERANGE, "run");
	expect(with("run", "\"a b\""), XR_ERANGE, "run");
	expect(with("run", "\"a\\\"b\""), XR_ERANGE, "run");
	expect(with("run", "\"0123456789012345678901234567890123456789\""),
	       XR_ERANGE, "run");
	expect(with("run", "\"012345678901234567890123456789012345678\""), 0,
	       NULL);
	/* A NUL escape would cut the string short and pass as "S". */
	expect(with("approach", "\"S\\u0000x\""), XR_EDECODE, "u0000");
	expect(with("run", "\"demo\\u0000-2\""), XR_EDECODE, "u0000");
}

static void test_garbage(void)
{
	struct xr_crossing_record r;
	char err[256];
	char *big;

	expect("", XR_EDECODE, "not valid JSON");
	expect("{", XR_EDECODE, "not valid JSON");
	expect("null", XR_EDECODE, "not a JSON object");
	expect("[]", XR_EDECODE, "not a JSON object");
	expect("42", XR_EDECODE, "not a JSON object");
	expect("\"run\"", XR_EDECODE, "not a JSON object");
	expect("{\"run\":", XR_EDECODE, "not valid JSON");
	expect("\xff\xfe{}", XR_EDECODE, NULL);
	/* Trailing bytes after the object are not a record either. */
	{
		char buf[512];

		snprintf(buf, sizeof buf, "%s x", good);
		expect(buf, XR_EDECODE, "not valid JSON");
		snprintf(buf, sizeof buf, "%s%s", good, good);
		expect(buf, XR_EDECODE, "not valid JSON");
	}
	{
		char buf[512];

		snprintf(buf, sizeof buf, "{\"colour\":\"red\",%s", good + 1);
		expect(buf, XR_EDECODE, "unknown field \"colour\"");
		snprintf(buf, sizeof buf, "{\"car\":1,%s", good + 1);
		expect(buf, XR_EDECODE, "car: given twice");
		snprintf(buf, sizeof buf, "{\"Car\":1,%s", good + 1);
		expect(buf, XR_EDECODE, "unknown field \"Car\"");
	}
	/* Oversized: refused before parsing, with its own code. */
	big = malloc(1 << 20);
	memset(big, ' ', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	memcpy(big, good, strlen(good));
	expect(big, XR_ETOOBIG, "larger than");
	/* Deep nesting must not blow the stack. */
	memset(big, '[', 100000);
	big[100000] = '\0';
	CHECK(xr_crossing_record_from_json(big, &r, err, sizeof err) < 0);
	free(big);
	CHECK_EQ(xr_crossing_record_from_json(NULL, &r, err, sizeof err),
		 XR_EINVAL);
	/* A NULL error buffer is allowed. */
	CHECK_EQ(xr_crossing_record_from_json("{", &r, NULL, 0), XR_EDECODE);
}

/* Mutations of a valid record: every outcome is either a valid record or
 * a clean error, and the output is untouched on error. */
static void test_mutations(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	size_t len = strlen(good);
	int accepted = 0;

	for (int iter = 0; iter < 200000; iter++) {
		struct xr_crossing_record r, sentinel;
		char buf[512], err[256];
		int rc, edits;

		memcpy(buf, good, len + 1);
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		edits = 1 + (int)(s % 3);
		for (int e = 0; e < edits; e++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			buf[(s >> 8) % len] = (char)(s >> 32);
		}
		memset(&r, 0xA5, sizeof r);
		sentinel = r;
		rc = xr_crossing_record_from_json(buf, &r, err, sizeof err);
		if (rc == 0) {
			accepted++;
			CHECK_EQ(xr_crossing_record_check(&r, NULL, 0), 0);
		} else {
			CHECK(rc < 0);
			CHECK(memcmp(&r, &sentinel, sizeof r) == 0);
		}
	}
	CHECK(accepted > 0);
}

static void test_encode_refuses(void)
{
	struct xr_crossing_record r;
	char err[256];
	char *json = (char *)1;

	CHECK_EQ(xr_crossing_record_from_json(good, &r, err, sizeof err), 0);
	r.car = 40;
	CHECK_EQ(xr_crossing_record_to_json(&r, &json), XR_EINVAL);
	CHECK(json == NULL);
	r.car = 1;
	memcpy(r.turn, "back", 5);
	CHECK_EQ(xr_crossing_record_to_json(&r, &json), XR_EINVAL);
	r = (struct xr_crossing_record){0};
	CHECK_EQ(xr_crossing_record_to_json(&r, &json), XR_EINVAL);
	CHECK_EQ(xr_crossing_record_to_json(NULL, &json), XR_EINVAL);
	CHECK_EQ(xr_crossing_record_to_json(&r, NULL), XR_EINVAL);
}

int main(void)
{
	test_roundtrip();
	test_missing();
	test_types();
	test_range();
	test_garbage();
	test_mutations();
	test_encode_refuses();
	CHECK_DONE("test_cloud_json");
}
