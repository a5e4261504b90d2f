/* The one small interface between xroad and "the cloud": fetch the routes
 * file, report a crossing, and the queue and table the two Lambda handlers
 * use. Two backends sit behind it, side by side like nng's transports:
 *   - embedded (default): local files, an SQLite queue and an SQLite
 *     crossings table (src/cloud/embedded_*.c);
 *   - aws: S3, Lambda, SQS and DynamoDB over SigV4 (src/cloud/aws_*.c).
 * The Lambda handlers (lambda/) only ever see this interface, so the code that
 * runs in AWS Lambda is the code a local run exercises.
 *
 * Errors: every call returns 0 or a negative XR_E* code and, on error, writes
 * one line to cloud->err naming what failed and where, wrapped at each layer
 * ("s3 GetObject routes.csv: HTTP 403: AccessDenied"). */
#ifndef XR_CLOUD_H
#define XR_CLOUD_H

#include <stddef.h>
#include <stdint.h>

#define XR_CLOUD_ERR_MAX 512
#define XR_QUEUE_BATCH_MAX 10 /* SQS ReceiveMessage's own maximum */

/* A crossing as the cloud carries it (JSON in the Lambda payload, the queue
 * body and the table item; see docs/CLOUD.md). (run, round, car) is the key. */
struct xr_crossing_record {
	char run[40];
	uint32_t round;
	uint32_t car;
	char approach[2]; /* "S" "E" "N" "W" */
	char turn[9];     /* "right" "straight" "left" */
	uint32_t index;   /* position in the round's log */
	uint64_t crossed_ms;
	int after_deadlock;
};

/* One received queue message. Owned by the caller's array. */
struct xr_queue_msg {
	char id[128];
	char receipt[1024];
	char *body; /* malloc'ed by queue_receive; freed by xr_queue_msgs_free */
};

struct xr_cloud;

struct xr_cloud_ops {
	const char *name; /* "embedded" or "aws" */
	/* Reads the object at `source` (a path, or s3://bucket/key). On success
	 * *data is malloc'ed (caller frees), NUL-terminated, *len excludes it. */
	int (*fetch)(struct xr_cloud *c, const char *source, char **data,
		     size_t *len);
	/* Hands one crossing report (the JSON payload) to the report_crossing
	 * Lambda: a Lambda Invoke on aws, a direct call of the handler locally. */
	int (*invoke_report)(struct xr_cloud *c, const char *payload_json);
	/* Queue: at-least-once. */
	int (*queue_send)(struct xr_cloud *c, const char *body);
	int (*queue_receive)(struct xr_cloud *c, struct xr_queue_msg *msgs,
			     size_t max, int wait_ms, size_t *n);
	int (*queue_delete)(struct xr_cloud *c, const struct xr_queue_msg *msgs,
			    size_t n);
	/* Table: writes records keyed by (run, round, car), idempotently. On
	 * return failed[i] != 0 marks record i as not written (throttled,
	 * unprocessed); the call itself fails only when nothing could be tried. */
	int (*table_put)(struct xr_cloud *c,
			 const struct xr_crossing_record *records, size_t n,
			 int *failed);
	/* Bounds every later call, retries included, by `until_mono_ms`
	 * (CLOCK_MONOTONIC ms; 0 lifts it). May be NULL: the backend has
	 * nothing that could outlast a deadline. */
	void (*set_deadline)(struct xr_cloud *c, uint64_t until_mono_ms);
	void (*close)(struct xr_cloud *c);
};

struct xr_cloud {
	const struct xr_cloud_ops *ops;
	void *impl;                 /* the backend's own state */
	char err[XR_CLOUD_ERR_MAX]; /* last error, one line */
};

/* Backends. `state_dir` holds the embedded queue and table (xroad.db). */
int xr_cloud_open_embedded(struct xr_cloud *c, const char *state_dir);
/* Reads endpoints, region, credentials from the environment (docs/CLOUD.md). */
int xr_cloud_open_aws(struct xr_cloud *c);
void xr_cloud_close(struct xr_cloud *c);
/* A Lambda invocation's deadline for every call that follows: past it the
 * calls fail with XR_ETIMEDOUT instead of starting (table_put marks the
 * records failed). 0 lifts it. A no-op where the backend has no such bound. */
void xr_cloud_set_deadline(struct xr_cloud *c, uint64_t until_mono_ms);

void xr_queue_msgs_free(struct xr_queue_msg *msgs, size_t n);

/* Record <-> JSON, strict: unknown types, missing fields, values out of
 * range are rejected with a message in `err`. *json is malloc'ed. */
int xr_crossing_record_to_json(const struct xr_crossing_record *r, char **json);
int xr_crossing_record_from_json(const char *json, struct xr_crossing_record *r,
				 char *err, size_t err_len);

#endif
