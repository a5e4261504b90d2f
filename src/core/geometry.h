/* The crossroad of docs/DESIGN.md section 1: approaches, turns, the cells of the
 * box, paths, conflicts and the right-of-way rules that produce wait-for edges.
 *
 * Approaches are numbered counter-clockwise (S, E, N, W) so that "the approach
 * on the right of a" is (a + 1) % 4 and the opposite one is (a + 2) % 4. The box
 * cell a car enters first is the one nearest its approach on its right-hand
 * side; each further cell is the entry cell of the next approach
 * counter-clockwise, which gives exactly the table of docs/DESIGN.md:
 *   S: SE | SE NE | SE NE NW      E: NE | NE NW | NE NW SW
 *   N: NW | NW SW | NW SW SE      W: SW | SW SE | SW SE NE            */
#ifndef XR_GEOMETRY_H
#define XR_GEOMETRY_H

#include <stdbool.h>
#include <stdint.h>

enum xr_approach { XR_S = 0, XR_E = 1, XR_N = 2, XR_W = 3, XR_APPROACHES = 4 };
enum xr_turn { XR_RIGHT = 0, XR_STRAIGHT = 1, XR_LEFT = 2, XR_TURNS = 3 };
enum xr_cell { XR_NW = 0, XR_NE = 1, XR_SE = 2, XR_SW = 3, XR_CELLS = 4 };

/* What a car node has at its stop line when a round collects intents (open
 * rounds, docs/PROTOCOL.md): a vehicle, whose intent this is; nothing for
 * now; or nothing ever again (every vehicle it was to send has crossed). */
enum xr_lane { XR_LANE_VEHICLE = 0, XR_LANE_EMPTY, XR_LANE_DONE };

/* A car as the rules see it. xr_arrived_before orders cars totally: earlier
 * arrival (arrival_ms, then car id) first. */
struct xr_car_intent {
	uint32_t car;
	enum xr_approach approach;
	enum xr_turn turn;
	uint64_t arrival_ms;
	/* Only in a COLLECT echo: EMPTY or DONE say the car sits this round
	 * out (approach, turn and arrival_ms then mean nothing). An intent
	 * set holds VEHICLE intents only. */
	enum xr_lane lane;
};

/* Bit (1 << cell) for every cell of the path. */
unsigned xr_path_cells(enum xr_approach from, enum xr_turn turn);
/* Number of cells, which is also the cell list's length. */
unsigned xr_path_length(enum xr_turn turn);
/* The i-th cell driven through, i < xr_path_length(turn). */
enum xr_cell xr_path_cell(enum xr_approach from, enum xr_turn turn, unsigned i);

bool xr_paths_conflict(const struct xr_car_intent *a,
		       const struct xr_car_intent *b);

/* true when a arrived before b: (arrival_ms, car) lexicographic. */
bool xr_arrived_before(const struct xr_car_intent *a,
		       const struct xr_car_intent *b);

/* The rules of docs/DESIGN.md section 1: true when `a` must wait for `b` (the
 * wait-for edge a -> b). For two distinct cars exactly one of
 * xr_yields(a,b), xr_yields(b,a) holds when they conflict or share an
 * approach, and neither holds otherwise. */
bool xr_yields(const struct xr_car_intent *a, const struct xr_car_intent *b);

/* Parsing and printing, for the CLI, config and routes files. */
const char *xr_approach_name(enum xr_approach a); /* "S" */
const char *xr_turn_name(enum xr_turn t);         /* "straight" */
const char *xr_cell_name(enum xr_cell c);         /* "NW" */
/* 0 and *out set, or XR_EINVAL. Case-insensitive; "S" or "south". */
int xr_approach_parse(const char *s, enum xr_approach *out);
int xr_turn_parse(const char *s, enum xr_turn *out);

#endif
