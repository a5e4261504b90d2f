/* The crossing reports a node owes the cloud: the pending table (guarded by
 * rep_mtx; rep_cv tells the cloud worker, daemon_cloud.c, that one became
 * ready) and its files,
 *   node-N.pending/ one file per crossing report not yet accepted by the
 *                   cloud: rR.exit (the car left the box, its log index is not
 *                   known yet), rR.ready (complete, being sent). A report file
 *                   exists before the Crossed message leaves the car, and is
 *                   removed only once invoke_report succeeded, so a crash at
 *                   any point re-sends at most (the table is idempotent). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "err.h"
#include "log.h"

static void pending_path(const struct xr_daemon *d, uint32_t round,
			 const char *suffix, char *buf, size_t len)
{
	snprintf(buf, len, "%s/r%" PRIu32 ".%s", d->pending_dir, round, suffix);
}

static struct xr_pending *pending_find(struct xr_daemon *d, uint32_t round)
{
	for (int i = 0; i < XR_PENDING_MAX; i++)
		if (d->pending[i].used && d->pending[i].rec.round == round)
			return &d->pending[i];
	return NULL;
}

static struct xr_pending *pending_new(struct xr_daemon *d)
{
	for (int i = 0; i < XR_PENDING_MAX; i++)
		if (!d->pending[i].used) {
			memset(&d->pending[i], 0, sizeof d->pending[i]);
			d->pending[i].used = true;
			return &d->pending[i];
		}
	return NULL;
}

static int pending_write(struct xr_daemon *d, struct xr_pending *p)
{
	char path[XR_PATH_MAX + 64], old[XR_PATH_MAX + 64];
	char *json = NULL;
	int rc;

	rc = xr_crossing_record_to_json(&p->rec, &json);
	if (rc != 0)
		return rc;
	pending_path(d, p->rec.round, p->ready ? "ready" : "exit", path,
		     sizeof path);
	rc = xr_daemon_state_write_atomic(path, json, strlen(json));
	free(json);
	if (rc == 0 && p->ready) {
		pending_path(d, p->rec.round, "exit", old, sizeof old);
		unlink(old);
	}
	if (rc != 0)
		xr_log(XR_LOG_ERROR, "state_write_failed", "path=%s why=\"%s\"",
		       path, strerror(errno));
	return rc;
}

void xr_daemon_reports_load(struct xr_daemon *d)
{
	DIR *dir = opendir(d->pending_dir);
	struct dirent *e;

	if (dir == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		char path[XR_PATH_MAX + 300], err[256];
		const char *dot = strrchr(e->d_name, '.');
		char *json = NULL;
		struct xr_pending *p;
		struct xr_crossing_record rec;
		bool ready;

		if (e->d_name[0] != 'r' || dot == NULL)
			continue;
		if (strcmp(dot, ".ready") == 0)
			ready = true;
		else if (strcmp(dot, ".exit") == 0)
			ready = false;
		else
			continue;
		snprintf(path, sizeof path, "%s/%s", d->pending_dir, e->d_name);
		if (xr_read_file(path, 65536, &json, NULL, err, sizeof err) !=
		    0)
			continue;
		if (xr_crossing_record_from_json(json, &rec, err, sizeof err) !=
		    0) {
			xr_log(XR_LOG_ERROR, "pending_unreadable",
			       "path=%s why=\"%s\"", path, err);
			free(json);
			continue;
		}
		free(json);
		p = pending_find(d, rec.round);
		if (p == NULL)
			p = pending_new(d);
		if (p == NULL)
			break;
		if (p->ready && !ready)
			continue;
		p->rec = rec;
		p->ready = ready;
		if (!ready) {
			long idx = xr_daemon_state_log_index(d, rec.round);
			if (idx >= 0) {
				p->rec.index = (uint32_t)idx;
				p->ready = true;
				pending_write(d, p);
			}
		}
		xr_log(XR_LOG_INFO, "report_recovered", "round=%u ready=%d",
		       (unsigned)rec.round, p->ready ? 1 : 0);
	}
	closedir(dir);
}

void xr_daemon_report_exit(struct xr_daemon *d, const struct xr_effect *fx)
{
	struct xr_pending *p;

	pthread_mutex_lock(&d->rep_mtx);
	p = pending_find(d, fx->round);
	if (p != NULL) {
		pthread_mutex_unlock(&d->rep_mtx);
		return; /* already owed (a restart crossed again) */
	}
	p = pending_new(d);
	if (p == NULL) {
		pthread_mutex_unlock(&d->rep_mtx);
		xr_log(XR_LOG_ERROR, "report_dropped",
		       "round=%u why=\"too many pending reports\"",
		       (unsigned)fx->round);
		return;
	}
	snprintf(p->rec.run, sizeof p->rec.run, "%s", d->cfg.run);
	p->rec.round = fx->round;
	p->rec.car = fx->car;
	snprintf(p->rec.approach, sizeof p->rec.approach, "%s",
		 xr_approach_name(fx->intent.approach));
	snprintf(p->rec.turn, sizeof p->rec.turn, "%s",
		 xr_turn_name(fx->intent.turn));
	p->rec.crossed_ms = (uint64_t)((int64_t)fx->at_ms + d->wall_offset_ms);
	p->rec.after_deadlock = fx->after_deadlock ? 1 : 0;
	p->delay_ms = 50;
	pending_write(d, p);
	pthread_mutex_unlock(&d->rep_mtx);
}

