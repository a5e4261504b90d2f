#include "cloud_fixture.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embedded.h"

uint64_t fx_clock_ms = 1000000;

uint64_t fx_clock(void *arg)
{
	return *(uint64_t *)arg;
}

int fx_tempdir(char *out, size_t len, const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(out, len, "%s/xroad-%s-XXXXXX",
			 tmp != NULL && *tmp ? tmp : "/tmp", tag);

	if (n < 0 || (size_t)n >= len)
		return -1;
	return mkdtemp(out) != NULL ? 0 : -1;
}

void fx_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[4096];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void fx_record(struct xr_crossing_record *r, const char *run, unsigned i)
{
	static const char *const ap[] = {"S", "E", "N", "W"};
	static const char *const tu[] = {"right", "straight", "left"};

	memset(r, 0, sizeof *r);
	snprintf(r->run, sizeof r->run, "%s", run);
	r->round = i / 30 + 1;
	r->car = i % 30 + 1;
	snprintf(r->approach, sizeof r->approach, "%s", ap[i % 4]);
	snprintf(r->turn, sizeof r->turn, "%s", tu[i % 3]);
	r->index = i % 30;
	r->crossed_ms = 1700000000000ULL + i;
	r->after_deadlock = (int)(i % 2);
}

char *fx_record_json(const char *run, unsigned i)
{
	struct xr_crossing_record r;
	char *json = NULL;

	fx_record(&r, run, i);
	if (xr_crossing_record_to_json(&r, &json) != 0)
		return NULL;
	return json;
}

long long fx_query(const char *dir, const char *sql)
{
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	snprintf(path, sizeof path, "%s/%s", dir, XR_EMBEDDED_DB);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK &&
	    sqlite3_busy_timeout(db, 10000) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "fx_query %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return v;
}

int fx_exec(const char *dir, const char *sql)
{
	char path[4096];
	sqlite3 *db = NULL;
	int rc = -1;

	snprintf(path, sizeof path, "%s/%s", dir, XR_EMBEDDED_DB);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
		    SQLITE_OK &&
	    sqlite3_busy_timeout(db, 10000) == SQLITE_OK &&
	    sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		rc = 0;
	else
		fprintf(stderr, "fx_exec %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_close_v2(db);
	return rc;
}

void fx_counts(const char *dir, long long *rows, long long *distinct)
{
	*rows = fx_query(dir, "select count(*) from crossings");
	/* Not count(distinct run||round||car): that concatenation collides
	 * once car ids reach two digits (round 1 car 12 vs round 11 car 2). */
	*distinct = fx_query(dir, "select count(*) from (select distinct run,"
				  " round, car from crossings)");
}
