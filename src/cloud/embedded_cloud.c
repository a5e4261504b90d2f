/* The embedded backend: opening and closing its SQLite database, the schema,
 * and the table of its operations (embedded_sql.c has the helpers they share).
 *
 * Several processes of one machine (the light's poller, reporting nodes,
 * the tests' forked writers) share STATE_DIR/xroad.db, so the database runs
 * in WAL mode with a busy timeout and every write is a BEGIN IMMEDIATE
 * transaction: a writer waits for the lock instead of failing, and a kill at
 * any point leaves either the whole transaction or none of it (I5). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "embedded.h"
#include "embedded_impl.h"
#include "err.h"

#define BUSY_TIMEOUT_MS 10000

const struct xr_cloud_ops xr_embedded_ops = {
	.name = "embedded",
	.fetch = xr_emb_fetch,
	.invoke_report = xr_emb_invoke_report,
	.queue_send = xr_emb_queue_send,
	.queue_receive = xr_emb_queue_receive,
	.queue_delete = xr_emb_queue_delete,
	.table_put = xr_emb_table_put,
	.close = xr_emb_close,
};

static const char schema[] =
	/* The queue: a message is visible when visible_ms <= now; receiving
	 * it moves visible_ms into the future and gives it a fresh receipt,
	 * and only that latest receipt deletes it (SQS semantics). */
	"CREATE TABLE IF NOT EXISTS queue("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" body TEXT NOT NULL,"
	" sent_ms INTEGER NOT NULL,"
	" visible_ms INTEGER NOT NULL,"
	" receipt TEXT UNIQUE,"
	" receives INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS queue_visible ON queue(visible_ms, seq);"
	/* Messages received too often without being deleted (a poison
	 * message), kept for inspection as an SQS dead-letter queue would. */
	"CREATE TABLE IF NOT EXISTS queue_dead("
	" seq INTEGER PRIMARY KEY,"
	" id TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" sent_ms INTEGER NOT NULL,"
	" receives INTEGER NOT NULL,"
	" dead_ms INTEGER NOT NULL);"
	/* The crossings table; the key makes every write idempotent. */
	"CREATE TABLE IF NOT EXISTS crossings("
	" run TEXT, round INTEGER, car INTEGER, approach TEXT, turn TEXT,"
	" idx INTEGER, crossed_ms INTEGER, after_deadlock INTEGER,"
	" PRIMARY KEY(run, round, car));";

static uint64_t wall_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads a whole-number environment setting; absent keeps `*out`. */
static int env_uint(struct xr_cloud *c, const char *name, uint32_t *out)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] == '-' || s[0] == '+' ||
	    v > UINT32_MAX)
		return xr_cloud_errf(
			c, XR_ECONFIG,
			"embedded: %s: not a whole number: \"%.40s\"", name, s);
	*out = (uint32_t)v;
	return 0;
}

static int env_sync(struct xr_cloud *c, const char **pragma)
{
	const char *s = getenv("XROAD_EMBEDDED_SYNC");

	/* NORMAL in WAL mode survives a killed process (what I5 is about) and
	 * costs no fsync per crossing; FULL also survives a power cut. */
	*pragma = "PRAGMA synchronous=NORMAL";
	if (s == NULL || *s == '\0' || strcmp(s, "normal") == 0)
		return 0;
	if (strcmp(s, "full") == 0) {
		*pragma = "PRAGMA synchronous=FULL";
		return 0;
	}
	return xr_cloud_errf(
		c, XR_ECONFIG,
		"embedded: XROAD_EMBEDDED_SYNC: not normal or full: "
		"\"%.40s\"",
		s);
}

/* mkdir -p: the state directory of a fresh checkout does not exist yet. */
static int make_dirs(struct xr_cloud *c, const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof path)
		return xr_cloud_errf(c, XR_EINVAL,
				     "embedded: state_dir: empty or too long");
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return xr_cloud_errf(c, XR_EIO,
					     "embedded: mkdir %s: %s", path,
					     strerror(errno));
		path[i] = i == n ? '\0' : '/';
	}
	return 0;
}

/* Switching a new database to WAL takes an exclusive lock, and SQLite
 * reports "database is locked" at once instead of calling the busy handler
 * when another process is doing the same; so the switch is retried here
 * for as long as the busy timeout would have waited. */
static int set_wal(struct xr_cloud *c)
{
	struct xr_embedded *e = c->impl;
	const struct timespec nap = {0, 10 * 1000000L};

	for (int waited = 0;; waited += 10) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(e->db, "PRAGMA journal_mode=WAL",
					    -1, &st, NULL);
		const unsigned char *mode;

		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			mode = sqlite3_column_text(st, 0);
			rc = 0;
			if (mode == NULL ||
			    sqlite3_stricmp((const char *)mode, "wal") != 0)
				rc = xr_cloud_errf(
					c, XR_EIO,
					"embedded journal_mode=WAL: %s: "
					"got \"%s\" (a file system "
					"without shared memory?)",
					e->db_path,
					mode ? (const char *)mode : "?");
			sqlite3_finalize(st);
			return rc;
		}
		sqlite3_finalize(st);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			return xr_emb_sqlerr(c, "journal_mode=WAL");
		if (waited >= BUSY_TIMEOUT_MS)
			return xr_emb_sqlerr(c, "journal_mode=WAL");
		nanosleep(&nap, NULL);
	}
}

