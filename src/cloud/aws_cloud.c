/* The aws backend of the cloud interface: S3 GetObject, Lambda Invoke, SQS
 * (JSON 1.0 protocol) and DynamoDB BatchWriteItem, each a signed call with
 * retries (aws_client.c). Configuration comes from the environment only;
 * docs/CLOUD.md lists the variables.
 *
 * Table items: partition key "run" (S), sort key "round_car" (S,
 * "%010u-%010u" of round and car), plus round, car, approach, turn, index,
 * crossed_ms, after_deadlock. A put of the same (run, round, car) writes the
 * same item again: table writes are idempotent, so a redelivered message
 * lands once. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_client.h"
#include "cloud.h"
#include "aws_buf.h"
#include "err.h"

#define SQS_BODY_MAX (256 * 1024)
#define DDB_BATCH_MAX 25
#define SQS_WAIT_MAX_S 20

struct aws_impl {
	struct xr_aws aws;
	struct xr_aws_endpoint s3, sqs, ddb, lambda;
	char queue_url[1024];
	char queue_name[128];
	char table[256];
	char function[128];
};

static struct aws_impl *impl(struct xr_cloud *c)
{
	return c->impl;
}

static int fail(struct xr_cloud *c, int rc, const char *fmt, const char *a,
		const char *b)
{
	xr_why(c->err, sizeof(c->err), XR_OK, fmt, a, b ? b : "");
	return rc;
}

/* ------------------------------------------------------------------ S3 */

static int valid_bucket(const char *b, size_t n)
{
	if (n < 3 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') ||
		      (b[i] >= '0' && b[i] <= '9') || b[i] == '-' ||
		      b[i] == '.'))
			return 0;
	return 1;
}

static int read_local(struct xr_cloud *c, const char *path, char **data,
		      size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return fail(c, XR_ENOTFOUND, "fetch %s: cannot open the file%s",
			    path, NULL);
	struct xr_buf b;
	xr_buf_init(&b, XR_HTTP_MAX_BODY);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (xr_buf_add(&b, chunk, n) != 0)
			break;
	int bad = ferror(f);
	fclose(f);
	xr_buf_add(&b, "", 0);
	if (bad || xr_buf_err(&b)) {
		int rc = bad ? XR_EIO : xr_buf_err(&b);
		xr_buf_free(&b);
		return fail(c, rc, "fetch %s: %s", path, xr_strerror(rc));
	}
	*len = b.len;
	*data = xr_buf_take(&b);
	return 0;
}

static int aws_fetch(struct xr_cloud *c, const char *source, char **data,
		     size_t *len)
{
	struct aws_impl *a = impl(c);
	if (source == NULL || data == NULL || len == NULL)
		return fail(c, XR_EINVAL, "s3 GetObject: no source%s%s", "",
			    NULL);
	*data = NULL;
	*len = 0;
	if (strncmp(source, "s3://", 5) != 0)
		return read_local(c, source, data, len);
	const char *bucket = source + 5;
	const char *slash = strchr(bucket, '/');
	size_t bl = slash ? (size_t)(slash - bucket) : strlen(bucket);
	const char *key = slash ? slash + 1 : "";
	if (!valid_bucket(bucket, bl) || key[0] == '\0' || strlen(key) > 1024)
		return fail(c, XR_EINVAL,
			    "s3 GetObject %.300s: not s3://bucket/key with a "
			    "valid bucket name and a key%s",
			    source, NULL);
	char b[64], path[1100];
	memcpy(b, bucket, bl);
	b[bl] = '\0';
	struct xr_aws_endpoint vh;
	const struct xr_aws_endpoint *ep = &a->s3;
	if (a->s3.overridden) {
		/* emulators: path-style addressing */
		snprintf(path, sizeof(path), "/%s/%s", b, key);
	} else {
		vh = a->s3;
		snprintf(vh.host, sizeof(vh.host), "%s.s3.%s.amazonaws.com", b,
			 a->aws.region);
		snprintf(vh.url, sizeof(vh.url), "https://%s", vh.host);
		ep = &vh;
		snprintf(path, sizeof(path), "/%s", key);
	}
	char what[1100];
	snprintf(what, sizeof(what), "%s/%s", b, key);
	struct xr_aws_call call = {.ep = ep,
				   .op = "GetObject",
				   .what = what,
				   .method = "GET",
				   .path = path,
				   .s3 = 1};
	struct xr_http_resp r;
	int rc = xr_aws_call(&a->aws, &call, &r, c->err, sizeof(c->err));
	if (rc != 0)
		return rc;
	*len = r.body.len;
	*data = xr_buf_take(&r.body);
	xr_http_resp_free(&r);
	if (*data == NULL)
		return fail(c, XR_ENOMEM, "s3 GetObject %s: %s", what,
			    "out of memory");
	return 0;
}

