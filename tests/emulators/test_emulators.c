/* The aws backend against third-party emulators on loopback (s3rver,
 * dynalite, local-aws-sqs) through our fault-injecting proxy: S3 GetObject
 * of the routes file (and 404, 403), SQS send / receive / delete, DynamoDB
 * BatchWriteItem checked by Scan, and injected throttling, 500s, dropped
 * connections, lost answers and UnprocessedItems, after which every record
 * is in the table exactly once. Run by harness.js. */
#include "emu_util.h"

static struct xr_cloud c;

static void test_s3(void)
{
	char *data = NULL;
	size_t len = 0;
	int rc = c.ops->fetch(&c, env_or_die("XROAD_ROUTES_SOURCE"), &data, &len);
	CHECK(rc == 0 && data && strstr(data, "\nstraight  2\n") != NULL &&
		      len == strlen(data),
	      "rc %d %s", rc, c.err);
	free(data);
	data = NULL;

	rc = c.ops->fetch(&c, "s3://xroad-routes/missing.txt", &data, &len);
	CHECK(rc == XR_ENOTFOUND && data == NULL &&
		      strstr(c.err, "s3 GetObject xroad-routes/missing.txt: HTTP "
				    "404: NoSuchKey"),
	      "rc %d %s", rc, c.err);
	rc = c.ops->fetch(&c, "s3://no-such-bucket/routes.txt", &data, &len);
	CHECK(rc == XR_ENOTFOUND && strstr(c.err, "NoSuchBucket"), "rc %d %s",
	      rc, c.err);

	/* throttled twice (503 SlowDown), then served */
	int before = injected("XROAD_FAULT_S3");
	fault("XROAD_FAULT_S3", "throttle", 2, "");
	rc = c.ops->fetch(&c, env_or_die("XROAD_ROUTES_SOURCE"), &data, &len);
	CHECK(rc == 0 && data != NULL, "rc %d %s", rc, c.err);
	CHECK(injected("XROAD_FAULT_S3") == before + 2, "faults not hit");
	free(data);
	data = NULL;

	/* a key s3rver does not know: 403 InvalidAccessKeyId */
	char *saved = strdup(getenv("AWS_ACCESS_KEY_ID"));
	setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGKEY", 1);
	struct xr_cloud c2;
	rc = xr_cloud_open_aws(&c2);
	CHECK(rc == 0, "%s", c2.err);
	if (rc == 0) {
		rc = c2.ops->fetch(&c2, env_or_die("XROAD_ROUTES_SOURCE"), &data,
				   &len);
		CHECK(rc == XR_ECLOUD &&
			      strstr(c2.err, "HTTP 403: InvalidAccessKeyId") &&
			      strstr(c2.err, "after 1 attempt"),
		      "rc %d %s", rc, c2.err);
		c2.ops->close(&c2);
	}
	setenv("AWS_ACCESS_KEY_ID", saved, 1);
	free(saved);
}

/* Receives until `want` distinct messages came (want > 0) or, with
 * want == 0, until two receives in a row find nothing; gives up after 10 s.
 * A message seen again (its visibility timeout ran out while we were slow)
 * is not counted twice. Bodies go to out (malloc'ed), messages are deleted
 * when del. Returns how many distinct messages. */
static int drain_want(char **out, int max, int del, int want)
{
	static char ids[64][128];
	int n = 0, empty = 0;
	uint64_t end = xr_aws_mono_ms() + 10000;
	while (n < max && xr_aws_mono_ms() < end &&
	       (want > 0 ? n < want : empty < 2)) {
		struct xr_queue_msg m[XR_QUEUE_BATCH_MAX];
		size_t got = 0;
		int rc = c.ops->queue_receive(&c, m, XR_QUEUE_BATCH_MAX, 1000, &got);
		CHECK(rc == 0, "receive: %s", c.err);
		if (rc != 0)
			break;
		empty = got == 0 ? empty + 1 : 0;
		for (size_t i = 0; i < got; i++) {
			int seen = 0;
			for (int k = 0; k < n && k < 64; k++)
				seen |= strcmp(ids[k], m[i].id) == 0;
			if (!seen && n < max && n < 64) {
				snprintf(ids[n], sizeof(ids[n]), "%.127s", m[i].id);
				out[n++] = m[i].body;
			} else {
				free(m[i].body);
			}
			m[i].body = NULL;
		}
		if (del && got > 0) {
			rc = c.ops->queue_delete(&c, m, got);
			CHECK(rc == 0, "delete: %s", c.err);
		}
	}
	return n;
}

static int drain(char **out, int max, int del)
{
	return drain_want(out, max, del, 0);
}

