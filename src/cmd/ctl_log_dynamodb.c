/* xroadctl log with cloud = aws: the newest crossings of the DynamoDB table
 * (XROAD_DYNAMODB_TABLE, endpoint XROAD_DYNAMODB_ENDPOINT as for the nodes;
 * docs/CLOUD.md). One Query on the run's partition, newest first: the sort
 * key "round#car" is zero-padded, so its order is the rounds' order. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_client.h"
#include "aws_http.h"
#include "ctl_log.h"
#include "err.h"

/* An attribute's value as text ("S" or "N"), or "?". */
static const char *attr(const cJSON *item, const char *name, const char *type)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(item, name);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, type);
	return cJSON_IsString(v) ? v->valuestring : "?";
}

int xr_ctl_log_dynamodb(const char *run, unsigned long top,
			struct xr_ctl_log_row *rows, size_t cap, size_t *n,
			char *where, size_t where_len)
{
	const char *table = getenv("XROAD_DYNAMODB_TABLE");
	if (table == NULL || *table == '\0') {
		fprintf(stderr, "xroadctl log: cloud = aws needs "
				"XROAD_DYNAMODB_TABLE (docs/CLOUD.md)\n");
		return 2;
	}
	struct xr_aws aws;
	struct xr_aws_endpoint ep;
	char err[512];
	if (xr_aws_init(&aws, err, sizeof err) != 0 ||
	    xr_aws_endpoint_init(&ep, "dynamodb", "XROAD_DYNAMODB_ENDPOINT",
				 aws.region, err, sizeof err) != 0) {
		fprintf(stderr, "xroadctl log: %s\n", err);
		return 1;
	}
	cJSON *q = cJSON_CreateObject();
	cJSON_AddStringToObject(q, "TableName", table);
	cJSON_AddStringToObject(q, "KeyConditionExpression", "#r = :r");
	cJSON *names = cJSON_AddObjectToObject(q, "ExpressionAttributeNames");
	cJSON_AddStringToObject(names, "#r", "run");
	cJSON *values = cJSON_AddObjectToObject(q, "ExpressionAttributeValues");
	cJSON *r = cJSON_AddObjectToObject(values, ":r");
	cJSON_AddStringToObject(r, "S", run);
	cJSON_AddBoolToObject(q, "ScanIndexForward", 0);
	cJSON_AddNumberToObject(q, "Limit", (double)top);
	char *body = cJSON_PrintUnformatted(q);
	cJSON_Delete(q);
	if (body == NULL) {
		xr_aws_free(&aws);
		return 1;
	}
	struct xr_aws_call call = {
		.ep = &ep,
		.op = "Query",
		.what = table,
		.method = "POST",
		.path = "/",
		.target = "DynamoDB_20120810.Query",
		.content_type = "application/x-amz-json-1.0",
		.body = body,
		.body_len = strlen(body),
	};
	struct xr_http_resp resp;
	int rc = xr_aws_call(&aws, &call, &resp, err, sizeof err);
	free(body);
	xr_aws_free(&aws);
	if (rc != 0) {
		fprintf(stderr, "xroadctl log: %s\n", err);
		return 1;
	}
	cJSON *ans = cJSON_ParseWithLength(resp.body.p ? resp.body.p : "",
					   resp.body.len);
	xr_http_resp_free(&resp);
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(ans, "Items");
	if (!cJSON_IsArray(items)) {
		fprintf(stderr,
			"xroadctl log: dynamodb Query %s: answer has no "
			"Items list\n",
			table);
		cJSON_Delete(ans);
		return 1;
	}
	const cJSON *it;

	*n = 0;
	cJSON_ArrayForEach(it, items)
	{
		if (*n == cap)
			break;
		struct xr_ctl_log_row *row = &rows[(*n)++];
		snprintf(row->run, sizeof row->run, "%s", attr(it, "run", "S"));
		row->round = strtoll(attr(it, "round", "N"), NULL, 10);
		row->car = strtoll(attr(it, "car", "N"), NULL, 10);
		snprintf(row->approach, sizeof row->approach, "%s",
			 attr(it, "approach", "S"));
		snprintf(row->turn, sizeof row->turn, "%s",
			 attr(it, "turn", "S"));
		row->index = strtoll(attr(it, "index", "N"), NULL, 10);
		row->crossed_ms =
			strtoll(attr(it, "crossed_ms", "N"), NULL, 10);
		const cJSON *ad =
			cJSON_GetObjectItemCaseSensitive(it, "after_deadlock");
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(ad, "BOOL");
		const cJSON *num = cJSON_GetObjectItemCaseSensitive(ad, "N");
		row->after_deadlock =
			cJSON_IsTrue(b) || (cJSON_IsString(num) &&
					    strcmp(num->valuestring, "0") != 0);
	}
	cJSON_Delete(ans);
	snprintf(where, where_len, "dynamodb table %s", table);
	return 0;
}