/* -------------------------------------------------------------- Lambda */

static int aws_invoke_report(struct xr_cloud *c, const char *payload)
{
	struct aws_impl *a = impl(c);
	if (a->function[0] == '\0')
		return fail(
			c, XR_ECONFIG,
			"lambda Invoke: XROAD_REPORT_FUNCTION is not set%s%s",
			"", NULL);
	if (payload == NULL)
		return fail(c, XR_EINVAL, "lambda Invoke %s: no payload%s",
			    a->function, NULL);
	size_t pl = strlen(payload);
	if (pl > 6 * 1024 * 1024)
		return fail(c, XR_ETOOBIG,
			    "lambda Invoke %s: payload over 6 MB%s",
			    a->function, NULL);
	char path[200];
	snprintf(path, sizeof(path), "/2015-03-31/functions/%s/invocations",
		 a->function);
	struct xr_aws_call call = {
		.ep = &a->lambda,
		.op = "Invoke",
		.what = a->function,
		.method = "POST",
		.path = path,
		.content_type = "application/json",
		.extra_header = "X-Amz-Invocation-Type: RequestResponse",
		.body = payload,
		.body_len = pl,
		.max_resp = 6 * 1024 * 1024,
		/* RequestResponse waits for the function: the exchange lasts
		 * up to its timeout (XROAD_LAMBDA_INVOKE_TIMEOUT_MS) */
		.extra_ms = a->aws.policy.invoke_ms > a->aws.policy.attempt_ms
				    ? a->aws.policy.invoke_ms -
					      a->aws.policy.attempt_ms
				    : 0,
	};
	struct xr_http_resp r;
	int rc = xr_aws_call(&a->aws, &call, &r, c->err, sizeof(c->err));
	if (rc != 0)
		return rc;
	if (r.function_error[0] != '\0') {
		char code[128], msg[256];
		xr_aws_error_code(&r, code, sizeof(code), msg, sizeof(msg));
		xr_why(c->err, sizeof(c->err), XR_OK,
		       "lambda Invoke %s: HTTP %ld: function error %.60s: %.100s%s%.200s",
		       a->function, r.status, r.function_error,
		       code[0] ? code : "", code[0] && msg[0] ? ": " : "", msg);
		xr_http_resp_free(&r);
		return XR_ECLOUD;
	}
	xr_http_resp_free(&r);
	return 0;
}

/* ----------------------------------------------------------------- SQS */

static int need_queue(struct xr_cloud *c, const char *op)
{
	if (impl(c)->queue_url[0] != '\0')
		return 0;
	return fail(c, XR_ECONFIG, "sqs %s: XROAD_SQS_QUEUE_URL is not set%s",
		    op, NULL);
}

