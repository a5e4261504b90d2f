/* Helpers shared by the emulator tests (run under harness.js): checks,
 * the fault proxies' control endpoints, a DynamoDB Scan, a raw Lambda
 * Invoke, and queue draining. Header-only: each test is one program. */
#ifndef XR_EMU_UTIL_H
#define XR_EMU_UTIL_H

/* not every test uses every helper */
#pragma GCC diagnostic ignored "-Wunused-function"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_client.h"
#include "aws_http.h"
#include "cloud.h"
#include "err.h"

static int checks, failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		checks++;                                                      \
		if (!(cond)) {                                                 \
			failures++;                                            \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__,          \
				__LINE__, #cond);                              \
			fprintf(stderr, " " __VA_ARGS__);                      \
			fputc('\n', stderr);                                   \
		}                                                              \
	} while (0)

static CURL *emu_curl;

static const char *env_or_die(const char *name)
{
	const char *v = getenv(name);
	if (v == NULL || v[0] == '\0') {
		fprintf(stderr, "%s not set: run under tests/emulators/harness.js\n",
			name);
		exit(2);
	}
	return v;
}

/* A plain HTTP call to a harness control endpoint; body copied to out. */
static int emu_http(const char *method, const char *base, const char *path,
		    const char *body, char *out, size_t outlen)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", base, path);
	if (emu_curl == NULL)
		emu_curl = curl_easy_init();
	struct xr_http_req req = {.method = method,
				  .url = url,
				  .body = body,
				  .body_len = body ? strlen(body) : 0,
				  .timeout_ms = 10000};
	struct xr_http_resp r;
	xr_http_resp_init(&r);
	int rc = xr_http_do(emu_curl, &req, &r);
	if (out)
		snprintf(out, outlen, "%s", rc == 0 && r.body.p ? r.body.p : "");
	long st = r.status;
	xr_http_resp_free(&r);
	return rc == 0 ? (int)st : rc;
}

/* Arms a fault on the proxy named by env var (XROAD_FAULT_SQS, ...). */
static void fault(const char *proxy_env, const char *mode, int count,
		  const char *match)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"mode\":\"%s\",\"count\":%d,\"match\":\"%s\"}",
		 mode, count, match ? match : "");
	int st = emu_http("POST", env_or_die(proxy_env), "/__fault", body, NULL, 0);
	CHECK(st == 200, "arming fault %s on %s: %d", mode, proxy_env, st);
}

static int injected(const char *proxy_env)
{
	char out[512];
	emu_http("GET", env_or_die(proxy_env), "/__stats", NULL, out, sizeof(out));
	cJSON *j = cJSON_Parse(out);
	int n = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "injected"));
	int pending = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "pending"));
	cJSON_Delete(j);
	CHECK(pending == 0, "%s: %d armed faults never fired", proxy_env, pending);
	return n;
}

static struct xr_aws emu_aws;
static int emu_aws_ready;

static struct xr_aws *aws(void)
{
	char err[512];
	if (!emu_aws_ready) {
		if (xr_aws_init(&emu_aws, err, sizeof(err)) != 0) {
			fprintf(stderr, "xr_aws_init: %s\n", err);
			exit(2);
		}
		emu_aws_ready = 1;
	}
	return &emu_aws;
}

