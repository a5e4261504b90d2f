/* What a node keeps in state_dir (the reports in node-N.pending/ are
 * daemon_reports.c's).
 *
 *   node-N.state    the core's struct xr_durable, one line of key=value
 *                   pairs, rewritten whenever the core says it changed
 *                   (a key missing from an older file reads as 0);
 *   node-N.log      the crossing log, one "round index car" line per entry,
 *                   cut back to the durable count at start (a kill -9 between
 *                   the append and the state write leaves one line too many,
 *                   which the core appends again). */
#include <fcntl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "err.h"
#include "log.h"

static int mkdirs(const char *path)
{
	char buf[XR_PATH_MAX + 32];
	size_t n = strlen(path);

	if (n >= sizeof buf)
		return -1;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST)
				return -1;
			buf[i] = c;
		}
	}
	return 0;
}

int xr_daemon_state_write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[XR_PATH_MAX + 64];
	FILE *f;
	int ok;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return XR_EINVAL;
	f = fopen(tmp, "wb");
	if (f == NULL)
		return XR_EIO;
	ok = fwrite(data, 1, len, f) == len && fflush(f) == 0;
	if (ok && getenv("XROAD_FSYNC") != NULL)
		ok = fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return XR_EIO;
	}
	return 0;
}

static int parse_u64_field(const char *s, const char *key, uint64_t *out)
{
	const char *p = strstr(s, key);
	char *end;

	if (p == NULL)
		return -1;
	p += strlen(key);
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	*out = strtoull(p, &end, 10);
	return errno == 0 ? 0 : -1;
}

/* The index of our own crossing of `round` in the log file, or -1. Read
 * line by line: a taken-out car's "round index car left" line is skipped,
 * not the end of the scan. */
long xr_daemon_state_log_index(struct xr_daemon *d, uint32_t round)
{
	FILE *f = fopen(d->log_path, "r");
	char line[128];
	unsigned r, i, c;
	long found = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%u %u %u", &r, &i, &c) == 3 && r == round &&
		    c == d->self && strstr(line, "left") == NULL)
			found = (long)i;
	fclose(f);
	return found;
}

/* Keeps the first `count` lines of the log file. */
static int log_truncate(struct xr_daemon *d, uint32_t count)
{
	char *text = NULL, err[256];
	size_t len = 0, cut = 0;
	uint32_t lines = 0;

	if (xr_read_file(d->log_path, 64u << 20, &text, &len, err,
			 sizeof err) != 0)
		return 0; /* no log yet */
	while (cut < len && lines < count) {
		char *nl = memchr(text + cut, '\n', len - cut);
		if (nl == NULL)
			break;
		cut = (size_t)(nl - text) + 1;
		lines++;
	}
	if (cut != len) {
		xr_log(XR_LOG_INFO, "log_repaired", "path=%s kept=%u",
		       d->log_path, (unsigned)lines);
		if (xr_daemon_state_write_atomic(d->log_path, text, cut) != 0) {
			free(text);
			return XR_EIO;
		}
	}
	free(text);
	return 0;
}

/* "last_log=1:0:3,1:1:2" of the state line into durable->last_log; a
 * malformed entry ends the list (what came before it is kept). */
static void parse_last_log(const char *text, struct xr_durable *durable)
{
	const char *p = strstr(text, " last_log=");
	durable->last_log_n = 0;
	if (p == NULL)
		return;
	p += strlen(" last_log=");
	while (durable->last_log_n < XR_MAX_CARS) {
		unsigned long v[3];
		for (int k = 0; k < 3; k++) {
			char *end;
			errno = 0;
			v[k] = strtoul(p, &end, 10);
			if (errno != 0 || end == p || v[k] > UINT32_MAX)
				return;
			p = end;
			if (k < 2 && *p++ != ':')
				return;
		}
		if (v[1] >= XR_MAX_CARS || v[2] >= XR_MAX_NODES)
			return;
		struct xr_crossing *c =
			&durable->last_log[durable->last_log_n++];
		c->round = (uint32_t)v[0];
		c->index = (uint32_t)v[1];
		c->car = (uint32_t)v[2];
		c->left = p[0] == ':' && p[1] == 'L';
		if (c->left)
			p += 2;
		if (*p != ',')
			return;
		p++;
	}
}

/* arrivals_from_ms is the core's clock, CLOCK_MONOTONIC, which restarts
 * at 0 when the host boots: a car whose host rebooted would wait for its
 * vehicles as long as the old boot had run when it first started. So the
 * state line also holds that instant on the wall clock, and a value that no
 * longer stands for it (ahead of the clock, or more than ARRIVALS_SKEW_MS
 * off: another boot) is taken from the wall clock instead. */
#define ARRIVALS_SKEW_MS 10000

static void arrivals_rebase(struct xr_daemon *d, const char *text,
			    struct xr_durable *durable)
{
	uint64_t wall, mono = durable->arrivals_from_ms;

