/* The space-time diagram (see ctl_trace_svg.h). Effects are read from their
 * text, the stable rendering describe.h defines ("fx NODE NAME rROUND ..."),
 * which is all an EFFECT record holds. */
#include "ctl_trace_svg.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

#define W 1200
#define LEFT 130 /* node labels */
#define RIGHT 24
#define TOP 96 /* title, notes, round labels */

/* Message colours: the Okabe-Ito palette, told apart by colour-blind eyes. */
enum cat { C_WAVE, C_OVERRIDE, C_PROBE, C_CROSSING, C_BLOCKED, C_OTHER, C_N };

static const struct {
	const char *cls, *colour, *label;
} cats[C_N] = {
	[C_WAVE] = {"wave", "#0072B2", "wave (collect, intent set, round end)"},
	[C_OVERRIDE] = {"override", "#D55E00", "override (wave, Proceed)"},
	[C_PROBE] = {"probe", "#E69F00",
		     "detection (Detect, Probe, DeadlockFound)"},
	[C_CROSSING] = {"crossing", "#009E73",
			"crossing (Crossed, CrossingNotice)"},
	[C_BLOCKED] = {"blocked", "#CC79A7", "Blocked (wait-for report)"},
	[C_OTHER] = {"other", "#9A9A9A",
		     "other (heartbeat, election, rejoin, log)"},
};

static enum cat category(const struct xr_tm_event *e)
{
	switch (e->type) {
	case XR_MSG_WAVE:
		return e->wave_kind == XR_WAVE_OVERRIDE ? C_OVERRIDE : C_WAVE;
	case XR_MSG_PROCEED:
		return C_OVERRIDE;
	case XR_MSG_DETECT:
	case XR_MSG_PROBE:
	case XR_MSG_DEADLOCK:
		return C_PROBE;
	case XR_MSG_CROSSED:
	case XR_MSG_NOTICE:
		return C_CROSSING;
	case XR_MSG_BLOCKED:
		return C_BLOCKED;
	default:
		return C_OTHER;
	}
}

/* "fx 3 Enter r1 car=3 ..." -> "Enter", 1. */
static bool effect_of(const struct xr_tm_event *e, char *name, size_t cap,
		      uint32_t *round)
{
	unsigned node, r = 0;
	char buf[32];
	if (e->kind != XR_TRACE_EFFECT ||
	    sscanf(e->text, "fx %u %31s r%u", &node, buf, &r) < 2)
		return false;
	snprintf(name, cap, "%s", buf);
	*round = r;
	return true;
}

/* The geometry of one picture. */
struct frame {
	uint64_t t0, t1; /* absolute ms at the left and right edges */
	double px_per_ms;
	int row[XR_MAX_NODES]; /* row of a node, -1 when it has no line */
	int rows;
	double row_h;
	double bottom; /* y of the plot's lower edge */
};

static double fx_x(const struct frame *f, uint64_t t)
{
	return LEFT + ((double)t - (double)f->t0) * f->px_per_ms;
}

static double fx_y(const struct frame *f, uint32_t node)
{
	return TOP + (f->row[node] + 0.5) * f->row_h;
}

static bool has_row(const struct frame *f, uint32_t node)
{
	return node < XR_MAX_NODES && f->row[node] >= 0;
}

/* ------------------------------------------------------------ deadlocks */

/* Nodes on a cycle of the wait-for graph `out` (bit v of out[u]: u waits
 * for v): those that reach themselves. */
static uint32_t on_cycle(const uint32_t *out)
{
	uint32_t reach[XR_MAX_NODES];
	memcpy(reach, out, sizeof reach);
	for (int k = 0; k < XR_MAX_NODES; k++)
		for (int u = 0; u < XR_MAX_NODES; u++)
			if ((reach[u] >> k) & 1)
				reach[u] |= reach[k];
	uint32_t cyc = 0;
	for (int u = 0; u < XR_MAX_NODES; u++)
		if ((reach[u] >> u) & 1)
			cyc |= 1u << u;
	return cyc;
}

