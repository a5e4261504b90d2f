/* The backend-independent half of the cloud interface: closing a backend,
 * freeing received queue messages, and the one JSON form of a crossing
 * record (Lambda payload, queue body; docs/CLOUD.md "Crossing record JSON").
 *
 * The JSON is parsed strictly because it crosses a trust boundary twice (the
 * Lambda invoke and the queue): a record that would land in the table under
 * a wrong key breaks I5 silently, so anything odd is refused loudly. */
#include "cloud.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_err.h"
#include "cloud_json.h"
#include "err.h"
#include "node.h"

void xr_cloud_close(struct xr_cloud *c)
{
	if (c == NULL)
		return;
	if (c->ops != NULL && c->ops->close != NULL)
		c->ops->close(c);
	c->ops = NULL;
	c->impl = NULL;
}

void xr_cloud_set_deadline(struct xr_cloud *c, uint64_t until_mono_ms)
{
	if (c != NULL && c->ops != NULL && c->ops->set_deadline != NULL)
		c->ops->set_deadline(c, until_mono_ms);
}

void xr_queue_msgs_free(struct xr_queue_msg *msgs, size_t n)
{
	if (msgs == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(msgs[i].body);
		msgs[i].body = NULL;
	}
}

int xr_cloud_errf(struct xr_cloud *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return code;
}

int xr_cloud_err_wrap(struct xr_cloud *c, int code, const char *prefix)
{
	char inner[XR_CLOUD_ERR_MAX];

	memcpy(inner, c->err, sizeof inner);
	inner[sizeof inner - 1] = '\0';
	return xr_cloud_errf(c, code, "%s: %s", prefix, inner);
}

static const char *const approaches[] = {"S", "E", "N", "W"};
static const char *const turns[] = {"right", "straight", "left"};

static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* The run id is the first part of the table key and is printed as is by
 * the demo, so it is kept to characters that need no escaping anywhere
 * (JSON, SQL text, DynamoDB keys, shell output). */
