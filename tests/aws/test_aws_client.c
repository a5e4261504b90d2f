/* The AWS backend against a loopback fixture (fixture_server.py): IMDSv2
 * credentials (token, role, expiry refresh, failures), retries with backoff
 * on throttling and 5xx, no retry on client errors, the deadline, the error
 * messages (service, operation, HTTP status, AWS error code), DynamoDB
 * UnprocessedItems, Lambda function errors, and bad input that must be
 * refused without a crash. Also the pure parts: full-jitter bounds, the
 * retry verdicts, error-code parsing. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "aws_client.h"
#include "aws_creds.h"
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
			fprintf(stderr, " " __VA_ARGS__);                        \
			fputc('\n', stderr);                                   \
		}                                                              \
	} while (0)

static const char *fixture;
static CURL *ctl_curl;

/* Talks to the fixture's control endpoints; returns the body (static). */
static const char *ctl(const char *method, const char *path, const char *body)
{
	static char out[65536];
	char url[512];
	snprintf(url, sizeof(url), "%s%s", fixture, path);
	struct xr_http_req req = {.method = method,
				  .url = url,
				  .body = body,
				  .body_len = body ? strlen(body) : 0,
				  .timeout_ms = 5000};
	struct xr_http_resp r;
	xr_http_resp_init(&r);
	int rc = xr_http_do(ctl_curl, &req, &r);
	snprintf(out, sizeof(out), "%s", rc == 0 && r.body.p ? r.body.p : "");
	xr_http_resp_free(&r);
	return out;
}

static cJSON *ctl_json(const char *path)
{
	return cJSON_Parse(ctl("GET", path, NULL));
}

static int stat_of(const char *name)
{
	cJSON *j = ctl_json("/__imds_stats");
	int v = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(j, name));
	cJSON_Delete(j);
	return v;
}

static int logged(void)
{
	cJSON *j = ctl_json("/__log");
	int n = cJSON_GetArraySize(j);
	cJSON_Delete(j);
	return n;
}

static void base_env(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fixture, 1);
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("XROAD_S3_ENDPOINT", fixture, 1);
	setenv("XROAD_SQS_ENDPOINT", fixture, 1);
	setenv("XROAD_DYNAMODB_ENDPOINT", fixture, 1);
	setenv("XROAD_LAMBDA_ENDPOINT", fixture, 1);
	char q[600];
	snprintf(q, sizeof(q), "%s/123456789012/xroad-test", fixture);
	setenv("XROAD_SQS_QUEUE_URL", q, 1);
	setenv("XROAD_DYNAMODB_TABLE", "xroad-crossings", 1);
	setenv("XROAD_REPORT_FUNCTION", "xroad-report-crossing", 1);
	setenv("XROAD_AWS_MAX_ATTEMPTS", "4", 1);
	setenv("XROAD_AWS_BACKOFF_BASE_MS", "1", 1);
	setenv("XROAD_AWS_BACKOFF_CAP_MS", "10", 1);
	setenv("XROAD_AWS_DEADLINE_MS", "5000", 1);
	setenv("XROAD_AWS_JITTER_SEED", "7", 1);
	ctl("POST", "/__reset", "");
	ctl("POST", "/__imds",
	    "{\"expires_in\":3600,\"fail\":false,\"code\":\"Success\"}");
}

static void env_creds(void)
{
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret-for-tests", 1);
}

/* ------------------------------------------------------------ pure parts */

static void test_backoff(void)
{
	uint64_t rng = 42;
	for (unsigned attempt = 0; attempt < 12; attempt++) {
		unsigned ceil = 20u << attempt;
		if (ceil > 1000)
			ceil = 1000;
		unsigned max = 0;
		double sum = 0;
		int over = 0;
		for (int i = 0; i < 20000; i++) {
			unsigned v = xr_aws_backoff_ms(attempt, 20, 1000, &rng);
			over |= v > ceil;
			max = v > max ? v : max;
			sum += v;
		}
		double mean = sum / 20000;
		CHECK(!over, "attempt %u: a pause above %u", attempt, ceil);
		CHECK(max >= ceil * 9 / 10, "attempt %u: max %u of %u", attempt,
		      max, ceil);
		CHECK(mean > ceil * 0.4 && mean < ceil * 0.6,
		      "attempt %u: mean %.1f not about %u/2", attempt, mean, ceil);
	}
	uint64_t a = 99, b = 99;
	int same = 1;
	for (int i = 0; i < 100; i++)
		same &= xr_aws_backoff_ms(3, 10, 500, &a) ==
			xr_aws_backoff_ms(3, 10, 500, &b);
	CHECK(same, "the same seed must give the same pauses");
	CHECK(xr_aws_backoff_ms(40, 50, 2000, &a) <= 2000, "huge attempt capped");
}

static void test_classify(void)
{
	CHECK(xr_aws_classify(400, "ThrottlingException") == XR_AWS_RETRY, "");
	CHECK(xr_aws_classify(400, "ProvisionedThroughputExceededException") ==
		      XR_AWS_RETRY, "");
	CHECK(xr_aws_classify(429, "TooManyRequestsException") == XR_AWS_RETRY,
	      "");
	CHECK(xr_aws_classify(500, "") == XR_AWS_RETRY, "");
	CHECK(xr_aws_classify(503, "SlowDown") == XR_AWS_RETRY, "");
	CHECK(xr_aws_classify(400, "ValidationException") == XR_AWS_FAIL, "");
	CHECK(xr_aws_classify(403, "AccessDenied") == XR_AWS_FAIL, "");
	CHECK(xr_aws_classify(404, "NoSuchKey") == XR_AWS_FAIL, "");
	CHECK(xr_aws_classify(403, "ExpiredToken") == XR_AWS_REFRESH, "");
	CHECK(xr_aws_classify(400, "ExpiredTokenException") == XR_AWS_REFRESH,
	      "");
	CHECK(xr_aws_classify(400, NULL) == XR_AWS_FAIL, "");
}