/* Sends a JSON 1.0 request and parses the answer. *out owned by caller. */
static int sqs_call(struct xr_cloud *c, const char *op, cJSON *req,
		    unsigned extra_ms, cJSON **out)
{
	struct aws_impl *a = impl(c);
	char target[64];
	snprintf(target, sizeof(target), "AmazonSQS.%s", op);
	char *body = cJSON_PrintUnformatted(req);
	if (body == NULL)
		return fail(c, XR_ENOMEM, "sqs %s %s: out of memory", op,
			    a->queue_name);
	struct xr_aws_call call = {
		.ep = &a->sqs,
		.op = op,
		.what = a->queue_name,
		.method = "POST",
		.path = "/",
		.target = target,
		.content_type = "application/x-amz-json-1.0",
		.body = body,
		.body_len = strlen(body),
		.extra_ms = extra_ms,
	};
	struct xr_http_resp r;
	int rc = xr_aws_call(&a->aws, &call, &r, c->err, sizeof(c->err));
	free(body);
	if (rc != 0)
		return rc;
	/* an empty answer is an empty object (no messages) */
	*out = r.body.len == 0 ? cJSON_CreateObject()
			       : cJSON_ParseWithLength(r.body.p, r.body.len);
	xr_http_resp_free(&r);
	if (*out == NULL || !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return fail(c, XR_EDECODE,
			    "sqs %s %s: answer is not a JSON object", op,
			    a->queue_name);
	}
	return 0;
}

static int aws_queue_send(struct xr_cloud *c, const char *body)
{
	struct aws_impl *a = impl(c);
	int rc = need_queue(c, "SendMessage");
	if (rc != 0)
		return rc;
	if (body == NULL || body[0] == '\0')
		return fail(c, XR_EINVAL, "sqs SendMessage %s: empty body%s",
			    a->queue_name, NULL);
	if (strlen(body) > SQS_BODY_MAX)
		return fail(c, XR_ETOOBIG,
			    "sqs SendMessage %s: body over 256 KiB%s",
			    a->queue_name, NULL);
	cJSON *req = cJSON_CreateObject();
	if (req == NULL ||
	    !cJSON_AddStringToObject(req, "QueueUrl", a->queue_url) ||
	    !cJSON_AddStringToObject(req, "MessageBody", body)) {
		cJSON_Delete(req);
		return fail(c, XR_ENOMEM, "sqs SendMessage %s: out of memory%s",
			    a->queue_name, NULL);
	}
	cJSON *resp = NULL;
	rc = sqs_call(c, "SendMessage", req, 0, &resp);
	cJSON_Delete(req);
	if (rc == 0 && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
			       resp, "MessageId")))
		rc = fail(c, XR_EDECODE,
			  "sqs SendMessage %s: no MessageId in "
			  "the answer%s",
			  a->queue_name, NULL);
	cJSON_Delete(resp);
	return rc;
}

static int aws_queue_receive(struct xr_cloud *c, struct xr_queue_msg *msgs,
			     size_t max, int wait_ms, size_t *n)
{
	struct aws_impl *a = impl(c);
	if (n == NULL || msgs == NULL)
		return fail(c, XR_EINVAL, "sqs ReceiveMessage %s: no output%s",
			    a->queue_name, NULL);
	*n = 0;
	int rc = need_queue(c, "ReceiveMessage");
	if (rc != 0)
		return rc;
	if (max == 0)
		return 0;
	if (max > XR_QUEUE_BATCH_MAX)
		max = XR_QUEUE_BATCH_MAX;
	int wait_s = wait_ms <= 0 ? 0 : (wait_ms + 999) / 1000;
	if (wait_s > SQS_WAIT_MAX_S)
		wait_s = SQS_WAIT_MAX_S;
	cJSON *req = cJSON_CreateObject();
	if (req == NULL ||
	    !cJSON_AddStringToObject(req, "QueueUrl", a->queue_url) ||
	    !cJSON_AddNumberToObject(req, "MaxNumberOfMessages", (double)max) ||
	    !cJSON_AddNumberToObject(req, "WaitTimeSeconds", wait_s)) {
		cJSON_Delete(req);
		return fail(c, XR_ENOMEM,
			    "sqs ReceiveMessage %s: out of memory%s",
			    a->queue_name, NULL);
	}
	cJSON *resp = NULL;
	rc = sqs_call(c, "ReceiveMessage", req, (unsigned)wait_s * 1000u,
		      &resp);
	cJSON_Delete(req);
	if (rc != 0)
		return rc;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(resp, "Messages");
	const cJSON *m;
	size_t k = 0;
	cJSON_ArrayForEach(m, list)
	{
		if (k == max)
			break;
		const char *id = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(m, "MessageId"));
		const char *rh = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(m, "ReceiptHandle"));
		const char *body = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(m, "Body"));
		if (!id || !rh || !body || strlen(id) >= sizeof(msgs[k].id) ||
		    strlen(rh) >= sizeof(msgs[k].receipt)) {
			/* leave it: it comes back after the visibility
			 * timeout, and a bad one ends in the DLQ */
			xr_why(c->err, sizeof(c->err), XR_OK,
			       "sqs ReceiveMessage %s: skipped a malformed "
			       "message",
			       a->queue_name);
			continue;
		}
		memset(&msgs[k], 0, sizeof(msgs[k]));
		memcpy(msgs[k].id, id, strlen(id) + 1);
		memcpy(msgs[k].receipt, rh, strlen(rh) + 1);
		msgs[k].body = strdup(body);
		if (msgs[k].body == NULL) {
			for (size_t i = 0; i < k; i++) {
				free(msgs[i].body);
				msgs[i].body = NULL;
			}
			cJSON_Delete(resp);
			return fail(c, XR_ENOMEM,
				    "sqs ReceiveMessage %s: out of memory%s",
				    a->queue_name, NULL);
		}
		k++;
	}
	cJSON_Delete(resp);
	*n = k;
	return 0;
}