/* One deadlocked interval [a, b] (absolute ms), clipped to the window; its
 * title gives it unclipped, in ms after the run's first record. */
static void shade(FILE *o, const struct frame *f, uint64_t first, uint64_t a,
		  uint64_t b, uint32_t cyc)
{
	if (b < f->t0 || a > f->t1)
		return;
	uint64_t ca = a < f->t0 ? f->t0 : a, cb = b > f->t1 ? f->t1 : b;
	double x = fx_x(f, ca), w = fx_x(f, cb) - x;
	if (w < 2)
		w = 2; /* a cycle broken within the millisecond still shows */
	fprintf(o,
		"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" "
		"fill=\"#F4B6B6\" fill-opacity=\"0.55\"><title>deadlocked "
		"from %" PRIu64 " to %" PRIu64 " ms: cars",
		x, TOP, w, f->bottom - TOP, a - first, b - first);
	for (int u = 0; u < XR_MAX_NODES; u++)
		if ((cyc >> u) & 1)
			fprintf(o, " %d", u);
	fputs(" wait for each other in a cycle</title></rect>\n", o);
}

/* The intervals in which the cars' wait-for edges form a cycle. A car's
 * edges are those of the last Blocked it sent (what it knew itself), or,
 * when its trace is not given, the last one received from it; entering the
 * box clears them. */
static void draw_deadlocks(FILE *o, const struct xr_trace_merge *m,
			   const struct frame *f)
{
	uint32_t out[XR_MAX_NODES] = {0};
	uint32_t cyc = 0;
	uint64_t since = 0;
	for (size_t i = 0; i < m->n_ev; i++) {
		const struct xr_tm_event *e = &m->ev[i];
		char name[32];
		uint32_t round;
		bool changed = false;
		if (e->type == XR_MSG_BLOCKED && e->from < XR_MAX_NODES &&
		    (m->nodes[e->from].present ? e->kind == XR_TRACE_SEND
					       : e->kind == XR_TRACE_RECEIVE)) {
			out[e->from] = e->waits;
			changed = true;
		} else if (effect_of(e, name, sizeof name, &round) &&
			   strcmp(name, "Enter") == 0) {
			out[e->node] = 0; /* the car's own effect */
			changed = true;
		}
		if (!changed)
			continue;
		uint32_t now = on_cycle(out);
		if (now != 0 && cyc == 0)
			since = e->now_ms;
		else if (now == 0 && cyc != 0)
			shade(o, f, m->t_first, since, e->now_ms, cyc);
		cyc = now != 0 ? (cyc | now) : 0;
	}
	if (cyc != 0) /* still deadlocked when the traces end */
		shade(o, f, m->t_first, since, m->t_last, cyc);
}

/* ------------------------------------------------------------ the rest */

/* Ticks at round numbers of ms after the run's first record, so that a
 * window (--from) reads in the same numbers as the whole run. */
static void draw_axis(FILE *o, const struct frame *f, uint64_t first)
{
	double from = (double)(f->t0 - first), to = (double)(f->t1 - first);
	double step = xr_svg_tick_step(to - from, 12);
	fprintf(o,
		"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		"stroke=\"#333\"/>\n",
		LEFT, f->bottom, W - RIGHT, f->bottom);
	for (double v = step * ceil(from / step); v <= to + 1e-9; v += step) {
		double x = LEFT + (v - from) * f->px_per_ms;
		fprintf(o,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#E4E4E4\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
			x, TOP, x, f->bottom, x, f->bottom, x, f->bottom + 5);
		xr_svg_text(o, x, f->bottom + 19,
			    "text-anchor=\"middle\" "
			    "font-size=\"12\"",
			    "%.0f", v);
	}
	xr_svg_text(o, (LEFT + W - RIGHT) / 2.0, f->bottom + 38,
		    "text-anchor=\"middle\" font-size=\"13\"",
		    "time (ms after the first record)");
}

