/* Chandy-Misra-Haas edge chasing, AND model, run by the cars along their own
 * wait-for edges.
 *
 * The rule (Chandy, Misra, Haas 1983, "Distributed deadlock detection", ACM
 * TOCS 1(2), section 4): "A probe is a message (i, j, k) sent by process j to
 * process k on behalf of initiator i. ... If process k is blocked and receives
 * a probe (i, j, k) for the first time, it sends probes (i, k, m) to every
 * process m it is waiting for. Process i is deadlocked if it receives a
 * probe (i, j, i)."
 *
 * Ours: the light starts an epoch (Detect) when a round stalls; every waiting
 * car that gets it initiates. Probes carry the epoch, so a probe of an older
 * epoch is dropped, and the path walked so far, so the initiator that gets
 * its own probe back knows the whole cycle and reports it. A car forwards at
 * most once per (epoch, initiator), so one epoch sends at most
 * |edges| x |initiators| probes. A car that is not waiting drops probes: a car
 * that can move is in no deadlock. */
#include "internal.h"

static void send_probes(struct xr_node *n, uint32_t initiator,
			const uint32_t *path, uint32_t n_path)
{
	struct xr_car *c = &n->car;
	for (uint32_t id = 0; id < XR_MAX_NODES; id++) {
		if (!XR_HAS(c->waits, id))
			continue;
		struct xr_msg *m = xr_out_msg(n, id, XR_MSG_PROBE);
		if (m == NULL)
			return;
		m->u.probe.round = c->round;
		m->u.probe.epoch = c->epoch;
		m->u.probe.initiator = initiator;
		for (uint32_t i = 0; i < n_path; i++)
			m->u.probe.path[i] = path[i];
		m->u.probe.path[n_path] = n->cfg.self;
		m->u.probe.n_path = n_path + 1;
	}
}

/* A new epoch forgets which initiators were already forwarded. */
static void enter_epoch(struct xr_car *c, uint32_t epoch)
{
	if (epoch > c->epoch) {
		c->epoch = epoch;
		c->probed = 0;
		c->reported_epoch = 0;
	}
}

int xr_car_on_detect(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_car *c = &n->car;
	if (m->u.detect.round != c->round)
		return XR_EROUND;
	if (m->u.detect.epoch < c->epoch ||
	    m->u.detect.epoch <= c->closed_epoch)
		return 0;
	enter_epoch(c, m->u.detect.epoch);
	if (c->phase != XR_CAR_WAITING || c->waits == 0 ||
	    XR_HAS(c->probed, n->cfg.self))
		return 0;
	c->probed |= XR_SET(n->cfg.self);
	xr_tracef(n, "detect e%u while waiting -> probe my %d edges", c->epoch,
		  xr_set_count(c->waits));
	send_probes(n, n->cfg.self, NULL, 0);
	return 0;
}

int xr_car_on_probe(struct xr_node *n, const struct xr_msg *m)
{
	struct xr_car *c = &n->car;
	const uint32_t *path = m->u.probe.path;
	uint32_t len = m->u.probe.n_path;
	uint32_t initiator = m->u.probe.initiator;
	if (m->u.probe.round != c->round)
		return XR_EROUND;
	/* (i, j, k): the path starts at i and ends at j, the sender. */
	if (path[0] != initiator || path[len - 1] != m->from)
		return XR_EINVAL;
	if (m->u.probe.epoch < c->epoch || m->u.probe.epoch <= c->closed_epoch)
		return 0;
	enter_epoch(c, m->u.probe.epoch);
	if (c->phase != XR_CAR_WAITING)
		return 0;
	if (initiator == n->cfg.self) {
		if (c->reported_epoch == c->epoch)
			return 0;
		c->reported_epoch = c->epoch;
		c->n_last_cycle = len;
		for (uint32_t i = 0; i < len; i++)
			c->last_cycle[i] = path[i];
		xr_tracef(n, "probe (%u,%u,%u) back at initiator -> deadlock",
			  initiator, m->from, n->cfg.self);
		struct xr_msg *out = xr_out_to_coordinator(n, XR_MSG_DEADLOCK);
		if (out == NULL)
			return 0;
		out->u.deadlock.round = c->round;
		out->u.deadlock.epoch = c->epoch;
		out->u.deadlock.n_cycle = len;
		for (uint32_t i = 0; i < len; i++)
			out->u.deadlock.cycle[i] = path[i];
		return 0;
	}
	if (XR_HAS(c->probed, initiator) || len >= XR_MAX_CARS)
		return 0;
	c->probed |= XR_SET(initiator);
	send_probes(n, initiator, path, len);
	return 0;
}
