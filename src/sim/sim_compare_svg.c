/* See sim_compare_svg.h. */
#include "sim_compare_svg.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "svg.h"

#define W 1200
#define H 720
#define LEFT 90
#define RIGHT 40
#define TOP 110
#define BOTTOM 600 /* y of the delay axis */

/* Delays under FLOOR_MS sit on the left edge: log(0) has no place, and a
 * few ms is "no wait" to a driver. */
#define FLOOR_MS 10.0

/* A curve has at most this many points: a quantile every 1/1000 is finer
 * than the 490-unit-high plot shows, and keeps a 1,000,000-vehicle run's
 * file small. */
#define MAX_POINTS 1000

struct axis {
	double lo, hi; /* delays at the left and right edges (log scale) */
};

static double x_of(const struct axis *a, double ms)
{
	if (ms < a->lo)
		ms = a->lo;
	return LEFT + (log10(ms) - log10(a->lo)) /
			      (log10(a->hi) - log10(a->lo)) *
			      (W - LEFT - RIGHT);
}

static double y_of(double share)
{
	return BOTTOM - share * (BOTTOM - TOP);
}

/* Three significant digits: "547 ms", "7.17 s", "39.6 s". */
static void ms_label(char *buf, size_t cap, double ms)
{
	if (ms >= 1000)
		snprintf(buf, cap, "%.3g s", ms / 1000);
	else
		snprintf(buf, cap, "%.3g ms", ms);
}

static void draw_axes(FILE *o, const struct axis *a)
{
	/* Shares: a grid line every 10 %, labels every 20 %. */
	for (int p = 0; p <= 100; p += 10) {
		double y = y_of(p / 100.0);
		fprintf(o,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"%s\"/>\n",
			LEFT, y, W - RIGHT, y, p == 0 ? "#333" : "#E4E4E4");
		if (p % 20 == 0)
			xr_svg_text(o, LEFT - 8, y + 4,
				    "text-anchor=\"end\" font-size=\"12\"",
				    "%d %%", p);
	}
	/* Delays: decades labelled, 2x and 5x as light grid lines. */
	static const int mult[] = {1, 2, 5};
	for (double d = a->lo; d <= a->hi * 1.0001; d *= 10) {
		for (size_t m = 0; m < sizeof mult / sizeof mult[0]; m++) {
			int k = mult[m];
			double v = d * k;
			if (v > a->hi * 1.0001)
				break;
			double x = x_of(a, v);
			fprintf(o,
				"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
				"y2=\"%d\" stroke=\"%s\"/>\n",
				x, TOP, x, BOTTOM + (k == 1 ? 5 : 0),
				k == 1 ? "#C8C8C8" : "#EEEEEE");
			if (k == 1) {
				char l[32];
				ms_label(l, sizeof l, v);
				xr_svg_text(o, x, BOTTOM + 20,
					    "text-anchor=\"middle\" "
					    "font-size=\"12\"",
					    "%s", l);
			}
		}
	}
	fprintf(o,
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		"stroke=\"#333\"/>\n",
		LEFT, TOP, LEFT, BOTTOM);
	xr_svg_text(o, (LEFT + W - RIGHT) / 2.0, BOTTOM + 44,
		    "text-anchor=\"middle\"",
		    "delay per vehicle = exit - arrival - cross_ms (log scale; "
		    "under %g ms at the left edge)",
		    FLOOR_MS);
	char rot[96];
	snprintf(rot, sizeof rot,
		 "text-anchor=\"middle\" transform=\"rotate(-90 %d %d)\"", 24,
		 (TOP + BOTTOM) / 2);
	xr_svg_text(o, 24, (TOP + BOTTOM) / 2.0, rot,
		    "vehicles with at most this delay");
}