static void parse_code(const char *body, const char *hdr, char *code,
		       char *msg)
{
	struct xr_http_resp r;
	xr_http_resp_init(&r);
	xr_buf_adds(&r.body, body);
	snprintf(r.error_type, sizeof(r.error_type), "%s", hdr);
	xr_aws_error_code(&r, code, 128, msg, 256);
	xr_http_resp_free(&r);
}

static void test_error_codes(void)
{
	char code[128], msg[256];
	parse_code("{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
		   "ResourceNotFoundException\",\"message\":\"no table\"}",
		   "", code, msg);
	CHECK(strcmp(code, "ResourceNotFoundException") == 0, "%s", code);
	CHECK(strcmp(msg, "no table") == 0, "%s", msg);
	parse_code("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
		   "<Message>The specified key does not exist.</Message></Error>",
		   "", code, msg);
	CHECK(strcmp(code, "NoSuchKey") == 0, "%s", code);
	parse_code("", "ResourceNotFoundException:http://internal.amazon.com/",
		   code, msg);
	CHECK(strcmp(code, "ResourceNotFoundException") == 0, "%s", code);
	parse_code("", "AWS.SimpleQueueService.NonExistentQueue;Sender", code,
		   msg);
	CHECK(strcmp(code, "AWS.SimpleQueueService.NonExistentQueue") == 0,
	      "%s", code);
	parse_code("{\"__type\":", "", code, msg); /* broken JSON */
	CHECK(code[0] == '\0', "%s", code);
	parse_code("<Code>unterminated", "", code, msg);
	CHECK(code[0] == '\0', "%s", code);
	time_t t;
	CHECK(xr_aws_parse_iso8601("2015-08-30T12:36:00Z", &t) == 0 &&
		      t == 1440938160,
	      "iso8601");
	CHECK(xr_aws_parse_iso8601("2015-08-30T12:36:00.123Z", &t) == 0, "");
	CHECK(xr_aws_parse_iso8601("2015-13-30T12:36:00Z", &t) != 0, "");
	CHECK(xr_aws_parse_iso8601("yesterday", &t) != 0, "");
	CHECK(xr_aws_parse_iso8601(NULL, &t) != 0, "");
}

/* ------------------------------------------------------------ credentials */

static void test_creds(void)
{
	char err[512];
	struct xr_aws_credsrc s;
	struct xr_aws_creds cr;

	/* environment first: no IMDS call at all */
	base_env();
	env_creds();
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	int puts0 = stat_of("token_puts");
	CHECK(xr_aws_credsrc_init(&s, err, sizeof(err)) == 0, "%s", err);
	CHECK(xr_aws_creds_get(&s, time(NULL), &cr, err, sizeof(err)) == 0,
	      "%s", err);
	CHECK(strcmp(cr.access_key, "AKIDTEST") == 0 &&
		      strcmp(cr.token, "envtoken") == 0,
	      "env creds %s", cr.access_key);
	CHECK(stat_of("token_puts") == puts0, "IMDS used despite env creds");
	xr_aws_credsrc_free(&s);

	/* IMDSv2: token PUT, role, credentials */
	base_env();
	CHECK(xr_aws_credsrc_init(&s, err, sizeof(err)) == 0, "%s", err);
	int gets0 = stat_of("cred_gets");
	time_t now = time(NULL);
	CHECK(xr_aws_creds_get(&s, now, &cr, err, sizeof(err)) == 0, "%s", err);
	CHECK(strncmp(cr.access_key, "ASIAFIXTURE", 11) == 0, "%s",
	      cr.access_key);
	CHECK(strncmp(cr.token, "fixture-token-", 14) == 0, "%s", cr.token);
	CHECK(cr.expires > now + 3000, "expiry %ld", (long)cr.expires);
	CHECK(stat_of("rejected") == 0, "a metadata GET came without token");
	/* cached while far from expiry */
	CHECK(xr_aws_creds_get(&s, now + 60, &cr, err, sizeof(err)) == 0, "%s",
	      err);
	CHECK(stat_of("cred_gets") == gets0 + 1, "cached creds not used");
	/* refreshed when within XR_CREDS_REFRESH_S of expiry */
	char first[128];
	snprintf(first, sizeof(first), "%s", cr.access_key);
	CHECK(xr_aws_creds_get(&s, cr.expires - 100, &cr, err, sizeof(err)) == 0,
	      "%s", err);
	CHECK(stat_of("cred_gets") == gets0 + 2, "no refresh before expiry");
	CHECK(strcmp(first, cr.access_key) != 0, "same key after refresh");
	/* refresh fails, old ones still valid: keep using them */
	ctl("POST", "/__imds", "{\"fail\":true}");
	struct xr_aws_creds old = cr;
	CHECK(xr_aws_creds_get(&s, cr.expires - 10, &cr, err, sizeof(err)) == 0,
	      "%s", err);
	CHECK(strcmp(old.access_key, cr.access_key) == 0, "");
	/* ... but not once they have expired */
	int rc = xr_aws_creds_get(&s, cr.expires + 1, &cr, err, sizeof(err));
	CHECK(rc < 0 && strstr(err, "imds") != NULL, "rc %d err %s", rc, err);
	xr_aws_credsrc_free(&s);

	/* IMDS hands out already-expired credentials */
	base_env();
	ctl("POST", "/__imds", "{\"expires_in\":-10}");
	CHECK(xr_aws_credsrc_init(&s, err, sizeof(err)) == 0, "%s", err);
	rc = xr_aws_creds_get(&s, time(NULL), &cr, err, sizeof(err));
	CHECK(rc == XR_ECLOUD && strstr(err, "expired") != NULL, "rc %d: %s",
	      rc, err);
	xr_aws_credsrc_free(&s);

	/* a bad answer */
	base_env();
	ctl("POST", "/__imds", "{\"code\":\"Failure\"}");
	CHECK(xr_aws_credsrc_init(&s, err, sizeof(err)) == 0, "%s", err);
	rc = xr_aws_creds_get(&s, time(NULL), &cr, err, sizeof(err));
	CHECK(rc == XR_ECLOUD && strstr(err, "malformed") != NULL, "%s", err);
	xr_aws_credsrc_free(&s);

	/* nothing anywhere */
	base_env();
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	CHECK(xr_aws_credsrc_init(&s, err, sizeof(err)) == 0, "%s", err);
	rc = xr_aws_creds_get(&s, time(NULL), &cr, err, sizeof(err));
	CHECK(rc == XR_ECONFIG && strstr(err, "AWS_ACCESS_KEY_ID"), "%s", err);
	xr_aws_credsrc_free(&s);

	/* a metadata endpoint that is no URL */
	base_env();
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "169.254.169.254", 1);
	CHECK(xr_aws_credsrc_init(&s, err, sizeof(err)) == XR_ECONFIG, "");
	xr_aws_credsrc_free(&s);
}