int xr_cloud_run_valid(const char *run)
{
	size_t n = strnlen(run, XR_RUN_MAX);

	if (n == 0 || n >= XR_RUN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = run[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
			 ch == '.' || ch == ':';
		if (!ok)
			return 0;
	}
	return 1;
}

int xr_crossing_record_check(const struct xr_crossing_record *r, char *err,
			     size_t err_len)
{
	if (!xr_cloud_run_valid(r->run)) {
		xr_why(err, err_len, XR_OK,
		       "run: must be 1-%d characters of [A-Za-z0-9._:-]",
		       XR_RUN_MAX - 1);
		return XR_ERANGE;
	}
	if (r->car >= XR_MAX_NODES) {
		xr_why(err, err_len, XR_OK,
		       "car: %" PRIu32 " out of range 0..%d", r->car,
		       XR_MAX_NODES - 1);
		return XR_ERANGE;
	}
	if (memchr(r->approach, '\0', sizeof r->approach) == NULL ||
	    !in_list(r->approach, approaches, 4)) {
		xr_why(err, err_len, XR_OK, "approach: not one of S E N W");
		return XR_ERANGE;
	}
	if (memchr(r->turn, '\0', sizeof r->turn) == NULL ||
	    !in_list(r->turn, turns, 3)) {
		xr_why(err, err_len, XR_OK,
		       "turn: not one of right straight left");
		return XR_ERANGE;
	}
	if (r->index >= XR_MAX_CARS) {
		xr_why(err, err_len, XR_OK,
		       "index: %" PRIu32 " out of range 0..%d", r->index,
		       XR_MAX_CARS - 1);
		return XR_ERANGE;
	}
	if (r->crossed_ms > XR_JSON_INT_MAX) {
		xr_why(err, err_len, XR_OK,
		       "crossed_ms: %" PRIu64 " above 2^53-1", r->crossed_ms);
		return XR_ERANGE;
	}
	if (r->after_deadlock != 0 && r->after_deadlock != 1) {
		xr_why(err, err_len, XR_OK, "after_deadlock: not 0 or 1");
		return XR_ERANGE;
	}
	return 0;
}

/* Written by hand rather than by cJSON_Print so that the bytes are fixed
 * (key order, integer formatting of 64-bit values): the same record always
 * gives the same queue body. Every string field was checked to need no
 * escaping. */
int xr_crossing_record_to_json(const struct xr_crossing_record *r, char **json)
{
	char buf[XR_CROSSING_JSON_MAX];
	int n;

	if (json == NULL)
		return XR_EINVAL;
	*json = NULL;
	if (r == NULL || xr_crossing_record_check(r, NULL, 0) != 0)
		return XR_EINVAL;
	n = snprintf(buf, sizeof buf,
		     "{\"run\":\"%s\",\"round\":%" PRIu32 ",\"car\":%" PRIu32
		     ",\"approach\":\"%s\",\"turn\":\"%s\",\"index\":%" PRIu32
		     ",\"crossed_ms\":%" PRIu64 ",\"after_deadlock\":%s}",
		     r->run, r->round, r->car, r->approach, r->turn, r->index,
		     r->crossed_ms, r->after_deadlock ? "true" : "false");
	if (n < 0 || (size_t)n >= sizeof buf)
		return XR_ETOOBIG;
	*json = malloc((size_t)n + 1);
	if (*json == NULL)
		return XR_ENOMEM;
	memcpy(*json, buf, (size_t)n + 1);
	return 0;
}

/* A JSON number that is an integer in [0, max]. cJSON keeps numbers as
 * doubles, exact up to 2^53, which bounds every integer field. */
static int get_uint(const cJSON *item, const char *name, uint64_t max,
		    uint64_t *out, char *err, size_t err_len)
{
	double d;

	if (!cJSON_IsNumber(item)) {
		xr_why(err, err_len, XR_OK, "%s: not a number", name);
		return XR_EDECODE;
	}
	d = item->valuedouble;
	if (!(d >= 0) || d > (double)max) {
		xr_why(err, err_len, XR_OK, "%s: %g out of range 0..%" PRIu64,
		       name, d, max);
		return XR_ERANGE;
	}
	if (d != (double)(uint64_t)d) {
		xr_why(err, err_len, XR_OK, "%s: %g is not an integer", name,
		       d);
		return XR_EDECODE;
	}
	*out = (uint64_t)d;
	return 0;
}

static int get_str(const cJSON *item, const char *name, char *out,
		   size_t out_len, char *err, size_t err_len)
{
	size_t n;

	if (!cJSON_IsString(item) || item->valuestring == NULL) {
		xr_why(err, err_len, XR_OK, "%s: not a string", name);
		return XR_EDECODE;
	}
	n = strlen(item->valuestring);
	if (n >= out_len) {
		xr_why(err, err_len, XR_OK, "%s: longer than %zu bytes", name,
		       out_len - 1);
		return XR_ERANGE;
	}
	memcpy(out, item->valuestring, n + 1);
	return 0;
}

enum field {
	F_RUN,
	F_ROUND,
	F_CAR,
	F_APPROACH,
	F_TURN,
	F_INDEX,
	F_CROSSED_MS,
	F_AFTER_DEADLOCK,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	[F_RUN] = "run",
	[F_ROUND] = "round",
	[F_CAR] = "car",
	[F_APPROACH] = "approach",
	[F_TURN] = "turn",
	[F_INDEX] = "index",
	[F_CROSSED_MS] = "crossed_ms",
	[F_AFTER_DEADLOCK] = "after_deadlock",
};

/* Maps the object's members onto the known fields; an unknown or repeated
 * key is an error (a misspelt key must not pass as a missing default). */
static int collect_fields(const cJSON *obj, const cJSON **items, char *err,
			  size_t err_len)
{
	const cJSON *it;

	for (int f = 0; f < F_COUNT; f++)
		items[f] = NULL;
	cJSON_ArrayForEach(it, obj)
	{
		int f;

		for (f = 0; f < F_COUNT; f++)
			if (it->string != NULL &&
			    strcmp(it->string, field_names[f]) == 0)
				break;
		if (f == F_COUNT) {
			xr_why(err, err_len, XR_OK, "unknown field \"%.40s\"",
			       it->string != NULL ? it->string : "");
			return XR_EDECODE;
		}
		if (items[f] != NULL) {
			xr_why(err, err_len, XR_OK, "%s: given twice",
			       field_names[f]);
			return XR_EDECODE;
		}
		items[f] = it;
	}
	for (int f = 0; f < F_COUNT; f++) {
		if (items[f] == NULL) {
			xr_why(err, err_len, XR_OK, "%s: missing",
			       field_names[f]);
			return XR_EDECODE;
		}
	}
	return 0;
}

static int fill_record(const cJSON **items, struct xr_crossing_record *r,
		       char *err, size_t err_len)
{
	uint64_t v;
	int rc;

	if ((rc = get_str(items[F_RUN], "run", r->run, sizeof r->run, err,
			  err_len)) != 0)
		return rc;
	if ((rc = get_uint(items[F_ROUND], "round", UINT32_MAX, &v, err,
			   err_len)) != 0)
		return rc;
	r->round = (uint32_t)v;
	if ((rc = get_uint(items[F_CAR], "car", XR_MAX_NODES - 1, &v, err,
			   err_len)) != 0)
		return rc;
	r->car = (uint32_t)v;
	if ((rc = get_str(items[F_APPROACH], "approach", r->approach,
			  sizeof r->approach, err, err_len)) != 0)
		return rc;
	if ((rc = get_str(items[F_TURN], "turn", r->turn, sizeof r->turn, err,
			  err_len)) != 0)
		return rc;
	if ((rc = get_uint(items[F_INDEX], "index", XR_MAX_CARS - 1, &v, err,
			   err_len)) != 0)
		return rc;
	r->index = (uint32_t)v;
	if ((rc = get_uint(items[F_CROSSED_MS], "crossed_ms", XR_JSON_INT_MAX,
			   &v, err, err_len)) != 0)
		return rc;
	r->crossed_ms = v;
	if (!cJSON_IsBool(items[F_AFTER_DEADLOCK])) {
		xr_why(err, err_len, XR_OK,
		       "after_deadlock: not true or false");
		return XR_EDECODE;
	}
	r->after_deadlock = cJSON_IsTrue(items[F_AFTER_DEADLOCK]) ? 1 : 0;
	return xr_crossing_record_check(r, err, err_len);
}

/* cJSON decodes "\u0000" into a NUL that silently cuts the C string
 * short ("S\u0000x" would read as "S"). No valid record holds a backslash
 * at all, so refusing the escape outright loses nothing. */
static int has_nul_escape(const char *s, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++)
		if (s[i] == '\\' && (s[i + 1] == 'u' || s[i + 1] == 'U') &&
		    memcmp(s + i + 2, "0000", 4) == 0)
			return 1;
	return 0;
}

