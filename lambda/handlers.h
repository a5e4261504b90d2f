/* The two Lambda handlers of the crossing path, as plain functions: event
 * JSON in, result JSON out, every side effect through the cloud interface.
 * AWS Lambda runs them from the custom runtime loop (lambda/runtime*.c); the
 * embedded backend and the local poller call them directly, so a local run
 * exercises the code that runs in AWS.
 *
 * Ownership: on success *result_json is malloc'ed and the caller frees it;
 * on error it is NULL, the return is a negative XR_E* code and c->err holds
 * one line starting with the handler's name. Neither handler keeps any
 * pointer to its input. */
#ifndef XR_LAMBDA_HANDLERS_H
#define XR_LAMBDA_HANDLERS_H

#include "cloud.h"

/* Largest event either handler parses: Lambda's own 6 MB invoke limit. */
#define XR_LAMBDA_EVENT_MAX (6u * 1024 * 1024)

/* report_crossing: the invoke payload is one crossing record as JSON
 * (docs/CLOUD.md). It is validated strictly and its canonical form is sent
 * to the queue. Result: {"status":"queued","run":..,"round":..,"car":..}.
 * Errors: XR_EDECODE / XR_ERANGE / XR_ETOOBIG for a bad payload (do not
 * retry), the queue's code when sending failed (retry: the table is
 * idempotent, a resend lands once). */
int xr_lambda_report_crossing(struct xr_cloud *c, const char *event_json,
			      char **result_json);

/* store_crossings: an SQS event {"Records":[{"messageId","body",...}]} ->
 * table_put of every record's crossing. Result (partial batch response):
 * {"batchItemFailures":[{"itemIdentifier":"<messageId>"},...]} naming only
 * the records that were not stored (bad body, or the table refused them), so
 * the event source deletes the rest. An event that is not of that shape, or
 * a record without a usable messageId, fails the whole call (XR_EDECODE):
 * the whole batch then comes back, as AWS does for an unnamed failure. */
int xr_lambda_store_crossings(struct xr_cloud *c, const char *sqs_event_json,
			      char **result_json);

#endif