static int open_db(struct xr_cloud *c, const char *sync_pragma)
{
	struct xr_embedded *e = c->impl;
	int rc;

	rc = sqlite3_open_v2(e->db_path, &e->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		if (e->db == NULL)
			return xr_cloud_errf(c, XR_ENOMEM,
					     "embedded open %s: %s", e->db_path,
					     sqlite3_errstr(rc));
		return xr_emb_sqlerr(c, "open");
	}
	sqlite3_extended_result_codes(e->db, 1);
	sqlite3_busy_timeout(e->db, BUSY_TIMEOUT_MS);
	if ((rc = set_wal(c)) != 0)
		return rc;
	if (sqlite3_exec(e->db, sync_pragma, NULL, NULL, NULL) != SQLITE_OK)
		return xr_emb_sqlerr(c, "synchronous");
	if ((rc = xr_emb_begin(c, "schema")) != 0)
		return rc;
	if (sqlite3_exec(e->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		rc = xr_emb_sqlerr(c, "schema");
		xr_emb_rollback(c);
		return rc;
	}
	return xr_emb_commit(c, "schema");
}

void xr_emb_close(struct xr_cloud *c)
{
	struct xr_embedded *e = c->impl;

	if (e == NULL)
		return;
	sqlite3_close_v2(e->db);
	free(e);
	c->impl = NULL;
}

int xr_cloud_open_embedded(struct xr_cloud *c, const char *state_dir)
{
	struct xr_embedded *e;
	const char *sync_pragma;
	int n, rc;

	if (c == NULL)
		return XR_EINVAL;
	memset(c, 0, sizeof *c);
	if (state_dir == NULL)
		return xr_cloud_errf(c, XR_EINVAL, "embedded: no state_dir");
	e = calloc(1, sizeof *e);
	if (e == NULL)
		return xr_cloud_errf(c, XR_ENOMEM, "embedded: out of memory");
	e->visibility_ms = XR_EMBEDDED_VISIBILITY_MS;
	e->max_receives = XR_EMBEDDED_MAX_RECEIVES;
	e->now_ms = wall_ms;
	n = snprintf(e->db_path, sizeof e->db_path, "%s/%s", state_dir,
		     XR_EMBEDDED_DB);
	if (n < 0 || (size_t)n >= sizeof e->db_path) {
		free(e);
		return xr_cloud_errf(c, XR_EINVAL,
				     "embedded: state_dir too long");
	}
	c->ops = &xr_embedded_ops;
	c->impl = e;
	if ((rc = env_uint(c, "XROAD_EMBEDDED_VISIBILITY_MS",
			   &e->visibility_ms)) != 0 ||
	    (rc = env_uint(c, "XROAD_EMBEDDED_MAX_RECEIVES",
			   &e->max_receives)) != 0 ||
	    (rc = env_sync(c, &sync_pragma)) != 0 ||
	    (rc = make_dirs(c, state_dir)) != 0 ||
	    (rc = open_db(c, sync_pragma)) != 0) {
		char err[XR_CLOUD_ERR_MAX];

		memcpy(err, c->err, sizeof err);
		xr_emb_close(c);
		memcpy(c->err, err, sizeof err);
		c->ops = NULL;
		return rc;
	}
	return 0;
}

static struct xr_embedded *embedded_of(struct xr_cloud *c)
{
	if (c == NULL || c->ops == NULL || c->impl == NULL ||
	    c->ops->fetch != xr_emb_fetch)
		return NULL;
	return c->impl;
}

int xr_emb_set_clock(struct xr_cloud *c, uint64_t (*now_ms)(void *arg),
		     void *arg)
{
	struct xr_embedded *e = embedded_of(c);

	if (e == NULL)
		return XR_EINVAL;
	e->now_ms = now_ms != NULL ? now_ms : wall_ms;
	e->now_arg = now_ms != NULL ? arg : NULL;
	return 0;
}

int xr_emb_set_visibility(struct xr_cloud *c, uint32_t ms)
{
	struct xr_embedded *e = embedded_of(c);

	if (e == NULL)
		return XR_EINVAL;
	e->visibility_ms = ms;
	return 0;
}

int xr_emb_set_max_receives(struct xr_cloud *c, uint32_t n)
{
	struct xr_embedded *e = embedded_of(c);

	if (e == NULL)
		return XR_EINVAL;
	e->max_receives = n;
	return 0;
}
