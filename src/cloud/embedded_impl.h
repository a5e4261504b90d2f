/* State shared by the embedded backend's files (embedded_*.c): one SQLite
 * database per state directory holding the queue and the crossings table. */
#ifndef XR_EMBEDDED_IMPL_H
#define XR_EMBEDDED_IMPL_H

#include <limits.h>
#include <sqlite3.h>
#include <stdint.h>

#include "cloud.h"
#include "cloud_err.h"

struct xr_embedded {
	sqlite3 *db;
	char db_path[PATH_MAX];
	uint32_t visibility_ms;
	uint32_t max_receives;
	uint64_t (*now_ms)(void *arg);
	void *now_arg;
};

extern const struct xr_cloud_ops xr_embedded_ops;

/* xr_cloud_errf with SQLite's own message for the failed call appended. */
int xr_emb_sqlerr(struct xr_cloud *c, const char *what);

uint64_t xr_emb_now(struct xr_embedded *e);

/* Opens a write transaction at once (BEGIN IMMEDIATE) so that a second
 * process waits in busy_timeout instead of failing later on lock upgrade. */
int xr_emb_begin(struct xr_cloud *c, const char *what);
int xr_emb_commit(struct xr_cloud *c, const char *what);
void xr_emb_rollback(struct xr_cloud *c);

/* Backend operations, one file each. */
int xr_emb_fetch(struct xr_cloud *c, const char *source, char **data,
		 size_t *len);
int xr_emb_invoke_report(struct xr_cloud *c, const char *payload_json);
int xr_emb_queue_send(struct xr_cloud *c, const char *body);
int xr_emb_queue_receive(struct xr_cloud *c, struct xr_queue_msg *msgs,
			 size_t max, int wait_ms, size_t *n);
int xr_emb_queue_delete(struct xr_cloud *c, const struct xr_queue_msg *msgs,
			size_t n);
int xr_emb_table_put(struct xr_cloud *c,
		     const struct xr_crossing_record *records, size_t n,
		     int *failed);
void xr_emb_close(struct xr_cloud *c);

#endif