/* ------------------------------------------------------------- the calls */

static void script(const char *json)
{
	ctl("POST", "/__script", json);
}

static int open_cloud(struct xr_cloud *c)
{
	int rc = xr_cloud_open_aws(c);
	CHECK(rc == 0, "open: %s", c->err);
	return rc;
}

static void test_s3(void)
{
	struct xr_cloud c;
	char *data = NULL;
	size_t len = 0;
	base_env();
	env_creds();
	if (open_cloud(&c))
		return;
	script("[{\"status\":200,\"body\":\"S,right,1\\n\"}]");
	int rc = c.ops->fetch(&c, "s3://xroad-routes/routes.csv", &data, &len);
	CHECK(rc == 0 && len == 10 && strcmp(data, "S,right,1\n") == 0,
	      "rc %d %s", rc, c.err);
	free(data);
	cJSON *log = ctl_json("/__log");
	cJSON *req = cJSON_GetArrayItem(log, 0);
	const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(req, "path"));
	cJSON *h = cJSON_GetObjectItem(req, "headers");
	const char *auth =
		cJSON_GetStringValue(cJSON_GetObjectItem(h, "authorization"));
	CHECK(path && strcmp(path, "/xroad-routes/routes.csv") == 0, "%s", path);
	CHECK(auth && strncmp(auth,
			      "AWS4-HMAC-SHA256 Credential=AKIDTEST/", 37) == 0 &&
		      strstr(auth, "/us-east-1/s3/aws4_request") &&
		      strstr(auth, "x-amz-content-sha256"),
	      "%s", auth ? auth : "(no Authorization)");
	CHECK(cJSON_GetObjectItem(h, "x-amz-content-sha256") != NULL,
	      "no payload hash header");
	cJSON_Delete(log);

	script("[{\"status\":403,\"body\":\"<Error><Code>AccessDenied</Code>"
	       "<Message>Access Denied</Message></Error>\"}]");
	rc = c.ops->fetch(&c, "s3://xroad-routes/routes.csv", &data, &len);
	CHECK(rc == XR_ECLOUD && data == NULL, "rc %d", rc);
	CHECK(strstr(c.err, "s3 GetObject xroad-routes/routes.csv: HTTP 403: "
			    "AccessDenied") != NULL,
	      "%s", c.err);
	CHECK(logged() == 1, "a 403 must not be retried");

	script("[{\"status\":404,\"body\":\"<Error><Code>NoSuchKey</Code>"
	       "</Error>\"}]");
	rc = c.ops->fetch(&c, "s3://xroad-routes/missing.csv", &data, &len);
	CHECK(rc == XR_ENOTFOUND && strstr(c.err, "HTTP 404: NoSuchKey"),
	      "rc %d %s", rc, c.err);
	logged();

	script("[{\"status\":503,\"body\":\"<Error><Code>SlowDown</Code>"
	       "</Error>\"},{\"status\":500},{\"status\":200,\"body\":\"ok\"}]");
	rc = c.ops->fetch(&c, "s3://xroad-routes/routes.csv", &data, &len);
	CHECK(rc == 0 && data && strcmp(data, "ok") == 0, "rc %d %s", rc, c.err);
	CHECK(logged() == 3, "SlowDown and 500 must be retried");
	free(data);
	data = NULL;

	const char *bad[] = {"s3://", "s3://xroad-routes", "s3://xroad-routes/",
			     "s3://Bad_Bucket/k", "s3://ab/k"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = c.ops->fetch(&c, bad[i], &data, &len);
		CHECK(rc == XR_EINVAL && data == NULL, "%s: rc %d", bad[i], rc);
	}
	CHECK(c.ops->fetch(&c, NULL, &data, &len) == XR_EINVAL, "");
	rc = c.ops->fetch(&c, "/nonexistent/routes.csv", &data, &len);
	CHECK(rc == XR_ENOTFOUND, "rc %d", rc);
	CHECK(logged() == 0, "bad sources must not reach the network");
	c.ops->close(&c);
}

