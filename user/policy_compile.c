/* Policy compiler: rules to trie entries, with priorities and port ranges resolved here. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drop.h"
#include "policy_compile.h"
#include "sync.h"

struct record {
	uint32_t src, dst;
	uint32_t rule; /* index into all.rules */
	uint16_t priority;
};

static int entries_add(struct pol_entries *t, const struct cbpf_policy_key *key,
		       const struct cbpf_policy_value *value)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct pol_entry *grown = realloc(t->e, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		t->e = grown;
		t->cap = cap;
	}
	t->e[t->n].key = *key;
	t->e[t->n++].value = *value;
	return 0;
}

static int append_row(struct pol_set *set, const struct pol_rule *r)
{
	struct pol_rule *row = policy_set_append(set);

	if (!row)
		return -ENOMEM;
	*row = *r;
	return 0;
}

/* File rules first, then `policy set` rules and icc defaults from the state. */
static int collect(struct cbpf_state *st, const struct pol_set *files, struct pol_set *all)
{
	int err = policy_set_reserve(all, files->n + st->n_rules + st->n_nets);

	if (!err && files->n) {
		memcpy(all->rules + all->n, files->rules, files->n * sizeof(*files->rules));
		all->n += files->n;
	}
	for (size_t i = 0; i < st->n_rules && !err; i++) {
		const struct cbpf_rule *sr = &st->rules[i];
		struct pol_rule r = {
		    .id = CBPF_RULE_STATE_BIT | sr->id,
		    .verdict = sr->verdict,
		    .drop_reason = sr->verdict == CBPF_VERDICT_DENY ? CBPF_DROP_POLICY : 0,
		    .port_hi = 65535,
		    .priority = POL_DEFAULT_PRIORITY,
		};

		if (policy_parse_selector(sr->from, &r.from) ||
		    policy_parse_selector(sr->to, &r.to))
			continue;
		snprintf(r.origin, sizeof(r.origin), "policy set rule %u", sr->id);
		err = append_row(all, &r);
	}
	for (size_t i = 0; i < st->n_nets && !err; i++) {
		struct pol_rule r = {
		    .from.kind = POL_SEL_NET,
		    .to.kind = POL_SEL_NET,
		    .verdict = CBPF_VERDICT_DENY,
		    .drop_reason = CBPF_DROP_ICC,
		    .port_hi = 65535,
		    .priority = POL_MAX_PRIORITY + 1,
		};

		if (st->nets[i].icc)
			continue;
		snprintf(r.from.name, sizeof(r.from.name), "%s", st->nets[i].name);
		r.to = r.from;
		snprintf(r.origin, sizeof(r.origin), "net %s --icc off", st->nets[i].name);
		err = append_row(all, &r);
	}
	return err;
}

static int cidr_cmp(const void *a, const void *b)
{
	const struct pol_cidr *x = a, *y = b;
	uint32_t ax = ntohl(x->cidr.addr), ay = ntohl(y->cidr.addr);

	if (ax != ay)
		return ax < ay ? -1 : 1;
	return (int)x->cidr.prefix_len - (int)y->cidr.prefix_len;
}

/* Every distinct CIDR a rule names gets an identity; "world" is CIDR_BASE itself. */
static int collect_cidrs(struct pol_compiled *c)
{
	size_t n = 0;

	c->cidrs = calloc(2 * c->all.n + 1, sizeof(*c->cidrs));
	if (!c->cidrs)
		return -ENOMEM;
	for (size_t i = 0; i < c->all.n; i++) {
		const struct pol_selector *sels[] = {&c->all.rules[i].from, &c->all.rules[i].to};

		for (int k = 0; k < 2; k++)
			if (sels[k]->kind == POL_SEL_CIDR)
				c->cidrs[n++].cidr = sels[k]->cidr;
	}
	qsort(c->cidrs, n, sizeof(*c->cidrs), cidr_cmp);
	c->n_cidrs = 0;
	for (size_t i = 0; i < n; i++) {
		if (c->n_cidrs && !cidr_cmp(&c->cidrs[c->n_cidrs - 1], &c->cidrs[i]))
			continue;
		c->cidrs[c->n_cidrs] = c->cidrs[i];
		c->cidrs[c->n_cidrs].id = CBPF_IDENTITY_CIDR_BASE + 1 + c->n_cidrs;
		c->n_cidrs++;
	}
	return 0;
}