static void draw_rows(FILE *o, const struct xr_trace_merge *m,
		      const struct frame *f)
{
	for (uint32_t n = 0; n < m->n_nodes; n++) {
		if (!has_row(f, n))
			continue;
		char role[16];
		double y = fx_y(f, n);
		fprintf(o,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"#222\" stroke-width=\"1.5\"/>\n",
			LEFT, y, W - RIGHT, y);
		xr_svg_text(o, LEFT - 10, y + 5,
			    "text-anchor=\"end\" font-weight=\"bold\"",
			    "node %u %s", n,
			    xr_tm_node_role(m, n, role, sizeof role));
	}
}

static void draw_defs(FILE *o)
{
	fputs("<defs>\n", o);
	for (int c = 0; c < C_N; c++)
		fprintf(o,
			"<marker id=\"a-%s\" viewBox=\"0 0 10 10\" refX=\"10\" "
			"refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
			"orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
			"fill=\"%s\"/></marker>\n",
			cats[c].cls, cats[c].colour);
	fputs("<marker id=\"lost\" viewBox=\"0 0 10 10\" refX=\"5\" refY=\"5\" "
	      "markerWidth=\"6\" markerHeight=\"6\"><path d=\"M0,0 L10,10 "
	      "M0,10 L10,0\" stroke=\"#C00000\" stroke-width=\"2\"/></marker>\n",
	      o);
	fputs("</defs>\n<style>\n.m{stroke-width:1.3;fill:none}\n", o);
	for (int c = 0; c < C_N; c++)
		fprintf(o, ".%s{stroke:%s}\n", cats[c].cls, cats[c].colour);
	fputs(".other{stroke-width:0.8}\n.stub{stroke-dasharray:3 2}\n"
	      "</style>\n",
	      o);
}

/* One message: an arrow from its send to its receive; a dashed stub ending
 * in a cross for a send nobody received, a dashed stub into a receive whose
 * send is not in the traces. */
static void draw_message(FILE *o, const struct xr_trace_merge *m,
			 const struct frame *f, const struct xr_tm_event *e)
{
	const struct xr_tm_event *s = e->kind == XR_TRACE_SEND ? e : NULL;
	const struct xr_tm_event *r = e->kind == XR_TRACE_RECEIVE ? e : NULL;
	if (s != NULL && s->match >= 0)
		r = &m->ev[s->match];
	else if (r != NULL && r->match >= 0)
		s = &m->ev[r->match];
	const char *cls = cats[category(e)].cls;
	double x1, y1, x2, y2;
	const char *marker;
	bool stub = false;
	if (s != NULL && r != NULL && has_row(f, s->node) &&
	    has_row(f, r->node)) {
		x1 = fx_x(f, s->now_ms);
		y1 = fx_y(f, s->node);
		x2 = fx_x(f, r->now_ms);
		y2 = fx_y(f, r->node);
		marker = cls;
	} else if (s != NULL && has_row(f, s->node)) {
		x1 = fx_x(f, s->now_ms);
		y1 = fx_y(f, s->node);
		double dir = has_row(f, s->to) && fx_y(f, s->to) < y1 ? -1 : 1;
		x2 = x1 + 5;
		y2 = y1 + dir * f->row_h * 0.3;
		marker = NULL;
		stub = true;
	} else if (r != NULL && has_row(f, r->node)) {
		x2 = fx_x(f, r->now_ms);
		y2 = fx_y(f, r->node);
		double dir =
			has_row(f, r->from) && fx_y(f, r->from) > y2 ? 1 : -1;
		x1 = x2 - 5;
		y1 = y2 + dir * f->row_h * 0.3;
		marker = cls;
		stub = true;
	} else {
		return;
	}
	fprintf(o,
		"<line class=\"m %s%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		"y2=\"%.1f\"",
		cls, stub ? " stub" : "", x1, y1, x2, y2);
	if (marker != NULL)
		fprintf(o, " marker-end=\"url(#a-%s)\"", marker);
	else
		fputs(" marker-end=\"url(#lost)\"", o);
	fputs("><title>", o);
	xr_svg_escape(o, (s != NULL ? s : r)->text + 5);
	if (s != NULL)
		fprintf(o, " | sent at %" PRIu64 " ms", s->now_ms - m->t_first);
	if (r != NULL)
		fprintf(o, " | received at %" PRIu64 " ms",
			r->now_ms - m->t_first);
	else
		fputs(" | never received in these traces", o);
	fputs("</title></line>\n", o);
}

