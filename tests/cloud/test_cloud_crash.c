/* I5 under kill -9: a process killed between any two steps of the crossing
 * path (after the queue took a report but before the sender learnt it;
 * after a receive; after the handler stored a batch but before the delete;
 * after the delete) and, in a second part, at random instants (inside
 * SQLite transactions too), then restarted: every crossing lands in the
 * table exactly once, on real SQLite files. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cloud.h"
#include "cloud_fixture.h"
#include "embedded.h"
#include "err.h"
#include "poller.h"

#define N 12
#define K_AFTER_SEND (-1)

struct kill_plan {
	int step; /* an xr_poller_step, or K_AFTER_SEND */
	int nth;  /* kill at the nth occurrence (1-based), or record nth */
	int seen;
};

static void on_step(void *arg, enum xr_poller_step s)
{
	struct kill_plan *k = arg;

	if ((int)s == k->step && ++k->seen == k->nth)
		raise(SIGKILL);
}

/* The node side: report every crossing, then poll it into the table. */
static void child(const char *dir, struct kill_plan *k, unsigned n)
{
	struct xr_poller_config cfg = {.on_step = on_step, .step_arg = k};
	struct xr_poller p;
	struct xr_cloud c;

	if (xr_cloud_open_embedded(&c, dir) != 0)
		_exit(3);
	for (unsigned i = 0; i < n; i++) {
		char *j = fx_record_json("crash", i);

		if (c.ops->invoke_report(&c, j) != 0)
			_exit(4);
		free(j);
		/* The report is queued; the sender never hears so. */
		if (k->step == K_AFTER_SEND && (unsigned)k->nth == i)
			raise(SIGKILL);
	}
	if (xr_poller_init(&p, &c, &cfg) != 0 || xr_poller_drain(&p, 0) < 0)
		_exit(5);
	_exit(0);
}

/* The restart: the sender resends everything it has no ack for (here:
 * everything), and a poller whose clock is past every visibility deadline
 * drains the queue. */
static void recover_and_check(const char *dir, unsigned n, const char *what)
{
	struct xr_cloud c;
	struct xr_poller p;
	long long rows, distinct;
	static uint64_t later;

	later = (uint64_t)time(NULL) * 1000 + 3600 * 1000;
	CHECK_EQ(xr_cloud_open_embedded(&c, dir), 0);
	CHECK_EQ(xr_emb_set_clock(&c, fx_clock, &later), 0);
	for (unsigned i = 0; i < n; i++) {
		char *j = fx_record_json("crash", i);

		CHECK_EQ(c.ops->invoke_report(&c, j), 0);
		free(j);
	}
	CHECK_EQ(xr_poller_init(&p, &c, NULL), 0);
	CHECK(xr_poller_drain(&p, later) >= 0);
	xr_poller_close(&p);
	xr_cloud_close(&c);
	fx_counts(dir, &rows, &distinct);
	if (rows != n || distinct != n)
		fprintf(stderr, "%s: rows %lld distinct %lld want %u\n", what,
			rows, distinct, n);
	CHECK_EQ(rows, n);
	CHECK_EQ(distinct, n);
	CHECK_EQ(fx_query(dir, "select count(*) from queue"), 0);
	CHECK_EQ(fx_query(dir, "select count(*) from queue_dead"), 0);
	CHECK_EQ(fx_query(dir, "select count(*) from pragma_integrity_check"
			       " where integrity_check != 'ok'"),
		 0);
}

static void kill_between_steps(void)
{
	static const struct {
		int step, nth;
		const char *name;
	} plans[] = {
		{K_AFTER_SEND, 0, "after first queue_send"},
		{K_AFTER_SEND, 5, "after a middle queue_send"},
		{K_AFTER_SEND, N - 1, "after last queue_send"},
		{XR_POLLER_RECEIVED, 1, "after first receive"},
		{XR_POLLER_RECEIVED, 3, "after third receive"},
		{XR_POLLER_HANDLED, 1, "after table_put, before delete"},
		{XR_POLLER_HANDLED, 3, "after last table_put, before delete"},
		{XR_POLLER_DELETED, 1, "after first delete"},
		{XR_POLLER_DELETED, 2, "after second delete"},
	};

	for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
		struct kill_plan k = {plans[i].step, plans[i].nth, 0};
		char dir[512];
		int status = 0;
		pid_t pid;

		CHECK_EQ(fx_tempdir(dir, sizeof dir, "crash"), 0);
		fflush(NULL);
		pid = fork();
		if (pid == 0)
			child(dir, &k, N);
		CHECK(pid > 0);
		CHECK(waitpid(pid, &status, 0) == pid);
		if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
			fprintf(stderr, "%s: child not killed (status %d)\n",
				plans[i].name, status);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		recover_and_check(dir, N, plans[i].name);
		fx_rmdir(dir);
	}
}

/* A node that reports and polls for ever, with a short visibility window
 * so that redeliveries happen while it runs. */
static void busy_child(const char *dir, unsigned n)
{
	struct xr_poller_config cfg = {.window_ms = 1, .idle_ms = 1};
	struct xr_poller p;
	struct xr_cloud c;
	struct timespec ts;

	if (xr_cloud_open_embedded(&c, dir) != 0 ||
	    xr_emb_set_visibility(&c, 20) != 0 ||
	    xr_poller_init(&p, &c, &cfg) != 0)
		_exit(3);
	for (;;) {
		for (unsigned i = 0; i < n; i++) {
			char *j = fx_record_json("crash", i);

			if (c.ops->invoke_report(&c, j) != 0)
				_exit(4);
			free(j);
			clock_gettime(CLOCK_REALTIME, &ts);
			if (xr_poller_poll(&p, (uint64_t)ts.tv_sec * 1000 +
						       (uint64_t)ts.tv_nsec /
							       1000000) < 0)
				_exit(5);
		}
	}
}

static void kill_at_random(void)
{
	uint64_t s = 0x2545f4914f6cdd1dULL;
	char dir[512];

	CHECK_EQ(fx_tempdir(dir, sizeof dir, "crash-random"), 0);
	/* The schema exists first, so that even the earliest kill finds a
	 * node at work rather than one still opening its database. */
	{
		struct xr_cloud c;

		CHECK_EQ(xr_cloud_open_embedded(&c, dir), 0);
		xr_cloud_close(&c);
	}
	for (int round = 0; round < 25; round++) {
		struct timespec nap;
		int status = 0;
		pid_t pid;

		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		fflush(NULL);
		pid = fork();
		if (pid == 0)
			busy_child(dir, 90);
		CHECK(pid > 0);
		nap.tv_sec = 0;
		nap.tv_nsec = (long)(5 + s % 60) * 1000000L;
		nanosleep(&nap, NULL);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid);
		/* Killed, not failed on its own. */
		CHECK(WIFSIGNALED(status));
	}
	/* The kills landed on a working node, not on one still starting. */
	CHECK(fx_query(dir, "select count(*) from crossings") > 0);
	recover_and_check(dir, 90, "random kills");
	fx_rmdir(dir);
}

int main(void)
{
	kill_between_steps();
	kill_at_random();
	CHECK_DONE("test_cloud_crash");
}
