/* The demo's view of the embedded crossings table: what landed, read back
 * from the database itself (not from any node's memory), so the printout is
 * evidence of I5. */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>

#include "embedded.h"
#include "err.h"

static int fail(sqlite3 *db, const char *db_path, const char *what)
{
	fprintf(stderr, "xroad: crossings %s: %s: %s\n", db_path, what,
		db != NULL ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_close_v2(db);
	return XR_EIO;
}

/* Messages that could not be stored are not lost but are not in the table
 * either; the printout says so rather than letting the count look short
 * for no reason. Older databases without the table count as none. */
static long long count_dead(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM queue_dead", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int xr_emb_print_crossings(const char *db_path, const char *run, FILE *out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long dead;
	int rows = 0, step;

	if (db_path == NULL || out == NULL) {
		fprintf(stderr, "xroad: crossings: no database path\n");
		return XR_EINVAL;
	}
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		return fail(db, db_path, "open");
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db,
			       "SELECT run, round, idx, car, approach, turn,"
			       " crossed_ms, after_deadlock FROM crossings"
			       " WHERE ?1 IS NULL OR run = ?1"
			       " ORDER BY run, round, idx, car",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(db, db_path, "query");
	if (run != NULL)
		sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
	fprintf(out, "%-20s %6s %4s %4s %-8s %-9s %15s %s\n", "run", "round",
		"idx", "car", "approach", "turn", "crossed_ms",
		"after_deadlock");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *r = sqlite3_column_text(st, 0);
		const unsigned char *a = sqlite3_column_text(st, 4);
		const unsigned char *t = sqlite3_column_text(st, 5);

		fprintf(out, "%-20s %6lld %4lld %4lld %-8s %-9s %15lld %s\n",
			r != NULL ? (const char *)r : "?",
			sqlite3_column_int64(st, 1),
			sqlite3_column_int64(st, 2),
			sqlite3_column_int64(st, 3),
			a != NULL ? (const char *)a : "?",
			t != NULL ? (const char *)t : "?",
			sqlite3_column_int64(st, 6),
			sqlite3_column_int64(st, 7) ? "yes" : "no");
		rows++;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return fail(db, db_path, "read");
	dead = count_dead(db);
	fprintf(out, "%d crossings%s%s in %s\n", rows,
		run != NULL ? " of run " : "", run != NULL ? run : "", db_path);
	if (dead > 0)
		fprintf(out,
			"warning: %lld queue messages could not be stored "
			"(see table queue_dead)\n",
			dead);
	sqlite3_close_v2(db);
	return rows;
}
