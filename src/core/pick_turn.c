/* Which turn a car takes in a round: a hash of (seed, car, round) drawn
 * against the routes' weights, so every node (and a replay) computes the
 * same turn without telling anybody. A leaf. */
#include "internal.h"

uint64_t xr_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

enum xr_turn xr_pick_turn(uint64_t seed, uint32_t car, uint32_t round,
			  const uint32_t weights[XR_TURNS])
{
	uint64_t total = 0;
	for (int t = 0; t < XR_TURNS; t++)
		total += weights[t];
	if (total == 0)
		return XR_STRAIGHT;
	uint64_t h = xr_splitmix64(
		seed ^ xr_splitmix64(((uint64_t)car << 32) | round));
	uint64_t pick = h % total;
	for (int t = 0; t < XR_TURNS; t++) {
		if (pick < weights[t])
			return (enum xr_turn)t;
		pick -= weights[t];
	}
	return XR_STRAIGHT;
}
