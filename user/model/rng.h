/*
 * Seeded pseudo-random numbers (xoshiro256**, seeded through splitmix64). Our own generator,
 * not rand(3), so that `make data` and the stability selection give the same bytes everywhere.
 */
#ifndef CBPF_MODEL_RNG_H
#define CBPF_MODEL_RNG_H

#include <stdint.h>

struct model_rng {
	uint64_t s[4];
};

void model_rng_seed(struct model_rng *r, uint64_t seed);
uint64_t model_rng_next(struct model_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double model_rng_uniform(struct model_rng *r);
/* Uniform integer in [0, n), without modulo bias. */
uint64_t model_rng_below(struct model_rng *r, uint64_t n);

#endif