static void test_sqs(void)
{
	struct xr_cloud c;
	base_env();
	env_creds();
	setenv("AWS_SESSION_TOKEN", "sess-token", 1);
	if (open_cloud(&c))
		return;
	script("[{\"status\":400,\"body\":\"{\\\"__type\\\":\\\"com.amazonaws."
	       "sqs#ThrottlingException\\\",\\\"message\\\":\\\"Rate "
	       "exceeded\\\"}\"},{\"status\":200,\"body\":\"{\\\"MessageId\\\":"
	       "\\\"m1\\\"}\"}]");
	int rc = c.ops->queue_send(&c, "{\"x\":1}");
	CHECK(rc == 0, "rc %d %s", rc, c.err);
	cJSON *log = ctl_json("/__log");
	CHECK(cJSON_GetArraySize(log) == 2, "throttled send not retried");
	cJSON *req = cJSON_GetArrayItem(log, 1);
	cJSON *h = cJSON_GetObjectItem(req, "headers");
	const char *target =
		cJSON_GetStringValue(cJSON_GetObjectItem(h, "x-amz-target"));
	const char *ct =
		cJSON_GetStringValue(cJSON_GetObjectItem(h, "content-type"));
	const char *tok = cJSON_GetStringValue(
		cJSON_GetObjectItem(h, "x-amz-security-token"));
	CHECK(target && strcmp(target, "AmazonSQS.SendMessage") == 0, "%s",
	      target);
	CHECK(ct && strcmp(ct, "application/x-amz-json-1.0") == 0, "%s", ct);
	CHECK(tok && strcmp(tok, "sess-token") == 0, "session token header");
	cJSON *body = cJSON_Parse(
		cJSON_GetStringValue(cJSON_GetObjectItem(req, "body")));
	const char *mb = cJSON_GetStringValue(
		cJSON_GetObjectItem(body, "MessageBody"));
	CHECK(mb && strcmp(mb, "{\"x\":1}") == 0, "body %s", mb);
	CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(body, "QueueUrl")),
		     "/123456789012/xroad-test") != NULL,
	      "QueueUrl");
	cJSON_Delete(body);
	cJSON_Delete(log);

	/* always throttled: gives up after XROAD_AWS_MAX_ATTEMPTS */
	script("[{\"status\":400,\"body\":\"{\\\"__type\\\":\\\"com.amazonaws."
	       "sqs#ThrottlingException\\\"}\"},{\"status\":400,\"body\":\"{"
	       "\\\"__type\\\":\\\"com.amazonaws.sqs#ThrottlingException\\\"}\"},"
	       "{\"status\":400,\"body\":\"{\\\"__type\\\":\\\"com.amazonaws."
	       "sqs#ThrottlingException\\\"}\"},{\"status\":400,\"body\":\"{"
	       "\\\"__type\\\":\\\"com.amazonaws.sqs#ThrottlingException\\\"}\"}]");
	rc = c.ops->queue_send(&c, "{\"x\":2}");
	CHECK(rc == XR_ECLOUD &&
		      strstr(c.err, "sqs SendMessage xroad-test: HTTP 400: "
				    "ThrottlingException") &&
		      strstr(c.err, "after 4 attempts"),
	      "rc %d %s", rc, c.err);
	CHECK(logged() == 4, "attempts");

	/* receive and delete */
	script("[{\"status\":200,\"body\":\"{\\\"Messages\\\":[{\\\"MessageId\\\":"
	       "\\\"a\\\",\\\"ReceiptHandle\\\":\\\"rh-a\\\",\\\"Body\\\":"
	       "\\\"one\\\"},{\\\"MessageId\\\":\\\"b\\\",\\\"ReceiptHandle\\\":"
	       "\\\"rh-b\\\",\\\"Body\\\":\\\"two\\\"},{\\\"Body\\\":\\\"no "
	       "id\\\"}]}\"}]");
	struct xr_queue_msg msgs[XR_QUEUE_BATCH_MAX];
	size_t n = 0;
	rc = c.ops->queue_receive(&c, msgs, XR_QUEUE_BATCH_MAX, 0, &n);
	CHECK(rc == 0 && n == 2, "rc %d n %zu %s", rc, n, c.err);
	if (n == 2)
		CHECK(strcmp(msgs[1].body, "two") == 0 &&
			      strcmp(msgs[0].receipt, "rh-a") == 0,
		      "");
	logged();
	script("[{\"status\":200,\"body\":\"{\\\"Successful\\\":[{\\\"Id\\\":"
	       "\\\"m0\\\"}],\\\"Failed\\\":[{\\\"Id\\\":\\\"m1\\\",\\\"Code\\\":"
	       "\\\"InternalError\\\",\\\"SenderFault\\\":false}]}\"},{\"status\":"
	       "200,\"body\":\"{\\\"Successful\\\":[{\\\"Id\\\":\\\"m1\\\"}]}\"}]");
	rc = c.ops->queue_delete(&c, msgs, n);
	CHECK(rc == 0, "rc %d %s", rc, c.err);
	log = ctl_json("/__log");
	CHECK(cJSON_GetArraySize(log) == 2, "failed entry not retried");
	body = cJSON_Parse(cJSON_GetStringValue(
		cJSON_GetObjectItem(cJSON_GetArrayItem(log, 1), "body")));
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(body, "Entries")) == 1,
	      "retry should carry only the failed entry");
	cJSON_Delete(body);
	cJSON_Delete(log);
	for (size_t i = 0; i < n; i++)
		free(msgs[i].body);

	/* bad input */
	char *big = malloc(300 * 1024);
	memset(big, 'x', 300 * 1024 - 1);
	big[300 * 1024 - 1] = '\0';
	CHECK(c.ops->queue_send(&c, big) == XR_ETOOBIG, "oversized body");
	free(big);
	CHECK(c.ops->queue_send(&c, "") == XR_EINVAL, "empty body");
	CHECK(c.ops->queue_send(&c, NULL) == XR_EINVAL, "NULL body");
	CHECK(c.ops->queue_receive(&c, msgs, 10, 0, NULL) == XR_EINVAL, "");
	CHECK(logged() == 0, "bad input reached the network");
	/* a non-JSON answer */
	script("[{\"status\":200,\"body\":\"<html>proxy</html>\"}]");
	rc = c.ops->queue_send(&c, "x");
	CHECK(rc == XR_EDECODE && strstr(c.err, "not a JSON"), "%d %s", rc, c.err);
	logged();
	c.ops->close(&c);
	unsetenv("AWS_SESSION_TOKEN");
}

