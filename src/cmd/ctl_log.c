/* xroadctl log [--top N] [--run RUN] [--json] [--follow]: the last N
 * crossings of this run (the configuration's, or RUN: a table holds one run
 * per deployment) in the crossings table, newest first: the SQLite table in
 * the configured state_dir (state_dir/xroad.db, read-only) with cloud =
 * embedded, the DynamoDB table with cloud = aws (ctl_log_dynamodb.c).
 * --follow (embedded only) prints them oldest first and then every row as
 * it is stored, like tail -f, until SIGINT or SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud_json.h"
#include "ctl.h"
#include "ctl_cluster.h"
#include "ctl_log.h"

static volatile sig_atomic_t follow_stop;

static void on_stop(int sig)
{
	(void)sig;
	follow_stop = 1;
}

static void row_read(sqlite3_stmt *st, struct xr_ctl_log_row *r)
{
	const unsigned char *t;
	t = sqlite3_column_text(st, 0);
	snprintf(r->run, sizeof r->run, "%s", t ? (const char *)t : "?");
	r->round = sqlite3_column_int64(st, 1);
	r->car = sqlite3_column_int64(st, 2);
	t = sqlite3_column_text(st, 3);
	snprintf(r->approach, sizeof r->approach, "%s",
		 t ? (const char *)t : "?");
	t = sqlite3_column_text(st, 4);
	snprintf(r->turn, sizeof r->turn, "%s", t ? (const char *)t : "?");
	r->index = sqlite3_column_int64(st, 5);
	r->crossed_ms = sqlite3_column_int64(st, 6);
	r->after_deadlock = sqlite3_column_int64(st, 7) != 0;
}

/* One row as a JSON object, without a line end. */
static void row_json(const struct xr_ctl_log_row *r)
{
	printf("{\"run\":");
	xr_ctl_json_string(r->run);
	printf(",\"round\":%lld,\"car\":%lld,\"approach\":", r->round, r->car);
	xr_ctl_json_string(r->approach);
	printf(",\"turn\":");
	xr_ctl_json_string(r->turn);
	printf(",\"index\":%lld,\"crossed_ms\":%lld,\"after_deadlock\":%s}",
	       r->index, r->crossed_ms, r->after_deadlock ? "true" : "false");
}

static void row_print(const struct xr_ctl_log_row *r, bool json)
{
	if (json) {
		/* One object per line: a stream a script reads line by line. */
		row_json(r);
		printf("\n");
	} else {
		printf("%-24s %5lld %4lld %-3s %-8s %5lld %s\n", r->run,
		       r->round, r->car, r->approach, r->turn, r->index,
		       r->after_deadlock ? "yes" : "no");
	}
}

/* Prints rows (newest first) as a table or as {"source":..., "crossings":[...]}. */
static void rows_print(const char *source, const struct xr_ctl_log_row *rows,
		       size_t n, bool json)
{
	if (json) {
		printf("{\"source\":");
		xr_ctl_json_string(source);
		printf(",\"crossings\":[");
		for (size_t i = 0; i < n; i++) {
			printf("%s", i ? "," : "");
			row_json(&rows[i]);
		}
		printf("]}\n");
		return;
	}
	printf("%-24s %5s %4s %-3s %-8s %5s %s\n", "run", "round", "car", "app",
	       "turn", "index", "after deadlock");
	for (size_t i = 0; i < n; i++)
		row_print(&rows[i], false);
	if (n == 0)
		printf("(no crossings yet in %s)\n", source);
}

/* --follow: rows in the order they were stored (SQLite's rowid grows with
 * every insert), so a round the poller stores late is still printed, once.
 * The last `top` first, then every new one, polling every 250 ms. */
static int follow(sqlite3 *h, const char *db, const char *run,
		  unsigned long top, bool json)
{
	const char *sql =
		"SELECT run, round, car, approach, turn, idx, crossed_ms, "
		"after_deadlock, rowid FROM crossings WHERE run = ?1 AND rowid > ?2 "
		"ORDER BY rowid";
	sqlite3_stmt *st = NULL;
	sqlite3_int64 last = 0;
	struct timespec nap = {0, 250 * 1000000L};

	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	if (sqlite3_prepare_v2(
		    h,
		    "SELECT coalesce(min(rowid) - 1, 0) FROM (SELECT rowid FROM "
		    "crossings WHERE run = ?1 ORDER BY rowid DESC LIMIT ?2)",
		    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)top);
	if (sqlite3_step(st) == SQLITE_ROW)
		last = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (!json)
		printf("%-24s %5s %4s %-3s %-8s %5s %s\n", "run", "round",
		       "car", "app", "turn", "index", "after deadlock");
	fflush(stdout);
	while (!follow_stop) {
		int step;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, last);
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			struct xr_ctl_log_row r;
			row_read(st, &r);
			last = sqlite3_column_int64(st, 8);
			row_print(&r, json);
		}
		/* A writer holding the database past the busy timeout is
		 * not an error for a follower: the next poll gets the rows. */
		if (step != SQLITE_DONE && step != SQLITE_BUSY &&
		    step != SQLITE_LOCKED)
			goto fail;
		fflush(stdout);
		nanosleep(&nap, NULL);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return 0;
