/* The local event-source poller: the stand-in for Lambda's SQS event source
 * mapping. It receives queue messages, batches them (batch size 5, or what
 * is there when the batching window closes), hands each batch to the
 * store_crossings handler as the SQS event AWS would build, and deletes only
 * the records the handler did not name in batchItemFailures.
 *
 * Driven from an event loop: xr_poller_poll() never sleeps (it receives with
 * wait 0), does at most one batch per call, and xr_poller_next_ms() says when
 * it wants to be called again. Works over either backend. Not thread-safe;
 * one poller per cloud handle.
 *
 * Crash safety (I5): a message is deleted only after the handler has stored
 * it, so a poller killed at any point leaves undeleted messages that come
 * back after the visibility timeout and are stored again idempotently. Keep
 * window_ms well below the queue's visibility timeout. */
#ifndef XR_POLLER_H
#define XR_POLLER_H

#include <stddef.h>
#include <stdint.h>

#include "cloud.h"

#define XR_POLLER_BATCH 5       /* the event source's batch size */
#define XR_POLLER_WINDOW_MS 200 /* batching window */
#define XR_POLLER_IDLE_MS                                                      \
	100 /* receive no more often than this while short \
				 */

/* A batch handler, shaped like xr_lambda_store_crossings (the default). */
typedef int (*xr_poller_handler)(struct xr_cloud *c, const char *event_json,
				 char **result_json);

/* Points between the steps of one batch, for the tests' crash injection. */
enum xr_poller_step {
	XR_POLLER_RECEIVED, /* messages received and held */
	XR_POLLER_HANDLED,  /* the handler returned */
	XR_POLLER_DELETED,  /* the stored messages are deleted */
};

struct xr_poller_config {
	size_t batch_size;  /* 1..XR_QUEUE_BATCH_MAX; 0: XR_POLLER_BATCH */
	uint32_t window_ms; /* 0: XR_POLLER_WINDOW_MS */
	uint32_t idle_ms;   /* 0: XR_POLLER_IDLE_MS */
	/* eventSourceARN and awsRegion written into events; NULL: local ones.
	 */
	const char *queue_arn;
	const char *region;
	xr_poller_handler handler; /* NULL: xr_lambda_store_crossings */
	void (*on_step)(void *arg, enum xr_poller_step step); /* may be NULL */
	void *step_arg;
};

struct xr_poller {
	struct xr_cloud *cloud; /* borrowed; must outlive the poller */
	struct xr_poller_config cfg;
	char arn[256];
	char region[64];
	struct xr_queue_msg held[XR_QUEUE_BATCH_MAX]; /* bodies owned here */
	size_t n_held;
	uint64_t first_held_ms; /* when the oldest held message was received */
	uint64_t next_receive_ms;
	uint64_t stored;  /* records stored and deleted, since init */
	uint64_t failed;  /* records named in batchItemFailures, since init */
	uint64_t batches; /* handler calls, since init */
};

/* `cfg` may be NULL (all defaults). Errors: XR_EINVAL, message in c->err. */
int xr_poller_init(struct xr_poller *p, struct xr_cloud *c,
		   const struct xr_poller_config *cfg);

/* One step: receive if due, and hand over one batch if it is full or its
 * window has closed. Returns the number of records stored by this call
 * (0 if none), or a negative XR_E* code with c->err set ("poller: ...");
 * after an error the poller stays usable and simply tries again later. */
int xr_poller_poll(struct xr_poller *p, uint64_t now_ms);

/* The earliest time at which xr_poller_poll() has something to do. */
uint64_t xr_poller_next_ms(const struct xr_poller *p);

/* For shutdown: hands over what is held, then receives and hands over
 * batches until the queue has nothing visible left (messages hidden by
 * another consumer are left to the visibility timeout). Blocks for as long
 * as that takes. Returns the number of records stored, or a negative code:
 * at once when the handler itself fails, and after 3 batches in a row in
 * which every record failed (the table is down; retrying at once would not
 * help). Failed records stay in the queue either way. */
int xr_poller_drain(struct xr_poller *p, uint64_t now_ms);

/* Drops held messages without deleting them: they come back after the
 * visibility timeout. */
void xr_poller_close(struct xr_poller *p);

#endif
