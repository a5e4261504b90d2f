/* The node's event loop: network items and timers, each turned into
 * xr_node_step() events through daemon_step.c (the cloud work runs on the
 * worker thread, daemon_cloud.c); the timers are read back after every step
 * for the next wait. */
#include <stdlib.h>

#include "daemon.h"

#define MAX_WAIT_MS 200

static uint64_t next_deadline(struct xr_daemon *d, uint64_t now)
{
	uint64_t t = now + MAX_WAIT_MS;

	for (int k = 0; k < XR_TIMERS; k++)
		if (d->node.timer_at[k] < t)
			t = d->node.timer_at[k];
	return t;
}

static void fire_timers(struct xr_daemon *d)
{
	uint64_t now = xr_net_now();

	for (int k = 0; k < XR_TIMERS; k++) {
		if (d->node.timer_at[k] > now)
			continue;
		struct xr_event ev = {.type = XR_EV_TIMER,
				      .now_ms = now,
				      .timer = (enum xr_timer)k};
		if (xr_daemon_step(d, &ev) != 0 && d->node.timer_at[k] <= now)
			d->node.timer_at[k] =
				XR_NEVER; /* refused: never spin */
	}
}

static uint64_t earliest_timer(const struct xr_daemon *d)
{
	uint64_t t = XR_NEVER;

	for (int k = 0; k < XR_TIMERS; k++)
		if (d->node.timer_at[k] < t)
			t = d->node.timer_at[k];
	return t;
}

/* Direct dispatch from nng's callback threads (net.h). */
static void on_item(void *ctx, struct xr_net_item *it)
{
	struct xr_daemon *d = ctx;
	bool wake;

	pthread_mutex_lock(&d->core_mtx);
	if (d->stop || d->shutdown_fx) {
		xr_net_release(d->net, it);
		pthread_mutex_unlock(&d->core_mtx);
		return;
	}
	xr_daemon_handle(d, it);
	/* Timers the step made due now (cross_ms = 0) fire here rather than
	 * after a wake of the loop thread. */
	fire_timers(d);
	/* A timer due before the loop's next wake, or a shutdown: tell it. */
	wake = earliest_timer(d) < d->loop_deadline || d->shutdown_fx;
	pthread_mutex_unlock(&d->core_mtx);
	if (wake)
		xr_net_wake(d->net);
}

int xr_daemon_run(struct xr_daemon *d)
{
	struct xr_event start = {.type = XR_EV_START, .now_ms = xr_net_now()};
	struct xr_net_item it;

	pthread_mutex_lock(&d->core_mtx);
	xr_daemon_step(d, &start);
	pthread_mutex_unlock(&d->core_mtx);
	if (getenv("XROAD_QUEUED_DISPATCH") == NULL)
		xr_net_set_handler(d->net, on_item, d);
	for (;;) {
		uint64_t deadline;
		int got;

		pthread_mutex_lock(&d->core_mtx);
		if (d->stop || d->shutdown_fx) {
			pthread_mutex_unlock(&d->core_mtx);
			break;
		}
		deadline = next_deadline(d, xr_net_now());
		d->loop_deadline = deadline;
		pthread_mutex_unlock(&d->core_mtx);

		got = xr_net_next(d->net, deadline, &it);

		pthread_mutex_lock(&d->core_mtx);
		d->loop_deadline = 0; /* awake: handlers need not wake us */
		if (got == 1)
			xr_daemon_handle(d, &it);
		fire_timers(d);
		pthread_mutex_unlock(&d->core_mtx);
	}
	/* Callbacks from now on release their items without stepping. */
	xr_net_set_handler(d->net, on_item, d);
	return 0;
}
