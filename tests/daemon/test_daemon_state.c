/* node-N.state (src/cmd/daemon_state.c): every field of struct xr_durable
 * read back as written, by both ways of writing (in place; XROAD_FSYNC's
 * temp file + rename); a state file from before arrivals_from_ms reads it
 * as 0; and a car's arrivals_from_ms (CLOCK_MONOTONIC) from another boot is
 * taken from the wall clock the line also holds. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkf.h"
#include "daemon.h"
#include "log.h"
#include "net.h"

static struct xr_daemon d;

static int64_t wall_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void reopen(struct xr_durable *out, bool *have)
{
	xr_daemon_state_close(&d);
	CHECK(xr_daemon_state_open(&d, out, have) == 0, "state_open");
}

static void write_state(const char *line)
{
	FILE *f = fopen(d.state_path, "w");
	CHECK(f != NULL, "open %s", d.state_path);
	if (f != NULL) {
		fputs(line, f);
		fclose(f);
	}
}

static void same(const struct xr_durable *a, const struct xr_durable *b,
		 const char *what)
{
	CHECK(a->log_count == b->log_count && a->log_digest == b->log_digest &&
		      a->last_round == b->last_round &&
		      a->crossings == b->crossings &&
		      a->last_crossed_round == b->last_crossed_round &&
		      a->acked_round == b->acked_round &&
		      a->snapshot_floor == b->snapshot_floor &&
		      a->epoch == b->epoch &&
		      a->target_round == b->target_round &&
		      a->entered_round == b->entered_round &&
		      a->left_count == b->left_count,
	      "%s: counters differ", what);
	CHECK(a->arrivals_from_ms == b->arrivals_from_ms,
	      "%s: arrivals_from_ms %" PRIu64 ", wrote %" PRIu64, what,
	      a->arrivals_from_ms, b->arrivals_from_ms);
	CHECK(a->last_log_n == b->last_log_n, "%s: last_log_n %u, wrote %u",
	      what, a->last_log_n, b->last_log_n);
	for (uint32_t i = 0; i < a->last_log_n && i < b->last_log_n; i++)
		CHECK(a->last_log[i].round == b->last_log[i].round &&
			      a->last_log[i].index == b->last_log[i].index &&
			      a->last_log[i].car == b->last_log[i].car &&
			      a->last_log[i].left == b->last_log[i].left,
		      "%s: last_log[%u] differs", what, i);
}

/* Within `slack` ms of `want` (the clocks move while the test runs). */
static void near(uint64_t got, int64_t want, int64_t slack, const char *what)
{
	int64_t d = (int64_t)got - want;
	CHECK(d >= -slack && d <= slack,
	      "%s: arrivals_from_ms %" PRIu64 ", expected about %" PRId64, what,
	      got, want);
}