/* Effects and restarts on the node lines: the box bar, a deadlock declared,
 * a change of coordinator, a restart. */
static void draw_marks(FILE *o, const struct xr_trace_merge *m,
		       const struct frame *f, size_t last)
{
	uint64_t entered[XR_MAX_NODES];
	bool inside[XR_MAX_NODES] = {false};
	bool started[XR_MAX_NODES] = {false};
	uint32_t labelled = 0;
	double last_label_x = -100;
	double fx_label_x[XR_MAX_NODES];
	for (int n = 0; n < XR_MAX_NODES; n++)
		fx_label_x[n] = -1000;
	for (size_t i = 0; i <= last && i < m->n_ev; i++) {
		const struct xr_tm_event *e = &m->ev[i];
		if (!has_row(f, e->node))
			continue;
		double x = fx_x(f, e->now_ms), y = fx_y(f, e->node);
		bool visible = e->now_ms >= f->t0 && e->now_ms <= f->t1;
		if (e->kind == XR_TRACE_START) {
			if (started[e->node] && visible) {
				fprintf(o,
					"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
					"y2=\"%.1f\" stroke=\"#000\" "
					"stroke-width=\"3\"><title>node %u "
					"restarted</title></line>\n",
					x, y - 12, x, y + 12, e->node);
				xr_svg_text(o, x + 4, y - 14,
					    "font-size=\"11\"", "restart");
			}
			started[e->node] = true;
			inside[e->node] = false;
			continue;
		}
		char name[32];
		uint32_t round;
		if (!effect_of(e, name, sizeof name, &round))
			continue;
		if (strcmp(name, "Enter") == 0) {
			entered[e->node] = e->now_ms;
			inside[e->node] = true;
		} else if (strcmp(name, "Exit") == 0 && inside[e->node]) {
			inside[e->node] = false;
			uint64_t a = entered[e->node] > f->t0 ? entered[e->node]
							      : f->t0;
			uint64_t b = e->now_ms < f->t1 ? e->now_ms : f->t1;
			if (e->now_ms >= f->t0 && entered[e->node] <= f->t1)
				fprintf(o,
					"<rect x=\"%.1f\" y=\"%.1f\" "
					"width=\"%.1f\" height=\"8\" "
					"fill=\"#1B7F3B\"><title>car %u in "
					"the box, round %u</title></rect>\n",
					fx_x(f, a), y - 4,
					fx_x(f, b) - fx_x(f, a) + 1, e->node,
					round);
		} else if (strcmp(name, "Deadlock") == 0 && visible) {
			fprintf(o,
				"<path d=\"M%.1f,%.1f l7,7 l-7,7 l-7,-7 z\" "
				"fill=\"#C00000\"><title>",
				x, y - 7);
			xr_svg_escape(o, e->text);
			fputs("</title></path>\n", o);
			/* Deadlocks declared close together share a label. */
			if (x - fx_label_x[e->node] >= 80) {
				xr_svg_text(o, x + 8, y - 9,
					    "font-size=\"11\" fill=\"#C00000\"",
					    "deadlock r%u", round);
				fx_label_x[e->node] = x;
			}
		} else if ((strcmp(name, "Coordinator") == 0 ||
			    strcmp(name, "Deposed") == 0) &&
			   visible) {
			bool up = name[0] == 'C';
			fprintf(o,
				"<path d=\"M%.1f,%.1f l6,%d l-12,0 z\" "
				"fill=\"#6A3D9A\"><title>",
				x, y + (up ? -12.0 : 12.0), up ? 10 : -10);
			xr_svg_escape(o, e->text);
			fputs("</title></path>\n", o);
		} else if (strcmp(name, "RoundStart") == 0 &&
			   round > labelled && visible) {
			/* The first node to start a round marks it; labels
			 * closer than 30 units would overlap. */
			labelled = round;
			fprintf(o,
				"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"#555\" "
				"stroke-dasharray=\"4 4\"/>\n",
				x, TOP - 12, x, f->bottom);
			if (x - last_label_x >= 30) {
				xr_svg_text(o, x, TOP - 16,
					    "text-anchor=\"middle\" "
					    "font-size=\"12\"",
					    "r%u", round);
				last_label_x = x;
			}
		}
	}
	for (uint32_t n = 0; n < XR_MAX_NODES; n++)
		if (inside[n] && has_row(f, n) && entered[n] <= f->t1) {
			uint64_t a = entered[n] > f->t0 ? entered[n] : f->t0;
			fprintf(o,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"8\" fill=\"#1B7F3B\"><title>car %u "
				"in the box at the end</title></rect>\n",
				fx_x(f, a), fx_y(f, n) - 4,
				fx_x(f, f->t1) - fx_x(f, a) + 1, n);
		}
}

