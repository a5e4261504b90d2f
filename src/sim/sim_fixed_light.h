/* The baseline every driver knows: a fixed-cycle two-phase traffic light.
 * N-S green for green_ms, then E-W green for green_ms, forever. On green a
 * lane's first vehicle enters when its path conflicts with nobody in the box
 * (the same cells of geometry.h that xroad uses), it can leave before the
 * green ends (no entering on amber), and, when it turns left, no oncoming
 * vehicle going straight or right is waiting at the line (permissive left:
 * the left turn yields to oncoming traffic). No right turn on red. */
#ifndef XR_SIM_FIXED_LIGHT_H
#define XR_SIM_FIXED_LIGHT_H

#include <stdint.h>

#include "geometry.h"

struct sim_vehicle {
	uint32_t car; /* tie-break between equal arrivals */
	enum xr_approach approach;
	enum xr_turn turn;
	uint64_t arrival_ms; /* at the stop line */
	uint64_t exit_ms;    /* out of the box; filled by the run */
};

/* Drives every vehicle through; fills exit_ms. Returns 0, or -1 when it
 * cannot finish (green_ms < cross_ms, or out of memory). */
int sim_fixed_light_run(struct sim_vehicle *v, uint32_t n, uint32_t cross_ms,
			uint32_t green_ms);

#endif