/* The first CIDR whose address is at or above addr (host byte order). */
static size_t cidr_lower_bound(const struct pol_compiled *c, uint32_t addr)
{
	size_t lo = 0, hi = c->n_cidrs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ntohl(c->cidrs[mid].cidr.addr) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int ids_push(uint32_t **ids, size_t *n, uint32_t id)
{
	uint32_t *grown = realloc(*ids, (*n + 1) * sizeof(**ids));

	if (!grown)
		return -ENOMEM;
	*ids = grown;
	grown[(*n)++] = id;
	return 0;
}

/* A node by name: 0 is this host ("local"), peers count from 1 in state order. */
static int node_index(struct cbpf_state *st, const char *name)
{
	if (!strcmp(name, "local"))
		return 0;
	for (size_t i = 0; i < st->n_nodes; i++)
		if (!strcmp(st->nodes[i].name, name))
			return i + 1;
	return -1;
}

int policy_selector_ids(struct cbpf_state *st, const struct pol_compiled *c,
			const struct pol_selector *sel, uint32_t **ids, size_t *n)
{
	const struct cbpf_network *net;
	const struct cbpf_endpoint *ep;
	int idx;

	*ids = NULL;
	*n = 0;
	switch (sel->kind) {
	case POL_SEL_EP:
		ep = state_find_ep(st, sel->name);
		return ep ? ids_push(ids, n, cbpf_ep_identity(ep)) : -ENOENT;
	case POL_SEL_NET:
		net = state_find_net(st, sel->name);
		return net ? ids_push(ids, n, net->id) : -ENOENT;
	case POL_SEL_VLAN:
		return ids_push(ids, n, CBPF_IDENTITY_VLAN_BASE + sel->vlan);
	case POL_SEL_NODE:
	case POL_SEL_HOST:
		idx = node_index(st, sel->name);
		if (idx < 0)
			return -ENOENT;
		return ids_push(ids, n,
				(sel->kind == POL_SEL_NODE ? CBPF_IDENTITY_NODE_BASE
							   : CBPF_IDENTITY_HOST_BASE) +
				    idx);
	default:
		break;
	}
	/*
	 * The datapath finds only the longest CIDR holding an address, so a rule on a CIDR also
	 * binds every CIDR nested in it; world holds them all.
	 */
	if (sel->kind == POL_SEL_WORLD && ids_push(ids, n, CBPF_IDENTITY_CIDR_BASE))
		return -ENOMEM;
	/* Sorted by address then length: the CIDRs inside sel follow its own position. */
	size_t i = sel->kind == POL_SEL_CIDR ? cidr_lower_bound(c, ntohl(sel->cidr.addr)) : 0;
	uint32_t last = ntohl(sel->cidr.addr) | ~ntohl(cbpf_prefix_mask(sel->cidr.prefix_len));

	for (; i < c->n_cidrs; i++) {
		const struct cbpf_cidr *inner = &c->cidrs[i].cidr;

		if (sel->kind == POL_SEL_CIDR && ntohl(inner->addr) > last)
			break;
		if (sel->kind == POL_SEL_CIDR && inner->prefix_len < sel->cidr.prefix_len)
			continue;
		if (ids_push(ids, n, c->cidrs[i].id))
			return -ENOMEM;
	}
	return 0;
}

unsigned int policy_identity_level(uint32_t id)
{
	if (id < CBPF_IDENTITY_EP_BASE)
		return CBPF_LEVEL_NET;
	switch (CBPF_IDENTITY_CLASS(id)) {
	case CBPF_IDENTITY_CLASS(CBPF_IDENTITY_VLAN_BASE):
		return CBPF_LEVEL_VLAN;
	case CBPF_IDENTITY_CLASS(CBPF_IDENTITY_NODE_BASE):
		return CBPF_LEVEL_NODE;
	default:
		return CBPF_LEVEL_INSTANCE;
	}
}

static int fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int record_cmp(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	if (x->dst != y->dst)
		return x->dst < y->dst ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static bool rules_overlap(const struct pol_rule *a, const struct pol_rule *b)
{
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	return a->port_lo <= b->port_hi && b->port_lo <= a->port_hi;
}

static bool full_range(const struct pol_rule *r)
{
	return r->port_lo == 0 && r->port_hi == 65535;
}

static bool covers(const struct pol_rule *r, uint8_t proto, uint32_t lo, uint32_t hi)
{
	if (!r->proto)
		return true;
	return r->proto == proto && r->port_lo <= lo && hi <= r->port_hi;
}

static int emit(struct pol_compiled *c, const struct record *rec, uint32_t prefixlen, uint8_t proto,
		uint16_t port)
{
	const struct pol_rule *r = &c->all.rules[rec->rule];
	struct cbpf_policy_key key = {.prefixlen = prefixlen,
				      .src_identity = rec->src,
				      .dst_identity = rec->dst,
				      .proto = proto,
				      .dport = htons(port)};
	struct cbpf_policy_value value = {.verdict = r->verdict,
					  .drop_reason = r->drop_reason,
					  .priority = r->priority,
					  .rule_id = r->id};

	c->mask |=
	    1u << (policy_identity_level(rec->src) * CBPF_LEVELS + policy_identity_level(rec->dst));
	return entries_add(prefixlen == CBPF_POLICY_PREFIX_PAIR ? &c->pairs : &c->rules, &key,
			   &value);
}

/* [lo, hi] as aligned power-of-two blocks: one trie entry each. */
static int emit_range(struct pol_compiled *c, const struct record *rec, uint8_t proto, uint32_t lo,
		      uint32_t hi)
{
	while (lo <= hi) {
		int bits = 0;

		while (bits < 16 && !(lo & (1u << bits)) && lo + (2u << bits) - 1 <= hi)
			bits++;
		int err = emit(c, rec, CBPF_POLICY_PREFIX_PROTO + 16 - bits, proto, lo);

		if (err)
			return err;
		lo += 1u << bits;
	}
	return 0;
}

static int port_cmp(const void *a, const void *b)
{
	return (int)*(const uint32_t *)a - (int)*(const uint32_t *)b;
}

/* First record (best priority, then rule order) covering proto/[lo, hi]. */
static const struct record *winner(const struct pol_compiled *c, const struct record *g, size_t n,
				   uint8_t proto, uint32_t lo, uint32_t hi, bool base_only)
{
	for (size_t i = 0; i < n; i++) {
		const struct pol_rule *r = &c->all.rules[g[i].rule];

		if (base_only && r->proto && !full_range(r))
			continue;
		if (covers(r, proto, lo, hi))
			return &g[i];
	}
	return NULL;
}

static int compile_proto(struct pol_compiled *c, const struct record *g, size_t n, uint8_t proto)
{
	const struct record *w = winner(c, g, n, proto, 0, 65535, true), *prev = NULL;
	uint32_t *bounds, n_bounds = 0, run_lo = 0;
	int err = w ? emit(c, w, CBPF_POLICY_PREFIX_PROTO, proto, 0) : 0;

	bounds = calloc(2 * n + 2, sizeof(*bounds));
	if (!bounds)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct pol_rule *r = &c->all.rules[g[i].rule];

		if (r->proto != proto || full_range(r))
			continue;
		bounds[n_bounds++] = r->port_lo;
		bounds[n_bounds++] = r->port_hi + 1;
	}
	qsort(bounds, n_bounds, sizeof(*bounds), port_cmp);
	/* Elementary intervals between bounds; runs of one winner become prefix blocks. */
	for (uint32_t i = 0; i + 1 < n_bounds && !err; i++) {
		uint32_t lo = bounds[i], hi = bounds[i + 1] - 1;
		bool port_rule = false;

		if (bounds[i] == bounds[i + 1])
			continue;
		for (size_t k = 0; k < n; k++) {
			const struct pol_rule *r = &c->all.rules[g[k].rule];

			port_rule |= r->proto == proto && !full_range(r) && r->port_lo <= lo &&
				     hi <= r->port_hi;
		}
		w = port_rule ? winner(c, g, n, proto, lo, hi, false) : NULL;
		if (prev && w != prev)
			err = emit_range(c, prev, proto, run_lo, lo - 1);
		if (w != prev)
			run_lo = lo;
		prev = w;
	}
	if (!err && prev && n_bounds)
		err = emit_range(c, prev, proto, run_lo, bounds[n_bounds - 1] - 1);
	free(bounds);
	return err;
}

static int compile_group(struct pol_compiled *c, const struct record *g, size_t n, char *err,
			 size_t err_size)
{
	const struct record *any;
	uint8_t seen[256] = {0};

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n && g[j].priority == g[i].priority; j++) {
			const struct pol_rule *a = &c->all.rules[g[i].rule];
			const struct pol_rule *b = &c->all.rules[g[j].rule];

			if (a->verdict != b->verdict && a->id != b->id && rules_overlap(a, b))
				return fail(err, err_size,
					    "%s: conflicts with the rule at %s: both have priority "
					    "%u, one allows and one denies",
					    b->origin, a->origin, a->priority);
		}
	any = NULL;
	for (size_t i = 0; i < n && !any; i++)
		if (!c->all.rules[g[i].rule].proto)
			any = &g[i];
	if (any) {
		int e = emit(c, any, CBPF_POLICY_PREFIX_PAIR, 0, 0);

		if (e)
			return e;
	}
	size_t ports_before = c->rules.n;

	for (size_t i = 0; i < n; i++) {
		uint8_t proto = c->all.rules[g[i].rule].proto;
		int e;

		if (!proto || seen[proto])
			continue;
		seen[proto] = 1;
		e = compile_proto(c, g, n, proto);
		if (e)
			return e;
	}
	if (c->rules.n == ports_before)
		return 0;
	/* The pair entry sends the datapath on to the port trie; it may have no verdict itself. */
	if (any) {
		c->pairs.e[c->pairs.n - 1].value.verdict |= CBPF_VERDICT_F_PORTS;
		return 0;
	}
	struct cbpf_policy_key key = {.prefixlen = CBPF_POLICY_PREFIX_PAIR,
				      .src_identity = g[0].src,
				      .dst_identity = g[0].dst};
	struct cbpf_policy_value value = {.verdict = CBPF_VERDICT_F_PORTS, .priority = 0xffff};

	return entries_add(&c->pairs, &key, &value);
}

