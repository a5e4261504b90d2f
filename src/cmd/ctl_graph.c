/* xroadctl graph [--dot | --json]: the live wait-for graph (ctl_graph_model.c)
 * as text, JSON or graphviz (ctl_graph_dot.c). */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_cluster.h"
#include "ctl_graph.h"

static const char *ap(int a)
{
	return xr_ctl_graph_approach_name(a);
}

static const char *tu(int t)
{
	return xr_ctl_graph_turn_name(t);
}

static void print_text(const struct xr_ctl_graph *g)
{
	printf("wait-for graph, round %u (\"a -> b\": a waits for b)\n",
	       g->round);
	int edges = 0;
	for (uint32_t u = 0; u < XR_MAX_NODES; u++)
		for (uint32_t v = 0; v < XR_MAX_NODES; v++)
			if ((g->out[u] >> v) & 1) {
				printf("  %2u %s %-8s -> %2u %s %-8s%s\n", u,
				       ap(g->approach[u]), tu(g->turn[u]), v,
				       ap(g->approach[v]), tu(g->turn[v]),
				       xr_ctl_graph_on_cycle(g, u, v)
					       ? "  [cycle]"
					       : "");
				edges++;
			}
	if (edges == 0)
		printf("  no car waits for another\n");
	for (uint32_t k = 0; k < g->n_cycles; k++) {
		printf("cycle:");
		for (uint32_t j = 0; j < g->cycles[k].n; j++)
			printf(" %u ->", g->cycles[k].ids[j]);
		printf(" %u  (deadlock until the light breaks it)\n",
		       g->cycles[k].ids[0]);
	}
}

int xr_ctl_graph(int argc, char **argv)
{
	int mode = 0; /* 0 text, 1 dot, 2 json */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dot") == 0) {
			mode = 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			mode = 2;
		} else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: xroadctl --config FILE graph [--dot | "
			       "--json]\n"
			       "The live wait-for graph (\"a -> b\": car a waits "
			       "for car b), cycles marked.\n"
			       "--dot: graphviz, the cars placed as on the road "
			       "(N at the top, S at the\n"
			       "bottom, W left, E right, the crossroad between), "
			       "cycle edges red:\n"
			       "  xroadctl graph --dot | dot -Tsvg > graph.svg   "
			       "(or neato -Tsvg)\n"
			       "--json: {\"round\",\"cars\",\"edges\","
			       "\"cycles\",\"deadlock\"}.\n");
			return 0;
		} else {
			fprintf(stderr, "xroadctl graph: unknown argument %s\n",
				argv[i]);
			return 2;
		}
	}
	struct xr_ctl_cluster c;
	int rc = xr_ctl_cluster_open(&c);
	if (rc != 0)
		return rc;
	static struct xr_ctl_status s;
	static struct xr_ctl_graph g;
	xr_ctl_status_all(&c, &s);
	int missing = 0;
	for (uint32_t i = 0; i < c.n; i++)
		if (s.replies[i] == NULL) {
			missing++;
			fprintf(stderr,
				"xroadctl graph: %s (its edges are "
				"missing)\n",
				s.errs[i]);
		}
	xr_ctl_graph_build(&c, &s, &g);
	if (mode == 1)
		xr_ctl_graph_print_dot(&g, stdout);
	else if (mode == 2) {
		xr_ctl_graph_print_json(&g);
		printf("\n");
	} else
		print_text(&g);
	xr_ctl_status_free(&c, &s);
	return missing ? 1 : 0;
}
