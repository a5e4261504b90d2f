/* When a car node's vehicles arrive (node.h, xr_vehicle_arrival_ms): a
 * Poisson stream, each gap drawn from a hash of (seed, car, vehicle) rather
 * than a generator, so the car after a restart, the simulator and the fixed
 * light it is compared with (src/sim/sim_compare.c) all see the very same
 * vehicles with no state to keep. A leaf. */
#include <math.h>
#include <strings.h>

#include "internal.h"

/* The gap before vehicle k: exponential with mean headway_ms. */
static uint64_t gap_ms(uint64_t seed, uint32_t car, uint32_t k,
		       uint32_t headway_ms)
{
	/* A domain apart from xr_pick_turn's hash of the same (car, k). */
	uint64_t h = xr_splitmix64(seed ^ 0x61727269766c7321ULL ^
				   xr_splitmix64(((uint64_t)car << 32) | k));
	double u = (double)(h >> 11) * (1.0 / 9007199254740992.0); /* [0,1) */
	return (uint64_t)(-log(1.0 - u) * (double)headway_ms);
}

uint64_t xr_vehicle_arrival_ms(uint64_t seed, uint32_t car, uint32_t k,
			       uint32_t headway_ms)
{
	uint64_t t = 0;
	for (uint32_t i = 1; i <= k; i++)
		t += gap_ms(seed, car, i, headway_ms);
	return t;
}

/* Moves a cursor (vehicle k arrived at at_ms after the car's first start;
 * k = 0, at_ms = 0 before the first) on to vehicle `to`: one gap per
 * vehicle, never the sum from vehicle 1 again. */
static void cursor_to(const struct xr_node *n, uint32_t *k, uint64_t *at_ms,
		      uint32_t to)
{
	if (to < *k) {
		*k = 0;
		*at_ms = 0;
	}
	while (*k < to) {
		(*k)++;
		*at_ms +=
			gap_ms(n->cfg.seed, n->cfg.self, *k, n->cfg.headway_ms);
	}
}

void xr_queue_advance(struct xr_node *n)
{
	struct xr_queue *q = &n->queue;
	if (n->cfg.arrivals != XR_ARRIVALS_POISSON || !n->is_car)
		return;
	uint64_t base = n->durable.arrivals_from_ms;
	while (q->arrived < n->cfg.rounds) {
		uint32_t k = q->arrived;
		uint64_t at = q->arrived_ms;
		cursor_to(n, &k, &at, q->arrived + 1);
		if (base + at > n->now_ms) {
			xr_timer_arm(n, XR_TIMER_ARRIVAL,
				     base + at - n->now_ms);
			return;
		}
		q->arrived = k;
		q->arrived_ms = at;
	}
}

enum xr_lane xr_lane_now(const struct xr_node *n)
{
	if (n->cfg.arrivals != XR_ARRIVALS_POISSON)
		return XR_LANE_VEHICLE;
	if (n->durable.crossings >= n->cfg.rounds)
		return XR_LANE_DONE;
	return n->queue.arrived > n->durable.crossings ? XR_LANE_VEHICLE
						       : XR_LANE_EMPTY;
}

uint64_t xr_vehicle_arrived_ms(struct xr_node *n, uint32_t k)
{
	struct xr_queue *q = &n->queue;
	cursor_to(n, &q->head, &q->head_ms, k);
	return n->durable.arrivals_from_ms + q->head_ms;
}

static const char *const arrivals_names[] = {"always", "poisson"};

const char *xr_arrivals_name(enum xr_arrivals a)
{
	return (unsigned)a < 2 ? arrivals_names[a] : "?";
}

int xr_arrivals_parse(const char *s, enum xr_arrivals *out)
{
	for (unsigned i = 0; i < 2; i++)
		if (strcasecmp(s, arrivals_names[i]) == 0) {
			*out = (enum xr_arrivals)i;
			return 0;
		}
	return XR_EINVAL;
}
