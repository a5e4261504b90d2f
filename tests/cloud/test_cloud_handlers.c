/* The two Lambda handlers, event in, result out: report_crossing validates
 * and queues; store_crossings writes a batch and names exactly the records
 * that were not stored in batchItemFailures. Bad input is an error or a
 * named failure, never a crash and never a dropped record. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cloud.h"
#include "cloud_fixture.h"
#include "embedded.h"
#include "err.h"
#include "handlers.h"

static struct xr_cloud c;
static char dir[512];

static void test_report(void)
{
	struct xr_queue_msg m[2];
	char *json = fx_record_json("rep", 5), *res = NULL;
	size_t n = 0;

	CHECK_EQ(xr_lambda_report_crossing(&c, json, &res), 0);
	CHECK_STR(res, "{\"status\":\"queued\",\"run\":\"rep\",\"round\":1,"
		       "\"car\":6}");
	free(res);
	/* Through the backend's invoke too, as the node daemon does. */
	CHECK_EQ(c.ops->invoke_report(&c, json), 0);
	CHECK_EQ(c.ops->queue_receive(&c, m, 2, 0, &n), 0);
	CHECK_EQ(n, 2);
	CHECK_STR(m[0].body, json);
	CHECK_STR(m[1].body, json);
	CHECK_EQ(c.ops->queue_delete(&c, m, n), 0);
	xr_queue_msgs_free(m, n);
	free(json);

	/* The queued body is the canonical form, not the payload as sent. */
	CHECK_EQ(xr_lambda_report_crossing(
			 &c,
			 "{ \"after_deadlock\": false, \"crossed_ms\": 10, "
			 "\"index\": 0, \"turn\": \"right\", \"approach\": "
			 "\"S\", \"car\": 1, \"round\": 2, \"run\": \"x\" }",
			 &res),
		 0);
	free(res);
	CHECK_EQ(c.ops->queue_receive(&c, m, 1, 0, &n), 0);
	CHECK_STR(m[0].body,
		  "{\"run\":\"x\",\"round\":2,\"car\":1,\"approach\":\"S\","
		  "\"turn\":\"right\",\"index\":0,\"crossed_ms\":10,"
		  "\"after_deadlock\":false}");
	CHECK_EQ(c.ops->queue_delete(&c, m, n), 0);
	xr_queue_msgs_free(m, n);

	/* Refused payloads queue nothing and say why. */
	res = (char *)1;
	CHECK_EQ(xr_lambda_report_crossing(&c, "{\"run\":\"x\"}", &res),
		 XR_EDECODE);
	CHECK(res == NULL);
	CHECK_HAS(c.err, "report_crossing: crossing record: round: missing");
	CHECK_EQ(xr_lambda_report_crossing(&c, "garbage", &res), XR_EDECODE);
	CHECK_EQ(xr_lambda_report_crossing(&c, NULL, &res), XR_EINVAL);
	CHECK_EQ(c.ops->invoke_report(&c, "[1,2]"), XR_EDECODE);
	CHECK_HAS(c.err, "report_crossing");
	CHECK_EQ(fx_query(dir, "select count(*) from queue"), 0);
	CHECK_EQ(xr_lambda_report_crossing(NULL, "{}", &res), XR_EINVAL);
	/* A NULL result pointer is allowed: the caller wants no answer. */
	json = fx_record_json("rep", 6);
	CHECK_EQ(xr_lambda_report_crossing(&c, json, NULL), 0);
	free(json);
	CHECK_EQ(c.ops->queue_receive(&c, m, 1, 0, &n), 0);
	CHECK_EQ(c.ops->queue_delete(&c, m, n), 0);
	xr_queue_msgs_free(m, n);
}

/* An SQS event of `n` records; body[i] NULL leaves the body out. */
static char *event(size_t n, const char *const *ids, const char *const *bodies)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *recs = cJSON_AddArrayToObject(root, "Records");
	char *out;

	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "messageId", ids[i]);
		cJSON_AddStringToObject(r, "receiptHandle", "rh");
		if (bodies[i] != NULL)
			cJSON_AddStringToObject(r, "body", bodies[i]);
		cJSON_AddStringToObject(r, "eventSource", "aws:sqs");
		cJSON_AddItemToArray(recs, r);
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

