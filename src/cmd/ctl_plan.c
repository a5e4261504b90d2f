/* `xroadctl plan`: the rules and the light's deadlock policy, or the optimal
 * schedule, applied offline to one car per approach (see ctl_plan.h for the
 * model). The computation
 * (xr_plan_compute) is separate from the printing so that the exhaustive
 * test in tests/core can check all 256 combinations without parsing text. */
#include "ctl_plan.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

uint32_t xr_plan_car_id(enum xr_approach a)
{
	return (uint32_t)a + 1;
}

static struct xr_car_intent intent_of(const struct xr_plan *p,
				      enum xr_approach a)
{
	struct xr_car_intent i = {
		.car = xr_plan_car_id(a),
		.approach = a,
		.turn = p->turn[a],
		.arrival_ms = 0, /* equal arrival: ties go by car id */
	};
	return i;
}

/* Appends every elementary cycle of `waits` restricted to `present`, each
 * once: it starts at its earliest car (approach order is car id order), so
 * rotations are not repeated. Shorter cycles come first, which is also the
 * order the light is most likely to hear about them. */
static uint32_t find_cycles(const unsigned waits[XR_APPROACHES],
			    const bool present[XR_APPROACHES],
			    struct xr_plan_cycle *out, uint32_t cap)
{
	uint32_t n = 0;
	for (uint32_t len = 2; len <= XR_APPROACHES; len++) {
		/* All sequences of `len` distinct approaches, first = minimum. */
		unsigned seq[XR_APPROACHES];
		unsigned total = 1;
		for (uint32_t i = 0; i < len; i++)
			total *= XR_APPROACHES;
		for (unsigned code = 0; code < total; code++) {
			unsigned c = code, used = 0;
			bool ok = true;
			for (uint32_t i = 0; i < len && ok; i++) {
				seq[i] = c % XR_APPROACHES;
				c /= XR_APPROACHES;
				if (!present[seq[i]] ||
				    (used & (1u << seq[i])) ||
				    (i > 0 && seq[i] < seq[0]))
					ok = false;
				used |= 1u << seq[i];
			}
			for (uint32_t i = 0; i < len && ok; i++)
				if (!(waits[seq[i]] &
				      (1u << seq[(i + 1) % len])))
					ok = false;
			if (!ok)
				continue;
			if (n < cap) {
				out[n].n = len;
				for (uint32_t i = 0; i < len; i++)
					out[n].members[i] =
						(enum xr_approach)seq[i];
			}
			n++;
		}
	}
	return n;
}

/* As the light's override (src/core/light.c, also_losers): besides the
 * loser, the winner goes before every car it waits for that arrived after it
 * (a higher car id: equal arrivals) and can reach it again, i.e. every later
 * car on another cycle through it. */
static unsigned also_of(const unsigned g[XR_APPROACHES],
			const bool present[XR_APPROACHES], enum xr_approach w,
			enum xr_approach l)
{
	unsigned to_w = 1u << w;
	for (bool grew = true; grew;) {
		grew = false;
		for (int a = 0; a < XR_APPROACHES; a++)
			if (present[a] && !(to_w & (1u << a)) &&
			    (g[a] & to_w)) {
				to_w |= 1u << a;
				grew = true;
			}
	}
	unsigned also = g[w] & to_w & ~(1u << w) & ~(1u << l);
	for (int t = 0; t <= (int)w; t++)
		also &= ~(1u << t);
	return also;
}

/* The optimal schedule's edges and phases for the present cars. */
static int compute_optimal(struct xr_plan *out)
{
	struct xr_car_intent in[XR_APPROACHES];
	enum xr_approach of[XR_APPROACHES];
	uint32_t n = 0;
	for (int a = 0; a < XR_APPROACHES; a++) {
		if (!out->present[a])
			continue;
		of[n] = (enum xr_approach)a;
		in[n++] = intent_of(out, (enum xr_approach)a);
	}
	struct xr_schedule_plan s;
	int rv = xr_schedule_optimal(in, n, &s);
	if (rv != 0)
		return rv;
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < n; j++) {
			if (!(s.waits[i] & (1u << j)))
				continue;
			out->waits[of[i]] |= 1u << of[j];
			out->edges[out->n_edges][0] = of[i];
			out->edges[out->n_edges][1] = of[j];
			out->n_edges++;
		}
		out->phase_of[of[i]] = s.phase[i];
	}
	memcpy(out->final_waits, out->waits, sizeof out->waits);
	out->phases = s.phases;
	for (uint32_t ph = 1; ph <= s.phases; ph++)
		for (int a = 0; a < XR_APPROACHES; a++)
			if (out->present[a] && out->phase_of[a] == ph)
				out->order[out->n_order++] =
					(enum xr_approach)a;
	return 0;
}