static struct xr_crossing_record rec(uint32_t round, uint32_t car)
{
	struct xr_crossing_record r;
	memset(&r, 0, sizeof(r));
	snprintf(r.run, sizeof(r.run), "run-1");
	r.round = round;
	r.car = car;
	snprintf(r.approach, sizeof(r.approach), "S");
	snprintf(r.turn, sizeof(r.turn), "left");
	r.index = car;
	r.crossed_ms = 1000 + car;
	return r;
}

static void test_dynamodb(void)
{
	struct xr_cloud c;
	base_env();
	env_creds();
	if (open_cloud(&c))
		return;
	struct xr_crossing_record r[4] = {rec(1, 1), rec(1, 2), rec(1, 3),
					  rec(1, 4)};
	snprintf(r[2].turn, sizeof(r[2].turn), "sideways"); /* invalid */
	int failed[4];
	/* first answer: car 2 unprocessed, then throttled, then taken */
	script("[{\"status\":200,\"body\":\"{\\\"UnprocessedItems\\\":{\\\"xroad-"
	       "crossings\\\":[{\\\"PutRequest\\\":{\\\"Item\\\":{\\\"run\\\":{"
	       "\\\"S\\\":\\\"run-1\\\"},\\\"round_car\\\":{\\\"S\\\":"
	       "\\\"0000000001-0000000002\\\"}}}}]}}\"},"
	       "{\"status\":400,\"body\":\"{\\\"__type\\\":\\\"com.amazonaws."
	       "dynamodb.v20120810#ProvisionedThroughputExceededException\\\"}\"},"
	       "{\"status\":200,\"body\":\"{\\\"UnprocessedItems\\\":{}}\"}]");
	int rc = c.ops->table_put(&c, r, 4, failed);
	CHECK(rc == 0, "rc %d %s", rc, c.err);
	CHECK(!failed[0] && !failed[1] && failed[2] && !failed[3],
	      "failed %d %d %d %d", failed[0], failed[1], failed[2], failed[3]);
	CHECK(strstr(c.err, "record 2 is not a valid crossing") != NULL, "%s",
	      c.err);
	cJSON *log = ctl_json("/__log");
	CHECK(cJSON_GetArraySize(log) == 3, "requests %d",
	      cJSON_GetArraySize(log));
	cJSON *b0 = cJSON_Parse(cJSON_GetStringValue(
		cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "body")));
	cJSON *b2 = cJSON_Parse(cJSON_GetStringValue(
		cJSON_GetObjectItem(cJSON_GetArrayItem(log, 2), "body")));
	cJSON *l0 = cJSON_GetObjectItem(cJSON_GetObjectItem(b0, "RequestItems"),
					"xroad-crossings");
	cJSON *l2 = cJSON_GetObjectItem(cJSON_GetObjectItem(b2, "RequestItems"),
					"xroad-crossings");
	CHECK(cJSON_GetArraySize(l0) == 3, "first batch %d",
	      cJSON_GetArraySize(l0));
	CHECK(cJSON_GetArraySize(l2) == 1, "retry batch %d",
	      cJSON_GetArraySize(l2));
	const char *sk = cJSON_GetStringValue(cJSON_GetObjectItem(
		cJSON_GetObjectItem(
			cJSON_GetObjectItem(
				cJSON_GetObjectItem(cJSON_GetArrayItem(l2, 0),
						    "PutRequest"),
				"Item"),
			"round_car"),
		"S"));
	CHECK(sk && strcmp(sk, "0000000001-0000000002") == 0, "%s", sk);
	const char *target = cJSON_GetStringValue(cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "headers"),
		"x-amz-target"));
	CHECK(target && strcmp(target, "DynamoDB_20120810.BatchWriteItem") == 0,
	      "%s", target);
	cJSON_Delete(b0);
	cJSON_Delete(b2);
	cJSON_Delete(log);

	/* always unprocessed: reported as failed, never lost silently */
	char one[600];
	snprintf(one, sizeof(one),
		 "{\"status\":200,\"body\":\"{\\\"UnprocessedItems\\\":{\\\"xroad-"
		 "crossings\\\":[{\\\"PutRequest\\\":{\\\"Item\\\":{\\\"run\\\":{"
		 "\\\"S\\\":\\\"run-1\\\"},\\\"round_car\\\":{\\\"S\\\":"
		 "\\\"0000000001-0000000001\\\"}}}}]}}\"}");
	char all[4096];
	snprintf(all, sizeof(all), "[%s,%s,%s,%s]", one, one, one, one);
	script(all);
	rc = c.ops->table_put(&c, r, 1, failed);
	CHECK(rc == 0 && failed[0] == 1 && strstr(c.err, "unprocessed"),
	      "rc %d failed %d %s", rc, failed[0], c.err);
	logged();

	/* a table that does not exist */
	script("[{\"status\":400,\"body\":\"{\\\"__type\\\":\\\"com.amazonaws."
	       "dynamodb.v20120810#ResourceNotFoundException\\\",\\\"message\\\":"
	       "\\\"Requested resource not found\\\"}\"}]");
	rc = c.ops->table_put(&c, r, 2, failed);
	CHECK(failed[0] && failed[1] &&
		      strstr(c.err, "dynamodb BatchWriteItem xroad-crossings: "
				    "HTTP 400: ResourceNotFoundException"),
	      "rc %d %s", rc, c.err);
	logged();
	c.ops->close(&c);
}

