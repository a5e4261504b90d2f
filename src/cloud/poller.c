/* The local event-source poller (see poller.h): what Lambda's SQS event
 * source mapping does for store_crossings in AWS, done in the node daemon's
 * event loop. The event it builds has the shape of AWS's SQS event
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), and its
 * reading of the response follows AWS's partial batch response rules: a
 * failure whose itemIdentifier is empty or names no message of the batch,
 * or a response that is not understood, fails the whole batch. */
#include "poller.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_err.h"
#include "err.h"
#include "handlers.h"

#define DRAIN_MAX_BATCHES 100000
#define DRAIN_MAX_STUCK 3

int xr_poller_init(struct xr_poller *p, struct xr_cloud *c,
		   const struct xr_poller_config *cfg)
{
	if (p == NULL || c == NULL)
		return XR_EINVAL;
	memset(p, 0, sizeof *p);
	p->cloud = c;
	if (cfg != NULL)
		p->cfg = *cfg;
	if (p->cfg.batch_size == 0)
		p->cfg.batch_size = XR_POLLER_BATCH;
	if (p->cfg.batch_size > XR_QUEUE_BATCH_MAX)
		return xr_cloud_errf(c, XR_EINVAL,
				     "poller: batch size %zu above %d",
				     p->cfg.batch_size, XR_QUEUE_BATCH_MAX);
	if (p->cfg.window_ms == 0)
		p->cfg.window_ms = XR_POLLER_WINDOW_MS;
	if (p->cfg.idle_ms == 0)
		p->cfg.idle_ms = XR_POLLER_IDLE_MS;
	if (p->cfg.handler == NULL)
		p->cfg.handler = xr_lambda_store_crossings;
	snprintf(p->arn, sizeof p->arn, "%s",
		 p->cfg.queue_arn != NULL
			 ? p->cfg.queue_arn
			 : "arn:aws:sqs:local:000000000000:xroad-crossings");
	snprintf(p->region, sizeof p->region, "%s",
		 p->cfg.region != NULL ? p->cfg.region : "local");
	if (c->ops == NULL || c->ops->queue_receive == NULL ||
	    c->ops->queue_delete == NULL)
		return xr_cloud_errf(c, XR_EINVAL,
				     "poller: backend has no queue");
	return 0;
}

static void step(struct xr_poller *p, enum xr_poller_step s)
{
	if (p->cfg.on_step != NULL)
		p->cfg.on_step(p->cfg.step_arg, s);
}

static void md5_hex(const char *s, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL) != 1 || n != 16)
		return;
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
}

/* The SQS event for the held messages. `attributes` stays empty because
 * the cloud interface's receive does not report them; the handler reads
 * only messageId and body. */
static char *build_event(struct xr_poller *p)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *recs = cJSON_AddArrayToObject(root, "Records");
	char *out = NULL;

	if (root == NULL || recs == NULL)
		goto done;
	for (size_t i = 0; i < p->n_held; i++) {
		const struct xr_queue_msg *m = &p->held[i];
		cJSON *r = cJSON_CreateObject();
		char md5[33];

		if (r == NULL)
			goto done;
		cJSON_AddItemToArray(recs, r);
		md5_hex(m->body, md5);
		if (!cJSON_AddStringToObject(r, "messageId", m->id) ||
		    !cJSON_AddStringToObject(r, "receiptHandle", m->receipt) ||
		    !cJSON_AddStringToObject(r, "body", m->body) ||
		    !cJSON_AddObjectToObject(r, "attributes") ||
		    !cJSON_AddObjectToObject(r, "messageAttributes") ||
		    !cJSON_AddStringToObject(r, "md5OfBody", md5) ||
		    !cJSON_AddStringToObject(r, "eventSource", "aws:sqs") ||
		    !cJSON_AddStringToObject(r, "eventSourceARN", p->arn) ||
		    !cJSON_AddStringToObject(r, "awsRegion", p->region))
			goto done;
	}
	out = cJSON_PrintUnformatted(root);
done:
	cJSON_Delete(root);
	return out;
}

/* Marks in `fail` the held messages named by the response. Returns 0, or
 * -1 when the response fails the whole batch. */
static int read_response(struct xr_poller *p, const char *result, int *fail)
{
	const cJSON *arr, *f;
	cJSON *root;
	int rc = 0;

	if (result == NULL)
		return -1;
	root = cJSON_Parse(result);
	arr = cJSON_GetObjectItemCaseSensitive(root, "batchItemFailures");
	if (root == NULL || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -1;
	}
	/* No batchItemFailures (or null) means every record succeeded. */
	if (arr == NULL || cJSON_IsNull(arr)) {
		cJSON_Delete(root);
		return 0;
	}
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(root);
		return -1;
	}
	cJSON_ArrayForEach(f, arr)
	{
		const cJSON *id =
			cJSON_GetObjectItemCaseSensitive(f, "itemIdentifier");
		size_t i;

		if (!cJSON_IsString(id) || id->valuestring == NULL) {
			rc = -1;
			break;
		}
		for (i = 0; i < p->n_held; i++)
			if (strcmp(p->held[i].id, id->valuestring) == 0)
				break;
		if (i == p->n_held) {
			rc = -1;
			break;
		}
		fail[i] = 1;
	}
	cJSON_Delete(root);
	return rc;
}