static void test_store(void)
{
	const char *ids[] = {"m1", "m2", "m3", "m4", "m5"};
	char *b0 = fx_record_json("sto", 0), *b2 = fx_record_json("sto", 2),
	     *b3 = fx_record_json("sto", 3);
	const char *bodies[] = {b0, "{\"run\":\"sto\"}", b2, "not json", b3};
	char *ev = event(5, ids, bodies), *res = NULL;
	long long rows, distinct;

	CHECK_EQ(xr_lambda_store_crossings(&c, ev, &res), 0);
	CHECK_STR(res, "{\"batchItemFailures\":[{\"itemIdentifier\":\"m2\"},"
		       "{\"itemIdentifier\":\"m4\"}]}");
	free(res);
	fx_counts(dir, &rows, &distinct);
	CHECK_EQ(rows, 3);
	CHECK_EQ(distinct, 3);
	/* Redelivered whole: still three rows, the same two failures. */
	CHECK_EQ(xr_lambda_store_crossings(&c, ev, &res), 0);
	CHECK_HAS(res, "m2");
	free(res);
	fx_counts(dir, &rows, &distinct);
	CHECK_EQ(rows, 3);
	free(ev);

	/* Duplicates within one batch (a resent report next to its first
	 * copy): stored once, neither named as failed. */
	{
		const char *dids[] = {"d1", "d2", "d3"};
		char *b9 = fx_record_json("sto", 9);
		const char *db[] = {b9, b9, b9};

		ev = event(3, dids, db);
		CHECK_EQ(xr_lambda_store_crossings(&c, ev, &res), 0);
		CHECK_STR(res, "{\"batchItemFailures\":[]}");
		free(res);
		free(ev);
		free(b9);
		fx_counts(dir, &rows, &distinct);
		CHECK_EQ(rows, 4);
	}
	/* A body that is not a string, and a missing body: named. */
	ev = strdup("{\"Records\":[{\"messageId\":\"n1\",\"body\":{}},"
		    "{\"messageId\":\"n2\"}]}");
	CHECK_EQ(xr_lambda_store_crossings(&c, ev, &res), 0);
	CHECK_STR(res, "{\"batchItemFailures\":[{\"itemIdentifier\":\"n1\"},"
		       "{\"itemIdentifier\":\"n2\"}]}");
	free(res);
	free(ev);
	/* Empty batch. */
	CHECK_EQ(xr_lambda_store_crossings(&c, "{\"Records\":[]}", &res), 0);
	CHECK_STR(res, "{\"batchItemFailures\":[]}");
	free(res);
	free(b0);
	free(b2);
	free(b3);
}

static void test_store_garbage(void)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"[]",
		"{}",
		"null",
		"{\"Records\":5}",
		"{\"Records\":{}}",
		"{\"Records\":[5]}",
		"{\"Records\":[{\"body\":\"x\"}]}",
		"{\"Records\":[{\"messageId\":\"\",\"body\":\"x\"}]}",
		"{\"Records\":[{\"messageId\":7,\"body\":\"x\"}]}",
		"{\"Records\":[{\"messageId\":\"a\",\"body\":\"x\"}",
	};
	char *res = (char *)1, *big;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_EQ(xr_lambda_store_crossings(&c, bad[i], &res),
			 XR_EDECODE);
		CHECK(res == NULL);
		CHECK_HAS(c.err, "store_crossings");
	}
	CHECK_EQ(xr_lambda_store_crossings(&c, NULL, &res), XR_EINVAL);
	CHECK_EQ(xr_lambda_store_crossings(&c, "{}", NULL), XR_EINVAL);
	big = malloc(XR_LAMBDA_EVENT_MAX + 2);
	memset(big, ' ', XR_LAMBDA_EVENT_MAX + 1);
	big[XR_LAMBDA_EVENT_MAX + 1] = '\0';
	CHECK_EQ(xr_lambda_store_crossings(&c, big, &res), XR_ETOOBIG);
	free(big);
	/* An over-long messageId cannot be named back either. */
	{
		char ev[512];

		snprintf(ev, sizeof ev,
			 "{\"Records\":[{\"messageId\":\"%0200d\",\"body\":"
			 "\"x\"}]}",
			 1);
		CHECK_EQ(xr_lambda_store_crossings(&c, ev, &res), XR_EDECODE);
	}
}

/* A table that refuses some records (as DynamoDB's UnprocessedItems) and
 * one that is down altogether. */
static int refuse_car3(struct xr_cloud *cl, const struct xr_crossing_record *r,
		       size_t n, int *failed)
{
	for (size_t i = 0; i < n; i++)
		failed[i] = r[i].car == 3;
	snprintf(cl->err, sizeof cl->err, "table put: throttled");
	return 0;
}

static int table_down(struct xr_cloud *cl, const struct xr_crossing_record *r,
		      size_t n, int *failed)
{
	(void)r;
	(void)n;
	(void)failed;
	snprintf(cl->err, sizeof cl->err, "table put: unavailable");
	return XR_ECLOUD;
}

static void test_store_table_failures(void)
{
	const struct xr_cloud_ops *real = c.ops;
	struct xr_cloud_ops ops = *c.ops;
	const char *ids[] = {"t1", "t2", "t3"};
	char *b1 = fx_record_json("tf", 1), *b2 = fx_record_json("tf", 2),
	     *b3 = fx_record_json("tf", 3);
	const char *bodies[] = {b1, b2, b3};
	char *ev = event(3, ids, bodies), *res = NULL;

	ops.table_put = refuse_car3; /* record 2 has car 3 */
	c.ops = &ops;
	CHECK_EQ(xr_lambda_store_crossings(&c, ev, &res), 0);
	CHECK_STR(res, "{\"batchItemFailures\":[{\"itemIdentifier\":\"t2\"}]}");
	CHECK_HAS(c.err, "store_crossings: record t2: table put: throttled");
	free(res);
	ops.table_put = table_down;
	CHECK_EQ(xr_lambda_store_crossings(&c, ev, &res), 0);
	CHECK_HAS(res, "t1");
	CHECK_HAS(res, "t2");
	CHECK_HAS(res, "t3");
	CHECK_HAS(c.err, "store_crossings: table put: unavailable");
	free(res);
	c.ops = real;
	free(ev);
	free(b1);
	free(b2);
	free(b3);
}

int main(void)
{
	CHECK_EQ(fx_tempdir(dir, sizeof dir, "handlers"), 0);
	CHECK_EQ(xr_cloud_open_embedded(&c, dir), 0);
	test_report();
	test_store();
	test_store_garbage();
	test_store_table_failures();
	xr_cloud_close(&c);
	fx_rmdir(dir);
	CHECK_DONE("test_cloud_handlers");
}