/* Wraps legend entries onto a new row when the next would not fit. */
static void legend_at(double *x, double *y, const char *label)
{
	if (*x + 34 + 6.8 * (double)strlen(label) > W - RIGHT) {
		*x = LEFT;
		*y += 20;
	}
}

static void draw_legend(FILE *o, double y)
{
	double x = LEFT;
	xr_svg_text(o, 12, y, "font-weight=\"bold\" font-size=\"12\"",
		    "legend");
	for (int c = 0; c < C_N; c++) {
		legend_at(&x, &y, cats[c].label);
		x = xr_svg_legend_line(o, x, y, cats[c].colour,
				       c == C_OTHER ? 1 : 2, NULL,
				       cats[c].label);
	}
	x = LEFT;
	y += 22;
	xr_svg_legend_line(o, x, y, "#555", 1.3, "3 2", "");
	fprintf(o,
		"<path d=\"M%.1f,%.1f l7,7 m0,-7 l-7,7\" stroke=\"#C00000\" "
		"stroke-width=\"2\"/>\n",
		x + 25, y - 8);
	xr_svg_text(o, x + 40, y, "font-size=\"12\"", "sent, never received");
	x += 200;
	x = xr_svg_legend_line(o, x, y, "#1B7F3B", 8, NULL, "car in the box");
	fprintf(o,
		"<path d=\"M%.1f,%.1f l6,6 l-6,6 l-6,-6 z\" fill=\"#C00000\"/>\n",
		x + 6, y - 10);
	xr_svg_text(o, x + 16, y, "font-size=\"12\"", "deadlock declared");
	x += 150;
	fprintf(o,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"28\" height=\"12\" "
		"fill=\"#F4B6B6\"/>\n",
		x, y - 10);
	xr_svg_text(o, x + 34, y, "font-size=\"12\"",
		    "deadlocked: the cars' edges form a cycle");
	x += 330;
	fprintf(o, "<path d=\"M%.1f,%.1f l6,10 l-12,0 z\" fill=\"#6A3D9A\"/>\n",
		x + 6, y - 11);
	xr_svg_text(o, x + 16, y, "font-size=\"12\"",
		    "coordinator (up) / deposed");
}