int xr_crossing_record_from_json(const char *json, struct xr_crossing_record *r,
				 char *err, size_t err_len)
{
	struct xr_crossing_record tmp;
	const cJSON *items[F_COUNT];
	cJSON *root;
	size_t len;
	int rc;

	xr_why(err, err_len, XR_OK, "ok");
	if (json == NULL || r == NULL) {
		xr_why(err, err_len, XR_OK, "no input");
		return XR_EINVAL;
	}
	len = strnlen(json, XR_CROSSING_JSON_MAX + 1);
	if (len > XR_CROSSING_JSON_MAX) {
		xr_why(err, err_len, XR_OK, "larger than %d bytes",
		       XR_CROSSING_JSON_MAX);
		return XR_ETOOBIG;
	}
	if (has_nul_escape(json, len)) {
		xr_why(err, err_len, XR_OK, "\\u0000 in a string");
		return XR_EDECODE;
	}
	root = cJSON_ParseWithLengthOpts(json, len + 1, NULL, 1);
	if (root == NULL) {
		xr_why(err, err_len, XR_OK, "not valid JSON");
		return XR_EDECODE;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		xr_why(err, err_len, XR_OK, "not a JSON object");
		return XR_EDECODE;
	}
	memset(&tmp, 0, sizeof tmp);
	rc = collect_fields(root, items, err, err_len);
	if (rc == 0)
		rc = fill_record(items, &tmp, err, err_len);
	cJSON_Delete(root);
	if (rc != 0)
		return rc;
	/* Written only on success so a caller never sees half a record. */
	*r = tmp;
	return 0;
}