/* Deletes msgs[0..n) (n <= 10); entries that fail retryably are tried
 * again within the call's budget. */
static int delete_chunk(struct xr_cloud *c, const struct xr_queue_msg *msgs,
			size_t n)
{
	struct aws_impl *a = impl(c);
	int pending[XR_QUEUE_BATCH_MAX];
	for (size_t i = 0; i < n; i++)
		pending[i] = 1;
	char last[256] = "";
	size_t left = n;
	for (unsigned round = 0; round < a->aws.policy.max_attempts && left > 0;
	     round++) {
		if (round > 0)
			xr_aws_sleep_ms(xr_aws_backoff_ms(
				round - 1, a->aws.policy.base_ms,
				a->aws.policy.cap_ms, &a->aws.rng));
		cJSON *req = cJSON_CreateObject();
		cJSON *ents = cJSON_AddArrayToObject(req, "Entries");
		if (req == NULL || ents == NULL ||
		    !cJSON_AddStringToObject(req, "QueueUrl", a->queue_url)) {
			cJSON_Delete(req);
			return fail(
				c, XR_ENOMEM,
				"sqs DeleteMessageBatch %s: out of memory%s",
				a->queue_name, NULL);
		}
		for (size_t i = 0; i < n; i++) {
			if (!pending[i])
				continue;
			char id[24];
			snprintf(id, sizeof(id), "m%zu", i);
			cJSON *e = cJSON_CreateObject();
			cJSON_AddItemToArray(ents, e);
			cJSON_AddStringToObject(e, "Id", id);
			cJSON_AddStringToObject(e, "ReceiptHandle",
						msgs[i].receipt);
		}
		cJSON *resp = NULL;
		int rc = sqs_call(c, "DeleteMessageBatch", req, 0, &resp);
		cJSON_Delete(req);
		if (rc != 0)
			return rc;
		const cJSON *e;
		cJSON_ArrayForEach(
			e, cJSON_GetObjectItemCaseSensitive(resp, "Successful"))
		{
			const char *id = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(e, "Id"));
			char *end;
			if (id && id[0] == 'm') {
				unsigned long i = strtoul(id + 1, &end, 10);
				if (*end == '\0' && i < n && pending[i]) {
					pending[i] = 0;
					left--;
				}
			}
		}
		int permanent = 0;
		cJSON_ArrayForEach(
			e, cJSON_GetObjectItemCaseSensitive(resp, "Failed"))
		{
			const char *code = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(e, "Code"));
			snprintf(last, sizeof(last), "%s",
				 code ? code : "unknown");
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				    e, "SenderFault")))
				permanent = 1;
		}
		cJSON_Delete(resp);
		if (permanent)
			break;
	}
	if (left == 0)
		return 0;
	xr_why(c->err, sizeof(c->err), XR_OK,
	       "sqs DeleteMessageBatch %s: %zu of %zu entries failed: %s",
	       a->queue_name, left, n, last[0] ? last : "no answer for them");
	return XR_ECLOUD;
}