/* A signed JSON 1.0 call straight to the emulator (no fault proxy). */
static cJSON *json_call(const char *svc, const char *endpoint_env,
			const char *target, const char *body)
{
	struct xr_aws_endpoint ep;
	char err[512];
	if (xr_aws_endpoint_init(&ep, svc, endpoint_env, "us-east-1", err,
				 sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	struct xr_aws_call call = {.ep = &ep,
				   .op = target,
				   .method = "POST",
				   .path = "/",
				   .target = target,
				   .content_type = "application/x-amz-json-1.0",
				   .body = body,
				   .body_len = strlen(body)};
	struct xr_http_resp r;
	if (xr_aws_call(aws(), &call, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	cJSON *j = cJSON_Parse(r.body.p);
	xr_http_resp_free(&r);
	return j;
}

/* Number of items in the crossings table for `run`; a (round, car) seen
 * twice would be a doubled record, which a key-value table cannot hold, so
 * the count per run is the exactly-once check. */
static int scan_count(const char *run)
{
	int total = 0;
	char start[512] = "";
	for (;;) {
		char body[1024];
		snprintf(body, sizeof(body),
			 "{\"TableName\":\"%s\",\"FilterExpression\":\"#r = :r\","
			 "\"ExpressionAttributeNames\":{\"#r\":\"run\"},"
			 "\"ExpressionAttributeValues\":{\":r\":{\"S\":\"%s\"}}%s%s}",
			 env_or_die("XROAD_DYNAMODB_TABLE"), run,
			 start[0] ? ",\"ExclusiveStartKey\":" : "", start);
		cJSON *j = json_call("dynamodb", "XROAD_EMU_DYNAMODB",
				     "DynamoDB_20120810.Scan", body);
		if (j == NULL)
			return -1;
		total += (int)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "Count"));
		cJSON *lek = cJSON_GetObjectItem(j, "LastEvaluatedKey");
		start[0] = '\0';
		if (lek) {
			char *s = cJSON_PrintUnformatted(lek);
			snprintf(start, sizeof(start), "%s", s);
			free(s);
		}
		cJSON_Delete(j);
		if (start[0] == '\0')
			return total;
	}
}

/* One item by key, or NULL. Caller frees. */
static cJSON *get_item(const char *run, unsigned round, unsigned car)
{
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"TableName\":\"%s\",\"ConsistentRead\":true,\"Key\":{\"run\":{"
		 "\"S\":\"%s\"},\"round_car\":{\"S\":\"%010u-%010u\"}}}",
		 env_or_die("XROAD_DYNAMODB_TABLE"), run, round, car);
	cJSON *j = json_call("dynamodb", "XROAD_EMU_DYNAMODB",
			     "DynamoDB_20120810.GetItem", body);
	cJSON *item = cJSON_DetachItemFromObject(j, "Item");
	cJSON_Delete(j);
	return item;
}

static struct xr_crossing_record mkrec(const char *run, unsigned round,
				       unsigned car)
{
	static const char *const ap[] = {"S", "E", "N", "W"};
	static const char *const tu[] = {"right", "straight", "left"};
	struct xr_crossing_record r;
	memset(&r, 0, sizeof(r));
	snprintf(r.run, sizeof(r.run), "%s", run);
	r.round = round;
	r.car = car;
	snprintf(r.approach, sizeof(r.approach), "%s", ap[car % 4]);
	snprintf(r.turn, sizeof(r.turn), "%s", tu[(round + car) % 3]);
	r.index = car;
	r.crossed_ms = 1700000000000ull + round * 1000u + car;
	r.after_deadlock = (round % 2) == 0;
	return r;
}

/* The record as the report_crossing payload (docs/CLOUD.md). */
static void rec_json(const struct xr_crossing_record *r, char *out, size_t n)
{
	snprintf(out, n,
		 "{\"run\":\"%s\",\"round\":%u,\"car\":%u,\"approach\":\"%s\","
		 "\"turn\":\"%s\",\"index\":%u,\"crossed_ms\":%llu,"
		 "\"after_deadlock\":%s}",
		 r->run, (unsigned)r->round, (unsigned)r->car, r->approach,
		 r->turn, (unsigned)r->index, (unsigned long long)r->crossed_ms,
		 r->after_deadlock ? "true" : "false");
}

static int finish(const char *name)
{
	if (emu_aws_ready)
		xr_aws_free(&emu_aws);
	if (emu_curl)
		curl_easy_cleanup(emu_curl);
	printf("%s: %d passed, %d failed\n", name, checks - failures, failures);
	return failures != 0;
}

#endif