static int table_add(struct pol_compiled *c, uint32_t table, uint32_t addr, uint8_t len,
		     uint8_t verdict, uint32_t value)
{
	struct cbpf_policy_key key = {
	    .prefixlen = 32 + len, .src_identity = table, .dst_identity = addr};
	struct cbpf_policy_value v = {.verdict = verdict, .rule_id = value};

	return entries_add(&c->tables, &key, &v);
}

/* Addresses of this host's own stack: gateways it answers for and its interface addresses. */
static int host_tables(struct cbpf_state *st, struct pol_compiled *c)
{
	struct ifaddrs *list, *a;
	int err = 0;

	for (size_t i = 0; i < c->n_cidrs && !err; i++)
		err = table_add(c, CBPF_IDENTITY_ADDR_TABLE, c->cidrs[i].cidr.addr,
				c->cidrs[i].cidr.prefix_len, CBPF_VERDICT_IDENTITY, c->cidrs[i].id);
	for (size_t i = 0; i < st->n_nodes && !err; i++) {
		err = table_add(c, CBPF_IDENTITY_ADDR_TABLE, st->nodes[i].underlay_ip, 32,
				CBPF_VERDICT_IDENTITY, CBPF_IDENTITY_HOST_BASE + 1 + i);
		if (!err)
			err = table_add(c, CBPF_IDENTITY_NODE_TABLE, st->nodes[i].underlay_ip, 32,
					CBPF_VERDICT_IDENTITY, CBPF_IDENTITY_NODE_BASE + 1 + i);
	}
	for (size_t i = 0; i < st->n_nets && !err; i++)
		err = table_add(c, CBPF_IDENTITY_ADDR_TABLE, st->nets[i].gateway, 32,
				CBPF_VERDICT_IDENTITY, CBPF_IDENTITY_HOST_BASE);
	if (err || getifaddrs(&list))
		return err;
	for (a = list; a && !err; a = a->ifa_next) {
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET)
			continue;
		err = table_add(c, CBPF_IDENTITY_ADDR_TABLE,
				((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr, 32,
				CBPF_VERDICT_IDENTITY, CBPF_IDENTITY_HOST_BASE);
	}
	freeifaddrs(list);
	return err;
}

static int emit_records(struct cbpf_state *st, struct pol_compiled *c, bool strict,
			struct record **out, size_t *n_out, char *err, size_t err_size)
{
	struct record *recs = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < c->all.n; i++) {
		const struct pol_rule *r = &c->all.rules[i];
		uint32_t *from, *to;
		size_t n_from, n_to;
		char text[96];
		int e = policy_selector_ids(st, c, &r->from, &from, &n_from);

		if (!e)
			e = policy_selector_ids(st, c, &r->to, &to, &n_to);
		else
			to = NULL;
		if (e == -ENOENT && !strict) {
			free(from);
			free(to);
			continue;
		}
		if (e) {
			free(from);
			free(to);
			free(recs);
			policy_format_selector(e == -ENOENT && from ? &r->to : &r->from, text,
					       sizeof(text));
			return e == -ENOENT
				   ? fail(err, err_size, "%s: no such object '%s'", r->origin, text)
				   : e;
		}
		for (int way = 0; way < (r->two_way ? 2 : 1); way++)
			for (size_t a = 0; a < n_from; a++)
				for (size_t b = 0; b < n_to; b++) {
					if (n == cap) {
						struct record *grown;

						cap = cap ? cap * 2 : 1024;
						grown = realloc(recs, cap * sizeof(*recs));
						if (!grown) {
							free(from);
							free(to);
							free(recs);
							return -ENOMEM;
						}
						recs = grown;
					}
					recs[n++] = (struct record){
					    .src = way ? to[b] : from[a],
					    .dst = way ? from[a] : to[b],
					    .rule = i,
					    .priority = r->priority,
					};
				}
		free(from);
		free(to);
	}
	*out = recs;
	*n_out = n;
	return 0;
}