static void test_sqs(void)
{
	const char *bodies[] = {"{\"m\":1}", "{\"m\":2}", "{\"m\":3}"};
	for (int i = 0; i < 3; i++) {
		int rc = c.ops->queue_send(&c, bodies[i]);
		CHECK(rc == 0, "send: %s", c.err);
	}
	char *got[16];
	int n = drain(got, 16, 1);
	CHECK(n == 3, "received %d of 3", n);
	int seen = 0;
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++)
			if (strcmp(got[i], bodies[k]) == 0)
				seen |= 1 << k;
		free(got[i]);
	}
	CHECK(seen == 7, "bodies came back changed (%d)", seen);
	n = drain(got, 16, 1);
	CHECK(n == 0, "%d messages still there after delete", n);

	/* throttled, 500, dropped connection: each retried */
	int before = injected("XROAD_FAULT_SQS");
	fault("XROAD_FAULT_SQS", "throttle", 2, "SendMessage");
	fault("XROAD_FAULT_SQS", "500", 1, "SendMessage");
	CHECK(c.ops->queue_send(&c, "{\"m\":4}") == 0, "%s", c.err);
	fault("XROAD_FAULT_SQS", "reset", 1, "ReceiveMessage");
	fault("XROAD_FAULT_SQS", "500", 1, "DeleteMessageBatch");
	n = drain(got, 16, 1);
	CHECK(n == 1 && strcmp(got[0], "{\"m\":4}") == 0, "n %d", n);
	for (int i = 0; i < n; i++)
		free(got[i]);
	CHECK(injected("XROAD_FAULT_SQS") == before + 5, "not every fault hit");
	n = drain(got, 16, 1);
	CHECK(n == 0, "delete after an injected 500 did not happen (%d)", n);

	/* a queue that is not there */
	char *saved = strdup(getenv("XROAD_SQS_QUEUE_URL"));
	char bad[600];
	snprintf(bad, sizeof(bad), "%s-missing", saved);
	setenv("XROAD_SQS_QUEUE_URL", bad, 1);
	struct xr_cloud c2;
	if (xr_cloud_open_aws(&c2) == 0) {
		int rc = c2.ops->queue_send(&c2, "x");
		CHECK(rc == XR_ENOTFOUND &&
			      strstr(c2.err, "sqs SendMessage xroad-crossings-"
					     "missing: HTTP 400: QueueDoesNotExist"),
		      "rc %d %s", rc, c2.err);
		c2.ops->close(&c2);
	}
	setenv("XROAD_SQS_QUEUE_URL", saved, 1);
	free(saved);
}

static void test_dynamodb(void)
{
	struct xr_crossing_record r[30];
	int failed[30];
	for (int i = 0; i < 30; i++)
		r[i] = mkrec("emu-basic", 1 + i / 4, i % 4);
	int rc = c.ops->table_put(&c, r, 30, failed); /* two batches: 25 + 5 */
	int nf = 0;
	for (int i = 0; i < 30; i++)
		nf += failed[i];
	CHECK(rc == 0 && nf == 0, "rc %d failed %d %s", rc, nf, c.err);
	CHECK(scan_count("emu-basic") == 30, "scan %d", scan_count("emu-basic"));
	cJSON *it = get_item("emu-basic", 2, 1);
	const char *turn = cJSON_GetStringValue(
		cJSON_GetObjectItem(cJSON_GetObjectItem(it, "turn"), "S"));
	const char *ms = cJSON_GetStringValue(
		cJSON_GetObjectItem(cJSON_GetObjectItem(it, "crossed_ms"), "N"));
	CHECK(it && turn && strcmp(turn, r[5].turn) == 0 && ms &&
		      strcmp(ms, "1700000002001") == 0,
	      "item round 2 car 1: turn %s ms %s", turn, ms);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(
		      cJSON_GetObjectItem(it, "after_deadlock"), "BOOL")),
	      "after_deadlock");
	cJSON_Delete(it);
	/* the same records again: still 30 (idempotent by key) */
	rc = c.ops->table_put(&c, r, 30, failed);
	CHECK(rc == 0 && scan_count("emu-basic") == 30, "rc %d", rc);

	/* throttling, 500s, UnprocessedItems, a lost answer */
	for (int i = 0; i < 30; i++)
		r[i] = mkrec("emu-faults", 1 + i / 4, i % 4);
	int before = injected("XROAD_FAULT_DYNAMODB");
	fault("XROAD_FAULT_DYNAMODB", "throttle", 3, "BatchWriteItem");
	fault("XROAD_FAULT_DYNAMODB", "unprocessed", 2, "BatchWriteItem");
	fault("XROAD_FAULT_DYNAMODB", "500", 1, "BatchWriteItem");
	fault("XROAD_FAULT_DYNAMODB", "500-after", 1, "BatchWriteItem");
	fault("XROAD_FAULT_DYNAMODB", "reset", 1, "BatchWriteItem");
	rc = c.ops->table_put(&c, r, 30, failed);
	nf = 0;
	for (int i = 0; i < 30; i++)
		nf += failed[i];
	CHECK(rc == 0 && nf == 0, "rc %d failed %d %s", rc, nf, c.err);
	CHECK(injected("XROAD_FAULT_DYNAMODB") == before + 8,
	      "not every fault hit");
	CHECK(scan_count("emu-faults") == 30, "scan %d, want 30",
	      scan_count("emu-faults"));

	/* throttled for longer than the budget: reported, not lost */
	setenv("XROAD_AWS_MAX_ATTEMPTS", "3", 1);
	struct xr_cloud c2;
	if (xr_cloud_open_aws(&c2) == 0) {
		struct xr_crossing_record one = mkrec("emu-giveup", 1, 1);
		int f = 0;
		fault("XROAD_FAULT_DYNAMODB", "throttle", 3, "BatchWriteItem");
		rc = c2.ops->table_put(&c2, &one, 1, &f);
		CHECK(rc == 0 && f == 1 &&
			      strstr(c2.err, "dynamodb BatchWriteItem xroad-"
					     "crossings: HTTP 400: "
					     "ProvisionedThroughputExceeded"
					     "Exception") &&
			      strstr(c2.err, "after 3 attempts"),
		      "rc %d f %d %s", rc, f, c2.err);
		CHECK(scan_count("emu-giveup") == 0, "");
		/* tried again later, it lands once */
		rc = c2.ops->table_put(&c2, &one, 1, &f);
		CHECK(rc == 0 && f == 0 && scan_count("emu-giveup") == 1, "%s",
		      c2.err);
		c2.ops->close(&c2);
	}
	unsetenv("XROAD_AWS_MAX_ATTEMPTS");
}

