#include <errno.h>
#include <stdlib.h>

#include "core/err.h"
#include "model/gen.h"
#include "model/rng.h"
#include "model/rule.h"

int model_gen(uint64_t seed, size_t n_train, size_t n_test, struct model_data *train,
	      struct model_data *test)
{
	struct model_req *pool = malloc(MODEL_GRID_SIZE * sizeof(*pool));
	size_t n_pool, n_draw;
	struct model_rng rng;
	int err = 0;

	if (!pool)
		return -ENOMEM;
	n_pool = model_rule_population(pool);
	if (n_train < model_table1_len || n_train - model_table1_len + n_test > n_pool) {
		cbpf_err(
		    "model gen: %zu training and %zu test samples do not fit: the training set "
		    "holds the %zu Table 1 rows and the grid has %zu other vectors",
		    n_train, n_test, model_table1_len, n_pool);
		free(pool);
		return -EINVAL;
	}
	for (size_t i = 0; i < model_table1_len && !err; i++)
		err = model_data_add(train, &model_table1[i].x, model_table1[i].label);

	/* A partial Fisher-Yates shuffle draws distinct vectors; each gets its label right away. */
	model_rng_seed(&rng, seed);
	n_draw = n_train - model_table1_len + n_test;
	for (size_t i = 0; i < n_draw && !err; i++) {
		size_t j = i + model_rng_below(&rng, n_pool - i);
		struct model_req x = pool[j];
		int y = model_rng_uniform(&rng) < model_rule_prob(&x);

		pool[j] = pool[i];
		pool[i] = x;
		err = model_data_add(i < n_train - model_table1_len ? train : test, &x, y);
	}
	free(pool);
	return err;
}
