/* xroadctl log [--top N] [--json]: the last N crossings of the crossings
 * table, newest first. Embedded cloud: the SQLite table in the configured
 * state_dir (state_dir/xroad.db), opened read-only. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_cluster.h"

int xr_ctl_log(int argc, char **argv)
{
	bool json = false;
	unsigned long top = 20;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) {
			char *end;
			errno = 0;
			top = strtoul(argv[++i], &end, 10);
			if (errno || *end || top == 0 || top > 1000000) {
				fprintf(stderr, "xroadctl log: --top %s: not a "
						"number in 1..1000000\n",
					argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: xroadctl --config FILE log [--top N] "
			       "[--json]\n");
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
	if (c.config.cloud != XR_CLOUD_EMBEDDED) {
		fprintf(stderr, "xroadctl log: %s uses cloud = aws; read the "
				"table with `aws dynamodb scan` (docs/DEPLOY.md)\n",
			c.config.path);
		return 1;
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
	sqlite3_stmt *st = NULL;
	const char *sql = "SELECT run, round, car, approach, turn, idx, "
			  "crossed_ms, after_deadlock FROM crossings "
			  "ORDER BY round DESC, idx DESC, car DESC LIMIT ?";
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "xroadctl log: %s: %s\n", db, sqlite3_errmsg(h));
		sqlite3_close(h);
		return 1;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)top);
	if (json)
		printf("{\"db\":");
	if (json) {
		xr_ctl_json_string(db);
		printf(",\"crossings\":[");
	} else {
		printf("%-24s %5s %4s %-3s %-8s %5s %s\n", "run", "round", "car",
		       "app", "turn", "index", "after deadlock");
	}
	int n = 0, step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *run = (const char *)sqlite3_column_text(st, 0);
		const char *ap = (const char *)sqlite3_column_text(st, 3);
		const char *turn = (const char *)sqlite3_column_text(st, 4);
		if (json) {
			printf("%s{\"run\":", n ? "," : "");
			xr_ctl_json_string(run);
			printf(",\"round\":%lld,\"car\":%lld,\"approach\":",
			       sqlite3_column_int64(st, 1),
			       sqlite3_column_int64(st, 2));
			xr_ctl_json_string(ap);
			printf(",\"turn\":");
			xr_ctl_json_string(turn);
			printf(",\"index\":%lld,\"crossed_ms\":%lld,"
			       "\"after_deadlock\":%s}",
			       sqlite3_column_int64(st, 5),
			       sqlite3_column_int64(st, 6),
			       sqlite3_column_int64(st, 7) ? "true" : "false");
		} else {
			printf("%-24s %5lld %4lld %-3s %-8s %5lld %s\n",
			       run ? run : "?", sqlite3_column_int64(st, 1),
			       sqlite3_column_int64(st, 2), ap ? ap : "?",
			       turn ? turn : "?", sqlite3_column_int64(st, 5),
			       sqlite3_column_int64(st, 7) ? "yes" : "no");
		}
		n++;
	}
	if (step != SQLITE_DONE)
		fprintf(stderr, "xroadctl log: %s: %s\n", db, sqlite3_errmsg(h));
	if (json)
		printf("]}\n");
	else if (n == 0)
		printf("(no crossings yet in %s)\n", db);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return step == SQLITE_DONE ? 0 : 1;
}
