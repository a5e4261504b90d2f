/* The local event-source poller: batches of up to 5 or what is there when
 * the window closes, one batch per call, the SQS event shape AWS builds,
 * and deletion of exactly the records not named in batchItemFailures. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cloud.h"
#include "cloud_fixture.h"
#include "embedded.h"
#include "err.h"
#include "handlers.h"
#include "poller.h"

static struct xr_cloud c;
static char dir[512];

static void report(const char *run, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		char *j = fx_record_json(run, i);

		CHECK_EQ(c.ops->invoke_report(&c, j), 0);
		free(j);
	}
}

static long long queued(void)
{
	return fx_query(dir, "select count(*) from queue");
}

/* Checks the event against AWS's SQS event shape, then stores. */
static int events_seen, records_seen;
static int checking_handler(struct xr_cloud *cl, const char *ev, char **res)
{
	cJSON *root = cJSON_Parse(ev), *r;
	cJSON *recs = cJSON_GetObjectItemCaseSensitive(root, "Records");

	events_seen++;
	CHECK(cJSON_IsArray(recs));
	cJSON_ArrayForEach (r, recs) {
		const char *keys[] = {"messageId",   "receiptHandle",
				      "body",	     "md5OfBody",
				      "eventSource", "eventSourceARN",
				      "awsRegion"};

		records_seen++;
		for (size_t k = 0; k < 7; k++)
			CHECK(cJSON_IsString(
				cJSON_GetObjectItemCaseSensitive(r, keys[k])));
		CHECK(cJSON_IsObject(
			cJSON_GetObjectItemCaseSensitive(r, "attributes")));
		CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(
			r, "messageAttributes")));
		CHECK_STR(cJSON_GetObjectItemCaseSensitive(r, "eventSource")
				  ->valuestring,
			  "aws:sqs");
		CHECK_EQ(strlen(cJSON_GetObjectItemCaseSensitive(r, "md5OfBody")
					->valuestring),
			 32);
	}
	cJSON_Delete(root);
	return xr_lambda_store_crossings(cl, ev, res);
}

static void test_batching(void)
{
	struct xr_poller_config cfg = {
		.handler = checking_handler, .window_ms = 200, .idle_ms = 50};
	struct xr_poller p;
	long long rows, distinct;
	uint64_t t = fx_clock_ms;

	CHECK_EQ(xr_poller_init(&p, &c, &cfg), 0);
	/* Nothing queued: nothing to do, and no receive before idle_ms. */
	CHECK_EQ(xr_poller_poll(&p, t), 0);
	CHECK(xr_poller_next_ms(&p) == t + 50);

	report("pol", 0, 12);
	/* Full batches go at once, one per call. */
	CHECK_EQ(xr_poller_poll(&p, t + 50), 5);
	CHECK_EQ(xr_poller_poll(&p, t + 50), 5);
	CHECK_EQ(queued(), 2);
	/* Two left: held until the window closes. */
	CHECK_EQ(xr_poller_poll(&p, t + 50), 0);
	CHECK_EQ(p.n_held, 2);
	CHECK(xr_poller_next_ms(&p) == t + 100);
	CHECK_EQ(xr_poller_poll(&p, t + 100), 0); /* another look: none */
	CHECK(xr_poller_next_ms(&p) == t + 150);
	report("pol", 12, 14); /* two more arrive */
	CHECK_EQ(xr_poller_poll(&p, t + 150), 0);
	CHECK_EQ(p.n_held, 4);
	CHECK(xr_poller_next_ms(&p) == t + 200);
	CHECK_EQ(xr_poller_poll(&p, t + 249), 0);
	CHECK_EQ(xr_poller_poll(&p, t + 250), 4); /* window from t+50 */
	CHECK_EQ(p.n_held, 0);
	CHECK_EQ(queued(), 0);
	fx_counts(dir, &rows, &distinct);
	CHECK_EQ(rows, 14);
	CHECK_EQ(distinct, 14);
	CHECK_EQ(events_seen, 3);
	CHECK_EQ(records_seen, 14);
	CHECK_EQ(p.stored, 14);
	CHECK_EQ(p.batches, 3);
	xr_poller_close(&p);
}