	if (mono == 0 ||
	    parse_u64_field(text, " arrivals_from_wall_ms=", &wall) != 0 ||
	    wall > INT64_MAX)
		return;
	int64_t off = (int64_t)mono + d->wall_offset_ms - (int64_t)wall;
	if (mono <= xr_net_now() && off <= ARRIVALS_SKEW_MS &&
	    off >= -ARRIVALS_SKEW_MS)
		return;
	int64_t from = (int64_t)wall - d->wall_offset_ms;
	durable->arrivals_from_ms = from > 0 ? (uint64_t)from : 1;
	xr_log(XR_LOG_INFO, "arrivals_rebased",
	       "from_ms=%" PRIu64 " was=%" PRIu64 " wall_ms=%" PRIu64
	       " why=\"the monotonic clock restarted (host reboot?)\"",
	       durable->arrivals_from_ms, mono, wall);
}

int xr_daemon_state_open(struct xr_daemon *d, struct xr_durable *durable,
			 bool *have_durable)
{
	const char *dir = d->cluster.state_dir;
	char *text = NULL, err[256];
	uint64_t v;
	struct timespec wall, mono;

	clock_gettime(CLOCK_REALTIME, &wall);
	mono.tv_sec = 0;
	d->wall_offset_ms = (int64_t)wall.tv_sec * 1000 +
			    wall.tv_nsec / 1000000 - (int64_t)xr_net_now();
	(void)mono;
	if (mkdirs(dir) != 0) {
		xr_log(XR_LOG_ERROR, "state_dir_failed", "path=%s why=\"%s\"",
		       dir, strerror(errno));
		return XR_EIO;
	}
	snprintf(d->state_path, sizeof d->state_path, "%s/node-%u.state", dir,
		 (unsigned)d->self);
	snprintf(d->log_path, sizeof d->log_path, "%s/node-%u.log", dir,
		 (unsigned)d->self);
	snprintf(d->pending_dir, sizeof d->pending_dir, "%s/node-%u.pending",
		 dir, (unsigned)d->self);
	if (mkdirs(d->pending_dir) != 0)
		return XR_EIO;
	d->state_fd = -1;
	*have_durable = false;
	memset(durable, 0, sizeof *durable);
	if (xr_read_file(d->state_path, 4096, &text, NULL, err, sizeof err) ==
	    0) {
		if (parse_u64_field(text, "log_count=", &v) == 0 &&
		    v <= UINT32_MAX) {
			durable->log_count = (uint32_t)v;
			if (parse_u64_field(text, "log_digest=", &v) == 0)
				durable->log_digest = v;
#define DURABLE_U32(f)                                                         \
	if (parse_u64_field(text, " " #f "=", &v) == 0 && v <= UINT32_MAX)     \
		durable->f = (uint32_t)v;
			DURABLE_U32(last_round)
			DURABLE_U32(crossings)
			DURABLE_U32(last_crossed_round)
			DURABLE_U32(acked_round)
			DURABLE_U32(snapshot_floor)
			DURABLE_U32(epoch)
			DURABLE_U32(target_round)
			DURABLE_U32(entered_round)
			DURABLE_U32(left_count)
#undef DURABLE_U32
			if (parse_u64_field(text, " arrivals_from_ms=", &v) ==
			    0)
				durable->arrivals_from_ms = v;
			arrivals_rebase(d, text, durable);
			parse_last_log(text, durable);
			*have_durable = true;
		} else {
			xr_log(XR_LOG_ERROR, "state_unreadable", "path=%s",
			       d->state_path);
			free(text);
			return XR_EIO;
		}
		free(text);
	}
	if (log_truncate(d, *have_durable ? durable->log_count : 0) != 0)
		return XR_EIO;
	d->log_file = fopen(d->log_path, "a");
	if (d->log_file == NULL) {
		xr_log(XR_LOG_ERROR, "log_open_failed", "path=%s why=\"%s\"",
		       d->log_path, strerror(errno));
		return XR_EIO;
	}
	return 0;
}

int xr_daemon_state_append(struct xr_daemon *d, const struct xr_crossing *c)
{
	/* "round index car", and " left" for a car taken out of the round.
	 * Buffered: a round's end appends every crossing of the round in one
	 * step, written by one xr_daemon_state_flush_log() at the step's end
	 * (one write for the round, not one per car). */
	if (fprintf(d->log_file, "%u %u %u%s\n", (unsigned)c->round,
		    (unsigned)c->index, (unsigned)c->car,
		    c->left ? " left" : "") < 0) {
		xr_log(XR_LOG_ERROR, "log_write_failed", "path=%s why=\"%s\"",
		       d->log_path, strerror(errno));
		return XR_EIO;
	}
	d->crossings_logged++;
	return 0;
}

int xr_daemon_state_flush_log(struct xr_daemon *d)
{
	if (d->log_file == NULL || fflush(d->log_file) == 0)
		return 0;
	xr_log(XR_LOG_ERROR, "log_write_failed", "path=%s why=\"%s\"",
	       d->log_path, strerror(errno));
	return XR_EIO;
}

uint32_t xr_daemon_state_read_round(struct xr_daemon *d, uint32_t round,
				    struct xr_crossing out[XR_MAX_CARS])
{
	/* Line by line: this runs under the core's lock (a LogFetch), so
	 * the log is not read into memory whole. */
	FILE *f = fopen(d->log_path, "r");
	char line[64];
	uint32_t n = 0;

	if (f == NULL) {
		xr_log(XR_LOG_WARN, "log_read_failed", "path=%s why=\"%s\"",
		       d->log_path, strerror(errno));
		return 0;
	}
	while (n < XR_MAX_CARS && fgets(line, sizeof line, f) != NULL) {
		unsigned r, i, c;
		int used = 0;
		if (sscanf(line, "%u %u %u%n", &r, &i, &c, &used) == 3 &&
		    r == round)
			out[n++] = (struct xr_crossing){
				.round = r,
				.index = i,
				.car = c,
				.left = strstr(line + used, "left") != NULL};
	}
	fclose(f);
	return n;
}

/* The state line is padded to a fixed width and rewritten in place with one
 * pwrite(): a process killed at any instant leaves either the old or the new
 * line (a single write to the page cache is not torn by SIGKILL). With
 * XROAD_FSYNC set, temp file + fsync + rename instead, for power loss. */
#define STATE_LINE 1024 /* one page at most: one pwrite is never torn */

int xr_daemon_state_persist(struct xr_daemon *d)
{
	const struct xr_durable *u = &d->node.durable;
	char line[STATE_LINE + 64];
	int n = snprintf(line, sizeof line,
			 "log_count=%" PRIu32 " log_digest=%" PRIu64
			 " last_round=%" PRIu32 " crossings=%" PRIu32
			 " last_crossed_round=%" PRIu32 " acked_round=%" PRIu32
			 " snapshot_floor=%" PRIu32 " epoch=%" PRIu32
			 " target_round=%" PRIu32 " entered_round=%" PRIu32
			 " left_count=%" PRIu32 " arrivals_from_ms=%" PRIu64,
			 u->log_count, u->log_digest, u->last_round,
			 u->crossings, u->last_crossed_round, u->acked_round,
			 u->snapshot_floor, u->epoch, u->target_round,
			 u->entered_round, u->left_count, u->arrivals_from_ms);
	/* The same instant on the wall clock (arrivals_rebase). */
	if (u->arrivals_from_ms != 0 && n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - (size_t)n,
			      " arrivals_from_wall_ms=%" PRId64,
			      (int64_t)u->arrivals_from_ms + d->wall_offset_ms);
	if (n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - (size_t)n, " last_log=");
	/* The last round's log, "round:index:car" joined by commas, ":L"
	 * after a car taken out of the round. */
	for (uint32_t i = 0; i < u->last_log_n && i < XR_MAX_CARS && n > 0 &&
			     (size_t)n < sizeof line;
	     i++)
		n += snprintf(line + n, sizeof line - (size_t)n,
			      "%s%" PRIu32 ":%" PRIu32 ":%" PRIu32 "%s",
			      i ? "," : "", u->last_log[i].round,
			      u->last_log[i].index, u->last_log[i].car,
			      u->last_log[i].left ? ":L" : "");
	if (n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - (size_t)n, " end\n");
	int rc;

	if (getenv("XROAD_FSYNC") == NULL) {
		if (n < 0 || n >= STATE_LINE) {
			rc = XR_EINVAL;
		} else {
			memset(line + n - 1, ' ', (size_t)(STATE_LINE - n));
			line[STATE_LINE - 1] = '\n';
			if (d->state_fd < 0)
				d->state_fd = open(
					d->state_path,
					O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			rc = d->state_fd >= 0 &&
					     pwrite(d->state_fd, line,
						    STATE_LINE, 0) == STATE_LINE
				     ? 0
				     : XR_EIO;
		}
	} else {
		rc = xr_daemon_state_write_atomic(d->state_path, line,
						  (size_t)n);
	}
	if (rc != 0)
		xr_log(XR_LOG_ERROR, "state_write_failed", "path=%s why=\"%s\"",
		       d->state_path, strerror(errno));
	return rc;
}

void xr_daemon_state_close(struct xr_daemon *d)
{
	if (d->state_fd >= 0)
		close(d->state_fd);
	d->state_fd = -1;
	if (d->log_file != NULL)
		fclose(d->log_file);
	d->log_file = NULL;
}

int xr_daemon_routes(struct xr_daemon *d, uint32_t weights[XR_TURNS], char *err,
		     size_t err_len)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	rc = d->cloud.ops->fetch(&d->cloud, d->cluster.routes, &data, &len);
	if (rc != 0) {
		snprintf(err, err_len, "routes %s: %s", d->cluster.routes,
			 d->cloud.err);
		return rc;
	}
	if (strlen(data) != len) {
		free(data);
		snprintf(err, err_len,
			 "%s: contains a NUL byte (not a routes file)",
			 d->cluster.routes);
		return XR_ECONFIG;
	}
	rc = xr_routes_parse(data, d->cluster.routes, weights, err, err_len);
	free(data);
	return rc;
}