static void test_lambda(void)
{
	struct xr_cloud c;
	base_env();
	env_creds();
	if (open_cloud(&c))
		return;
	script("[{\"status\":200,\"body\":\"{\\\"status\\\":\\\"queued\\\"}\"}]");
	int rc = c.ops->invoke_report(&c, "{\"run\":\"r\"}");
	CHECK(rc == 0, "rc %d %s", rc, c.err);
	cJSON *log = ctl_json("/__log");
	const char *path = cJSON_GetStringValue(
		cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "path"));
	CHECK(path && strcmp(path, "/2015-03-31/functions/xroad-report-crossing/"
				   "invocations") == 0,
	      "%s", path);
	cJSON_Delete(log);
	script("[{\"status\":200,\"headers\":{\"X-Amz-Function-Error\":"
	       "\"Unhandled\"},\"body\":\"{\\\"errorType\\\":\\\"XR_EDECODE\\\","
	       "\\\"errorMessage\\\":\\\"report_crossing: car: missing\\\"}\"}]");
	rc = c.ops->invoke_report(&c, "{}");
	CHECK(rc == XR_ECLOUD && strstr(c.err, "function error Unhandled") &&
		      strstr(c.err, "car: missing"),
	      "rc %d %s", rc, c.err);
	script("[{\"status\":429,\"body\":\"{\\\"Type\\\":\\\"User\\\","
	       "\\\"message\\\":\\\"Rate exceeded\\\"}\",\"headers\":{"
	       "\"x-amzn-ErrorType\":\"TooManyRequestsException\"}},{\"status\":"
	       "200,\"body\":\"{}\"}]");
	rc = c.ops->invoke_report(&c, "{}");
	CHECK(rc == 0, "429 must be retried: %s", c.err);
	logged();
	c.ops->close(&c);

	base_env();
	env_creds();
	setenv("XROAD_REPORT_FUNCTION",
	       "arn:aws:lambda:us-east-1:123456789012:function:x", 1);
	rc = xr_cloud_open_aws(&c);
	CHECK(rc == XR_ECONFIG && strstr(c.err, "name, not its ARN"), "%s",
	      c.err);
}

static void test_config_and_network(void)
{
	struct xr_cloud c;
	base_env();
	env_creds();
	setenv("XROAD_SQS_ENDPOINT", "ftp://127.0.0.1:1", 1);
	CHECK(xr_cloud_open_aws(&c) == XR_ECONFIG &&
		      strstr(c.err, "XROAD_SQS_ENDPOINT"),
	      "%s", c.err);
	base_env();
	env_creds();
	setenv("AWS_REGION", "us east", 1);
	CHECK(xr_cloud_open_aws(&c) == XR_ECONFIG, "%s", c.err);
	base_env();
	env_creds();
	setenv("XROAD_AWS_MAX_ATTEMPTS", "many", 1);
	CHECK(xr_cloud_open_aws(&c) == XR_ECONFIG &&
		      strstr(c.err, "XROAD_AWS_MAX_ATTEMPTS"),
	      "%s", c.err);
	base_env();
	env_creds();
	unsetenv("XROAD_SQS_QUEUE_URL");
	if (open_cloud(&c) == 0) {
		CHECK(c.ops->queue_send(&c, "x") == XR_ECONFIG &&
			      strstr(c.err, "XROAD_SQS_QUEUE_URL"),
		      "%s", c.err);
		c.ops->close(&c);
	}

	/* nobody listening: network error after every attempt */
	base_env();
	env_creds();
	setenv("XROAD_DYNAMODB_ENDPOINT", "http://127.0.0.1:9", 1);
	if (open_cloud(&c) == 0) {
		struct xr_crossing_record r = rec(2, 1);
		int failed = 0;
		int rc = c.ops->table_put(&c, &r, 1, &failed);
		CHECK(rc == 0 && failed == 1 && strstr(c.err, "network error") &&
			      strstr(c.err, "after 4 attempts"),
		      "rc %d %s", rc, c.err);
		c.ops->close(&c);
	}

	/* the deadline bounds slow retries */
	base_env();
	env_creds();
	setenv("XROAD_AWS_DEADLINE_MS", "400", 1);
	setenv("XROAD_AWS_MAX_ATTEMPTS", "100", 1);
	setenv("XROAD_AWS_BACKOFF_BASE_MS", "100", 1);
	setenv("XROAD_AWS_BACKOFF_CAP_MS", "100", 1);
	if (open_cloud(&c) == 0) {
		struct xr_buf s;
		xr_buf_init(&s, 8192);
		xr_buf_adds(&s, "[");
		for (int i = 0; i < 100; i++)
			xr_buf_adds(&s, i ? ",{\"status\":500}" : "{\"status\":500}");
		xr_buf_adds(&s, "]");
		script(s.p);
		xr_buf_free(&s);
		uint64_t t0 = xr_aws_mono_ms();
		int rc = c.ops->queue_send(&c, "x");
		uint64_t took = xr_aws_mono_ms() - t0;
		CHECK(rc == XR_ECLOUD && strstr(c.err, "HTTP 500") &&
			      strstr(c.err, "deadline"),
		      "rc %d %s", rc, c.err);
		/* without the deadline: 100 attempts, about 5 s of pauses */
		CHECK(took < 3000, "deadline of 400 ms, took %llu ms",
		      (unsigned long long)took);
		ctl("POST", "/__reset", "");
		c.ops->close(&c);
	}

	/* ExpiredToken: fresh credentials from IMDS, then success */
	base_env();
	if (open_cloud(&c) == 0) {
		script("[{\"status\":403,\"body\":\"<Error><Code>ExpiredToken</Code>"
		       "</Error>\"},{\"status\":200,\"body\":\"routes\"}]");
		int before = stat_of("cred_gets");
		char *data = NULL;
		size_t len;
		int rc = c.ops->fetch(&c, "s3://xroad-routes/r.csv", &data, &len);
		CHECK(rc == 0 && data && strcmp(data, "routes") == 0, "rc %d %s",
		      rc, c.err);
		CHECK(stat_of("cred_gets") == before + 2,
		      "credentials not fetched again after ExpiredToken (%d)",
		      stat_of("cred_gets") - before);
		free(data);
		c.ops->close(&c);
	}
}

