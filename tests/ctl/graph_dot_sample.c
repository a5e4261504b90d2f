/* Prints `xroadctl graph --dot` for a made-up cluster, for
 * test_graph_dot.sh to lay out with graphviz: the light and seven cars,
 * two queued on S and on E, one of each other approach; cars 1 (S), 2 (E),
 * 3 (N) and 4 (W) wait for each other in a cycle, car 5 (S, behind 1)
 * waits for 1 off the cycle. The graph goes through xr_ctl_graph_build
 * from Status answers, as the live command builds it. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_cluster.h"
#include "ctl_graph.h"


int main(void)
{
	static struct xr_ctl_cluster c;
	static struct xr_ctl_status s;
	static struct xr_ctl_graph g;
	static Xroad__StatusReply replies[8];
	static Xroad__NodeStatus st[8];
	static Xroad__Intent in[8];
	/* approach of car i (proto values: 1 S, 2 E, 3 N, 4 W) */
	static const Xroad__Approach ap[8] = {0, 1, 2, 3, 4, 1, 2, 4};
	static uint32_t waits[8][1] = {{0}, {2}, {3}, {4}, {1}, {1}, {0}, {0}};
	static const size_t n_waits[8] = {0, 1, 1, 1, 1, 1, 0, 0};

	c.n = 8;
	for (uint32_t i = 0; i < 8; i++) {
		c.nodes[i].id = i;
		c.nodes[i].is_light = i == 0;
		xroad__status_reply__init(&replies[i]);
		xroad__node_status__init(&st[i]);
		xroad__intent__init(&in[i]);
		st[i].id = i;
		st[i].is_light = i == 0;
		st[i].round = 3;
		if (i > 0) {
			in[i].car = i;
			in[i].approach = ap[i];
			in[i].turn = XROAD__TURN__TURN_STRAIGHT;
			st[i].intent = &in[i];
			st[i].state = XROAD__CAR_STATE__CAR_WAITING;
			st[i].n_waits_for = n_waits[i];
			st[i].waits_for = waits[i];
		}
		replies[i].node = &st[i];
		s.replies[i] = &replies[i];
	}
	xr_ctl_graph_build(&c, &s, &g);
	xr_ctl_graph_print_dot(&g, stdout);
	return 0;
}