int xr_plan_compute(const bool present[XR_APPROACHES],
		    const enum xr_turn turn[XR_APPROACHES], struct xr_plan *out)
{
	return xr_plan_compute_schedule(present, turn, XR_SCHEDULE_RULES, out);
}

int xr_plan_compute_schedule(const bool present[XR_APPROACHES],
			     const enum xr_turn turn[XR_APPROACHES],
			     enum xr_schedule schedule, struct xr_plan *out)
{
	memset(out, 0, sizeof *out);
	if (schedule != XR_SCHEDULE_RULES && schedule != XR_SCHEDULE_OPTIMAL)
		return XR_EINVAL;
	out->schedule = schedule;
	for (int a = 0; a < XR_APPROACHES; a++) {
		out->present[a] = present[a];
		out->turn[a] = present[a] ? turn[a] : XR_STRAIGHT;
		if (present[a] && (unsigned)turn[a] >= XR_TURNS)
			return XR_EINVAL;
	}
	if (schedule == XR_SCHEDULE_OPTIMAL)
		return compute_optimal(out);
	for (int a = 0; a < XR_APPROACHES; a++) {
		for (int b = 0; b < XR_APPROACHES; b++) {
			if (a == b || !present[a] || !present[b])
				continue;
			struct xr_car_intent ia =
				intent_of(out, (enum xr_approach)a);
			struct xr_car_intent ib =
				intent_of(out, (enum xr_approach)b);
			if (xr_yields(&ia, &ib)) {
				out->waits[a] |= 1u << b;
				out->edges[out->n_edges][0] =
					(enum xr_approach)a;
				out->edges[out->n_edges][1] =
					(enum xr_approach)b;
				out->n_edges++;
			}
		}
	}
	out->n_cycles = find_cycles(out->waits, present, out->cycles,
				    XR_PLAN_MAX_CYCLES);
	out->deadlock = out->n_cycles > 0;

	/* The light's policy, one detected cycle at a time. Each override
	 * removes the winner's wait on the loser; the bound only guards
	 * against a policy bug, which the exhaustive test would report. */
	unsigned g[XR_APPROACHES];
	memcpy(g, out->waits, sizeof g);
	for (;;) {
		struct xr_plan_cycle c;
		if (find_cycles(g, present, &c, 1) == 0)
			break;
		if (out->n_overrides >= XR_PLAN_MAX_OVERRIDES)
			return XR_EINVAL;
		/* members[0] is the earliest (arrival, car) by construction. */
		enum xr_approach w = c.members[0], l = c.members[1];
		unsigned also = also_of(g, present, w, l);
		for (int t = 0; t < XR_APPROACHES; t++) {
			if (t != (int)l && !(also & (1u << t)))
				continue;
			g[w] &= ~(1u << t);
			g[t] |= 1u << w;
		}
		out->overrides[out->n_overrides].cycle = c;
		out->overrides[out->n_overrides].winner = w;
		out->overrides[out->n_overrides].loser = l;
		out->overrides[out->n_overrides].also = also;
		out->n_overrides++;
	}
	memcpy(out->final_waits, g, sizeof g);

	/* Phases: everyone whose waits are all done crosses together. */
	unsigned left = 0;
	for (int a = 0; a < XR_APPROACHES; a++)
		if (present[a])
			left |= 1u << a;
	while (left != 0) {
		unsigned ready = 0;
		for (int a = 0; a < XR_APPROACHES; a++)
			if ((left & (1u << a)) && (g[a] & left) == 0)
				ready |= 1u << a;
		if (ready == 0)
			return XR_EINVAL;
		out->phases++;
		for (int a = 0; a < XR_APPROACHES; a++) {
			if (ready & (1u << a)) {
				out->order[out->n_order++] =
					(enum xr_approach)a;
				out->phase_of[a] = out->phases;
			}
		}
		left &= ~ready;
	}
	return 0;
}

/* ------------------------------------------------------------ printing */

