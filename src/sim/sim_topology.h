/* Wave topologies of the simulator: which nodes are Echo-wave neighbours.
 * The light (node 0) is a node of the topology like every car. */
#ifndef XR_SIM_TOPOLOGY_H
#define XR_SIM_TOPOLOGY_H

#include <stdint.h>

enum sim_topology {
	SIM_STAR = 0, /* light in the middle: the default deployment */
	SIM_RING,
	SIM_LINE, /* the deepest tree: 0 - 1 - 2 - ... */
	SIM_COMPLETE,
	SIM_RANDOM, /* a seeded connected graph */
	SIM_TOPOLOGIES
};

const char *sim_topology_name(enum sim_topology t);
/* 0 and *out set, or -1 for an unknown name. */
int sim_topology_parse(const char *s, enum sim_topology *out);

/* Fills adj[0..n_nodes) with neighbour bitmasks (symmetric, no self loops,
 * connected) and returns the number of undirected edges |E|. `seed` only
 * matters for SIM_RANDOM. n_nodes is 2..32. */
uint32_t sim_topology_build(enum sim_topology t, uint32_t n_nodes,
			    uint64_t seed, uint64_t adj[]);

#endif