fail:
	fprintf(stderr, "xroadctl log: %s: %s\n", db, sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return 1;
}

int xr_ctl_log(int argc, char **argv)
{
	bool json = false, follow_on = false;
	unsigned long top = 20;
	const char *run = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--follow") == 0 ||
			   strcmp(argv[i], "-f") == 0) {
			follow_on = true;
		} else if (strcmp(argv[i], "--run") == 0 && i + 1 < argc) {
			/* the crossing record's rule (docs/CLOUD.md): anything
			 * else names no run that could be in the table */
			run = argv[++i];
			if (!xr_cloud_run_valid(run)) {
				fprintf(stderr,
					"xroadctl log: --run \"%s\": not a run id "
					"(1 to 39 of A-Z a-z 0-9 . _ : -)\n",
					run);
				return 2;
			}
		} else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) {
			char *end;
			errno = 0;
			top = strtoul(argv[++i], &end, 10);
			if (errno || *end || top == 0 || top > 1000000) {
				fprintf(stderr,
					"xroadctl log: --top %s: not a "
					"number in 1..1000000\n",
					argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: xroadctl --config FILE log [--top N] "
			       "[--run RUN] [--json] [--follow]\n"
			       "The newest N (default 20) crossings of RUN (by "
			       "default the configuration's run),\nnewest first.\n"
			       "--follow: the newest N oldest first, then each "
			       "crossing as it is stored,\nuntil Ctrl-C (--json: "
			       "one object per line); cloud = embedded only.\n");
			return 0;
		} else {
			fprintf(stderr, "xroadctl log: unknown argument %s\n",
				argv[i]);
			return 2;
		}
	}
	if (xr_ctl_global.config == NULL) {
		fprintf(stderr, "xroadctl log: needs --config FILE (the table "
				"lives in its state_dir)\n");
		return 2;
	}
	struct xr_ctl_cluster c;
	int rc = xr_ctl_cluster_open(&c);
	if (rc != 0)
		return rc;
	if (c.config.cloud != XR_CLOUD_EMBEDDED && follow_on) {
		/* Polling DynamoDB twice a second costs reads; a stream would
		 * be the way there (docs/XROADCTL.md). */
		fprintf(stderr,
			"xroadctl log: --follow reads the embedded cloud's "
			"table; %s has cloud = aws\n",
			xr_ctl_global.config);
		return 2;
	}
	if (run == NULL)
		run = c.config.run;
	static struct xr_ctl_log_row rows[1000];
	size_t n = 0;
	if (c.config.cloud != XR_CLOUD_EMBEDDED) {
		char where[600];
		rc = xr_ctl_log_dynamodb(run, top, rows, 256, &n, where,
					 sizeof where);
		if (rc == 0)
			rows_print(where, rows, n, json);
		return rc;
	}
	char db[XR_PATH_MAX + 16];
	snprintf(db, sizeof db, "%s/xroad.db", c.config.state_dir);
	sqlite3 *h = NULL;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "xroadctl log: %s: %s\n", db,
			h ? sqlite3_errmsg(h) : "cannot open");
		sqlite3_close(h);
		return 1;
	}
	sqlite3_busy_timeout(h, 2000);
	if (follow_on)
		return follow(h, db, run, top, json);
	sqlite3_stmt *st = NULL;
	const char *sql = "SELECT run, round, car, approach, turn, idx, "
			  "crossed_ms, after_deadlock FROM crossings "
			  "WHERE run = ? ORDER BY round DESC, idx DESC LIMIT ?";
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "xroadctl log: %s: %s\n", db,
			sqlite3_errmsg(h));
		sqlite3_close(h);
		return 1;
	}
	sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)top);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW &&
	       n < sizeof rows / sizeof rows[0]) {
		row_read(st, &rows[n++]);
	}
	int ok = step == SQLITE_DONE || step == SQLITE_ROW;
	if (!ok)
		fprintf(stderr, "xroadctl log: %s: %s\n", db,
			sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_close(h);
	if (!ok)
		return 1;
	rows_print(db, rows, n, json);
	return 0;
}