static void print_cycle_json(const struct xr_plan_cycle *c)
{
	fputc('[', stdout);
	for (uint32_t i = 0; i < c->n; i++)
		printf("%s\"%s\"", i ? "," : "",
		       xr_approach_name(c->members[i]));
	fputc(']', stdout);
}

static void print_json(const struct xr_plan *p)
{
	printf("{\"schedule\":\"%s\",\"cars\":{",
	       xr_schedule_name(p->schedule));
	bool first = true;
	for (int a = 0; a < XR_APPROACHES; a++) {
		if (!p->present[a])
			continue;
		printf("%s\"%s\":{\"car\":%u,\"turn\":\"%s\"}",
		       first ? "" : ",", xr_approach_name((enum xr_approach)a),
		       xr_plan_car_id((enum xr_approach)a),
		       xr_turn_name(p->turn[a]));
		first = false;
	}
	printf("},\"edges\":[");
	for (uint32_t i = 0; i < p->n_edges; i++)
		printf("%s[\"%s\",\"%s\"]", i ? "," : "",
		       xr_approach_name(p->edges[i][0]),
		       xr_approach_name(p->edges[i][1]));
	printf("],\"deadlock\":%s,\"cycles\":[",
	       p->deadlock ? "true" : "false");
	for (uint32_t i = 0; i < p->n_cycles; i++) {
		if (i)
			fputc(',', stdout);
		print_cycle_json(&p->cycles[i]);
	}
	printf("],\"winners\":[");
	for (uint32_t i = 0; i < p->n_overrides; i++)
		printf("%s\"%s\"", i ? "," : "",
		       xr_approach_name(p->overrides[i].winner));
	printf("],\"overrides\":[");
	for (uint32_t i = 0; i < p->n_overrides; i++) {
		printf("%s{\"cycle\":", i ? "," : "");
		print_cycle_json(&p->overrides[i].cycle);
		printf(",\"winner\":\"%s\",\"loser\":\"%s\",\"also\":[",
		       xr_approach_name(p->overrides[i].winner),
		       xr_approach_name(p->overrides[i].loser));
		for (int a = 0, k = 0; a < XR_APPROACHES; a++)
			if (p->overrides[i].also & (1u << a))
				printf("%s\"%s\"", k++ ? "," : "",
				       xr_approach_name((enum xr_approach)a));
		printf("]}");
	}
	printf("],\"order\":[");
	for (uint32_t i = 0; i < p->n_order; i++)
		printf("%s\"%s\"", i ? "," : "", xr_approach_name(p->order[i]));
	printf("],\"phases\":%u,\"phase_groups\":[", p->phases);
	for (uint32_t ph = 1; ph <= p->phases; ph++) {
		printf("%s[", ph > 1 ? "," : "");
		bool f = true;
		for (uint32_t i = 0; i < p->n_order; i++) {
			if (p->phase_of[p->order[i]] != ph)
				continue;
			printf("%s\"%s\"", f ? "" : ",",
			       xr_approach_name(p->order[i]));
			f = false;
		}
		fputc(']', stdout);
	}
	printf("]}\n");
}

static void print_cycle_text(const struct xr_plan_cycle *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		printf("%s -> ", xr_approach_name(c->members[i]));
	printf("%s", xr_approach_name(c->members[0]));
}

