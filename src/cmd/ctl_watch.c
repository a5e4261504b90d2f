/* xroadctl watch [--interval MS] [--frames N]: a live view redrawn in place,
 * for a plain 80x24 terminal (ANSI: clear, home; no colours needed): the
 * intersection with each car at its approach with its turn and state, the
 * cells of the box taken by cars crossing, the wait-for edges and cycles,
 * with arrivals = poisson the vehicles waiting at each car, and the last
 * events, found by comparing one poll of the nodes' Status with the
 * previous one. Into a pipe it writes the frames one after another, without
 * terminal codes. Exit 1 when no node answers: with one line if none does
 * within GRACE_MS of the start; else when none did at the last poll. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_cluster.h"
#include "ctl_graph.h"
#include "geometry.h"

#define EVENTS 4
#define GRACE_MS 3000 /* for a cluster being started to answer at all */
#define GRACE_POLL_MS 200
#define WIDTH 80

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct watch {
	struct xr_ctl_cluster c;
	struct xr_ctl_status now, before;
	bool have_before;
	char events[EVENTS][WIDTH];
	int n_events;
};

static void event(struct watch *w, const char *fmt, unsigned a, unsigned b)
{
	memmove(w->events[1], w->events[0], sizeof w->events[0] * (EVENTS - 1));
	snprintf(w->events[0], sizeof w->events[0], fmt, a, b);
	if (w->n_events < EVENTS)
		w->n_events++;
}

static const Xroad__NodeStatus *st(const struct xr_ctl_status *s, uint32_t i)
{
	return s->replies[i] ? s->replies[i]->node : NULL;
}

static void diff(struct watch *w)
{
	if (!w->have_before)
		return;
	for (uint32_t i = 0; i < w->c.n; i++) {
		const Xroad__NodeStatus *a = st(&w->before, i),
					*b = st(&w->now, i);
		if ((a == NULL) != (b == NULL)) {
			event(w,
			      b ? "node %u answers again"
				: "node %u unreachable",
			      w->c.nodes[i].id, 0);
			continue;
		}
		if (a == NULL)
			continue;
		if (b->is_light && b->round != a->round)
			event(w, "round %u starts (%u done)", b->round,
			      b->rounds_done);
		if (b->is_light && b->deadlocks != a->deadlocks)
			event(w, "deadlock %u found, winner %u goes first",
			      b->deadlocks,
			      b->n_last_deadlock ? b->last_deadlock[0] : 0);
		if (!b->is_light && b->state != a->state &&
		    (b->state == XROAD__CAR_STATE__CAR_CROSSING ||
		     b->state == XROAD__CAR_STATE__CAR_CROSSED))
			event(w,
			      b->state == XROAD__CAR_STATE__CAR_CROSSING
				      ? "car %u enters the box"
				      : "car %u has crossed",
			      b->id, 0);
	}
}

/* "3 straight W" etc.: one line per car of an approach. */
static void lane(const struct watch *w, int approach, char out[4][24])
{
	int k = 0;
	memset(out, 0, 4 * 24);
	for (uint32_t i = 0; i < w->c.n && k < 4; i++) {
		const Xroad__NodeStatus *n = st(&w->now, i);
		if (n == NULL || n->is_light || n->intent == NULL ||
		    (int)n->intent->approach != approach)
			continue;
		const char *turn = n->intent->turn == 1   ? "right"
				   : n->intent->turn == 2 ? "straight"
							  : "left";
		const char *s = xr_ctl_car_state_name(n->state);
		snprintf(out[k++], 24, "car %u %s %s", n->id, turn, s);
	}
}

/* Open rounds (arrivals = poisson): the cars' vehicles in all, then each
 * car's waiting ones ("1:2" car 1 has 2), as many as fit in the line; with
 * always, the empty line under the header stays empty. */
static void queues(const struct watch *w, char out[WIDTH])
{
	uint32_t vehicles = 0, arrived = 0, crossed = 0;
	bool any = false;
	out[0] = '\0';
	for (uint32_t i = 0; i < w->c.n; i++) {
		const Xroad__NodeStatus *n = st(&w->now, i);
		if (n == NULL || n->is_light || !xr_ctl_poisson(n))
			continue;
		any = true;
		vehicles += n->vehicles;
		arrived += n->arrived;
		crossed += n->own_crossings;
	}
	if (!any)
		return;
	int used = snprintf(out, WIDTH,
			    "vehicles: %u of %u arrived, %u crossed; waiting",
			    arrived, vehicles, crossed);
	for (uint32_t i = 0; i < w->c.n && used > 0 && used < WIDTH; i++) {
		const Xroad__NodeStatus *n = st(&w->now, i);
		if (n == NULL || n->is_light || !xr_ctl_poisson(n))
			continue;
		char one[24];
		int k = snprintf(one, sizeof one, " %u:%u", n->id,
				 xr_ctl_vehicles_waiting(n));
		if (k < 0 || used + k >= WIDTH - 1)
			break;
		memcpy(out + used, one, (size_t)k + 1);
		used += k;
	}
}

