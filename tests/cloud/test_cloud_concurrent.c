/* Two processes sharing one database (WAL + busy_timeout), each reporting
 * crossings and running a poller on the same queue at the same time, with
 * half of their crossings in common: no call fails on a lock, and every
 * crossing is in the table exactly once. */
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

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void worker(const char *dir, int go_fd, unsigned from, unsigned to)
{
	struct xr_poller_config cfg = {.window_ms = 5, .idle_ms = 2};
	struct xr_poller p;
	struct xr_cloud c;
	char b;

	/* Both open the database at the same moment: the schema creation
	 * and the switch to WAL race too. */
	if (read(go_fd, &b, 1) < 0)
		_exit(2);
	if (xr_cloud_open_embedded(&c, dir) != 0) {
		fprintf(stderr, "open: %s\n", c.err);
		_exit(3);
	}
	if (xr_poller_init(&p, &c, &cfg) != 0)
		_exit(3);
	for (unsigned i = from; i < to; i++) {
		char *j = fx_record_json("conc", i);

		if (c.ops->invoke_report(&c, j) != 0) {
			fprintf(stderr, "report %u: %s\n", i, c.err);
			_exit(4);
		}
		free(j);
		if (xr_poller_poll(&p, wall_ms()) < 0) {
			fprintf(stderr, "poll: %s\n", c.err);
			_exit(5);
		}
	}
	if (xr_poller_drain(&p, wall_ms()) < 0) {
		fprintf(stderr, "drain: %s\n", c.err);
		_exit(6);
	}
	xr_poller_close(&p);
	xr_cloud_close(&c);
	_exit(0);
}

int main(void)
{
	char dir[512];
	int go[2];
	pid_t a, b;
	int sa = -1, sb = -1;
	long long rows, distinct;
	struct xr_cloud c;
	struct xr_poller p;
	static uint64_t later;

	CHECK_EQ(fx_tempdir(dir, sizeof dir, "concurrent"), 0);
	CHECK_EQ(pipe(go), 0);
	fflush(NULL);
	a = fork();
	if (a == 0) {
		close(go[1]);
		worker(dir, go[0], 0, 600);
	}
	b = fork();
	if (b == 0) {
		close(go[1]);
		worker(dir, go[0], 300, 900);
	}
	close(go[0]);
	close(go[1]); /* both read EOF: go */
	CHECK(waitpid(a, &sa, 0) == a);
	CHECK(waitpid(b, &sb, 0) == b);
	CHECK(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
	CHECK(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);

	/* What one worker held when the other drained is hidden for the
	 * visibility window; a poller past it picks up any such leftover. */
	later = wall_ms() + 3600 * 1000;
	CHECK_EQ(xr_cloud_open_embedded(&c, dir), 0);
	CHECK_EQ(xr_emb_set_clock(&c, fx_clock, &later), 0);
	CHECK_EQ(xr_poller_init(&p, &c, NULL), 0);
	CHECK(xr_poller_drain(&p, later) >= 0);
	xr_poller_close(&p);
	xr_cloud_close(&c);

	fx_counts(dir, &rows, &distinct);
	CHECK_EQ(rows, 900);
	CHECK_EQ(distinct, 900);
	CHECK_EQ(fx_query(dir, "select count(*) from queue"), 0);
	CHECK_EQ(fx_query(dir, "select count(*) from queue_dead"), 0);
	fx_rmdir(dir);
	CHECK_DONE("test_cloud_concurrent");
}
