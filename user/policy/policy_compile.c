/* Policy compiler: rules to trie entries, with priorities and port ranges resolved here. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drop.h"
#include "network.h"
#include "core/radix.h"
#include "link/host_addrs.h"
#include "policy/policy_compile.h"
#include "policy/identity.h"

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

/*
 * File rules first, then `policy set` rules and icc defaults from the state. The file rows are
 * taken rather than copied: copying 10 000 of them was 4 % of a reload.
 */
static int collect(struct cbpf_state *st, struct pol_set *files, struct pol_set *all)
{
	int err;

	all->rules = files->rules;
	all->n = files->n;
	all->cap = files->cap;
	files->rules = NULL;
	files->n = files->cap = 0;
	err = policy_set_reserve(all, st->n_rules + st->n_nets);
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

/* Big-endian key bytes, so that radix_order's memcmp order is the numbers' order. */
static unsigned char *put_be(unsigned char *k, uint32_t v, int bytes)
{
	while (bytes--)
		*k++ = v >> (8 * bytes);
	return k;
}

/* The rows of a in the order given: a's own array is replaced; 0 or -ENOMEM. */
static int permute(void *a, size_t size, size_t n, const size_t *order)
{
	char *sorted = malloc(n * size + 1), **base = a;

	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		memcpy(sorted + i * size, *base + order[i] * size, size);
	free(*base);
	*base = sorted;
	return 0;
}

static int cidr_cmp(const void *a, const void *b)
{
	const struct pol_cidr *x = a, *y = b;
	uint32_t ax = ntohl(x->cidr.addr), ay = ntohl(y->cidr.addr);

	if (ax != ay)
		return ax < ay ? -1 : 1;
	return (int)x->cidr.prefix_len - (int)y->cidr.prefix_len;
}

/* Where a CIDR's identity goes unless another CIDR took it: 1..2^23, from the CIDR alone. */
static uint32_t cidr_hash(const struct cbpf_cidr *cidr)
{
	uint64_t x = ((uint64_t)ntohl(cidr->addr) << 8 | cidr->prefix_len) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(x >> 41) + 1;
}

/* A CIDR's hash and its place in the address order. */
struct cidr_hash {
	uint32_t hash;
	uint32_t at;
};

/*
 * Identities from the CIDRs themselves, not from their rank: a CIDR keeps its identity when
 * others come or go, so a reload that adds rules rewrites only their entries. Each takes its
 * hash or, when an earlier one in hash order holds that, the next free number: unique, at most
 * 2^23 + (number of CIDRs), below the class's 2^24.
 */
static int number_cidrs(struct pol_compiled *c)
{
	struct cidr_hash *by_hash = malloc((c->n_cidrs + 1) * sizeof(*by_hash));
	uint32_t next = 0;

	if (!by_hash)
		return -ENOMEM;
	unsigned char *keys = malloc(4 * c->n_cidrs + 1);
	size_t *order = NULL;

	for (size_t i = 0; i < c->n_cidrs && keys; i++) {
		by_hash[i] = (struct cidr_hash){cidr_hash(&c->cidrs[i].cidr), i};
		put_be(keys + 4 * i, by_hash[i].hash, 4);
	}
	/* Stable: ties stay in the address order. */
	order = keys ? radix_order(keys, 4, c->n_cidrs) : NULL;
	for (size_t i = 0; order && i < c->n_cidrs; i++) {
		const struct cidr_hash *h = &by_hash[order[i]];

		next = h->hash > next ? h->hash : next + 1;
		c->cidrs[h->at].id = CBPF_IDENTITY_CIDR_BASE + next;
	}
	free(by_hash);
	free(keys);
	if (!order)
		return -ENOMEM;
	free(order);
	return 0;
}

/*
 * Every distinct CIDR a rule names gets an identity; "world" is CIDR_BASE itself. at[2i + k] is
 * where rule i's CIDR selector k (0 from, 1 to) landed in c->cidrs: finding it again by address
 * was most of resolving 10 000 CIDR selectors.
 */
static int collect_cidrs(struct pol_compiled *c, uint32_t **at_out)
{
	uint32_t *slot = malloc((2 * c->all.n + 1) * sizeof(*slot)),
		 *at = calloc(2 * c->all.n + 1, sizeof(*at));
	unsigned char *keys = NULL;
	size_t n = 0, *order = NULL;
	int err = -ENOMEM;

	c->cidrs = calloc(2 * c->all.n + 1, sizeof(*c->cidrs));
	if (!c->cidrs || !slot || !at)
		goto out;
	for (size_t i = 0; i < c->all.n; i++) {
		const struct pol_selector *sels[] = {&c->all.rules[i].from, &c->all.rules[i].to};

		for (int k = 0; k < 2; k++)
			if (sels[k]->kind == POL_SEL_CIDR) {
				slot[n] = 2 * i + k;
				c->cidrs[n++].cidr = sels[k]->cidr;
			}
	}
	keys = malloc(5 * n + 1);
	for (size_t i = 0; i < n && keys; i++)
		put_be(put_be(keys + 5 * i, ntohl(c->cidrs[i].cidr.addr), 4),
		       c->cidrs[i].cidr.prefix_len, 1);
	order = keys ? radix_order(keys, 5, n) : NULL;
	err = order ? permute(&c->cidrs, sizeof(*c->cidrs), n, order) : -ENOMEM;
	if (err)
		goto out;
	c->n_cidrs = 0;
	for (size_t i = 0; i < n; i++) {
		if (!c->n_cidrs || cidr_cmp(&c->cidrs[c->n_cidrs - 1], &c->cidrs[i]))
			c->cidrs[c->n_cidrs++] = c->cidrs[i];
		at[slot[order[i]]] = c->n_cidrs - 1;
	}
	err = number_cidrs(c);
out:
	free(keys);
	free(order);
	free(slot);
	if (err)
		free(at);
	*at_out = err ? NULL : at;
	return err;
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

/* Identities of one selector; kept from rule to rule, so that a rule costs no allocation. */
struct id_list {
	uint32_t *ids;
	size_t n, cap;
};

static int ids_push(struct id_list *l, uint32_t id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		uint32_t *grown = realloc(l->ids, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		l->ids = grown;
		l->cap = cap;
	}
	l->ids[l->n++] = id;
	return 0;
}

/*
 * A node's identity index: 0 is this host, peers count from 1 in state order. This host goes
 * by "local" and by its own node name, so that one cluster-wide file means the same on every
 * host: the datapath gives this host's endpoints and stack index 0.
 */
static uint32_t node_slot(const struct cbpf_state *st, size_t i)
{
	return st->nodes[i].ifname[0] ? 0 : i + 1;
}

static int node_index(struct cbpf_state *st, const char *name)
{
	if (!strcmp(name, "local"))
		return 0;
	for (size_t i = 0; i < st->n_nodes; i++)
		if (!strcmp(st->nodes[i].name, name))
			return node_slot(st, i);
	return -1;
}

/* No position known for a CIDR selector: it is looked up by address. */
#define NO_HINT SIZE_MAX

/* hint: where sel, a CIDR, is in c->cidrs, or NO_HINT. */
static int selector_ids(struct cbpf_state *st, const struct pol_compiled *c,
			const struct pol_selector *sel, size_t hint, struct id_list *l)
{
	const struct cbpf_network *net;
	const struct cbpf_endpoint *ep;
	int idx;

	l->n = 0;
	switch (sel->kind) {
	case POL_SEL_EP:
		ep = state_find_ep(st, sel->name);
		return ep ? ids_push(l, cbpf_ep_identity(ep)) : -ENOENT;
	case POL_SEL_NET:
		net = state_find_net(st, sel->name);
		return net ? ids_push(l, net->id) : -ENOENT;
	case POL_SEL_VLAN:
		return ids_push(l, CBPF_IDENTITY_VLAN_BASE + sel->vlan);
	case POL_SEL_NODE:
	case POL_SEL_HOST:
		idx = node_index(st, sel->name);
		if (idx < 0)
			return -ENOENT;
		return ids_push(l, (sel->kind == POL_SEL_NODE ? CBPF_IDENTITY_NODE_BASE
							      : CBPF_IDENTITY_HOST_BASE) +
				       idx);
	default:
		break;
	}
	/*
	 * The datapath finds only the longest CIDR holding an address, so a rule on a CIDR also
	 * binds every CIDR nested in it; world holds them all.
	 */
	if (sel->kind == POL_SEL_WORLD && ids_push(l, CBPF_IDENTITY_CIDR_BASE))
		return -ENOMEM;
	/* Sorted by address then length: the CIDRs inside sel follow its own position. */
	size_t i = sel->kind != POL_SEL_CIDR ? 0
		   : hint != NO_HINT	     ? hint
					     : cidr_lower_bound(c, ntohl(sel->cidr.addr));
	uint32_t last = ntohl(sel->cidr.addr) | ~ntohl(cbpf_prefix_mask(sel->cidr.prefix_len));

	for (; i < c->n_cidrs; i++) {
		const struct cbpf_cidr *inner = &c->cidrs[i].cidr;

		if (sel->kind == POL_SEL_CIDR && ntohl(inner->addr) > last)
			break;
		if (sel->kind == POL_SEL_CIDR && inner->prefix_len < sel->cidr.prefix_len)
			continue;
		if (ids_push(l, c->cidrs[i].id))
			return -ENOMEM;
	}
	return 0;
}

int policy_selector_ids(struct cbpf_state *st, const struct pol_compiled *c,
			const struct pol_selector *sel, uint32_t **ids, size_t *n)
{
	struct id_list l = {0};
	int e = selector_ids(st, c, sel, NO_HINT, &l);

	*ids = l.ids;
	*n = l.n;
	return e;
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

/*
 * By source, destination and priority, equals in their order: emit_records writes the records
 * of each rule in turn, so rules of a priority stay in file order.
 */
static int sort_records(struct record **recs, size_t n)
{
	unsigned char *keys = malloc(10 * n + 1);
	size_t *order = NULL;
	int err = -ENOMEM;

	for (size_t i = 0; i < n && keys; i++)
		put_be(put_be(put_be(keys + 10 * i, (*recs)[i].src, 4), (*recs)[i].dst, 4),
		       (*recs)[i].priority, 2);
	order = keys ? radix_order(keys, 10, n) : NULL;
	if (order)
		err = permute(recs, sizeof(**recs), n, order);
	free(keys);
	free(order);
	return err;
}

static bool full_range(const struct pol_rule *r)
{
	return r->port_lo == 0 && r->port_hi == 65535;
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

/* First record (best priority, then rule order) covering the whole of proto's ports. */
static const struct record *base_winner(const struct pol_compiled *c, const struct record *g,
					size_t n, uint8_t proto)
{
	for (size_t i = 0; i < n; i++) {
		const struct pol_rule *r = &c->all.rules[g[i].rule];

		if (!r->proto || (r->proto == proto && full_range(r)))
			return &g[i];
	}
	return NULL;
}

/* A min-heap of ranks (positions in the group, so the smallest is the winner). */
struct rank_heap {
	uint32_t *v;
	size_t n;
};

static void heap_push(struct rank_heap *h, uint32_t rank)
{
	size_t i = h->n++;

	while (i && h->v[(i - 1) / 2] > rank) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = rank;
}

static void heap_pop(struct rank_heap *h)
{
	uint32_t last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t k = 2 * i + 1;

		if (k >= h->n)
			break;
		if (k + 1 < h->n && h->v[k + 1] < h->v[k])
			k++;
		if (h->v[k] >= last)
			break;
		h->v[i] = h->v[k];
		i = k;
	}
	if (h->n)
		h->v[i] = last;
}

/*
 * Port rows open (low bits: rank, bit 31 clear) at their first port and close (bit 31 set) one
 * past their last: one sweep over the sorted bounds with a heap of the open rows finds every
 * elementary interval's winner, where asking every row for every interval grew with the square
 * of the pair's port entries.
 */
#define PORT_EVENT(port, rank, close) ((uint64_t)(port) << 32 | (close) << 31 | (rank))

static int event_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int compile_proto(struct pol_compiled *c, const struct record *g, size_t n, uint8_t proto)
{
	const struct pol_rule *one = &c->all.rules[g[0].rule];

	/* Most pairs have one rule: its range is its entries, without the sweep's allocations and
	 * sort (a tenth of compiling 10 000 such rules). */
	if (n == 1)
		return full_range(one) ? emit(c, g, CBPF_POLICY_PREFIX_PROTO, proto, 0)
				       : emit_range(c, g, proto, one->port_lo, one->port_hi);
	const struct record *base = base_winner(c, g, n, proto), *prev = NULL, *w;
	struct rank_heap heap = {.v = calloc(n + 1, sizeof(uint32_t))};
	uint64_t *events = calloc(2 * n + 1, sizeof(*events));
	bool *open = calloc(n + 1, sizeof(*open));
	size_t n_events = 0;
	uint32_t run_lo = 0;
	int err = base ? emit(c, base, CBPF_POLICY_PREFIX_PROTO, proto, 0) : 0;

	if (!heap.v || !events || !open)
		err = -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		const struct pol_rule *r = &c->all.rules[g[i].rule];

		if (r->proto != proto || full_range(r))
			continue;
		events[n_events++] = PORT_EVENT(r->port_lo, i, 0u);
		events[n_events++] = PORT_EVENT(r->port_hi + 1u, i, 1u);
	}
	qsort(events, n_events, sizeof(*events), event_cmp);
	for (size_t k = 0; k < n_events && !err;) {
		uint32_t lo = events[k] >> 32;

		for (; k < n_events && events[k] >> 32 == lo; k++) {
			uint32_t rank = events[k] & 0x7fffffff;

			open[rank] = !(events[k] & (1u << 31));
			if (open[rank])
				heap_push(&heap, rank);
		}
		while (heap.n && !open[heap.v[0]])
			heap_pop(&heap);
		w = heap.n ? &g[heap.v[0]] : NULL;
		if (w && base && base < w)
			w = base;
		if (prev && w != prev)
			err = emit_range(c, prev, proto, run_lo, lo - 1);
		if (w != prev)
			run_lo = lo;
		prev = w;
	}
	free(heap.v);
	free(events);
	free(open);
	return err;
}

/* One overlap-relevant row of a priority run: its protocol's port range and verdict. */
struct span {
	uint8_t proto, verdict;
	uint32_t lo, hi, rank;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static int conflict(const struct pol_compiled *c, const struct record *g, uint32_t x, uint32_t y,
		    char *err, size_t err_size)
{
	const struct pol_rule *a = &c->all.rules[g[x < y ? x : y].rule];
	const struct pol_rule *b = &c->all.rules[g[x < y ? y : x].rule];

	return fail(err, err_size,
		    "%s: conflicts with the rule at %s: both have priority %u, one allows and one "
		    "denies",
		    b->origin, a->origin, a->priority);
}

/*
 * Rows g[0..n) share one priority: an allow and a deny among them that overlap (an
 * any-protocol row overlaps every row) are a conflict. Sorted by protocol and first port, a
 * row overlaps an earlier row of the other verdict exactly when that verdict's furthest last
 * port so far reaches it.
 */
static int check_run(const struct pol_compiled *c, const struct record *g, size_t n, char *err,
		     size_t err_size)
{
	int64_t any[3] = {-1, -1, -1}, first[3] = {-1, -1, -1};
	struct span *spans;
	size_t n_spans = 0;
	int e = 0;

	for (size_t i = 0; i < n; i++) {
		const struct pol_rule *r = &c->all.rules[g[i].rule];
		uint8_t v = r->verdict == CBPF_VERDICT_ALLOW ? 1 : 2;

		if (first[v] < 0)
			first[v] = i;
		if (!r->proto && any[v] < 0)
			any[v] = i;
	}
	if (first[1] < 0 || first[2] < 0)
		return 0;
	if (any[1] >= 0)
		return conflict(c, g, any[1], first[2], err, err_size);
	if (any[2] >= 0)
		return conflict(c, g, any[2], first[1], err, err_size);
	spans = calloc(n, sizeof(*spans));
	if (!spans)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct pol_rule *r = &c->all.rules[g[i].rule];

		spans[n_spans++] =
		    (struct span){.proto = r->proto,
				  .verdict = r->verdict == CBPF_VERDICT_ALLOW ? 1 : 2,
				  .lo = r->port_lo,
				  .hi = r->port_hi,
				  .rank = i};
	}
	qsort(spans, n_spans, sizeof(*spans), span_cmp);
	int64_t reach[3] = {-1, -1, -1};
	uint32_t by[3] = {0};

	for (size_t i = 0; i < n_spans && !e; i++) {
		const struct span *s = &spans[i];
		uint8_t other = 3 - s->verdict;

		if (i && s->proto != spans[i - 1].proto)
			reach[1] = reach[2] = -1;
		if (reach[other] >= (int64_t)s->lo)
			e = conflict(c, g, by[other], s->rank, err, err_size);
		if ((int64_t)s->hi > reach[s->verdict]) {
			reach[s->verdict] = s->hi;
			by[s->verdict] = s->rank;
		}
	}
	free(spans);
	return e;
}

static int compile_group(struct pol_compiled *c, const struct record *g, size_t n, char *err,
			 size_t err_size)
{
	const struct record *any;
	uint8_t seen[256] = {0};

	for (size_t i = 0, j; i < n; i = j) {
		int e;

		for (j = i + 1; j < n && g[j].priority == g[i].priority; j++)
			;
		e = check_run(c, g + i, j - i, err, err_size);
		if (e)
			return e;
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
	/* The pair entry sends the datapath on to the port trie. */
	if (any) {
		c->pairs.e[c->pairs.n - 1].value.verdict |= CBPF_VERDICT_F_PORTS;
		return 0;
	}
	/* Without one the level pair's bit does, when the pair hash misses: an entry with no
	 * verdict of its own would cost a kernel insertion per such pair at every reload. */
	c->mask |= 1u << (CBPF_MASK_PORTS_ONLY + policy_identity_level(g[0].src) * CBPF_LEVELS +
			  policy_identity_level(g[0].dst));
	return 0;
}

static int table_add(struct pol_compiled *c, uint32_t table, uint32_t addr, uint8_t len,
		     uint8_t verdict, uint32_t value)
{
	struct cbpf_policy_key key = {
	    .prefixlen = 32 + len, .src_identity = table, .dst_identity = addr};
	struct cbpf_policy_value v = {.verdict = verdict, .rule_id = value};

	return entries_add(&c->tables, &key, &v);
}

/*
 * Addresses of this host's own stack: gateways it answers for and every interface address (the
 * macvlan shims' included), since an endpoint may route to any of them.
 */
static int host_tables(struct cbpf_state *st, struct pol_compiled *c, char *msg, size_t msg_size)
{
	uint32_t *addrs;
	size_t n_addrs;
	int err = 0;

	for (size_t i = 0; i < c->n_cidrs && !err; i++)
		err = table_add(c, CBPF_IDENTITY_ADDR_TABLE, c->cidrs[i].cidr.addr,
				c->cidrs[i].cidr.prefix_len, CBPF_VERDICT_IDENTITY, c->cidrs[i].id);
	for (size_t i = 0; i < st->n_nodes && !err; i++) {
		err = table_add(c, CBPF_IDENTITY_ADDR_TABLE, st->nodes[i].underlay_ip, 32,
				CBPF_VERDICT_IDENTITY, CBPF_IDENTITY_HOST_BASE + node_slot(st, i));
		if (!err)
			err = table_add(c, CBPF_IDENTITY_NODE_TABLE, st->nodes[i].underlay_ip, 32,
					CBPF_VERDICT_IDENTITY,
					CBPF_IDENTITY_NODE_BASE + node_slot(st, i));
	}
	/* A macvlan network's gateway is a router on the parent's segment, not this host. */
	for (size_t i = 0; i < st->n_nets && !err; i++)
		if (st->nets[i].model != CBPF_MODEL_MACVLAN)
			err = table_add(c, CBPF_IDENTITY_ADDR_TABLE, st->nets[i].gateway, 32,
					CBPF_VERDICT_IDENTITY, CBPF_IDENTITY_HOST_BASE);
	if (err)
		return err;
	/* Without them `host` would miss addresses, and deny less than the file says. */
	err = host_addrs_v4(&addrs, &n_addrs);
	if (err) {
		snprintf(msg, msg_size, "read this host's IPv4 addresses: %s", strerror(-err));
		return err;
	}
	for (size_t i = 0; i < n_addrs && !err; i++)
		err = table_add(c, CBPF_IDENTITY_ADDR_TABLE, addrs[i], 32, CBPF_VERDICT_IDENTITY,
				CBPF_IDENTITY_HOST_BASE);
	free(addrs);
	return err;
}

static int emit_records(struct cbpf_state *st, struct pol_compiled *c, const uint32_t *at,
			bool strict, struct record **out, size_t *n_out, char *err, size_t err_size)
{
	struct id_list from = {0}, to = {0};
	struct record *recs = NULL;
	size_t n = 0, cap = 0;
	int e = 0;

	for (size_t i = 0; i < c->all.n && !e; i++) {
		const struct pol_rule *r = &c->all.rules[i];
		const struct pol_selector *missing = &r->from;
		char text[96];

		e = selector_ids(st, c, &r->from, at[2 * i], &from);
		if (!e) {
			missing = &r->to;
			e = selector_ids(st, c, &r->to, at[2 * i + 1], &to);
		}
		if (e == -ENOENT && !strict) {
			e = 0;
			continue;
		}
		if (e == -ENOENT) {
			policy_format_selector(missing, text, sizeof(text));
			e = fail(err, err_size, "%s: no such object '%s'", r->origin, text);
		}
		if (!e && (r->two_way ? 2 : 1) * from.n * to.n > POL_MAX_RECORDS - n)
			e = fail(err, err_size,
				 "%s: the rules up to here expand to more than %d (source, "
				 "destination) pairs (the limit)",
				 r->origin, POL_MAX_RECORDS);
		for (int way = 0; way < (r->two_way ? 2 : 1) && !e; way++)
			for (size_t a = 0; a < from.n && !e; a++)
				for (size_t b = 0; b < to.n && !e; b++) {
					if (n == cap) {
						struct record *grown;

						cap = cap ? cap * 2 : 1024;
						grown = realloc(recs, cap * sizeof(*recs));
						if (!grown) {
							e = -ENOMEM;
							break;
						}
						recs = grown;
					}
					recs[n++] = (struct record){
					    .src = way ? to.ids[b] : from.ids[a],
					    .dst = way ? from.ids[a] : to.ids[b],
					    .rule = i,
					    .priority = r->priority,
					};
				}
	}
	free(from.ids);
	free(to.ids);
	if (e) {
		free(recs);
		return e;
	}
	*out = recs;
	*n_out = n;
	return 0;
}

/* Caught here with a message rather than by the kernel at install time with E2BIG. */
static int check_size(const struct pol_compiled *c, char *err, size_t err_size)
{
	const struct {
		const struct pol_entries *t;
		const char *what;
	} maps[] = {{&c->pairs, "pair"}, {&c->rules, "port"}, {&c->tables, "address table"}};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (maps[i].t->n > CBPF_MAX_POLICY)
			return fail(
			    err, err_size,
			    "the policy compiles to %zu %s entries, more than the %d its map "
			    "holds",
			    maps[i].t->n, maps[i].what, CBPF_MAX_POLICY);
	return 0;
}

int policy_compile(struct cbpf_state *st, struct pol_set *files, bool strict,
		   struct pol_compiled *c, char *err, size_t err_size)
{
	struct record *recs = NULL;
	uint32_t *at = NULL;
	size_t n = 0;
	int e;

	memset(c, 0, sizeof(*c));
	snprintf(err, err_size, "out of memory");
	e = collect(st, files, &c->all);
	e = e ?: collect_cidrs(c, &at);
	e = e ?: emit_records(st, c, at, strict, &recs, &n, err, err_size);
	free(at);
	if (e)
		goto fail;
	e = sort_records(&recs, n);
	for (size_t i = 0, j; i < n && !e; i = j) {
		for (j = i + 1; j < n && recs[j].src == recs[i].src && recs[j].dst == recs[i].dst;
		     j++)
			;
		e = compile_group(c, recs + i, j - i, err, err_size);
	}
	free(recs);
	e = e ?: host_tables(st, c, err, err_size);
	e = e ?: check_size(c, err, err_size);
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