static void draw_curve(FILE *o, const struct axis *a, const char *id,
		       const char *colour, const uint64_t *d,
		       const struct sim_delay_summary *s)
{
	if (s->n == 0)
		return;
	size_t step = (s->n + MAX_POINTS - 1) / MAX_POINTS;
	fprintf(o,
		"<polyline id=\"%s\" fill=\"none\" stroke=\"%s\" "
		"stroke-width=\"2.5\" points=\"",
		id, colour);
	/* A step function: at each sampled vehicle i, the share (i+1)/n of
	 * vehicles delayed at most d[i]. */
	double prev_y = y_of(0);
	for (size_t i = 0; i < s->n; i += step) {
		double x = x_of(a, (double)d[i]);
		double y = y_of((double)(i + 1) / (double)s->n);
		fprintf(o, "%.1f,%.1f %.1f,%.1f ", x, prev_y, x, y);
		prev_y = y;
	}
	fprintf(o, "%.1f,%.1f %.1f,%.1f\"/>\n", x_of(a, (double)s->max), prev_y,
		x_of(a, (double)s->max), y_of(1));
	/* p50 and p99, where the curve crosses 50 % and 99 %. */
	const struct {
		uint64_t v;
		double share;
		const char *name;
	} marks[] = {{s->p50, 0.50, "p50"}, {s->p99, 0.99, "p99"}};
	for (size_t k = 0; k < 2; k++) {
		double x = x_of(a, (double)marks[k].v),
		       y = y_of(marks[k].share);
		fprintf(o,
			"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" "
			"stroke=\"white\"/>\n",
			x, y, colour);
		char l[32];
		ms_label(l, sizeof l, (double)marks[k].v);
		/* p50 below right of its dot, p99 left of it: the curve
		 * climbs from the lower left, so both sides are clear, and
		 * p99 stays off the 100 % line. */
		if (k == 0)
			xr_svg_text(o, x + 9, y + 16,
				    "font-size=\"12\" font-weight=\"bold\"",
				    "%s %s", marks[k].name, l);
		else
			xr_svg_text(o, x - 9, y + 4,
				    "text-anchor=\"end\" font-size=\"12\" "
				    "font-weight=\"bold\"",
				    "%s %s", marks[k].name, l);
	}
}

int sim_compare_svg_write(const struct sim_compare_config *c,
			  const uint64_t *xroad,
			  const struct sim_delay_summary *sx,
			  const uint64_t *fixed,
			  const struct sim_delay_summary *sf, char *why,
			  size_t why_len)
{
	FILE *o = fopen(c->svg, "w");
	if (o == NULL) {
		snprintf(why, why_len, "--svg %s: %s", c->svg, strerror(errno));
		return -1;
	}
	struct axis a = {.lo = FLOOR_MS, .hi = FLOOR_MS * 10};
	uint64_t top = sx->max > sf->max ? sx->max : sf->max;
	while (a.hi < (double)top)
		a.hi *= 10;

	xr_svg_begin(o, W, H,
		     "xroad against a fixed-cycle light: delay per "
		     "vehicle");
	xr_svg_text(o, 12, 26, "font-size=\"17\" font-weight=\"bold\"",
		    "Delay per vehicle: xroad against a fixed-cycle light "
		    "(xroad-sim --compare-light)");
	xr_svg_text(
		o, 12, 48, "font-size=\"12\" fill=\"#333\"",
		"%" PRIu64 " seeds from %" PRIu64 ", %u car nodes x %u "
		"vehicles each (Poisson arrivals, mean headway %u ms per car "
		"node), cross %u ms; fixed light: %u ms N-S green, then %u "
		"ms E-W green",
		c->seeds, c->first_seed, c->cars, c->vehicles, c->headway_ms,
		c->cross_ms, c->green_ms, c->green_ms);
	xr_svg_text(
		o, 12, 66, "font-size=\"12\" fill=\"#333\"",
		"A curve further left is better: at each delay, the share of "
		"vehicles that lost at most that much against an empty "
		"crossroad.");
	draw_axes(o, &a);
	static const char *const colour[2] = {"#0072B2", "#D55E00"};
	draw_curve(o, &a, "fixed-light", colour[1], fixed, sf);
	draw_curve(o, &a, "xroad", colour[0], xroad, sx);

	const struct sim_delay_summary *s[2] = {sx, sf};
	static const char *const name[2] = {"xroad", "fixed-cycle light"};
	double y = BOTTOM + 76;
	double x = LEFT;
	for (int k = 0; k < 2; k++) {
		char label[200];
		snprintf(label, sizeof label,
			 "%s: %zu vehicles, mean %.0f ms, p50 %" PRIu64
			 " ms, p99 %" PRIu64 " ms, max %" PRIu64 " ms",
			 name[k], s[k]->n, s[k]->mean, s[k]->p50, s[k]->p99,
			 s[k]->max);
		xr_svg_legend_line(o, x, y, colour[k], 3, NULL, label);
		y += 22;
	}
	xr_svg_end(o);
	int bad = ferror(o);
	bad |= fclose(o);
	if (bad != 0) {
		snprintf(why, why_len, "--svg %s: writing failed: %s", c->svg,
			 strerror(errno));
		return -1;
	}
	return 0;
}