/* Issue 17: the deadlines. An Invoke may outlast the attempt timeout (the
 * function runs that long); a caller's deadline (a Lambda invocation's) cuts
 * every call; table_put's rounds share one deadline instead of each call
 * getting its own. */
static void test_deadlines(void)
{
	struct xr_cloud c;
	uint64_t t0, took;
	int rc, failed[1];

	base_env();
	env_creds();
	setenv("XROAD_AWS_ATTEMPT_TIMEOUT_MS", "300", 1);
	setenv("XROAD_LAMBDA_INVOKE_TIMEOUT_MS", "1500", 1);
	if (open_cloud(&c) == 0) {
		logged();
		script("[{\"status\":200,\"delay_ms\":700,\"body\":\"{}\"}]");
		rc = c.ops->invoke_report(&c, "{}");
		CHECK(rc == 0, "an Invoke answered in 700 ms (timeout 1500): rc %d %s", rc, c.err);
		CHECK(logged() == 1, "the Invoke was sent again while the first ran");
		/* the control: any other call is cut at 300 ms and retried */
		script("[{\"status\":200,\"delay_ms\":700,\"body\":\"{}\"}]");
		rc = c.ops->queue_send(&c, "x");
		CHECK(logged() >= 2, "a 700 ms SendMessage was not cut at 300 ms");
		c.ops->close(&c);
	}
	base_env();
	env_creds();
	unsetenv("XROAD_LAMBDA_INVOKE_TIMEOUT_MS");
	setenv("XROAD_AWS_MAX_ATTEMPTS", "100", 1);
	setenv("XROAD_AWS_BACKOFF_BASE_MS", "20", 1);
	setenv("XROAD_AWS_BACKOFF_CAP_MS", "20", 1);
	setenv("XROAD_AWS_DEADLINE_MS", "5000", 1);
	if (open_cloud(&c) == 0) {
		struct xr_buf sb;
		xr_buf_init(&sb, 8192);
		xr_buf_adds(&sb, "[");
		for (int i = 0; i < 100; i++)
			xr_buf_adds(&sb, i ? ",{\"status\":500}" : "{\"status\":500}");
		xr_buf_adds(&sb, "]");
		script(sb.p);
		t0 = xr_aws_mono_ms();
		c.ops->set_deadline(&c, t0 + 300);
		rc = c.ops->queue_send(&c, "x");
		took = xr_aws_mono_ms() - t0;
		CHECK(rc != 0 && strstr(c.err, "caller's deadline"), "rc %d %s", rc, c.err);
		CHECK(took < 600, "the caller's 300 ms deadline, took %llu ms",
		      (unsigned long long)took);
		/* past the deadline, nothing is sent at all */
		while (xr_aws_mono_ms() <= t0 + 300)
			xr_aws_sleep_ms(10);
		ctl("POST", "/__reset", "");
		rc = c.ops->queue_send(&c, "x");
		CHECK(rc == XR_ETIMEDOUT && logged() == 0, "rc %d %s", rc, c.err);
		c.ops->set_deadline(&c, 0);
		c.ops->close(&c);
		xr_buf_free(&sb);
	}
	/* table_put: two slow unprocessed rounds, then 500s; one deadline of
	 * 500 ms for all of it (each call used to get a fresh one) */
	setenv("XROAD_AWS_DEADLINE_MS", "500", 1);
	if (open_cloud(&c) == 0) {
		struct xr_crossing_record r1 = rec(1, 1);
		struct xr_buf sb;
		const char *unp = "{\"status\":200,\"delay_ms\":200,\"body\":\"{\\\"UnprocessedItems\\\":{\\\"xroad-"
				  "crossings\\\":[{\\\"PutRequest\\\":{\\\"Item\\\":{\\\"run\\\":{"
				  "\\\"S\\\":\\\"run-1\\\"},\\\"round_car\\\":{\\\"S\\\":"
				  "\\\"0000000001-0000000001\\\"}}}}]}}\"}";
		ctl("POST", "/__reset", "");
		xr_buf_init(&sb, 16384);
		xr_buf_addf(&sb, "[%s,%s", unp, unp);
		for (int i = 0; i < 100; i++)
			xr_buf_adds(&sb, ",{\"status\":500}");
		xr_buf_adds(&sb, "]");
		script(sb.p);
		t0 = xr_aws_mono_ms();
		rc = c.ops->table_put(&c, &r1, 1, failed);
		took = xr_aws_mono_ms() - t0;
		CHECK(rc == 0 && failed[0] == 1, "rc %d failed %d %s", rc, failed[0], c.err);
		CHECK(took < 750, "table_put with a 500 ms deadline took %llu ms",
		      (unsigned long long)took);
		/* and the same under a shorter caller's deadline */
		ctl("POST", "/__reset", "");
		script(sb.p);
		t0 = xr_aws_mono_ms();
		c.ops->set_deadline(&c, t0 + 250);
		rc = c.ops->table_put(&c, &r1, 1, failed);
		took = xr_aws_mono_ms() - t0;
		CHECK(rc == 0 && failed[0] == 1, "rc %d failed %d %s", rc, failed[0], c.err);
		CHECK(took < 450, "table_put under a 250 ms deadline took %llu ms",
		      (unsigned long long)took);
		c.ops->set_deadline(&c, 0);
		ctl("POST", "/__reset", "");
		xr_buf_free(&sb);
		c.ops->close(&c);
	}
	unsetenv("XROAD_AWS_ATTEMPT_TIMEOUT_MS");
}

