/* The two bootstraps (lambda/runtime.c around the real handlers) driven
 * through Lambda Invoke and the harness's Runtime API: valid events are
 * handled (report_crossing -> SQS, store_crossings -> DynamoDB with a
 * partial batch response), malformed ones come back as function errors
 * while the runtime keeps serving, an init failure is posted to
 * /init/error, and the bootstrap never restarts (no crash). */
#include "emu_util.h"

static struct xr_cloud c;

/* Invokes `fn` with payload; returns 0 and the answer body, or the
 * function error's body with *fn_error set. Caller frees *out. */
static int invoke(const char *fn, const char *payload, char **out,
		  int *fn_error, char *err, size_t errlen)
{
	struct xr_aws_endpoint ep;
	if (xr_aws_endpoint_init(&ep, "lambda", "XROAD_LAMBDA_ENDPOINT",
				 "us-east-1", err, errlen) != 0)
		return XR_ECONFIG;
	char path[256];
	snprintf(path, sizeof(path), "/2015-03-31/functions/%s/invocations", fn);
	struct xr_aws_call call = {.ep = &ep,
				   .op = "Invoke",
				   .what = fn,
				   .method = "POST",
				   .path = path,
				   .content_type = "application/json",
				   .body = payload,
				   .body_len = strlen(payload)};
	struct xr_http_resp r;
	int rc = xr_aws_call(aws(), &call, &r, err, errlen);
	*out = NULL;
	*fn_error = 0;
	if (rc != 0)
		return rc;
	*fn_error = r.function_error[0] != '\0';
	*out = xr_buf_take(&r.body);
	xr_http_resp_free(&r);
	return 0;
}

static cJSON *lambda_stats(const char *fn)
{
	static char out[4096];
	emu_http("GET", env_or_die("XROAD_LAMBDA_ENDPOINT"), "/__stats", NULL,
		 out, sizeof(out));
	cJSON *all = cJSON_Parse(out);
	cJSON *s = cJSON_DetachItemFromObject(all, fn);
	cJSON_Delete(all);
	return s;
}

static int stat_of(const char *fn, const char *name)
{
	cJSON *s = lambda_stats(fn);
	int v = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(s, name));
	cJSON_Delete(s);
	return v;
}

static int receive_all(char **bodies, int max, int want)
{
	int n = 0;
	uint64_t end = xr_aws_mono_ms() + 8000;
	while (n < want && xr_aws_mono_ms() < end) {
		struct xr_queue_msg m[XR_QUEUE_BATCH_MAX];
		size_t got = 0;
		if (c.ops->queue_receive(&c, m, XR_QUEUE_BATCH_MAX, 1000, &got))
			break;
		for (size_t i = 0; i < got; i++) {
			if (n < max)
				bodies[n++] = m[i].body;
			else
				free(m[i].body);
			m[i].body = NULL;
		}
		if (got)
			c.ops->queue_delete(&c, m, got);
	}
	return n;
}

static void test_report(void)
{
	char json[512];
	struct xr_crossing_record r = mkrec("rt-report", 3, 2);
	rec_json(&r, json, sizeof(json));
	int rc = c.ops->invoke_report(&c, json);
	CHECK(rc == 0, "valid report: %s", c.err);
	char *bodies[8];
	int n = receive_all(bodies, 8, 1);
	CHECK(n == 1, "queue holds %d messages, want 1", n);
	if (n >= 1) {
		cJSON *j = cJSON_Parse(bodies[0]);
		CHECK(j && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "run")),
				  "rt-report") == 0 &&
			      cJSON_GetNumberValue(cJSON_GetObjectItem(j, "car")) == 2,
		      "queued body %s", bodies[0]);
		cJSON_Delete(j);
	}
	for (int i = 0; i < n; i++)
		free(bodies[i]);

	/* malformed payloads: each a function error, none kills the runtime */
	char *big = malloc(300 * 1024);
	snprintf(big, 16, "{\"run\":\"");
	memset(big + 8, 'x', 300 * 1024 - 11);
	memcpy(big + 300 * 1024 - 3, "\"}", 3);
	const char *bad[] = {
		"not json",
		"{}",
		"[]",
		"null",
		"{\"run\":\"r\",\"round\":\"one\",\"car\":1,\"approach\":\"S\","
		"\"turn\":\"left\",\"index\":0,\"crossed_ms\":1,"
		"\"after_deadlock\":false}",
		"{\"run\":\"r\",\"round\":1,\"car\":1,\"approach\":\"Q\","
		"\"turn\":\"left\",\"index\":0,\"crossed_ms\":1,"
		"\"after_deadlock\":false}",
		"{\"run\":\"r\",\"round\":-1,\"car\":1,\"approach\":\"S\","
		"\"turn\":\"left\",\"index\":0,\"crossed_ms\":1,"
		"\"after_deadlock\":false}",
		"{\"run\":\"r\",\"round\":1,\"car\":1}",
		big,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = c.ops->invoke_report(&c, bad[i]);
		CHECK(rc == XR_ECLOUD && strstr(c.err, "function error Unhandled") &&
			      strstr(c.err, "report_crossing"),
		      "bad payload %zu: rc %d %s", i, rc, c.err);
	}
	free(big);
	n = receive_all(bodies, 8, 1);
	CHECK(n == 0, "a malformed report reached the queue");
	for (int i = 0; i < n; i++)
		free(bodies[i]);

	/* still serving */
	r = mkrec("rt-report", 3, 3);
	rec_json(&r, json, sizeof(json));
	CHECK(c.ops->invoke_report(&c, json) == 0, "%s", c.err);
	n = receive_all(bodies, 8, 1);
	CHECK(n == 1, "%d", n);
	for (int i = 0; i < n; i++)
		free(bodies[i]);
	CHECK(stat_of("xroad-report-crossing", "starts") == 1,
	      "report_crossing bootstrap restarted");
	CHECK(stat_of("xroad-report-crossing", "errors") == 9, "errors %d",
	      stat_of("xroad-report-crossing", "errors"));
}