static int aws_queue_delete(struct xr_cloud *c, const struct xr_queue_msg *msgs,
			    size_t n)
{
	int rc = need_queue(c, "DeleteMessageBatch");
	if (rc != 0)
		return rc;
	if (n > 0 && msgs == NULL)
		return fail(c, XR_EINVAL,
			    "sqs DeleteMessageBatch: no messages%s%s", "",
			    NULL);
	int first = 0;
	for (size_t i = 0; i < n; i += XR_QUEUE_BATCH_MAX) {
		size_t k =
			n - i < XR_QUEUE_BATCH_MAX ? n - i : XR_QUEUE_BATCH_MAX;
		rc = delete_chunk(c, msgs + i, k);
		if (rc != 0 && first == 0)
			first = rc;
	}
	return first;
}

/* ------------------------------------------------------------ DynamoDB */

static int valid_record(const struct xr_crossing_record *r)
{
	size_t rl = strnlen(r->run, sizeof(r->run));
	static const char *const appr[] = {"S", "E", "N", "W"};
	static const char *const turns[] = {"right", "straight", "left"};
	int ok_a = 0, ok_t = 0;
	for (size_t i = 0; i < 4; i++)
		ok_a |= strncmp(r->approach, appr[i], sizeof(r->approach)) == 0;
	for (size_t i = 0; i < 3; i++)
		ok_t |= strncmp(r->turn, turns[i], sizeof(r->turn)) == 0;
	return rl > 0 && rl < sizeof(r->run) && ok_a && ok_t;
}

static void sort_key(const struct xr_crossing_record *r, char out[24])
{
	snprintf(out, 24, "%010u-%010u", (unsigned)r->round, (unsigned)r->car);
}

static cJSON *attr(cJSON *item, const char *name, const char *type,
		   const char *val)
{
	cJSON *o = cJSON_CreateObject();
	if (o == NULL)
		return NULL;
	cJSON_AddItemToObject(item, name, o);
	if (strcmp(type, "BOOL") == 0)
		return cJSON_AddBoolToObject(o, type, val[0] == '1');
	return cJSON_AddStringToObject(o, type, val);
}

static cJSON *make_item(const struct xr_crossing_record *r)
{
	char sk[24], round[12], car[12], idx[12], ms[24];
	sort_key(r, sk);
	snprintf(round, sizeof(round), "%u", (unsigned)r->round);
	snprintf(car, sizeof(car), "%u", (unsigned)r->car);
	snprintf(idx, sizeof(idx), "%u", (unsigned)r->index);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)r->crossed_ms);
	cJSON *item = cJSON_CreateObject();
	char run[sizeof(r->run) + 1], ap[sizeof(r->approach) + 1],
		tu[sizeof(r->turn) + 1];
	snprintf(run, sizeof(run), "%.*s", (int)sizeof(r->run), r->run);
	snprintf(ap, sizeof(ap), "%.*s", (int)sizeof(r->approach), r->approach);
	snprintf(tu, sizeof(tu), "%.*s", (int)sizeof(r->turn), r->turn);
	if (item == NULL || !attr(item, "run", "S", run) ||
	    !attr(item, "round_car", "S", sk) ||
	    !attr(item, "round", "N", round) || !attr(item, "car", "N", car) ||
	    !attr(item, "approach", "S", ap) || !attr(item, "turn", "S", tu) ||
	    !attr(item, "index", "N", idx) ||
	    !attr(item, "crossed_ms", "N", ms) ||
	    !attr(item, "after_deadlock", "BOOL",
		  r->after_deadlock ? "1" : "0")) {
		cJSON_Delete(item);
		return NULL;
	}
	return item;
}

/* One BatchWriteItem of the pending records among idx[0..n); clears
 * pending[] for every record DynamoDB took. */
