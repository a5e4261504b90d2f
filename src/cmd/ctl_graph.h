/* The live wait-for graph of xroadctl graph and watch. */
#ifndef XR_CTL_GRAPH_H
#define XR_CTL_GRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_cluster.h"

struct xr_ctl_cycle {
	uint32_t n;
	uint32_t ids[XR_MAX_NODES];
};

struct xr_ctl_graph {
	uint32_t round;
	uint64_t cars;                /* bit i: car i answered */
	uint64_t out[XR_MAX_NODES];   /* bit v of out[u]: u waits for v */
	uint64_t reach[XR_MAX_NODES]; /* transitive closure of out */
	int approach[XR_MAX_NODES];   /* proto enum values */
	int turn[XR_MAX_NODES];
	int state[XR_MAX_NODES];
	uint32_t n_cycles;
	struct xr_ctl_cycle cycles[XR_MAX_NODES];
};

void xr_ctl_graph_build(const struct xr_ctl_cluster *c,
			const struct xr_ctl_status *s, struct xr_ctl_graph *g);
bool xr_ctl_graph_on_cycle(const struct xr_ctl_graph *g, uint32_t u,
			   uint32_t v);
/* "S", "right" for the proto enum values of an approach and a turn; "-"
 * for 0 (not known), "?" out of range. */
const char *xr_ctl_graph_approach_name(int a);
const char *xr_ctl_graph_turn_name(int t);
/* ctl_graph_dot.c: graphviz, the cars placed as on the road. */
void xr_ctl_graph_print_dot(const struct xr_ctl_graph *g, FILE *o);
/* {"round","cars","edges","cycles","deadlock"}, no newline. */
void xr_ctl_graph_print_json(const struct xr_ctl_graph *g);

#endif
