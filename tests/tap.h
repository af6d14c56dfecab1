/* Minimal TAP output for C tests: tests/run.sh counts the "ok"/"not ok" lines. */
#ifndef CBPF_TAP_H
#define CBPF_TAP_H

#include <stdio.h>

static int tap_failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		int check_ok_ = !!(cond);                                                          \
		printf(check_ok_ ? "ok - " : "not ok - ");                                         \
		printf(__VA_ARGS__);                                                               \
		printf("%s\n", check_ok_ ? "" : "  [failed: " #cond "]");                          \
		tap_failures += !check_ok_;                                                        \
	} while (0)

#define TAP_EXIT() return tap_failures ? 1 : 0

#endif