static int ddb_batch(struct xr_cloud *c, const struct xr_crossing_record *recs,
		     const size_t *idx, size_t n, int *pending)
{
	struct aws_impl *a = impl(c);
	cJSON *req = cJSON_CreateObject();
	cJSON *items = cJSON_CreateObject();
	cJSON *list = cJSON_CreateArray();
	if (req == NULL || items == NULL || list == NULL) {
		cJSON_Delete(req);
		cJSON_Delete(items);
		cJSON_Delete(list);
		return fail(c, XR_ENOMEM, "dynamodb BatchWriteItem %s: %s",
			    a->table, "out of memory");
	}
	cJSON_AddItemToObject(req, "RequestItems", items);
	cJSON_AddItemToObject(items, a->table, list);
	for (size_t k = 0; k < n; k++) {
		if (!pending[k])
			continue;
		cJSON *it = make_item(&recs[idx[k]]);
		cJSON *put = cJSON_CreateObject(), *w = cJSON_CreateObject();
		if (it == NULL || put == NULL || w == NULL) {
			cJSON_Delete(it);
			cJSON_Delete(put);
			cJSON_Delete(w);
			cJSON_Delete(req);
			return fail(c, XR_ENOMEM,
				    "dynamodb BatchWriteItem %s: %s", a->table,
				    "out of memory");
		}
		cJSON_AddItemToObject(put, "Item", it);
		cJSON_AddItemToObject(w, "PutRequest", put);
		cJSON_AddItemToArray(list, w);
	}
	char *body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (body == NULL)
		return fail(c, XR_ENOMEM, "dynamodb BatchWriteItem %s: %s",
			    a->table, "out of memory");
	struct xr_aws_call call = {
		.ep = &a->ddb,
		.op = "BatchWriteItem",
		.what = a->table,
		.method = "POST",
		.path = "/",
		.target = "DynamoDB_20120810.BatchWriteItem",
		.content_type = "application/x-amz-json-1.0",
		.body = body,
		.body_len = strlen(body),
	};
	struct xr_http_resp r;
	int rc = xr_aws_call(&a->aws, &call, &r, c->err, sizeof(c->err));
	free(body);
	if (rc != 0)
		return rc;
	cJSON *resp = cJSON_ParseWithLength(r.body.p, r.body.len);
	xr_http_resp_free(&r);
	if (resp == NULL)
		return fail(c, XR_EDECODE, "dynamodb BatchWriteItem %s: %s",
			    a->table, "answer is not JSON");
	/* Everything sent was taken, except what comes back unprocessed. */
	int back[DDB_BATCH_MAX] = {0};
	const cJSON *un = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(resp, "UnprocessedItems"),
		a->table);
	const cJSON *w;
	cJSON_ArrayForEach(w, un)
	{
		const cJSON *item = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(w, "PutRequest"),
			"Item");
		const char *run =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(item, "run"),
				"S"));
		const char *sk =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(item,
								 "round_car"),
				"S"));
		if (run == NULL || sk == NULL)
			continue;
		for (size_t k = 0; k < n; k++) {
			char mine[24];
			sort_key(&recs[idx[k]], mine);
			if (pending[k] && strcmp(mine, sk) == 0 &&
			    strncmp(recs[idx[k]].run, run,
				    sizeof(recs[0].run)) == 0)
				back[k] = 1;
		}
	}
	cJSON_Delete(resp);
	for (size_t k = 0; k < n; k++)
		if (pending[k] && !back[k])
			pending[k] = 0;
	return 0;
}

static int same_key(const struct xr_crossing_record *a,
		    const struct xr_crossing_record *b)
{
	return a->round == b->round && a->car == b->car &&
	       strncmp(a->run, b->run, sizeof(a->run)) == 0;
}

/* Position in idx[0..k) of a record with the key of records[i], or k. */
static size_t find_same_key(const struct xr_crossing_record *records,
			    const size_t *idx, size_t k, size_t i)
{
	for (size_t j = 0; j < k; j++)
		if (same_key(&records[idx[j]], &records[i]))
			return j;
	return k;
}

