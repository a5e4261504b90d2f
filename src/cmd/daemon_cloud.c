/* The cloud worker: one thread per node with its own cloud handle, so that
 * no SQLite transaction or HTTP request ever holds up the event loop (a round
 * with cross_ms = 0 is a few ms; a queue write is about as long). It sends
 * the car's crossing reports as they become ready, with backoff on failure,
 * and, while this node coordinates, the queue poller (batches of 5 to the
 * store handler): the poller stands in for Lambda's event source mapping, a
 * duty of the light that a car elected coordinator takes over
 * (docs/FAILURES.md). Only where `poller =` makes the coordinator the
 * consumer: by default with the embedded backend, never by default on AWS,
 * where the event source mapping is the one consumer (docs/CONFIG.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "err.h"
#include "log.h"

#define WORKER_IDLE_MS 100

/* Opens or closes the poller as the loop thread asked (poller_wanted). A
 * closed poller's held messages are not deleted: they come back after the
 * queue's visibility timeout, to whichever node coordinates then. */
static int open_poller(struct xr_daemon *d)
{
	if (xr_poller_init(&d->poller, &d->worker_cloud, NULL) != 0)
		return XR_ECLOUD;
	d->poller_open = true;
	return 0;
}

static void follow_coordinator(struct xr_daemon *d, bool wanted)
{
	if (wanted && !d->poller_open) {
		if (open_poller(d) != 0) {
			xr_log(XR_LOG_ERROR, "poller_failed", "why=\"%s\"",
			       d->worker_cloud.err);
			return;
		}
		xr_log(XR_LOG_INFO, "poller", "state=running node=%u",
		       (unsigned)d->self);
	} else if (!wanted && d->poller_open) {
		xr_poller_close(&d->poller);
		d->poller_open = false;
		xr_log(XR_LOG_INFO, "poller", "state=stopped node=%u",
		       (unsigned)d->self);
	}
}

static void *worker_main(void *arg)
{
	struct xr_daemon *d = arg;

	for (;;) {
		uint64_t now = xr_net_now(), next = now + WORKER_IDLE_MS, r;
		struct timespec until;

		pthread_mutex_lock(&d->rep_mtx);
		bool stop = d->worker_stop, wanted = d->poller_wanted;
		pthread_mutex_unlock(&d->rep_mtx);
		if (stop)
			break;
		follow_coordinator(d, wanted);
		xr_daemon_reports_flush(d, &d->worker_cloud, now, false);
		if (d->poller_open && xr_poller_next_ms(&d->poller) <= now) {
			int rc = xr_poller_poll(&d->poller, now);
			if (rc < 0)
				xr_log(XR_LOG_WARN, "poller_failed",
				       "why=\"%s\"", d->worker_cloud.err);
			else if (rc > 0)
				__atomic_add_fetch(&d->stored, (uint64_t)rc,
						   __ATOMIC_RELAXED);
		}
		now = xr_net_now();
		pthread_mutex_lock(&d->rep_mtx);
		r = xr_daemon_reports_next(d);
		if (r < next)
			next = r;
		if (d->poller_open) {
			r = xr_poller_next_ms(&d->poller);
			if (r < next)
				next = r;
		}
		if (next > now && !d->worker_stop) {
			/* rep_cv waits on CLOCK_REALTIME; convert the delay. */
			uint64_t wait = next - now;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += (time_t)(wait / 1000);
			until.tv_nsec += (long)(wait % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&d->rep_cv, &d->rep_mtx, &until);
		}
		pthread_mutex_unlock(&d->rep_mtx);
	}
	return NULL;
}

int xr_daemon_worker_start(struct xr_daemon *d, char *err, size_t err_len)
{
	int rc;

	if (d->cluster.cloud == XR_CLOUD_AWS)
		rc = xr_cloud_open_aws(&d->worker_cloud);
	else
		rc = xr_cloud_open_embedded(&d->worker_cloud,
					    d->cluster.state_dir);
	if (rc != 0) {
		snprintf(err, err_len, "cloud worker: %s", d->worker_cloud.err);
		return rc;
	}
	/* The light starts as coordinator; if its poller cannot open, the
	 * node cannot do its job: refuse to start. */
	d->poller_on = xr_cluster_poller_on(&d->cluster);
	d->poller_wanted = d->is_light && d->poller_on;
	if (d->is_light && !d->poller_on)
		xr_log(XR_LOG_INFO, "poller", "state=off node=%u why=\"%s\"",
		       (unsigned)d->self,
		       d->cluster.poller == XR_POLLER_OFF
			       ? "poller = off"
			       : "cloud = aws: the event source mapping consumes the queue");
	if (d->poller_wanted && open_poller(d) != 0) {
		snprintf(err, err_len, "poller: %s", d->worker_cloud.err);
		xr_cloud_close(&d->worker_cloud);
		return XR_ECLOUD;
	}
	if (pthread_create(&d->worker, NULL, worker_main, d) != 0) {
		snprintf(err, err_len, "cloud worker: cannot start a thread");
		return XR_ENOMEM;
	}
	d->worker_running = true;
	return 0;
}

void xr_daemon_worker_follow(struct xr_daemon *d, bool coordinating)
{
	pthread_mutex_lock(&d->rep_mtx);
	d->poller_wanted = coordinating && d->poller_on;
	pthread_cond_signal(&d->rep_cv);
	pthread_mutex_unlock(&d->rep_mtx);
}

void xr_daemon_worker_stop(struct xr_daemon *d)
{
	if (!d->worker_running)
		return;
	pthread_mutex_lock(&d->rep_mtx);
	d->worker_stop = true;
	pthread_cond_signal(&d->rep_cv);
	pthread_mutex_unlock(&d->rep_mtx);
	pthread_join(d->worker, NULL);
	d->worker_running = false;
}