void xr_daemon_report_logged(struct xr_daemon *d, const struct xr_crossing *c)
{
	struct xr_pending *p;

	if (c->car != d->self)
		return;
	pthread_mutex_lock(&d->rep_mtx);
	p = pending_find(d, c->round);
	if (p == NULL || p->ready) {
		pthread_mutex_unlock(&d->rep_mtx);
		return;
	}
	p->rec.index = c->index;
	p->ready = true;
	p->next_try_ms = 0;
	pending_write(d, p);
	/* The cloud worker waits on rep_cv for a report to become ready. */
	pthread_cond_signal(&d->rep_cv);
	pthread_mutex_unlock(&d->rep_mtx);
}

unsigned xr_daemon_reports_flush(struct xr_daemon *d, struct xr_cloud *cloud,
				 uint64_t now, bool force)
{
	for (;;) {
		struct xr_pending *p = NULL;
		struct xr_crossing_record rec;
		char path[XR_PATH_MAX + 64];
		char *json = NULL;
		unsigned left = 0;
		int rc;

		pthread_mutex_lock(&d->rep_mtx);
		for (int i = 0; i < XR_PENDING_MAX; i++) {
			struct xr_pending *q = &d->pending[i];
			if (!q->used || q->inflight)
				continue;
			if (p == NULL && q->ready &&
			    (force || q->next_try_ms <= now))
				p = q;
			else
				left++;
		}
		if (p == NULL) {
			pthread_mutex_unlock(&d->rep_mtx);
			return left;
		}
		p->inflight = true;
		rec = p->rec;
		pthread_mutex_unlock(&d->rep_mtx);

		rc = xr_crossing_record_to_json(&rec, &json);
		if (rc == 0)
			rc = cloud->ops->invoke_report(cloud, json);
		free(json);

		pthread_mutex_lock(&d->rep_mtx);
		p->inflight = false;
		p->tries++;
		if (rc != 0) {
			xr_log(XR_LOG_WARN, "report_failed",
			       "round=%u car=%u tries=%u why=\"%s\"",
			       (unsigned)rec.round, (unsigned)rec.car,
			       (unsigned)p->tries, cloud->err);
			p->next_try_ms = now + p->delay_ms;
			p->delay_ms =
				p->delay_ms < 5000 ? p->delay_ms * 2 : 5000;
			pthread_mutex_unlock(&d->rep_mtx);
			if (force)
				return left + 1;
			continue;
		}
		pending_path(d, rec.round, "ready", path, sizeof path);
		unlink(path);
		p->used = false;
		d->reports_sent++;
		pthread_mutex_unlock(&d->rep_mtx);
		xr_log(XR_LOG_INFO, "reported",
		       "run=%s round=%u car=%u index=%u turn=%s", rec.run,
		       (unsigned)rec.round, (unsigned)rec.car,
		       (unsigned)rec.index, rec.turn);
	}
}

uint64_t xr_daemon_reports_next(const struct xr_daemon *d)
{
	uint64_t next = UINT64_MAX;

	for (int i = 0; i < XR_PENDING_MAX; i++)
		if (d->pending[i].used && d->pending[i].ready &&
		    d->pending[i].next_try_ms < next)
			next = d->pending[i].next_try_ms;
	return next;
}