static int aws_table_put(struct xr_cloud *c,
			 const struct xr_crossing_record *records, size_t n,
			 int *failed)
{
	struct aws_impl *a = impl(c);
	if (a->table[0] == '\0')
		return fail(c, XR_ECONFIG,
			    "dynamodb BatchWriteItem: XROAD_DYNAMODB_TABLE is "
			    "not set%s%s",
			    "", NULL);
	if (n > 0 && (records == NULL || failed == NULL))
		return fail(c, XR_EINVAL, "dynamodb BatchWriteItem %s: %s",
			    a->table, "no records");
	size_t idx[DDB_BATCH_MAX], dup_of[DDB_BATCH_MAX],
		dup_idx[DDB_BATCH_MAX];
	int pending[DDB_BATCH_MAX];
	size_t bad = 0;
	char first_err[XR_CLOUD_ERR_MAX] = "";
	for (size_t i = 0; i < n; i++)
		failed[i] = 1;
	c->err[0] = '\0';
	/* One deadline for the whole put, inside the caller's (a Lambda
	 * invocation's): each BatchWriteItem and its retries are cut at it
	 * instead of getting a fresh budget of their own. */
	uint64_t outer = a->aws.until_ms;
	uint64_t deadline = xr_aws_mono_ms() + a->aws.policy.deadline_ms;
	if (outer != 0 && outer < deadline)
		deadline = outer;
	a->aws.until_ms = deadline;
	for (size_t start = 0; start < n;) {
		size_t k = 0;
		size_t dups = 0;
		while (start < n && k < DDB_BATCH_MAX) {
			size_t first = find_same_key(records, idx, k, start);
			if (first < k) {
				/* BatchWriteItem refuses a key twice in one
				 * request; the copy shares the first's fate */
				if (dups < DDB_BATCH_MAX) {
					dup_of[dups] = idx[first];
					dup_idx[dups++] = start;
				}
				start++;
				continue;
			}
			if (!valid_record(&records[start])) {
				bad++;
				if (first_err[0] == '\0')
					snprintf(first_err, sizeof(first_err),
						 "dynamodb BatchWriteItem %s: "
						 "record %zu is not a valid "
						 "crossing",
						 a->table, start);
			} else {
				idx[k] = start;
				pending[k] = 1;
				k++;
			}
			start++;
		}
		size_t left = k;
		int call_failed = 0;
		for (unsigned round = 0;
		     left > 0 && round < a->aws.policy.max_attempts; round++) {
			if (round > 0) {
				unsigned p = xr_aws_backoff_ms(
					round - 1, a->aws.policy.base_ms,
					a->aws.policy.cap_ms, &a->aws.rng);
				if (xr_aws_mono_ms() + p >= deadline)
					break;
				xr_aws_sleep_ms(p);
				a->aws.retries++;
			}
			int rc = ddb_batch(c, records, idx, k, pending);
			if (rc != 0) {
				call_failed = 1;
				break; /* the call already retried what it could */
			}
			left = 0;
			for (size_t j = 0; j < k; j++)
				left += pending[j] != 0;
		}
		for (size_t j = 0; j < k; j++) {
			failed[idx[j]] = pending[j];
			bad += pending[j] != 0;
		}
		for (size_t j = 0; j < dups; j++) {
			failed[dup_idx[j]] = failed[dup_of[j]];
			bad += failed[dup_idx[j]] != 0;
		}
		if (left > 0 && first_err[0] == '\0') {
			if (!call_failed)
				xr_why(c->err, sizeof(c->err), XR_OK,
				       "dynamodb BatchWriteItem %s: %zu "
				       "items still unprocessed",
				       a->table, left);
			snprintf(first_err, sizeof(first_err), "%s", c->err);
		}
	}
	a->aws.until_ms = outer;
	if (bad > 0)
		xr_why(c->err, sizeof(c->err), XR_OK, "%s", first_err);
	return 0;
}

static void aws_set_deadline(struct xr_cloud *c, uint64_t until_mono_ms)
{
	impl(c)->aws.until_ms = until_mono_ms;
}

/* ---------------------------------------------------------------- open */

static void aws_close(struct xr_cloud *c)
{
	struct aws_impl *a = impl(c);
	if (a == NULL)
		return;
	xr_aws_free(&a->aws);
	free(a);
	c->impl = NULL;
}

