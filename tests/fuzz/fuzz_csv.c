/* The classifier's CSV reader (train.csv, test.csv), fed from memory. */
#include <stdint.h>
#include <stdio.h>

#include "model/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_data d = {0};
	FILE *f = fmemopen((void *)data, size, "r");

	if (!f)
		return 0;
	model_csv_parse(f, "fuzz.csv", &d);
	fclose(f);
	model_data_free(&d);
	return 0;
}
