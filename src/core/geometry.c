/* The crossroad of docs/DESIGN.md section 1. See geometry.h for the numbering. */
#include "geometry.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "err.h"

/* The first cell a car from approach a drives into. */
static const enum xr_cell entry_cell[XR_APPROACHES] = {
	[XR_S] = XR_SE,
	[XR_E] = XR_NE,
	[XR_N] = XR_NW,
	[XR_W] = XR_SW,
};

unsigned xr_path_length(enum xr_turn turn)
{
	return (unsigned)turn + 1;
}

enum xr_cell xr_path_cell(enum xr_approach from, enum xr_turn turn, unsigned i)
{
	(void)turn;
	return entry_cell[(from + i) % XR_APPROACHES];
}

unsigned xr_path_cells(enum xr_approach from, enum xr_turn turn)
{
	unsigned cells = 0;
	for (unsigned i = 0; i < xr_path_length(turn); i++)
		cells |= 1u << xr_path_cell(from, turn, i);
	return cells;
}

bool xr_paths_conflict(const struct xr_car_intent *a,
		       const struct xr_car_intent *b)
{
	return (xr_path_cells(a->approach, a->turn) &
		xr_path_cells(b->approach, b->turn)) != 0;
}

bool xr_arrived_before(const struct xr_car_intent *a,
		       const struct xr_car_intent *b)
{
	if (a->arrival_ms != b->arrival_ms)
		return a->arrival_ms < b->arrival_ms;
	return a->car < b->car;
}

bool xr_yields(const struct xr_car_intent *a, const struct xr_car_intent *b)
{
	if (a->car == b->car)
		return false;
	/* "cars on the same approach queue in a lane: the follower waits for
	 * the one ahead" - whatever their turns. */
	if (a->approach == b->approach)
		return xr_arrived_before(b, a);
	if (!xr_paths_conflict(a, b))
		return false;
	/* "a car yields to a conflicting car on its right" */
	if (b->approach == (a->approach + 1) % XR_APPROACHES)
		return true;
	if (a->approach == (b->approach + 1) % XR_APPROACHES)
		return false;
	/* Opposite approaches: "a left turn yields to the other's straight or
	 * right turn; two opposite left turns are ordered by (arrival time, car
	 * id)". Two non-left opposite paths never share a cell. */
	if (a->turn == XR_LEFT && b->turn != XR_LEFT)
		return true;
	if (a->turn != XR_LEFT && b->turn == XR_LEFT)
		return false;
	return xr_arrived_before(b, a);
}

static const char *const approach_names[XR_APPROACHES] = {"S", "E", "N", "W"};
static const char *const approach_long[XR_APPROACHES] = {"south", "east",
							 "north", "west"};
static const char *const turn_names[XR_TURNS] = {"right", "straight", "left"};
static const char *const cell_names[XR_CELLS] = {"NW", "NE", "SE", "SW"};

const char *xr_approach_name(enum xr_approach a)
{
	return (unsigned)a < XR_APPROACHES ? approach_names[a] : "?";
}

const char *xr_turn_name(enum xr_turn t)
{
	return (unsigned)t < XR_TURNS ? turn_names[t] : "?";
}

const char *xr_cell_name(enum xr_cell c)
{
	return (unsigned)c < XR_CELLS ? cell_names[c] : "?";
}

static bool equal_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

int xr_approach_parse(const char *s, enum xr_approach *out)
{
	if (s == NULL)
		return XR_EINVAL;
	for (int i = 0; i < XR_APPROACHES; i++) {
		if (equal_nocase(s, approach_names[i]) ||
		    equal_nocase(s, approach_long[i])) {
			*out = (enum xr_approach)i;
			return 0;
		}
	}
	return XR_EINVAL;
}

int xr_turn_parse(const char *s, enum xr_turn *out)
{
	if (s == NULL)
		return XR_EINVAL;
	for (int i = 0; i < XR_TURNS; i++) {
		if (equal_nocase(s, turn_names[i])) {
			*out = (enum xr_turn)i;
			return 0;
		}
	}
	return XR_EINVAL;
}