/* Fails the records whose body names car 2, like a throttled table. */
static int fail_car2(struct xr_cloud *cl, const char *ev, char **res)
{
	cJSON *root = cJSON_Parse(ev), *r, *out = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(out, "batchItemFailures");

	(void)cl;

	cJSON_ArrayForEach (r,
			    cJSON_GetObjectItemCaseSensitive(root, "Records")) {
		const char *body = cJSON_GetObjectItemCaseSensitive(r, "body")
					   ->valuestring;

		if (strstr(body, "\"car\":2,") != NULL) {
			cJSON *f = cJSON_CreateObject();

			cJSON_AddStringToObject(
				f, "itemIdentifier",
				cJSON_GetObjectItemCaseSensitive(r, "messageId")
					->valuestring);
			cJSON_AddItemToArray(arr, f);
		}
	}
	cJSON_Delete(root);
	*res = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	return 0;
}

static int handler_error(struct xr_cloud *cl, const char *ev, char **res)
{
	(void)ev;
	*res = NULL;
	snprintf(cl->err, sizeof cl->err, "store_crossings: boom");
	return XR_ECLOUD;
}

static const char *canned;
static int canned_handler(struct xr_cloud *cl, const char *ev, char **res)
{
	(void)cl;
	(void)ev;
	*res = strdup(canned);
	return 0;
}

static void test_failures(void)
{
	struct xr_poller_config cfg = {.handler = fail_car2};
	struct xr_poller p;

	CHECK_EQ(xr_emb_set_visibility(&c, 1000), 0);
	CHECK_EQ(xr_poller_init(&p, &c, &cfg), 0);
	report("fail", 0, 5); /* cars 1..5 */
	CHECK_EQ(xr_poller_poll(&p, fx_clock_ms), 4);
	CHECK_EQ(p.failed, 1);
	CHECK_EQ(queued(), 1); /* car 2 stays, hidden */
	CHECK_EQ(xr_poller_poll(&p, fx_clock_ms + 500), 0);
	fx_clock_ms += 1000;
	/* Back after the visibility timeout; this time stored for real. */
	p.cfg.handler = xr_lambda_store_crossings;
	CHECK_EQ(xr_poller_drain(&p, fx_clock_ms), 1);
	CHECK_EQ(queued(), 0);
	CHECK_EQ(fx_query(dir, "select count(*) from crossings where "
			       "run='fail'"),
		 1);
	xr_poller_close(&p);

	/* A handler error: nothing deleted, all come back. */
	cfg.handler = handler_error;
	CHECK_EQ(xr_poller_init(&p, &c, &cfg), 0);
	report("err", 0, 5);
	CHECK_EQ(xr_poller_poll(&p, fx_clock_ms), XR_ECLOUD);
	CHECK_HAS(c.err, "poller: store_crossings: boom");
	CHECK_EQ(queued(), 5);
	fx_clock_ms += 1000;
	/* A response naming an unknown record, or not JSON, or a bad
	 * failure list: AWS fails the whole batch, so do we. */
	{
		static const char *const bad[] = {
			"{\"batchItemFailures\":[{\"itemIdentifier\":\"zz\"}]}",
			"{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}",
			"{\"batchItemFailures\":[{}]}",
			"{\"batchItemFailures\":5}",
			"nonsense",
		};

		p.cfg.handler = canned_handler;
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			canned = bad[i];
			CHECK_EQ(xr_poller_poll(&p, fx_clock_ms), XR_EDECODE);
			CHECK_EQ(queued(), 5);
			fx_clock_ms += 1000;
		}
		/* No batchItemFailures at all: everything succeeded. */
		canned = "{}";
		CHECK_EQ(xr_poller_poll(&p, fx_clock_ms), 5);
		CHECK_EQ(queued(), 0);
	}
	xr_poller_close(&p);

	/* Drain gives up on a batch that fails whole instead of spinning. */
	cfg.handler = handler_error;
	CHECK_EQ(xr_emb_set_visibility(&c, 0), 0);
	CHECK_EQ(xr_poller_init(&p, &c, &cfg), 0);
	report("spin", 0, 3);
	CHECK(xr_poller_drain(&p, fx_clock_ms) < 0);
	xr_poller_close(&p);
	CHECK_EQ(xr_emb_set_visibility(&c, 1000), 0);
	fx_clock_ms += 1000;
	CHECK_EQ(xr_poller_init(&p, &c, NULL), 0);
	CHECK_EQ(xr_poller_drain(&p, fx_clock_ms), 3);
	xr_poller_close(&p);

	/* A poison message among good ones: drain stores the good ones and
	 * leaves the poison in the queue (hidden), without an error. */
	CHECK_EQ(c.ops->queue_send(&c, "poison"), 0);
	report("mixed", 0, 9);
	CHECK_EQ(xr_poller_init(&p, &c, NULL), 0);
	CHECK_EQ(xr_poller_drain(&p, fx_clock_ms), 9);
	CHECK_EQ(queued(), 1);
	xr_poller_close(&p);
	/* Every record failing and coming straight back (visibility 0):
	 * drain stops after a few batches instead of spinning. */
	CHECK_EQ(xr_emb_set_visibility(&c, 0), 0);
	fx_clock_ms += 1000;
	CHECK_EQ(xr_poller_init(&p, &c, NULL), 0);
	CHECK(xr_poller_drain(&p, fx_clock_ms) < 0);
	CHECK_HAS(c.err, "poller: drain: every record");
	CHECK_HAS(c.err, "crossing record: not valid JSON");
	CHECK_EQ(p.batches, 3);
	xr_poller_close(&p);
	CHECK_EQ(queued(), 1);
	CHECK_EQ(fx_exec(dir, "delete from queue"), 0);
	CHECK_EQ(xr_emb_set_visibility(&c, 1000), 0);

	/* Bad configuration. */
	cfg = (struct xr_poller_config){.batch_size = 11};
	CHECK_EQ(xr_poller_init(&p, &c, &cfg), XR_EINVAL);
	CHECK_HAS(c.err, "batch size");
}

