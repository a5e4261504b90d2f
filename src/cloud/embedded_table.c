/* Embedded table: the crossings table keyed by (run, round, car). A write
 * is INSERT ... ON CONFLICT DO NOTHING, so a redelivered or resent crossing
 * is a no-op and the first copy stays (all copies of one crossing are equal:
 * I4 makes every node agree on the log). The batch is one transaction: a
 * kill mid-batch writes all of it or none, and the redelivery fills in. */
#include <stdio.h>

#include "cloud_json.h"
#include "embedded_impl.h"
#include "err.h"

static int put_one(struct xr_cloud *c, sqlite3_stmt *st,
		   const struct xr_crossing_record *r)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_text(st, 1, r->run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->round);
	sqlite3_bind_int64(st, 3, r->car);
	sqlite3_bind_text(st, 4, r->approach, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->turn, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, r->index);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->crossed_ms);
	sqlite3_bind_int64(st, 8, r->after_deadlock ? 1 : 0);
	if (sqlite3_step(st) != SQLITE_DONE)
		return xr_emb_sqlerr(c, "table put");
	return 0;
}

int xr_emb_table_put(struct xr_cloud *c,
		     const struct xr_crossing_record *records, size_t n,
		     int *failed)
{
	struct xr_embedded *e = c->impl;
	sqlite3_stmt *st = NULL;
	char why[XR_CLOUD_ERR_MAX];
	int rc;

	if (n == 0)
		return 0;
	if (records == NULL || failed == NULL)
		return xr_cloud_errf(c, XR_EINVAL, "table put: no records");
	for (size_t i = 0; i < n; i++)
		failed[i] = 1;
	if ((rc = xr_emb_begin(c, "table put")) != 0)
		return rc;
	if (sqlite3_prepare_v2(e->db,
			       "INSERT INTO crossings(run, round, car, "
			       "approach, turn, idx,"
			       " crossed_ms, after_deadlock)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
			       " ON CONFLICT(run, round, car) DO NOTHING",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = xr_emb_sqlerr(c, "table put");
		xr_emb_rollback(c);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		/* The table is the last line of defence for the key. */
		if (xr_crossing_record_check(&records[i], why, sizeof why)) {
			xr_cloud_errf(c, XR_ERANGE, "table put: record %zu: %s",
				      i, why);
			continue;
		}
		if (put_one(c, st, &records[i]) != 0) {
			/* An I/O error may have rolled the transaction back
			 * behind our back: then nothing of it counts. */
			if (sqlite3_get_autocommit(e->db))
				break;
			continue;
		}
		failed[i] = 0;
	}
	sqlite3_finalize(st);
	/* Nothing of a transaction that did not commit was written. */
	if (sqlite3_get_autocommit(e->db) || xr_emb_commit(c, "table put") != 0)
		for (size_t i = 0; i < n; i++)
			failed[i] = 1;
	return 0;
}
