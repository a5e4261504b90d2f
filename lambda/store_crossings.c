/* The store_crossings Lambda: an SQS event of up to 5 queue messages (the
 * event source's batch size; more are accepted) -> the crossings table.
 *
 * It answers with a partial batch response ("ReportBatchItemFailures"):
 * only the records named in batchItemFailures come back, the others are
 * deleted by the event source. A bad record is therefore named, never
 * dropped and never allowed to fail its neighbours. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_err.h"
#include "cloud_json.h"
#include "err.h"
#include "handlers.h"

/* Records handed to one table_put: DynamoDB's BatchWriteItem takes 25, and
 * SQS never delivers more than 10 in one receive. */
#define CHUNK XR_QUEUE_BATCH_MAX

struct item {
	const char *id; /* points into the parsed event */
	struct xr_crossing_record rec;
	int ok;	  /* body parsed into rec */
	int dup;  /* index + 1 of an earlier item with the same key, or 0 */
	int fail; /* to be named in batchItemFailures */
};

static int same_key(const struct xr_crossing_record *a,
		    const struct xr_crossing_record *b)
{
	return a->round == b->round && a->car == b->car &&
	       strcmp(a->run, b->run) == 0;
}

static void set_err(struct xr_cloud *c, const char *id, const char *why)
{
	xr_cloud_errf(c, 0, "store_crossings: record %.128s: %s", id, why);
}

/* Fills items[i] from Records[i]; 0, or XR_EDECODE when a record has no
 * usable messageId (it could not be named as a failure). */
static int read_record(struct xr_cloud *c, const cJSON *rec, size_t i,
		       struct item *it)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "messageId");
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(rec, "body");
	char why[XR_CLOUD_ERR_MAX];

	memset(it, 0, sizeof *it);
	if (!cJSON_IsObject(rec) || !cJSON_IsString(id) ||
	    id->valuestring == NULL || id->valuestring[0] == '\0' ||
	    strlen(id->valuestring) >= sizeof((struct xr_queue_msg *)0)->id) {
		return xr_cloud_errf(
			c, XR_EDECODE,
			"store_crossings: Records[%zu]: no usable messageId",
			i);
	}
	it->id = id->valuestring;
	it->fail = 1;
	if (!cJSON_IsString(body) || body->valuestring == NULL) {
		set_err(c, it->id, "body: not a string");
		return 0;
	}
	if (xr_crossing_record_from_json(body->valuestring, &it->rec, why,
					 sizeof why) != 0) {
		xr_cloud_errf(c, 0,
			      "store_crossings: record %.128s: crossing "
			      "record: %s",
			      it->id, why);
		return 0;
	}
	it->ok = 1;
	it->fail = 0;
	return 0;
}

/* Writes items[from, to) that parsed, one copy per key: BatchWriteItem
 * refuses a batch holding the same key twice, and a resent crossing often
 * shares a batch with its first copy. */
static void store_chunk(struct xr_cloud *c, struct item *items, size_t from,
			size_t to)
{
	struct xr_crossing_record recs[CHUNK];
	size_t map[CHUNK];
	int failed[CHUNK];
	size_t n = 0;
	int rc;

	for (size_t i = from; i < to; i++) {
		if (!items[i].ok)
			continue;
		for (size_t j = from; j < i; j++)
			if (items[j].ok && !items[j].dup &&
			    same_key(&items[j].rec, &items[i].rec)) {
				items[i].dup = (int)j + 1;
				break;
			}
		if (items[i].dup)
			continue;
		recs[n] = items[i].rec;
		map[n] = i;
		n++;
	}
	if (n == 0)
		return;
	rc = c->ops->table_put(c, recs, n, failed);
	for (size_t k = 0; k < n; k++)
		if (rc != 0 || failed[k]) {
			items[map[k]].fail = 1;
		}
	if (rc != 0)
		xr_cloud_err_wrap(c, rc, "store_crossings");
	else if (n > 0)
		for (size_t k = 0; k < n; k++)
			if (failed[k]) {
				char pre[160];

				snprintf(pre, sizeof pre,
					 "store_crossings: record %.128s",
					 items[map[k]].id);
				xr_cloud_err_wrap(c, 0, pre);
				break;
			}
	for (size_t i = from; i < to; i++)
		if (items[i].dup)
			items[i].fail = items[items[i].dup - 1].fail;
}

static int build_result(struct xr_cloud *c, const struct item *items, size_t n,
			char **result_json)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(root, "batchItemFailures");

	if (root == NULL || arr == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		cJSON *f;

		if (!items[i].fail)
			continue;
		f = cJSON_CreateObject();
		if (f == NULL)
			goto oom;
		cJSON_AddItemToArray(arr, f);
		if (cJSON_AddStringToObject(f, "itemIdentifier", items[i].id) ==
		    NULL)
			goto oom;
	}
	*result_json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (*result_json == NULL)
		goto oom_nofree;
	return 0;
oom:
	cJSON_Delete(root);
oom_nofree:
	return xr_cloud_errf(c, XR_ENOMEM, "store_crossings: out of memory");
}

int xr_lambda_store_crossings(struct xr_cloud *c, const char *sqs_event_json,
			      char **result_json)
{
	const cJSON *records, *rec;
	struct item *items = NULL;
	cJSON *root;
	size_t len, n, i;
	int rc = 0;

	if (result_json != NULL)
		*result_json = NULL;
	if (c == NULL || result_json == NULL)
		return XR_EINVAL;
	if (c->ops == NULL || c->ops->table_put == NULL) {
		return xr_cloud_errf(c, XR_EINVAL,
				     "store_crossings: no table to write to");
	}
	if (sqs_event_json == NULL) {
		return xr_cloud_errf(c, XR_EINVAL, "store_crossings: no event");
	}
	len = strnlen(sqs_event_json, XR_LAMBDA_EVENT_MAX + 1);
	if (len > XR_LAMBDA_EVENT_MAX) {
		return xr_cloud_errf(c, XR_ETOOBIG,
				     "store_crossings: event larger than %u "
				     "bytes",
				     XR_LAMBDA_EVENT_MAX);
	}
	root = cJSON_ParseWithLengthOpts(sqs_event_json, len + 1, NULL, 1);
	if (root == NULL) {
		return xr_cloud_errf(c, XR_EDECODE,
				     "store_crossings: event: not valid JSON");
	}
	records = cJSON_GetObjectItemCaseSensitive(root, "Records");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(records)) {
		cJSON_Delete(root);
		return xr_cloud_errf(
			c, XR_EDECODE,
			"store_crossings: event: no Records array");
	}
	n = (size_t)cJSON_GetArraySize(records);
	if (n > 0 && (items = calloc(n, sizeof *items)) == NULL) {
		cJSON_Delete(root);
		return xr_cloud_errf(c, XR_ENOMEM,
				     "store_crossings: out of memory");
	}
	i = 0;
	cJSON_ArrayForEach (rec, records) {
		if (i >= n)
			break;
		if ((rc = read_record(c, rec, i, &items[i])) != 0)
			break;
		i++;
	}
	if (rc == 0) {
		for (i = 0; i < n; i += CHUNK)
			store_chunk(c, items, i, i + CHUNK < n ? i + CHUNK : n);
		rc = build_result(c, items, n, result_json);
	}
	free(items);
	cJSON_Delete(root);
	return rc;
}
