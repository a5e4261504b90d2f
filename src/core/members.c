/* Who is who in the cluster: counting a set of ids, a car's index in the
 * configuration, a node's rank in elections and whether failover is on.
 * A leaf. */
#include "internal.h"

int xr_set_count(xr_set s)
{
	return __builtin_popcountll(s);
}

int xr_node_car_index(const struct xr_node *n, uint32_t car)
{
	for (uint32_t i = 0; i < n->cfg.n_cars; i++)
		if (n->cfg.cars[i] == car)
			return (int)i;
	return -1;
}

bool xr_failover_on(const struct xr_node *n)
{
	return n->cfg.fail_ms > 0;
}

uint32_t xr_rank(const struct xr_node *n, uint32_t id)
{
	if (id >= XR_MAX_NODES)
		return 0; /* nobody known */
	return id == n->cfg.light ? XR_MAX_NODES : id;
}
