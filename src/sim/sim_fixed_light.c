/* The fixed-cycle two-phase traffic light of sim_fixed_light.h, simulated
 * millisecond by millisecond: the model is small and a 1 ms step keeps it
 * obviously right (no event arithmetic to get wrong). */
#include "sim_fixed_light.h"

#include <stdbool.h>
#include <stdlib.h>

#define NONE UINT32_MAX

static int by_arrival(const void *a, const void *b)
{
	const struct sim_vehicle *x = *(const struct sim_vehicle *const *)a;
	const struct sim_vehicle *y = *(const struct sim_vehicle *const *)b;
	if (x->arrival_ms != y->arrival_ms)
		return x->arrival_ms < y->arrival_ms ? -1 : 1;
	return x->car < y->car ? -1 : x->car > y->car;
}

static struct xr_car_intent as_intent(const struct sim_vehicle *v)
{
	struct xr_car_intent i = {.car = v->car,
				  .approach = v->approach,
				  .turn = v->turn,
				  .arrival_ms = v->arrival_ms};
	return i;
}

int sim_fixed_light_run(struct sim_vehicle *v, uint32_t n, uint32_t cross_ms,
			uint32_t green_ms)
{
	if (green_ms < cross_ms || green_ms == 0)
		return -1;
	/* Lanes: per approach, vehicles in arrival order. */
	struct sim_vehicle **lane[XR_APPROACHES];
	uint32_t len[XR_APPROACHES] = {0}, head[XR_APPROACHES] = {0};
	for (int a = 0; a < XR_APPROACHES; a++) {
		lane[a] = calloc(n ? n : 1, sizeof *lane[a]);
		if (lane[a] == NULL) {
			for (int b = 0; b < a; b++)
				free(lane[b]);
			return -1;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		v[i].exit_ms = 0;
		lane[v[i].approach][len[v[i].approach]++] = &v[i];
	}
	for (int a = 0; a < XR_APPROACHES; a++)
		qsort(lane[a], len[a], sizeof lane[a][0], by_arrival);

	/* In the box: at most one vehicle per lane can be inside, since a
	 * lane's paths all share their first cell. */
	struct sim_vehicle *inside[XR_APPROACHES] = {NULL};
	uint32_t left = n;
	uint64_t cycle = 2ull * green_ms;
	for (uint64_t t = 0; left > 0; t++) {
		for (int a = 0; a < XR_APPROACHES; a++) {
			if (inside[a] != NULL && inside[a]->exit_ms <= t) {
				inside[a] = NULL;
				left--;
			}
		}
		uint64_t in_cycle = t % cycle;
		bool ns = in_cycle < green_ms;
		uint64_t green_end = t - in_cycle + (ns ? green_ms : cycle);
		if (t + cross_ms > green_end)
			continue; /* amber: nobody starts a crossing */
		for (int k = 0; k < 2; k++) {
			enum xr_approach a =
				ns ? (k ? XR_N : XR_S) : (k ? XR_W : XR_E);
			if (head[a] >= len[a] || inside[a] != NULL)
				continue;
			struct sim_vehicle *h = lane[a][head[a]];
			if (h->arrival_ms > t)
				continue;
			struct xr_car_intent hi = as_intent(h);
			bool ok = true;
			for (int b = 0; b < XR_APPROACHES && ok; b++) {
				if (inside[b] == NULL)
					continue;
				struct xr_car_intent bi = as_intent(inside[b]);
				ok = !xr_paths_conflict(&hi, &bi);
			}
			enum xr_approach opp = (enum xr_approach)((a + 2) % 4);
			if (ok && h->turn == XR_LEFT && head[opp] < len[opp]) {
				const struct sim_vehicle *o =
					lane[opp][head[opp]];
				if (o->arrival_ms <= t && o->turn != XR_LEFT)
					ok = false; /* yield to oncoming */
			}
			if (!ok)
				continue;
			h->exit_ms = t + cross_ms;
			inside[a] = h;
			head[a]++;
		}
		/* A crossing of 0 ms leaves at once. */
		for (int a = 0; a < XR_APPROACHES; a++) {
			if (inside[a] != NULL && inside[a]->exit_ms <= t) {
				inside[a] = NULL;
				left--;
			}
		}
	}
	for (int a = 0; a < XR_APPROACHES; a++)
		free(lane[a]);
	return 0;
}