static void drop_held(struct xr_poller *p)
{
	xr_queue_msgs_free(p->held, p->n_held);
	p->n_held = 0;
}

/* Hands the held messages to the handler and deletes the stored ones.
 * Returns the number stored, or a negative code. Held messages are
 * released in every case: what was not deleted comes back by itself. */
static int flush(struct xr_poller *p)
{
	struct xr_cloud *c = p->cloud;
	struct xr_queue_msg ok[XR_QUEUE_BATCH_MAX];
	int fail[XR_QUEUE_BATCH_MAX] = {0};
	char *event, *result = NULL;
	size_t n_ok = 0;
	int rc;

	if (p->n_held == 0)
		return 0;
	event = build_event(p);
	if (event == NULL) {
		drop_held(p);
		return xr_cloud_errf(
			c, XR_ENOMEM,
			"poller: out of memory building the event");
	}
	rc = p->cfg.handler(c, event, &result);
	free(event);
	p->batches++;
	step(p, XR_POLLER_HANDLED);
	if (rc != 0) {
		free(result);
		p->failed += p->n_held;
		drop_held(p);
		return xr_cloud_err_wrap(c, rc, "poller");
	}
	if (read_response(p, result, fail) != 0) {
		free(result);
		p->failed += p->n_held;
		drop_held(p);
		return xr_cloud_errf(c, XR_EDECODE,
				     "poller: handler response not understood: "
				     "the whole batch comes back");
	}
	free(result);
	for (size_t i = 0; i < p->n_held; i++) {
		if (fail[i]) {
			p->failed++;
			continue;
		}
		ok[n_ok] = p->held[i];
		ok[n_ok].body = NULL;
		n_ok++;
	}
	rc = n_ok > 0 ? c->ops->queue_delete(c, ok, n_ok) : 0;
	drop_held(p);
	if (rc != 0) {
		/* Stored but not deleted: they come back and land once. */
		return xr_cloud_err_wrap(c, rc, "poller");
	}
	step(p, XR_POLLER_DELETED);
	p->stored += n_ok;
	return (int)n_ok;
}

static int receive(struct xr_poller *p, uint64_t now_ms)
{
	struct xr_cloud *c = p->cloud;
	size_t want = p->cfg.batch_size - p->n_held, got = 0;
	int rc;

	rc = c->ops->queue_receive(c, p->held + p->n_held, want, 0, &got);
	if (rc != 0) {
		p->next_receive_ms = now_ms + p->cfg.idle_ms;
		return xr_cloud_err_wrap(c, rc, "poller");
	}
	if (got > 0 && p->n_held == 0)
		p->first_held_ms = now_ms;
	p->n_held += got;
	/* Asking again at once only pays while messages keep coming. */
	p->next_receive_ms = got == want ? now_ms : now_ms + p->cfg.idle_ms;
	if (got > 0)
		step(p, XR_POLLER_RECEIVED);
	return 0;
}

int xr_poller_poll(struct xr_poller *p, uint64_t now_ms)
{
	int rc;

	if (p == NULL || p->cloud == NULL)
		return XR_EINVAL;
	if (p->n_held < p->cfg.batch_size && now_ms >= p->next_receive_ms) {
		if ((rc = receive(p, now_ms)) != 0)
			return rc;
	}
	if (p->n_held == p->cfg.batch_size ||
	    (p->n_held > 0 && now_ms >= p->first_held_ms + p->cfg.window_ms))
		return flush(p);
	return 0;
}

uint64_t xr_poller_next_ms(const struct xr_poller *p)
{
	uint64_t t = p->next_receive_ms;

	if (p->n_held >= p->cfg.batch_size)
		return p->first_held_ms;
	if (p->n_held > 0 && p->first_held_ms + p->cfg.window_ms < t)
		t = p->first_held_ms + p->cfg.window_ms;
	return t;
}

int xr_poller_drain(struct xr_poller *p, uint64_t now_ms)
{
	int total = 0, stuck = 0, rc;

	if (p == NULL || p->cloud == NULL)
		return XR_EINVAL;
	for (int b = 0; b < DRAIN_MAX_BATCHES; b++) {
		if (p->n_held < p->cfg.batch_size &&
		    (rc = receive(p, now_ms)) != 0)
			return rc;
		if (p->n_held == 0)
			return total;
		if ((rc = flush(p)) < 0)
			return rc;
		total += rc;
		/* A failed record is hidden for the visibility timeout, so
		 * one bad batch does not stop the drain; several in a row
		 * mean the table is down (or the timeout is 0 and the same
		 * records keep coming), and retrying at once will not help. */
		stuck = rc == 0 ? stuck + 1 : 0;
		if (stuck == DRAIN_MAX_STUCK)
			return xr_cloud_err_wrap(
				p->cloud, XR_EIO,
				"poller: drain: every record of the last "
				"batches failed, the rest is left in the "
				"queue; last failure");
	}
	return total;
}

void xr_poller_close(struct xr_poller *p)
{
	if (p == NULL)
		return;
	drop_held(p);
}