static void print_text(const struct xr_plan *p)
{
	printf("schedule: %s%s\n", xr_schedule_name(p->schedule),
	       p->schedule == XR_SCHEDULE_OPTIMAL
		       ? " (every conflict oriented by an optimal colouring: "
			 "phases = chromatic number)"
		       : " (priority to the right; the light breaks deadlocks)");
	printf("cars:");
	for (int a = 0; a < XR_APPROACHES; a++)
		if (p->present[a])
			printf("  %s %s (car %u)",
			       xr_approach_name((enum xr_approach)a),
			       xr_turn_name(p->turn[a]),
			       xr_plan_car_id((enum xr_approach)a));
	printf("\nwait-for edges (\"A -> B\": A waits for B):");
	if (p->n_edges == 0)
		printf(" none");
	for (uint32_t i = 0; i < p->n_edges; i++)
		printf("%s %s -> %s", i ? "," : "",
		       xr_approach_name(p->edges[i][0]),
		       xr_approach_name(p->edges[i][1]));
	printf("\ndeadlock: %s\n", p->deadlock ? "yes" : "no");
	for (uint32_t i = 0; i < p->n_cycles; i++) {
		printf("cycle: ");
		print_cycle_text(&p->cycles[i]);
		printf("\n");
	}
	for (uint32_t i = 0; i < p->n_overrides; i++) {
		printf("override %u: cycle ", i + 1);
		print_cycle_text(&p->overrides[i].cycle);
		printf(": winner %s (earliest arrival, car %u) goes first; edge "
		       "%s -> %s reversed",
		       xr_approach_name(p->overrides[i].winner),
		       xr_plan_car_id(p->overrides[i].winner),
		       xr_approach_name(p->overrides[i].winner),
		       xr_approach_name(p->overrides[i].loser));
		for (int a = 0; a < XR_APPROACHES; a++)
			if (p->overrides[i].also & (1u << a))
				printf(", and %s -> %s",
				       xr_approach_name(p->overrides[i].winner),
				       xr_approach_name((enum xr_approach)a));
		printf("\n");
	}
	printf("crossing order:");
	for (uint32_t i = 0; i < p->n_order; i++)
		printf(" %s", xr_approach_name(p->order[i]));
	printf("\nphases: %u\n", p->phases);
	for (uint32_t ph = 1; ph <= p->phases; ph++) {
		printf("  phase %u:", ph);
		for (uint32_t i = 0; i < p->n_order; i++)
			if (p->phase_of[p->order[i]] == ph)
				printf(" %s", xr_approach_name(p->order[i]));
		printf("\n");
	}
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr,
		"xroadctl plan: %s%s%s%s\n"
		"usage: xroadctl plan A:TURN... [--schedule rules|optimal] "
		"[--json]\n"
		"  A is S, E, N or W (each at most once; absent approaches have "
		"no car),\n  TURN is right, straight or left. Example: "
		"xroadctl plan S:straight E:left N:straight W:right\n",
		what, arg ? ": \"" : "", arg ? arg : "", arg ? "\"" : "");
	return 2;
}

int xr_ctl_plan(int argc, char **argv)
{
	bool present[XR_APPROACHES] = {false};
	enum xr_turn turn[XR_APPROACHES] = {XR_STRAIGHT, XR_STRAIGHT,
					    XR_STRAIGHT, XR_STRAIGHT};
	bool json = false;
	enum xr_schedule schedule = XR_SCHEDULE_RULES;
	int cars = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--json") == 0) {
			json = true;
			continue;
		}
		if (strcmp(arg, "--schedule") == 0 ||
		    strncmp(arg, "--schedule=", 11) == 0) {
			const char *v = arg[10] == '=' ? arg + 11
					: i + 1 < argc ? argv[++i]
						       : NULL;
			if (v == NULL)
				return usage_error("--schedule needs rules or "
						   "optimal",
						   NULL);
			if (xr_schedule_parse(v, &schedule) != 0)
				return usage_error("unknown schedule (rules, "
						   "optimal)",
						   v);
			continue;
		}
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			printf("usage: xroadctl plan A:TURN... "
			       "[--schedule rules|optimal] [--json]\n");
			return 0;
		}
		if (arg[0] == '-')
			return usage_error("unknown option", arg);
		const char *colon = strchr(arg, ':');
		if (colon == NULL)
			return usage_error("expected APPROACH:TURN", arg);
		char name[16];
		size_t len = (size_t)(colon - arg);
		if (len == 0 || len >= sizeof name)
			return usage_error("unknown approach in", arg);
		memcpy(name, arg, len);
		name[len] = '\0';
		enum xr_approach a;
		enum xr_turn t;
		if (xr_approach_parse(name, &a) != 0)
			return usage_error("unknown approach (S, E, N, W) in",
					   arg);
		if (xr_turn_parse(colon + 1, &t) != 0)
			return usage_error(
				"unknown turn (right, straight, left) in", arg);
		if (present[a])
			return usage_error("approach given twice", arg);
		present[a] = true;
		turn[a] = t;
		cars++;
	}
	if (cars == 0)
		return usage_error("no cars given", NULL);
	struct xr_plan p;
	int rv = xr_plan_compute_schedule(present, turn, schedule, &p);
	if (rv != 0) {
		fprintf(stderr, "xroadctl plan: cannot resolve: %s\n",
			xr_strerror(rv));
		return 1;
	}
	if (json)
		print_json(&p);
	else
		print_text(&p);
	return fflush(stdout) == 0 ? 0 : 1;
}