int main(void)
{
	char dir[] = "/tmp/xr-state.XXXXXX";
	struct xr_durable back;
	bool have;

	xr_log_init(3);
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(d.cluster.state_dir, sizeof d.cluster.state_dir, "%s/state",
		 dir);
	d.self = 3;
	CHECK(xr_daemon_state_open(&d, &back, &have) == 0, "first open");
	CHECK(!have, "a fresh state_dir has no durable state");

	/* Every field, a car that first started 5 s ago in this boot. */
	struct xr_durable *u = &d.node.durable;
	uint64_t now = xr_net_now();
	*u = (struct xr_durable){.log_count = 9,
				 .log_digest = 0xfedcba9876543210ULL,
				 .last_round = 3,
				 .crossings = 2,
				 .last_crossed_round = 3,
				 .acked_round = 2,
				 .snapshot_floor = 1,
				 .epoch = 4,
				 .target_round = 7,
				 .entered_round = 3,
				 .left_count = 1,
				 .last_log_n = 3,
				 .arrivals_from_ms =
					 now > 5000 ? now - 5000 : 1};
	u->last_log[0] = (struct xr_crossing){.round = 3, .index = 0, .car = 2};
	u->last_log[1] = (struct xr_crossing){
		.round = 3, .index = 1, .car = 4, .left = 1};
	u->last_log[2] = (struct xr_crossing){.round = 3, .index = 2, .car = 3};
	CHECK(xr_daemon_state_persist(&d) == 0, "persist in place");
	reopen(&back, &have);
	CHECK(have, "state read back");
	same(&back, u, "in place");

	setenv("XROAD_FSYNC", "1", 1);
	u->arrivals_from_ms += 1;
	u->crossings = 3;
	CHECK(xr_daemon_state_persist(&d) == 0, "persist, temp file + rename");
	unsetenv("XROAD_FSYNC");
	reopen(&back, &have);
	same(&back, u, "XROAD_FSYNC");

	/* arrivals = always, and the light: 0, read back as 0. */
	u->arrivals_from_ms = 0;
	CHECK(xr_daemon_state_persist(&d) == 0, "persist 0");
	reopen(&back, &have);
	same(&back, u, "arrivals_from_ms 0");

	/* A state file written before the key existed. */
	write_state("log_count=4 log_digest=77 last_round=2 crossings=1 "
		    "last_crossed_round=2 acked_round=1 snapshot_floor=0 "
		    "epoch=1 target_round=10 entered_round=2 left_count=0 "
		    "last_log=2:0:1,2:1:3 end\n");
	reopen(&back, &have);
	CHECK(have && back.log_count == 4 && back.crossings == 1 &&
		      back.arrivals_from_ms == 0 && back.last_log_n == 2,
	      "old state file: log_count %u crossings %u arrivals_from_ms "
	      "%" PRIu64 " last_log_n %u",
	      back.log_count, back.crossings, back.arrivals_from_ms,
	      back.last_log_n);

	/* Another boot: the monotonic value is ahead of the clock, or does
	 * not stand for the wall instant beside it. Either way the wall clock
	 * says when the car first started: 60 s ago. */
	char line[512];
	now = xr_net_now();
	int64_t wall = wall_now() - 60000;
	snprintf(
		line, sizeof line,
		"log_count=0 log_digest=0 crossings=0 arrivals_from_ms=%" PRIu64
		" arrivals_from_wall_ms=%" PRId64 " last_log= end\n",
		(uint64_t)(now + 1000000000u), wall);
	write_state(line);
	reopen(&back, &have);
	near(back.arrivals_from_ms, (int64_t)xr_net_now() - 60000, 1000,
	     "ahead of the clock");
	if (now > 3600000) { /* a host up for an hour: room to go back */
		snprintf(line, sizeof line,
			 "log_count=0 log_digest=0 crossings=0 "
			 "arrivals_from_ms=%" PRIu64
			 " arrivals_from_wall_ms=%" PRId64 " last_log= end\n",
			 now - 3600000, wall);
		write_state(line);
		reopen(&back, &have);
		near(back.arrivals_from_ms, (int64_t)xr_net_now() - 60000, 1000,
		     "an hour off the wall clock");
	}
	/* The same boot, a few ms of clock drift: kept as it is. */
	snprintf(
		line, sizeof line,
		"log_count=0 log_digest=0 crossings=0 arrivals_from_ms=%" PRIu64
		" arrivals_from_wall_ms=%" PRId64 " last_log= end\n",
		now - 2000, (int64_t)(now - 2000) + d.wall_offset_ms + 40);
	write_state(line);
	reopen(&back, &have);
	CHECK(back.arrivals_from_ms == now - 2000,
	      "same boot: arrivals_from_ms %" PRIu64 ", wrote %" PRIu64,
	      back.arrivals_from_ms, now - 2000);

	xr_daemon_state_close(&d);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	if (failures == 0)
		printf("ok: node-N.state round trip, old file, another boot\n");
	return failures != 0;
}