static void test_drain_and_close(void)
{
	struct xr_poller p;
	long long rows, distinct;

	CHECK_EQ(xr_poller_init(&p, &c, NULL), 0);
	report("drain", 0, 23);
	CHECK_EQ(xr_poller_poll(&p, fx_clock_ms), 5);
	CHECK_EQ(xr_poller_drain(&p, fx_clock_ms), 18);
	CHECK_EQ(queued(), 0);
	CHECK_EQ(xr_poller_drain(&p, fx_clock_ms), 0);
	fx_counts(dir, &rows, &distinct);
	CHECK_EQ(fx_query(dir, "select count(*) from crossings where "
			       "run='drain'"),
		 23);
	/* Closing with messages held leaves them to come back. */
	report("close", 0, 2);
	CHECK_EQ(xr_poller_poll(&p, fx_clock_ms + 1000), 0);
	CHECK_EQ(p.n_held, 2);
	xr_poller_close(&p);
	CHECK_EQ(queued(), 2);
	fx_clock_ms += 100000;
	CHECK_EQ(xr_poller_init(&p, &c, NULL), 0);
	CHECK_EQ(xr_poller_drain(&p, fx_clock_ms), 2);
	xr_poller_close(&p);
	CHECK_EQ(queued(), 0);
	(void)rows;
	(void)distinct;
}

int main(void)
{
	CHECK_EQ(fx_tempdir(dir, sizeof dir, "poller"), 0);
	CHECK_EQ(xr_cloud_open_embedded(&c, dir), 0);
	CHECK_EQ(xr_emb_set_clock(&c, fx_clock, &fx_clock_ms), 0);
	test_batching();
	test_failures();
	test_drain_and_close();
	xr_cloud_close(&c);
	fx_rmdir(dir);
	CHECK_DONE("test_cloud_poller");
}
