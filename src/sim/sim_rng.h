/* The simulator's only source of randomness: xoshiro256** seeded through
 * splitmix64 from the run's seed (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", 2021: "we suggest to use a SplitMix64 to
 * initialize the state"). Never libc rand(): one seed must reproduce a run on
 * every machine (STYLE.md "Simulation"). */
#ifndef XR_SIM_RNG_H
#define XR_SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct sim_rng {
	uint64_t s[4];
};

static inline uint64_t sim_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* `stream` separates independent uses of one seed (network, faults,
 * topology, arrivals), so adding a draw to one does not shift the others. */
static inline void sim_rng_seed(struct sim_rng *r, uint64_t seed,
				uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = sim_splitmix64(&x);
}

static inline uint64_t sim_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = sim_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = sim_rotl(s[3], 45);
	return result;
}

/* Uniform in [lo, hi], both included; lo <= hi. (The modulo bias is below
 * 2^-40 for the small ranges used here.) */
static inline uint64_t sim_rng_range(struct sim_rng *r, uint64_t lo,
				     uint64_t hi)
{
	return lo + sim_rng_next(r) % (hi - lo + 1);
}

/* true with probability p_per_million / 1e6. */
static inline bool sim_rng_chance(struct sim_rng *r, uint32_t p_per_million)
{
	return sim_rng_next(r) % 1000000u < p_per_million;
}

/* Uniform in [0, 1). */
static inline double sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