static const struct xr_cloud_ops aws_ops = {
	.name = "aws",
	.fetch = aws_fetch,
	.invoke_report = aws_invoke_report,
	.queue_send = aws_queue_send,
	.queue_receive = aws_queue_receive,
	.queue_delete = aws_queue_delete,
	.table_put = aws_table_put,
	.set_deadline = aws_set_deadline,
	.close = aws_close,
};

static int env_copy(struct xr_cloud *c, const char *var, char *dst, size_t n,
		    const char *allowed)
{
	const char *v = getenv(var);
	if (v == NULL)
		v = "";
	size_t l = strlen(v);
	if (l >= n || (allowed && strspn(v, allowed) != l)) {
		xr_why(c->err, sizeof(c->err), XR_OK,
		       "aws: %s='%.80s' is not valid", var, v);
		return XR_ECONFIG;
	}
	memcpy(dst, v, l + 1);
	return 0;
}

#define NAME_CHARS                                                             \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

int xr_cloud_open_aws(struct xr_cloud *c)
{
	memset(c, 0, sizeof(*c));
	static int curl_ready;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			xr_why(c->err, sizeof(c->err), XR_OK,
			       "aws: curl_global_init failed");
			return XR_ENOMEM;
		}
		curl_ready = 1;
	}
	struct aws_impl *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		xr_why(c->err, sizeof(c->err), XR_OK, "aws: out of memory");
		return XR_ENOMEM;
	}
	int rc = xr_aws_init(&a->aws, c->err, sizeof(c->err));
	if (rc != 0) {
		free(a);
		return rc;
	}
	const char *reg = a->aws.region;
	if ((rc = xr_aws_endpoint_init(&a->s3, "s3", "XROAD_S3_ENDPOINT", reg,
				       c->err, sizeof(c->err))) ||
	    (rc = xr_aws_endpoint_init(&a->sqs, "sqs", "XROAD_SQS_ENDPOINT",
				       reg, c->err, sizeof(c->err))) ||
	    (rc = xr_aws_endpoint_init(&a->ddb, "dynamodb",
				       "XROAD_DYNAMODB_ENDPOINT", reg, c->err,
				       sizeof(c->err))) ||
	    (rc = xr_aws_endpoint_init(&a->lambda, "lambda",
				       "XROAD_LAMBDA_ENDPOINT", reg, c->err,
				       sizeof(c->err))) ||
	    (rc = env_copy(c, "XROAD_SQS_QUEUE_URL", a->queue_url,
			   sizeof(a->queue_url), NULL)) ||
	    (rc = env_copy(c, "XROAD_DYNAMODB_TABLE", a->table,
			   sizeof(a->table), NAME_CHARS "."))) {
		xr_aws_free(&a->aws);
		free(a);
		return rc;
	}
	const char *fn = getenv("XROAD_REPORT_FUNCTION");
	if (fn != NULL && strncmp(fn, "arn:", 4) == 0) {
		xr_why(c->err, sizeof(c->err), XR_OK,
		       "aws: XROAD_REPORT_FUNCTION must be the function's "
		       "name, not its ARN");
		xr_aws_free(&a->aws);
		free(a);
		return XR_ECONFIG;
	}
	if ((rc = env_copy(c, "XROAD_REPORT_FUNCTION", a->function, 65,
			   NAME_CHARS))) {
		xr_aws_free(&a->aws);
		free(a);
		return rc;
	}
	if (a->function[0] == '\0')
		snprintf(a->function, sizeof(a->function),
			 "xroad-report-crossing");
	if (a->queue_url[0] != '\0') {
		if (strncmp(a->queue_url, "http://", 7) != 0 &&
		    strncmp(a->queue_url, "https://", 8) != 0) {
			xr_why(c->err, sizeof(c->err), XR_OK,
			       "aws: XROAD_SQS_QUEUE_URL must be the queue's "
			       "http(s) URL");
			xr_aws_free(&a->aws);
			free(a);
			return XR_ECONFIG;
		}
		const char *q = strrchr(a->queue_url, '/');
		snprintf(a->queue_name, sizeof(a->queue_name), "%.127s",
			 q ? q + 1 : a->queue_url);
	}
	c->ops = &aws_ops;
	c->impl = a;
	return 0;
}