int xr_trace_svg_write(const struct xr_trace_merge *m,
		       const struct xr_trace_svg_opts *opt, FILE *o, char *why,
		       size_t why_len)
{
	size_t cap = opt->max_messages ? opt->max_messages
				       : XR_TRACE_SVG_MAX_MESSAGES;
	struct frame f;
	memset(&f, 0, sizeof f);
	f.t0 = m->t_first + opt->from_ms;
	f.t1 = opt->has_to ? m->t_first + opt->to_ms : m->t_last;
	if (f.t0 > m->t_last || f.t1 < f.t0) {
		snprintf(why, why_len,
			 "no record between %" PRIu64 " and %s ms: the traces "
			 "span 0 to %" PRIu64 " ms",
			 opt->from_ms, opt->has_to ? "the given" : "the last",
			 m->t_last - m->t_first);
		return -1;
	}

	/* A message belongs to the window by its send (its receive when
	 * the send is not in the traces, or before the window). */
	size_t total = 0, drawn = 0, last = m->n_ev ? m->n_ev - 1 : 0;
	uint64_t cut_at = 0;
	for (size_t i = 0; i < m->n_ev; i++) {
		const struct xr_tm_event *e = &m->ev[i];
		if (e->now_ms < f.t0 || e->now_ms > f.t1)
			continue;
		bool counts = e->kind == XR_TRACE_SEND ||
			      (e->kind == XR_TRACE_RECEIVE &&
			       (e->match < 0 || m->ev[e->match].now_ms < f.t0));
		if (!counts)
			continue;
		if (++total == cap + 1) {
			cut_at = e->now_ms;
			last = i - 1;
		}
	}
	if (total > cap)
		f.t1 = cut_at;
	drawn = total > cap ? cap : total;
	if (f.t1 == f.t0)
		f.t1 = f.t0 + 1;

	f.rows = 0;
	for (uint32_t n = 0; n < XR_MAX_NODES; n++)
		f.row[n] =
			n < m->n_nodes && m->nodes[n].present ? f.rows++ : -1;
	f.row_h = f.rows <= 8 ? 64 : f.rows <= 16 ? 36 : 24;
	f.bottom = TOP + f.rows * f.row_h;
	f.px_per_ms = (double)(W - LEFT - RIGHT) / (double)(f.t1 - f.t0);
	int height = (int)f.bottom + 120;

	char title[200];
	snprintf(title, sizeof title, "xroad run %s: space-time diagram",
		 m->run[0] ? m->run : "(no START record)");
	xr_svg_begin(o, W, height, title);
	draw_defs(o);
	xr_svg_text(o, 12, 24, "font-size=\"17\" font-weight=\"bold\"", "%s",
		    title);
	xr_svg_text(o, 12, 44, "font-size=\"12\" fill=\"#333\"",
		    "%" PRIu64 " to %" PRIu64 " ms after the first record "
		    "(clock %" PRIu64 " ms), %zu messages drawn. Whole run: "
		    "%zu receives matched to their sends, %zu sends never "
		    "received, %zu receives of sends not in the traces",
		    f.t0 - m->t_first, f.t1 - m->t_first, m->t_first, drawn,
		    m->matched, m->unmatched_sends, m->unmatched_recvs);
	if (total > cap)
		xr_svg_text(
			o, 12, 62,
			"font-size=\"12\" fill=\"#C00000\" "
			"font-weight=\"bold\"",
			"cut: only the first %zu of the %zu messages in the "
			"window are drawn, up to %" PRIu64
			" ms; xroadctl trace --svg --from %" PRIu64
			" shows the rest",
			cap, total, f.t1 - m->t_first, f.t1 - m->t_first);
	/* Everything time-placed is clipped to the plot: an arrow whose send
	 * is before the window enters it from the left edge. */
	fprintf(o,
		"<clipPath id=\"plot\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
		"height=\"%.1f\"/></clipPath>\n",
		LEFT - 1, TOP - 30, W - LEFT - RIGHT + 2, f.bottom - TOP + 30);
	draw_axis(o, &f, m->t_first);
	fputs("<g clip-path=\"url(#plot)\">\n", o);
	draw_deadlocks(o, m, &f);
	fputs("</g>\n", o);
	draw_rows(o, m, &f);
	fputs("<g clip-path=\"url(#plot)\">\n", o);
	draw_marks(o, m, &f, last);
	size_t n = 0;
	for (size_t i = 0; i < m->n_ev && n < drawn; i++) {
		const struct xr_tm_event *e = &m->ev[i];
		if (e->now_ms < f.t0 || e->now_ms > f.t1)
			continue;
		if (e->kind == XR_TRACE_SEND ||
		    (e->kind == XR_TRACE_RECEIVE &&
		     (e->match < 0 || m->ev[e->match].now_ms < f.t0))) {
			draw_message(o, m, &f, e);
			n++;
		}
	}
	fputs("</g>\n", o);
	draw_legend(o, f.bottom + 66);
	xr_svg_end(o);
	return 0;
}
