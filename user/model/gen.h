/*
 * The data generator: Table 1 of the paper as fixtures at the head of the training set, then
 * requirement vectors drawn without replacement from the rest of the 0..10 grid and labelled by
 * the expert rule (rule.h). Training and test vectors never coincide.
 */
#ifndef CBPF_MODEL_GEN_H
#define CBPF_MODEL_GEN_H

#include <stdint.h>

#include "model/data.h"

#define MODEL_GEN_SEED	  2019
#define MODEL_GEN_N_TRAIN 2000
#define MODEL_GEN_N_TEST  300

/* Appends to train and test; reports and returns -EINVAL when the sizes cannot be met. */
int model_gen(uint64_t seed, size_t n_train, size_t n_test, struct model_data *train,
	      struct model_data *test);

#endif
