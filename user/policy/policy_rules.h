/*
 * Policy files: JSON rules with selectors, parsed into a flat rule list (policy_parse.c and the
 * files of policy_parse_int.h; policy_set.c holds the rows) and compiled against the state into
 * policy-trie entries (policy_compile.c). Schema: docs/policy.md.
 */
#ifndef CBPF_POLICY_RULES_H
#define CBPF_POLICY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "policy.h"
#include "store/state.h"

#define POL_ERR_MAX	     512
#define POL_ORIGIN_MAX	     (CBPF_PATH_MAX + 16)
#define POL_DEFAULT_PRIORITY 1000
#define POL_MAX_PRIORITY     65534 /* 65535 is the icc default, below every rule */
/* Bounds on what a policy may hold, so that parsing and compiling stay short (docs/policy.md). */
#define POL_MAX_RULES	     200000		   /* rules of all files together */
#define POL_MAX_PORT_ENTRIES 200000		   /* items of all "ports" lists together */
#define POL_MAX_RECORDS	     (4 * CBPF_MAX_POLICY) /* (rule, source, destination) triples */

enum pol_sel_kind {
	POL_SEL_EP,
	POL_SEL_NET,
	POL_SEL_VLAN,
	POL_SEL_NODE, /* endpoints hosted on a node */
	POL_SEL_HOST, /* a host's own stack */
	POL_SEL_CIDR,
	POL_SEL_WORLD,
};

struct pol_selector {
	uint8_t kind; /* enum pol_sel_kind */
	uint16_t vlan;
	struct cbpf_cidr cidr;
	char
	    name[CBPF_NAME_MAX]; /* ep, net, node, host; "local" (or empty for host) is this host */
};

struct pol_rule {
	uint32_t
	    id; /* file rules 1..n in file order; `policy set` rules carry CBPF_RULE_STATE_BIT */
	char name[CBPF_NAME_MAX];
	struct pol_selector from, to;
	uint8_t verdict;     /* enum cbpf_verdict */
	uint8_t drop_reason; /* enum cbpf_drop_reason for a deny */
	bool two_way;
	uint8_t proto;		   /* 0: any */
	uint16_t port_lo, port_hi; /* 0-65535 when the rule names no ports */
	uint16_t priority;
	char origin[POL_ORIGIN_MAX]; /* "file:line" */
};

/* A policy file as read: the snapshot records these bytes rather than the rows they gave. */
struct pol_source {
	char *name; /* the path its origins name */
	char *text;
	size_t len;
};

struct pol_set {
	struct pol_rule *rules;
	size_t n, cap;
	struct pol_source *sources; /* the files policy_parse_path read, in order */
	size_t n_sources;
	uint32_t n_ids; /* file rules; a rule listing several port ranges is one id, several rows */
	size_t n_port_entries; /* rows that came from "ports" lists */
	size_t n_files;	       /* files parsed into it */
};

/* Parses one document; errors are "file:line: what is wrong" in err. */
int policy_parse_text(const char *file, const char *text, struct pol_set *set, char *err,
		      size_t err_size);
/* A file, or every *.json in a directory in name order; their texts stay in set->sources. */
int policy_parse_path(const char *path, struct pol_set *set, char *err, size_t err_size);
/* A whole text file, NUL-terminated, its length in *len; NULL with "path: why" in err. */
char *policy_read_text(const char *path, size_t *len, char *err, size_t err_size);
/* Parses text as the file name (origins "name:line") and keeps both in set->sources. */
int policy_parse_source(const char *name, char *text, size_t len, struct pol_set *set, char *err,
			size_t err_size);
void policy_set_free(struct pol_set *set);
/* Room for n more rows, so that appending them moves none: 0 or -ENOMEM. */
int policy_set_reserve(struct pol_set *set, size_t n);
/* A zeroed row at the end; NULL without memory. */
struct pol_rule *policy_set_append(struct pol_set *set);
int policy_parse_selector(const char *text, struct pol_selector *sel);
void policy_format_selector(const struct pol_selector *sel, char *buf, size_t size);

/*
 * The accepted file rules, kept in the state directory so every command compiles them too: the
 * set's sources, so only a set from policy_parse_path has any rules to record.
 */
int policy_snapshot_write(const char *state_dir, const struct pol_set *set, const char *source);
int policy_snapshot_read(const char *state_dir, struct pol_set *set, char *err, size_t err_size);
int policy_snapshot_path(const char *state_dir, char *buf, size_t size);

#endif
