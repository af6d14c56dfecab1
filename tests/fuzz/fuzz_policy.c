/*
 * Policy files: the JSON parser, then the compiler against an in-memory cluster, both lenient
 * (as a reload is) and strict (as `policy check` is), then the formatter of every selector read.
 */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "fuzz_state.h"
#include "policy/policy_compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The compiler reads this host's addresses with getifaddrs(3), a netlink query. The target
 * answers it itself (these definitions take the place of libc's and of the ASan interceptor's),
 * so fuzzing never asks the host, nor stalls on a netlink socket of a busy machine.
 */
static struct sockaddr_in fuzz_host_addr = {.sin_family = AF_INET, .sin_addr.s_addr = 0x010012c6};
static struct ifaddrs fuzz_host_if = {.ifa_name = "eth0",
				      .ifa_addr = (struct sockaddr *)&fuzz_host_addr};

int getifaddrs(struct ifaddrs **list)
{
	*list = &fuzz_host_if;
	return 0;
}

void freeifaddrs(struct ifaddrs *list)
{
	(void)list;
}

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
