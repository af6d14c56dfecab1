/*
 * Policy files: the JSON parser, then the compiler against an in-memory cluster, both lenient
 * (as a reload is) and strict (as `policy check` is), then the formatter of every selector read.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "fuzz_state.h"
#include "policy_compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), err[POL_ERR_MAX], buf[128];
	struct pol_set set = {0};
	struct pol_compiled c;
	struct cbpf_state st;

	if (!text)
		return 0;
	fuzz_state(&st);
	if (!policy_parse_text("fuzz.json", text, &set, err, sizeof(err))) {
		for (size_t i = 0; i < set.n; i++) {
			policy_format_selector(&set.rules[i].from, buf, sizeof(buf));
			policy_format_selector(&set.rules[i].to, buf, sizeof(buf));
		}
		for (int strict = 0; strict <= 1; strict++) {
			if (!policy_compile(&st, &set, strict, &c, err, sizeof(err)))
				policy_compiled_free(&c);
		}
	}
	policy_set_free(&set);
	free(text);
	return 0;
}