/* Into a pipe or a file the frames follow one another, without the
 * terminal's clear-screen codes (issue 13). */
static void draw(struct watch *w, bool tty, long frame)
{
	const Xroad__NodeStatus *light = NULL;
	for (uint32_t i = 0; i < w->c.n; i++)
		if (st(&w->now, i) && st(&w->now, i)->is_light)
			light = st(&w->now, i);
	/* Cells of the box taken by crossing cars: '.' when free. */
	char cell[XR_CELLS] = {'.', '.', '.', '.'};
	for (uint32_t i = 0; i < w->c.n; i++) {
		const Xroad__NodeStatus *n = st(&w->now, i);
		if (n == NULL || n->is_light || n->intent == NULL ||
		    n->state != XROAD__CAR_STATE__CAR_CROSSING ||
		    n->intent->approach < 1 || n->intent->turn < 1)
			continue;
		unsigned cells = xr_path_cells(
			(enum xr_approach)(n->intent->approach - 1),
			(enum xr_turn)(n->intent->turn - 1));
		for (int k = 0; k < XR_CELLS; k++)
			if ((cells >> k) & 1)
				cell[k] = (char)('0' + n->id % 10);
	}
	char s[4][24], e[4][24], n[4][24], wv[4][24];
	lane(w, 1, s);
	lane(w, 2, e);
	lane(w, 3, n);
	lane(w, 4, wv);
	if (wv[0][0] == '\0')
		snprintf(wv[0], sizeof wv[0], "W: no car");
	if (e[0][0] == '\0')
		snprintf(e[0], sizeof e[0], "E: no car");
	if (tty)
		printf("\033[H\033[2J");
	else if (frame > 0)
		printf("\n");
	if (light != NULL)
		printf("xroad watch | round %u | %u rounds done | deadlocks %u | "
		       "epoch %u\n",
		       light->round, light->rounds_done, light->deadlocks,
		       light->epoch);
	else
		printf("xroad watch | the light does not answer\n");
	char q[WIDTH];
	queues(w, q);
	printf("%s\n", q);
	/* A fixed grid: lanes 24 columns, arrows 4, the box 7 (63 in all). */
	for (int k = 3; k >= 0; k--)
		printf("%28s%s\n", "",
		       n[k][0] ? n[k] : (k == 0 ? "N: no car" : ""));
	printf("%28s   v\n", "");
	printf("%-24.24s    +--+--+    %-24.24s\n", wv[0], e[0]);
	printf("%-24.24s -> |%c%c|%c%c| <- %-24.24s\n", wv[1], cell[XR_NW],
	       cell[XR_NW], cell[XR_NE], cell[XR_NE], e[1]);
	printf("%-24.24s    +--+--+    %-24.24s\n", wv[2], e[2]);
	printf("%-24.24s    |%c%c|%c%c|    %-24.24s\n", wv[3], cell[XR_SW],
	       cell[XR_SW], cell[XR_SE], cell[XR_SE], e[3]);
	printf("%28s+--+--+\n", "");
	printf("%28s   ^\n", "");
	for (int k = 0; k < 4; k++)
		printf("%28s%s\n", "",
		       s[k][0] ? s[k] : (k == 0 ? "S: no car" : ""));
	static struct xr_ctl_graph g;
	xr_ctl_graph_build(&w->c, &w->now, &g);
	char line[WIDTH] = "waits: ";
	size_t used = strlen(line);
	for (uint32_t u = 0; u < XR_MAX_NODES; u++)
		for (uint32_t v = 0; v < XR_MAX_NODES; v++)
			if (((g.out[u] >> v) & 1) && used + 10 < sizeof line) {
				int k = snprintf(
					line + used, sizeof line - used,
					"%u>%u%s ", u, v,
					xr_ctl_graph_on_cycle(&g, u, v) ? "*"
									: "");
				used += k > 0 ? (size_t)k : 0;
			}
	printf("%s%s\n", line, used == 7 ? "none" : "");
	printf("%s\n", g.n_cycles ? "(* on a cycle: deadlock until the light "
				    "breaks it)"
				  : "");
	for (int k = 0; k < EVENTS; k++)
		printf("%s%s\n", k == 0 ? "last: " : "      ",
		       k < w->n_events ? w->events[k] : "");
	if (tty)
		printf("Ctrl-C quits");
	else
		printf("--- frame %ld\n", frame);
	fflush(stdout);
}