int policy_compile(struct cbpf_state *st, const struct pol_set *files, bool strict,
		   struct pol_compiled *c, char *err, size_t err_size)
{
	struct record *recs = NULL;
	size_t n = 0;
	int e;

	memset(c, 0, sizeof(*c));
	snprintf(err, err_size, "out of memory");
	e = collect(st, files, &c->all);
	e = e ?: collect_cidrs(c);
	e = e ?: emit_records(st, c, strict, &recs, &n, err, err_size);
	if (e)
		goto fail;
	qsort(recs, n, sizeof(*recs), record_cmp);
	for (size_t i = 0, j; i < n && !e; i = j) {
		for (j = i + 1; j < n && recs[j].src == recs[i].src && recs[j].dst == recs[i].dst;
		     j++)
			;
		e = compile_group(c, recs + i, j - i, err, err_size);
	}
	free(recs);
	e = e ?: host_tables(st, c);
	if (!e)
		return 0;
fail:
	policy_compiled_free(c);
	return e;
}

void policy_compiled_free(struct pol_compiled *c)
{
	free(c->pairs.e);
	free(c->rules.e);
	free(c->tables.e);
	free(c->cidrs);
	policy_set_free(&c->all);
	memset(c, 0, sizeof(*c));
}

const struct pol_rule *policy_find_rule(const struct pol_compiled *c, uint32_t rule_id)
{
	for (size_t i = 0; rule_id && i < c->all.n; i++)
		if (c->all.rules[i].id == rule_id)
			return &c->all.rules[i];
	return NULL;
}
