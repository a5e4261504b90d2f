/* The live wait-for graph of xroadctl graph and watch, assembled from each
 * car's own edges (Status.waits_for), with the cycles marked (an edge
 * u -> v lies on a cycle exactly when v reaches u), its names and its JSON.
 * Below the printers (ctl_graph.c, ctl_graph_dot.c, ctl_watch.c). */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_cluster.h"
#include "ctl_graph.h"

void xr_ctl_graph_build(const struct xr_ctl_cluster *c,
			const struct xr_ctl_status *s, struct xr_ctl_graph *g)
{
	memset(g, 0, sizeof *g);
	for (uint32_t i = 0; i < c->n; i++) {
		const Xroad__NodeStatus *n =
			s->replies[i] ? s->replies[i]->node : NULL;
		if (n == NULL || n->is_light || n->id >= XR_MAX_NODES)
			continue;
		g->cars |= (uint64_t)1 << n->id;
		if (n->round > g->round)
			g->round = n->round;
		g->state[n->id] = n->state;
		if (n->intent != NULL) {
			g->approach[n->id] = n->intent->approach;
			g->turn[n->id] = n->intent->turn;
		} else if (c->have_config && n->id < c->config.n_nodes) {
			/* An idle car has no intent, but its approach is
			 * fixed by the configuration (issue 13: graph showed
			 * `?`); its turn is not chosen yet: `-`. */
			g->approach[n->id] =
				(int)c->config.nodes[n->id].approach + 1;
		}
		for (size_t k = 0; k < n->n_waits_for; k++)
			if (n->waits_for[k] < XR_MAX_NODES)
				g->out[n->id] |= (uint64_t)1 << n->waits_for[k];
	}
	/* reach[u]: every node u reaches by one or more edges. */
	for (int u = 0; u < XR_MAX_NODES; u++)
		g->reach[u] = g->out[u];
	for (int k = 0; k < XR_MAX_NODES; k++)
		for (int u = 0; u < XR_MAX_NODES; u++)
			if ((g->reach[u] >> k) & 1)
				g->reach[u] |= g->reach[k];
	/* One cycle per strongly connected component: walk from its lowest
	 * node along edges that stay inside the component until a node
	 * repeats. */
	uint64_t done = 0;
	for (int u = 0; u < XR_MAX_NODES; u++) {
		if (!((g->reach[u] >> u) & 1) || ((done >> u) & 1))
			continue;
		uint64_t comp = 0;
		for (int v = 0; v < XR_MAX_NODES; v++)
			if (((g->reach[u] >> v) & 1) &&
			    ((g->reach[v] >> u) & 1))
				comp |= (uint64_t)1 << v;
		done |= comp;
		int pos[XR_MAX_NODES];
		memset(pos, -1, sizeof pos);
		uint32_t walk[XR_MAX_NODES + 1];
		int len = 0, at = u;
		while (pos[at] < 0 && len < XR_MAX_NODES) {
			pos[at] = len;
			walk[len++] = (uint32_t)at;
			uint64_t next = g->out[at] & comp;
			at = __builtin_ctzll(next);
		}
		struct xr_ctl_cycle *cy = &g->cycles[g->n_cycles++];
		cy->n = 0;
		for (int k = pos[at]; k < len; k++)
			cy->ids[cy->n++] = walk[k];
		if (g->n_cycles == XR_MAX_NODES)
			break;
	}
}

bool xr_ctl_graph_on_cycle(const struct xr_ctl_graph *g, uint32_t u, uint32_t v)
{
	return ((g->out[u] >> v) & 1) && ((g->reach[v] >> u) & 1);
}

/* 0: not known (a car without intent: no turn yet; with --node, no
 * configuration to take the approach from). */
static const char *const approach_names[] = {"-", "S", "E", "N", "W"};
static const char *const turn_names[] = {"-", "right", "straight", "left"};

const char *xr_ctl_graph_approach_name(int a)
{
	return a >= 0 && a <= 4 ? approach_names[a] : "?";
}

const char *xr_ctl_graph_turn_name(int t)
{
	return t >= 0 && t <= 3 ? turn_names[t] : "?";
}

static const char *ap(int a)
{
	return xr_ctl_graph_approach_name(a);
}

static const char *tu(int t)
{
	return xr_ctl_graph_turn_name(t);
}

void xr_ctl_graph_print_json(const struct xr_ctl_graph *g)
{
	printf("{\"round\":%u,\"cars\":[", g->round);
	bool first = true;
	for (uint32_t u = 0; u < XR_MAX_NODES; u++)
		if ((g->cars >> u) & 1) {
			printf("%s{\"id\":%u,\"approach\":\"%s\",\"turn\":\"%s\","
			       "\"state\":\"%s\"}",
			       first ? "" : ",", u, ap(g->approach[u]),
			       tu(g->turn[u]),
			       xr_ctl_car_state_name(g->state[u]));
			first = false;
		}
	printf("],\"edges\":[");
	first = true;
	for (uint32_t u = 0; u < XR_MAX_NODES; u++)
		for (uint32_t v = 0; v < XR_MAX_NODES; v++)
			if ((g->out[u] >> v) & 1) {
				printf("%s{\"from\":%u,\"to\":%u,\"cycle\":%s}",
				       first ? "" : ",", u, v,
				       xr_ctl_graph_on_cycle(g, u, v)
					       ? "true"
					       : "false");
				first = false;
			}
	printf("],\"cycles\":[");
	for (uint32_t k = 0; k < g->n_cycles; k++) {
		printf(k ? ",[" : "[");
		for (uint32_t j = 0; j < g->cycles[k].n; j++)
			printf(j ? ",%u" : "%u", g->cycles[k].ids[j]);
		printf("]");
	}
	printf("],\"deadlock\":%s}", g->n_cycles ? "true" : "false");
}
