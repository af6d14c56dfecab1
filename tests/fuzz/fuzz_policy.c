/*
 * Policy files: the JSON parser (its one-pass reader checked against json-c), then the compiler
 * against an in-memory cluster, both lenient (as a reload is) and strict (as `policy check` is),
 * then the formatter of every selector read.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_state.h"
#include "policy/policy_compile.h"
#include "policy/policy_fields.h"

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

/*
 * The one-pass reader takes a document only when json-c reads it to the same rows; whatever it
 * declines leaves the set as it was.
 */
static void same_as_json(const char *text)
{
	struct pol_set fast = {0}, json = {0};
	char err[POL_ERR_MAX];
	int e = policy_parse_fast("fuzz.json", text, &fast);

	if (e == -EAGAIN && fast.n)
		abort();
	if (!e &&
	    (policy_parse_json("fuzz.json", text, &json, err, sizeof(err)) || json.n != fast.n ||
	     json.n_ids != fast.n_ids || json.n_port_entries != fast.n_port_entries ||
	     (fast.n && memcmp(json.rules, fast.rules, fast.n * sizeof(*fast.rules)))))
		abort();
	policy_set_free(&fast);
	policy_set_free(&json);
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
	same_as_json(text);
	if (!policy_parse_text("fuzz.json", text, &set, err, sizeof(err))) {
		for (size_t i = 0; i < set.n; i++) {
			policy_format_selector(&set.rules[i].from, buf, sizeof(buf));
			policy_format_selector(&set.rules[i].to, buf, sizeof(buf));
		}
		/* policy_compile takes the rows: the second compile gets them parsed again. */
		for (int strict = 0; strict <= 1; strict++) {
			if (strict && policy_parse_text("fuzz.json", text, &set, err, sizeof(err)))
				abort();
			if (!policy_compile(&st, &set, strict, &c, err, sizeof(err)))
				policy_compiled_free(&c);
			policy_set_free(&set);
		}
	}
	policy_set_free(&set);
	free(text);
	return 0;
}
