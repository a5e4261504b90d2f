/* The SQLite helpers every operation of the embedded backend shares: its
 * error line, its clock and its transactions. A leaf: the operation files
 * (embedded_queue.c, embedded_table.c, ...) and the backend's opening
 * (embedded_cloud.c) call it, it calls none of them. */
#include <sqlite3.h>

#include "embedded_impl.h"
#include "err.h"

int xr_emb_sqlerr(struct xr_cloud *c, const char *what)
{
	struct xr_embedded *e = c->impl;
	int rc = sqlite3_extended_errcode(e->db);

	return xr_cloud_errf(c, rc == SQLITE_NOMEM ? XR_ENOMEM : XR_EIO,
			     "embedded %s: %s: %s", what, e->db_path,
			     sqlite3_errmsg(e->db));
}

uint64_t xr_emb_now(struct xr_embedded *e)
{
	return e->now_ms(e->now_arg);
}

int xr_emb_begin(struct xr_cloud *c, const char *what)
{
	struct xr_embedded *e = c->impl;

	if (sqlite3_exec(e->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return xr_emb_sqlerr(c, what);
	return 0;
}

int xr_emb_commit(struct xr_cloud *c, const char *what)
{
	struct xr_embedded *e = c->impl;

	if (sqlite3_exec(e->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = xr_emb_sqlerr(c, what);

		xr_emb_rollback(c);
		return rc;
	}
	return 0;
}

void xr_emb_rollback(struct xr_cloud *c)
{
	struct xr_embedded *e = c->impl;

	/* Fails harmlessly when SQLite already rolled back on its own. */
	if (!sqlite3_get_autocommit(e->db))
		sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
}