/* The crossing path without the Lambdas: records sent to the queue (with a
 * lost SendMessage answer, so one is sent twice), received, written in
 * batches of 5 under faults, deleted. The table must hold every record
 * exactly once. */
static void test_pipeline(void)
{
	enum { N = 20 };
	char json[512];
	for (int i = 0; i < N; i++) {
		struct xr_crossing_record r = mkrec("emu-pipeline", 1 + i / 4, i % 4);
		rec_json(&r, json, sizeof(json));
		if (i == 3)
			fault("XROAD_FAULT_SQS", "500-after", 1, "SendMessage");
		CHECK(c.ops->queue_send(&c, json) == 0, "%s", c.err);
	}
	fault("XROAD_FAULT_DYNAMODB", "unprocessed", 2, "BatchWriteItem");
	fault("XROAD_FAULT_DYNAMODB", "throttle", 2, "BatchWriteItem");
	char *bodies[64];
	int n = drain_want(bodies, 64, 0, N + 1);
	CHECK(n == N + 1, "received %d, want %d (one duplicate)", n, N + 1);
	struct xr_crossing_record recs[64];
	int failed[64];
	for (int i = 0; i < n; i++) {
		cJSON *j = cJSON_Parse(bodies[i]);
		recs[i] = mkrec("emu-pipeline",
				(unsigned)cJSON_GetNumberValue(
					cJSON_GetObjectItem(j, "round")),
				(unsigned)cJSON_GetNumberValue(
					cJSON_GetObjectItem(j, "car")));
		cJSON_Delete(j);
		free(bodies[i]);
	}
	for (int i = 0; i < n; i += 5) {
		int k = n - i < 5 ? n - i : 5;
		int rc = c.ops->table_put(&c, recs + i, (size_t)k, failed + i);
		CHECK(rc == 0, "%s", c.err);
		for (int j = 0; j < k; j++)
			CHECK(!failed[i + j], "record %d failed: %s", i + j, c.err);
	}
	CHECK(scan_count("emu-pipeline") == N, "table holds %d, want %d",
	      scan_count("emu-pipeline"), N);
	/* nothing was deleted: after the visibility timeout all come back,
	 * and storing them again changes nothing */
	n = drain_want(bodies, 64, 1, N + 1);
	CHECK(n == N + 1, "redelivered %d", n);
	for (int i = 0; i < n; i++)
		free(bodies[i]);
	CHECK(scan_count("emu-pipeline") == N, "");
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = xr_cloud_open_aws(&c);
	if (rc != 0) {
		fprintf(stderr, "open: %s\n", c.err);
		return 1;
	}
	test_s3();
	test_sqs();
	test_dynamodb();
	test_pipeline();
	c.ops->close(&c);
	return finish("emulators");
}