/* The CA bundle: the variable wins; otherwise libcurl's default (NULL) or
 * a file that is really there. */
static void test_ca_bundle(void)
{
	setenv("XROAD_CA_BUNDLE", "/tmp/some-ca.pem", 1);
	const char *ca = xr_aws_ca_bundle();
	CHECK(ca && strcmp(ca, "/tmp/some-ca.pem") == 0, "%s", ca ? ca : "(null)");
	unsetenv("XROAD_CA_BUNDLE");
	ca = xr_aws_ca_bundle();
	CHECK(ca == NULL || access(ca, R_OK) == 0, "CA bundle %s is not readable", ca);
	printf("CA bundle without XROAD_CA_BUNDLE: %s\n", ca ? ca : "libcurl's default");
}

/* Issue 17: refused credentials are not retried where nothing new can be
 * fetched (environment), and once only with instance credentials; a clock
 * off AWS's gets a hint and no retry. */
static void test_auth_errors(void)
{
	struct xr_cloud c;
	int rc;
	const char *bad_id = "{\"status\":403,\"body\":\"{\\\"__type\\\":\\\"com.amazon.coral.service#"
			     "InvalidClientTokenId\\\",\\\"message\\\":\\\"The security token included "
			     "in the request is invalid.\\\"}\"}";
	char four[2048];
	snprintf(four, sizeof four, "[%s,%s,%s,%s]", bad_id, bad_id, bad_id, bad_id);

	base_env();
	env_creds();
	if (open_cloud(&c) == 0) {
		ctl("POST", "/__reset", "");
		script(four);
		rc = c.ops->queue_send(&c, "x");
		CHECK(rc == XR_ECLOUD && logged() == 1 && strstr(c.err, "InvalidClientTokenId") &&
			      strstr(c.err, "AWS_ACCESS_KEY_ID") && strstr(c.err, "not retried"),
		      "static credentials refused must fail at once: rc %d %s", rc, c.err);
		ctl("POST", "/__reset", "");
		script("[{\"status\":403,\"body\":\"<Error><Code>RequestTimeTooSkewed</Code><Message>The "
		       "difference between the request time and the current time is too large."
		       "</Message></Error>\"},{\"status\":200,\"body\":\"r\"}]");
		char *data = NULL;
		size_t len;
		rc = c.ops->fetch(&c, "s3://xroad-routes/r.csv", &data, &len);
		CHECK(rc == XR_ECLOUD && logged() == 1 && strstr(c.err, "clock"),
		      "clock skew: rc %d %s", rc, c.err);
		free(data);
		ctl("POST", "/__reset", "");
		script("[{\"status\":400,\"body\":\"{\\\"__type\\\":\\\"com.amazon.coral.service#"
		       "InvalidSignatureException\\\",\\\"message\\\":\\\"Signature expired: "
		       "20240101T000000Z is now earlier than 20240101T000100Z\\\"}\"},"
		       "{\"status\":200,\"body\":\"{}\"}]");
		rc = c.ops->queue_send(&c, "x");
		CHECK(rc == XR_ECLOUD && logged() == 1 && strstr(c.err, "clock"),
		      "signature expired: rc %d %s", rc, c.err);
		ctl("POST", "/__reset", "");
		c.ops->close(&c);
	}
	/* instance credentials: fetched again once, then it is permanent */
	base_env();
	if (open_cloud(&c) == 0) {
		script(four);
		int before = stat_of("cred_gets");
		rc = c.ops->queue_send(&c, "x");
		CHECK(rc == XR_ECLOUD && logged() == 2 && strstr(c.err, "fresh instance credentials"),
		      "instance credentials refused twice: rc %d %s", rc, c.err);
		CHECK(stat_of("cred_gets") == before + 2, "credentials fetched %d times, want 2",
		      stat_of("cred_gets") - before);
		ctl("POST", "/__reset", "");
		c.ops->close(&c);
	}
}

int main(void)
{
	fixture = getenv("XROAD_FIXTURE_URL");
	if (fixture == NULL) {
		fprintf(stderr, "run me under tests/aws/fixture_server.py --run\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ctl_curl = curl_easy_init();
	test_backoff();
	test_classify();
	test_error_codes();
	test_creds();
	test_s3();
	test_sqs();
	test_dynamodb();
	test_lambda();
	test_config_and_network();
	test_deadlines();
	test_ca_bundle();
	test_auth_errors();
	curl_easy_cleanup(ctl_curl);
	curl_global_cleanup();
	printf("aws_client: %d passed, %d failed\n", checks - failures, failures);
	return failures != 0;
}
