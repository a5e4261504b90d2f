/* `xroadctl graph --dot`: the wait-for graph for graphviz, each car where it
 * stands on the road: the crossroad in the middle, the cars of the north
 * approach above it, south below, west to the left, east to the right; two
 * cars on one approach queue along it, the lower id nearer the crossroad.
 *
 * The layout is given twice, so either graphviz layout draws it:
 *  - for dot (the docs' `| dot -Tsvg`): ranks. Invisible edges chain each
 *    north queue down to the crossroad and on down the south queue, so
 *    they take ranks above and below it; west and east share the
 *    crossroad's rank, and a flat edge is drawn left to right, so invisible
 *    edges west -> crossroad -> east order them. The wait-for edges have
 *    constraint=false: they would otherwise rank a car below the one it
 *    waits for.
 *  - for neato: pos="x,y!" pins every node (inches), which dot ignores. */
#include <stdio.h>
#include <string.h>

#include "ctl_graph.h"

/* Proto enum values of the approaches (0: not known). */
enum { AP_S = 1, AP_E, AP_N, AP_W };

/* Inches between neighbours on the road, for neato's pins: more than a
 * node's width (a three-line label makes a circle ~1.8 in across). */
#define STEP 2.2

static void car_node(FILE *o, const struct xr_ctl_graph *g, uint32_t u,
		     double x, double y)
{
	fprintf(o, "  c%u [label=\"%u\\n%s %s\\n%s\", pos=\"%.2f,%.2f!\"];\n",
		u, u, xr_ctl_graph_approach_name(g->approach[u]),
		xr_ctl_graph_turn_name(g->turn[u]),
		xr_ctl_car_state_name(g->state[u]), x, y);
}

/* Invisible edges along one road: the queue `in` from its farthest car to
 * the crossroad, then on through the queue `out` away from it. */
static void chain(FILE *o, const uint32_t *in, uint32_t n_in,
		  const uint32_t *out, uint32_t n_out)
{
	char prev[16] = "";
	for (uint32_t k = n_in; k-- > 0;) {
		if (prev[0] != '\0')
			fprintf(o, "    %s -> c%u;\n", prev, in[k]);
		snprintf(prev, sizeof prev, "c%u", in[k]);
	}
	if (prev[0] != '\0')
		fprintf(o, "    %s -> crossroad;\n", prev);
	snprintf(prev, sizeof prev, "crossroad");
	for (uint32_t k = 0; k < n_out; k++) {
		fprintf(o, "    %s -> c%u;\n", prev, out[k]);
		snprintf(prev, sizeof prev, "c%u", out[k]);
	}
}

void xr_ctl_graph_print_dot(const struct xr_ctl_graph *g, FILE *o)
{
	/* The cars of each approach, in id order: queue[a][k] is k-th
	 * nearest the crossroad. */
	uint32_t queue[5][XR_MAX_NODES];
	uint32_t len[5] = {0};
	for (uint32_t u = 0; u < XR_MAX_NODES; u++)
		if ((g->cars >> u) & 1) {
			int a = g->approach[u] >= AP_S && g->approach[u] <= AP_W
					? g->approach[u]
					: 0;
			queue[a][len[a]++] = u;
		}

	fprintf(o,
		"digraph waitfor {\n"
		"  label=\"xroad wait-for graph, round %u\\na -> b: car a waits "
		"for car b; placed as on the road, N up\";\n"
		"  labelloc=t;\n"
		"  fontname=\"DejaVu Sans\";\n"
		"  node [shape=circle, fontname=\"DejaVu Sans\"];\n"
		"  edge [fontname=\"DejaVu Sans\"];\n"
		"  crossroad [label=\"crossroad\", shape=square, style=dashed, "
		"pos=\"0,0!\"];\n",
		g->round);
	for (uint32_t k = 0; k < len[AP_N]; k++)
		car_node(o, g, queue[AP_N][k], 0, STEP * (k + 1));
	for (uint32_t k = 0; k < len[AP_S]; k++)
		car_node(o, g, queue[AP_S][k], 0, -STEP * (k + 1));
	for (uint32_t k = 0; k < len[AP_W]; k++)
		car_node(o, g, queue[AP_W][k], -STEP * (k + 1), 0);
	for (uint32_t k = 0; k < len[AP_E]; k++)
		car_node(o, g, queue[AP_E][k], STEP * (k + 1), 0);
	/* Cars whose approach nobody told us: a row under the south queue. */
	for (uint32_t k = 0; k < len[0]; k++)
		car_node(o, g, queue[0][k], STEP * k,
			 -STEP * (len[AP_S] + 2.0));

	/* dot's ranks: the N queue, farthest first, down to the crossroad,
	 * then the S queue; the W queue, the crossroad and the E queue left
	 * to right on one rank. */
	fputs("  subgraph road {\n    edge [style=invis];\n", o);
	chain(o, queue[AP_N], len[AP_N], queue[AP_S], len[AP_S]);
	fputs("    { rank=same; crossroad;", o);
	for (uint32_t k = 0; k < len[AP_W]; k++)
		fprintf(o, " c%u;", queue[AP_W][k]);
	for (uint32_t k = 0; k < len[AP_E]; k++)
		fprintf(o, " c%u;", queue[AP_E][k]);
	fputs(" }\n", o);
	chain(o, queue[AP_W], len[AP_W], queue[AP_E], len[AP_E]);
	fputs("  }\n", o);

	for (uint32_t u = 0; u < XR_MAX_NODES; u++)
		for (uint32_t v = 0; v < XR_MAX_NODES; v++)
			if ((g->out[u] >> v) & 1)
				fprintf(o,
					"  c%u -> c%u [constraint=false%s];\n",
					u, v,
					xr_ctl_graph_on_cycle(g, u, v)
						? ", color=red, penwidth=2, "
						  "label=\"cycle\""
						: "");
	fputs("}\n", o);
}