static char *sqs_event(const char *ids[], const char *bodies[], int n)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON *recs = cJSON_AddArrayToObject(ev, "Records");
	for (int i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();
		if (ids[i])
			cJSON_AddStringToObject(r, "messageId", ids[i]);
		cJSON_AddStringToObject(r, "receiptHandle", "rh");
		cJSON_AddStringToObject(r, "body", bodies[i]);
		cJSON_AddStringToObject(r, "eventSource", "aws:sqs");
		cJSON_AddStringToObject(r, "eventSourceARN",
					"arn:aws:sqs:us-east-1:123456789012:"
					"xroad-crossings");
		cJSON_AddStringToObject(r, "awsRegion", "us-east-1");
		cJSON_AddItemToArray(recs, r);
	}
	char *s = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	return s;
}

static void test_store(void)
{
	char j1[512], j2[512], j3[512], err[512];
	struct xr_crossing_record r1 = mkrec("rt-store", 1, 1),
				  r2 = mkrec("rt-store", 1, 2),
				  r3 = mkrec("rt-store", 2, 1);
	rec_json(&r1, j1, sizeof(j1));
	rec_json(&r2, j2, sizeof(j2));
	rec_json(&r3, j3, sizeof(j3));
	const char *ids[] = {"m1", "m2", "m3", "m4", "m5"};
	const char *bodies[] = {j1, "garbage", j2, "{\"run\":1}", j3};
	char *ev = sqs_event(ids, bodies, 5);
	char *out = NULL;
	int fe = 0;
	/* throttled on the way to the table: retried inside the handler */
	fault("XROAD_FAULT_DYNAMODB", "throttle", 2, "BatchWriteItem");
	int rc = invoke("xroad-store-crossings", ev, &out, &fe, err, sizeof(err));
	CHECK(rc == 0 && !fe, "rc %d fe %d %s %s", rc, fe, err, out ? out : "");
	cJSON *res = out ? cJSON_Parse(out) : NULL;
	cJSON *fails = cJSON_GetObjectItem(res, "batchItemFailures");
	CHECK(cJSON_GetArraySize(fails) == 2, "answer %s", out ? out : "");
	int named = 0;
	cJSON *f;
	cJSON_ArrayForEach(f, fails)
	{
		const char *id = cJSON_GetStringValue(
			cJSON_GetObjectItem(f, "itemIdentifier"));
		named |= id && strcmp(id, "m2") == 0 ? 1 : 0;
		named |= id && strcmp(id, "m4") == 0 ? 2 : 0;
	}
	CHECK(named == 3, "batchItemFailures should name m2 and m4: %s",
	      out ? out : "");
	cJSON_Delete(res);
	free(out);
	CHECK(scan_count("rt-store") == 3, "table holds %d, want 3",
	      scan_count("rt-store"));
	/* the same batch redelivered: nothing doubles */
	rc = invoke("xroad-store-crossings", ev, &out, &fe, err, sizeof(err));
	CHECK(rc == 0 && !fe, "%s", err);
	free(out);
	free(ev);
	CHECK(scan_count("rt-store") == 3, "redelivery doubled a record");

	/* malformed events: the whole call fails, the runtime goes on */
	const char *noid[] = {NULL};
	const char *nob[] = {j1};
	char *ev2 = sqs_event(noid, nob, 1);
	const char *bad[] = {"not json", "{\"Records\":\"x\"}", "[]", "{}", ev2};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = invoke("xroad-store-crossings", bad[i], &out, &fe, err,
			    sizeof(err));
		CHECK(rc == 0 && fe && out && strstr(out, "store_crossings"),
		      "bad event %zu: rc %d fe %d %s", i, rc, fe,
		      out ? out : err);
		free(out);
	}
	free(ev2);
	CHECK(stat_of("xroad-store-crossings", "starts") == 1,
	      "store_crossings bootstrap restarted");
}

static void test_init_error_and_unknown(void)
{
	char *out = NULL, err[512];
	int fe = 0;
	int rc = invoke("xroad-broken", "{}", &out, &fe, err, sizeof(err));
	CHECK(rc == 0 && fe && out && strstr(out, "XROAD_AWS_MAX_ATTEMPTS") &&
		      strstr(out, "Runtime.InitError"),
	      "rc %d fe %d %s", rc, fe, out ? out : err);
	free(out);
	CHECK(stat_of("xroad-broken", "init_errors") >= 1, "no /init/error");
	rc = invoke("xroad-no-such-function", "{}", &out, &fe, err, sizeof(err));
	CHECK(rc == XR_ENOTFOUND && strstr(err, "HTTP 404: "
						 "ResourceNotFoundException"),
	      "rc %d %s", rc, err);
	free(out);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = xr_cloud_open_aws(&c);
	if (rc != 0) {
		fprintf(stderr, "open: %s\n", c.err);
		return 1;
	}
	test_report();
	test_store();
	test_init_error_and_unknown();
	c.ops->close(&c);
	return finish("lambda_runtime");
}
