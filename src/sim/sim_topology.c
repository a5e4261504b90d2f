/* Builds the neighbour sets of each wave topology. Echo waves must cost
 * exactly 2|E| messages on any connected graph, so the simulator exercises
 * the shapes that stress different things: a star (depth 1), a line (depth
 * n-1, the slowest echo), a ring (every node closes one non-tree edge), a
 * complete graph (most crossing explorer messages) and random graphs. */
#include "sim_topology.h"

#include <string.h>

#include "sim_rng.h"

static const char *const names[SIM_TOPOLOGIES] = {
	[SIM_STAR] = "star",     [SIM_RING] = "ring",
	[SIM_LINE] = "line",     [SIM_COMPLETE] = "complete",
	[SIM_RANDOM] = "random",
};

const char *sim_topology_name(enum sim_topology t)
{
	return (unsigned)t < SIM_TOPOLOGIES ? names[t] : "?";
}

int sim_topology_parse(const char *s, enum sim_topology *out)
{
	for (int t = 0; t < SIM_TOPOLOGIES; t++) {
		if (strcmp(s, names[t]) == 0) {
			*out = (enum sim_topology)t;
			return 0;
		}
	}
	return -1;
}

static void link_nodes(uint64_t adj[], uint32_t a, uint32_t b)
{
	if (a == b)
		return;
	adj[a] |= (uint64_t)1 << b;
	adj[b] |= (uint64_t)1 << a;
}

uint32_t sim_topology_build(enum sim_topology t, uint32_t n_nodes,
			    uint64_t seed, uint64_t adj[])
{
	for (uint32_t i = 0; i < n_nodes; i++)
		adj[i] = 0;
	switch (t) {
	case SIM_STAR:
	case SIM_TOPOLOGIES:
		for (uint32_t i = 1; i < n_nodes; i++)
			link_nodes(adj, 0, i);
		break;
	case SIM_RING:
		for (uint32_t i = 0; i < n_nodes; i++)
			link_nodes(adj, i, (i + 1) % n_nodes);
		break;
	case SIM_LINE:
		for (uint32_t i = 1; i < n_nodes; i++)
			link_nodes(adj, i - 1, i);
		break;
	case SIM_COMPLETE:
		for (uint32_t i = 0; i < n_nodes; i++)
			for (uint32_t j = i + 1; j < n_nodes; j++)
				link_nodes(adj, i, j);
		break;
	case SIM_RANDOM: {
		/* A random tree keeps it connected; extra edges with
		 * probability ~2/n give a few cycles per graph. */
		struct sim_rng r;
		sim_rng_seed(&r, seed, 3);
		for (uint32_t i = 1; i < n_nodes; i++)
			link_nodes(adj, i,
				   (uint32_t)sim_rng_range(&r, 0, i - 1));
		for (uint32_t i = 0; i < n_nodes; i++)
			for (uint32_t j = i + 1; j < n_nodes; j++)
				if (sim_rng_range(&r, 0, n_nodes - 1) < 2)
					link_nodes(adj, i, j);
		break;
	}
	}
	uint32_t edges = 0;
	for (uint32_t i = 0; i < n_nodes; i++)
		edges += (uint32_t)__builtin_popcountll(adj[i]);
	return edges / 2;
}
