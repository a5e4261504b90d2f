/* What the coordinator has promised or decided about each car, as the
 * other files read it: whether the round is open, who was taken out, the
 * newest override decided, each car's lease and grant, and the heartbeat
 * that carries them (sent by the election's beat and by a grant). Pure
 * queries of the coordinator's state plus one message; below light.c,
 * car.c and election.c, which all read it. */
#include "internal.h"

/* Between the intent set's wave and the round end's. */
bool xr_light_round_open(const struct xr_light *l)
{
	return l->phase == XR_LIGHT_SPREADING ||
	       l->phase == XR_LIGHT_CROSSING ||
	       l->phase == XR_LIGHT_OVERRIDING || l->phase == XR_LIGHT_ENDING;
}

/* Was `car` taken out of the round (a "left" entry in its log)? */
bool xr_light_left_round(const struct xr_light *l, uint32_t car)
{
	const struct xr_crossing *x =
		xr_crossing_log_find(l->log, l->n_log, car);
	return x != NULL && x->left;
}

/* The newest override this coordinator has decided in the round, the one
 * whose wave still runs (or that a takeover is about to spread again)
 * included. */
uint32_t xr_light_decided_override(const struct xr_node *n)
{
	const struct xr_light *l = &n->light;
	if (l->phase == XR_LIGHT_OVERRIDING || l->respread_pending)
		return l->pending.epoch;
	return l->override_epoch;
}

uint64_t xr_light_lease_for(const struct xr_node *n, uint32_t id)
{
	const struct xr_light *l = &n->light;
	if (!XR_HAS(n->car_set, id) || XR_HAS(l->absent, id) ||
	    (xr_light_round_open(l) && xr_light_left_round(l, id)))
		return 0;
	return l->ack_stamp_ms[id];
}

bool xr_light_took_out(const struct xr_node *n, uint32_t car, uint32_t round)
{
	const struct xr_light *l = &n->light;
	return xr_light_round_open(l) && l->round == round &&
	       xr_light_left_round(l, car);
}

uint32_t xr_light_grant_for(const struct xr_node *n, uint32_t id)
{
	const struct xr_light *l = &n->light;
	if (!xr_light_round_open(l) || !XR_HAS(l->granted, id) ||
	    XR_HAS(l->absent, id))
		return 0;
	return l->round;
}

/* A heartbeat to node `id`: its lease, and its grant if it has one. */
void xr_heartbeat_to(struct xr_node *n, uint32_t id)
{
	struct xr_msg *m = xr_out_msg(n, id, XR_MSG_HEARTBEAT);
	if (m == NULL)
		return;
	m->u.heartbeat.stamp_ms = xr_light_lease_for(n, id);
	m->u.heartbeat.grant_round = xr_light_grant_for(n, id);
}