int xr_ctl_watch(int argc, char **argv)
{
	long interval = 250, frames = 0;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		long *dst = NULL;
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
			continue;
		}
		if (strcmp(argv[i], "--interval") == 0)
			dst = &interval;
		else if (strcmp(argv[i], "--frames") == 0)
			dst = &frames;
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: xroadctl --config FILE watch [--interval "
			       "MS] [--frames N] [--json]\n"
			       "--json: one line per frame, "
			       "{\"frame\",\"status\",\"graph\"}\n"
			       "On a terminal the frame is redrawn in place; into a "
			       "pipe or file the frames\nfollow one another, without "
			       "terminal codes. Exit 1 when no node answers\n(in "
			       "one line, if none does within 3 s of the start; "
			       "else at the end).\nWith arrivals = poisson the "
			       "line under the header counts the vehicles and\n"
			       "shows each car's waiting ones (3:1: car 3 has 1).\n");
			return 0;
		}
		if (dst == NULL || i + 1 >= argc) {
			fprintf(stderr, "xroadctl watch: bad argument %s\n",
				argv[i]);
			return 2;
		}
		char *end;
		errno = 0;
		*dst = strtol(argv[++i], &end, 10);
		if (errno || *end || *dst < 0 || *dst > 3600000) {
			fprintf(stderr, "xroadctl watch: %s %s: not a number\n",
				argv[i - 1], argv[i]);
			return 2;
		}
	}
	static struct watch w;
	int rc = xr_ctl_cluster_open(&w.c);
	if (rc != 0)
		return rc;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	bool tty = isatty(STDOUT_FILENO) == 1;
	int status = 0;
	for (long f = 0; !stop && (frames == 0 || f < frames); f++) {
		xr_ctl_status_all(&w.c, &w.now);
		/* Nothing to watch: one line, exit 1, instead of a screen of
		 * "unreachable" redrawn until Ctrl-C (issue 13). A cluster
		 * being started has GRACE_MS to answer first (watch is often
		 * started together with the nodes). Later frames show a
		 * cluster that dies as it dies, and the exit says so. */
		bool none = xr_ctl_status_answered(&w.c, &w.now) == 0;
		for (long waited = 0;
		     none && f == 0 && waited < GRACE_MS && !stop;
		     waited += GRACE_POLL_MS) {
			struct timespec nap = {0, GRACE_POLL_MS * 1000000L};
			nanosleep(&nap, NULL);
			xr_ctl_status_free(&w.c, &w.now);
			xr_ctl_status_all(&w.c, &w.now);
			none = xr_ctl_status_answered(&w.c, &w.now) == 0;
		}
		if (none && f == 0) {
			if (w.c.n > 1)
				fprintf(stderr,
					"xroadctl watch: no node answers: %s (and %u "
					"more)\n",
					w.now.errs[0], (unsigned)w.c.n - 1);
			else
				fprintf(stderr,
					"xroadctl watch: no node answers: %s\n",
					w.now.errs[0]);
			xr_ctl_status_free(&w.c, &w.now);
			return 1;
		}
		status = none ? 1 : 0;
		diff(&w);
		if (json) {
			/* A stream of JSON objects, one line per frame. */
			static struct xr_ctl_graph g;
			xr_ctl_graph_build(&w.c, &w.now, &g);
			printf("{\"frame\":%ld,\"status\":", f);
			xr_ctl_status_print_json(&w.c, &w.now);
			printf(",\"graph\":");
			xr_ctl_graph_print_json(&g);
			printf("}\n");
			fflush(stdout);
		} else {
			draw(&w, tty, f);
		}
		if (w.have_before)
			xr_ctl_status_free(&w.c, &w.before);
		w.before = w.now;
		w.have_before = true;
		struct timespec ts = {interval / 1000,
				      (interval % 1000) * 1000000};
		if (frames == 0 || f + 1 < frames)
			nanosleep(&ts, NULL);
	}
	if (w.have_before)
		xr_ctl_status_free(&w.c, &w.before);
	if (!json && tty)
		printf("\n");
	return status;
}
