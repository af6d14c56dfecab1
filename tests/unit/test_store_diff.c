/*
 * The agent's change events: what store_view_diff reports between two states, and the same
 * told from what each commit hands over (store_changes).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/store_changes.h"
#include "agent/store_diff.h"
#include "policy.h"
#include "tap.h"

static char got[4096];

/* Each change as "object action name [net|from>to verdict] [from_net]", joined by "|". */
static void collect(void *arg, json_object *o)
{
	const char *keys[] = {"object", "action", "name",    "net",
			      "from",	"to",	  "verdict", "from_net"};
	size_t len = strlen(got);

	(void)arg;
	if (len)
		got[len++] = '|';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_object *v = json_object_object_get(o, keys[i]);

		if (v)
			len += snprintf(got + len, sizeof(got) - len, "%s%s", i ? " " : "",
					json_object_get_string(v));
	}
	json_object_put(o);
}

/* Runs the diff of two states and returns what it reported. */
static const char *diff(const struct cbpf_state *a, const struct cbpf_state *b)
{
	struct cbpf_objects va, vb;

	got[0] = '\0';
	if (store_view_of(a, &va) || store_view_of(b, &vb))
		return "(no view)";
	store_view_diff(&va, &vb, collect, NULL);
	state_objects_free(&va);
	state_objects_free(&vb);
	return got;
}

/* Struct padding full of junk, as a reader may leave it: only fields may count. */
static void junk(void *p, size_t size, int byte)
{
	memset(p, byte, size);
}

static void net(struct cbpf_network *n, const char *name, int byte)
{
	junk(n, sizeof(*n), byte);
	memset(n->name, 0, sizeof(n->name));
	memset(n->parent, 0, sizeof(n->parent));
	strcpy(n->name, name);
	n->id = 1;
	n->model = 0;
	cbpf_parse_cidr("10.1.0.0/24", &n->subnet);
	n->gateway = 0;
	n->icc = true;
	n->vni = n->vlan = n->mtu = 0;
	n->macvlan_mode = 0;
	n->host_access = false;
}

static void ep(struct cbpf_endpoint *e, const char *name, const char *net_name, int byte)
{
	junk(e, sizeof(*e), byte);
	memset(e->name, 0, sizeof(e->name));
	memset(e->net, 0, sizeof(e->net));
	memset(e->netns, 0, sizeof(e->netns));
	memset(e->ifname, 0, sizeof(e->ifname));
	memset(e->host_ifname, 0, sizeof(e->host_ifname));
	memset(e->node, 0, sizeof(e->node));
	memset(e->mac, 0, sizeof(e->mac));
	strcpy(e->name, name);
	strcpy(e->net, net_name);
	e->id = 7;
	cbpf_parse_ip("10.1.0.2", &e->ip);
}

static void rule(struct cbpf_rule *r, const char *from, const char *to, uint8_t verdict)
{
	memset(r, 0, sizeof(*r));
	r->id = 3;
	strcpy(r->from, from);
	strcpy(r->to, to);
	r->verdict = verdict;
}

static struct store_changes pending;
static int adds_failed;

static void on_commit(const struct cbpf_objects *gone, const struct cbpf_objects *came)
{
	adds_failed += store_changes_add(&pending, gone, came) != 0;
}

/* One random change to st: endpoints added, removed, moved or rewritten, rules, nodes. */
static void random_change(struct cbpf_state *st, int *next)
{
	int what = rand() % 8, n = (*next)++;

	if (what <= 1 || !st->n_eps) {
		struct cbpf_endpoint e = {.id = (uint32_t)n, .ifname = "eth0"};

		snprintf(e.name, sizeof(e.name), "e%d", n);
		snprintf(e.net, sizeof(e.net), "n%d", 1 + rand() % 2);
		e.ip = htonl(0x0a010000u + (uint32_t)n);
		state_add_ep(st, &e);
	} else if (what == 2) {
		state_remove_ep(st, &st->eps[rand() % st->n_eps]);
	} else if (what == 3) {
		struct cbpf_endpoint *e = &st->eps[rand() % st->n_eps];

		snprintf(e->net, sizeof(e->net), "%s", strcmp(e->net, "n1") ? "n1" : "n2");
	} else if (what == 4) {
		snprintf(st->eps[rand() % st->n_eps].netns, CBPF_PATH_MAX, "ns%d", n);
	} else if (what == 5) {
		struct cbpf_rule r = {.id = (uint32_t)n, .verdict = CBPF_VERDICT_DENY};

		snprintf(r.from, sizeof(r.from), "ep:e%d", n);
		snprintf(r.to, sizeof(r.to), "net:n%d", 1 + rand() % 2);
		state_add_rule(st, &r);
	} else if (what == 6 && st->n_rules) {
		if (rand() % 2)
			state_remove_rule(st, &st->rules[rand() % st->n_rules]);
		else
			st->rules[rand() % st->n_rules].verdict = CBPF_VERDICT_ALLOW;
	} else if (st->n_nodes) {
		state_remove_node(st, &st->nodes[rand() % st->n_nodes]);
	} else {
		struct cbpf_node node = {.underlay_ip = htonl(0xc6120000u + (uint32_t)n)};

		snprintf(node.name, sizeof(node.name), "h%d", n);
		state_add_node(st, &node);
	}
}

static bool same_objects(const struct cbpf_objects *a, const struct cbpf_objects *b)
{
	return a->n_nets == b->n_nets && a->n_eps == b->n_eps && a->n_rules == b->n_rules &&
	       a->n_nodes == b->n_nodes &&
	       (!a->n_nets || !memcmp(a->nets, b->nets, a->n_nets * sizeof(*a->nets))) &&
	       (!a->n_eps || !memcmp(a->eps, b->eps, a->n_eps * sizeof(*a->eps))) &&
	       (!a->n_rules || !memcmp(a->rules, b->rules, a->n_rules * sizeof(*a->rules))) &&
	       (!a->n_nodes || !memcmp(a->nodes, b->nodes, a->n_nodes * sizeof(*a->nodes)));
}

/*
 * Commands of one to three commits on a real store: the changes each commit hands over, applied
 * to the view, tell what the diff of the whole store before and after the command tells, and
 * leave the view equal to the store's.
 */
static void commits_told_as_the_whole_diff(void)
{
	char dir[] = "/tmp/cbpf-diff-XXXXXX", want[sizeof(got)], first[2 * sizeof(got)] = "";
	struct cbpf_network n1, n2;
	struct cbpf_objects view, before, after;
	struct cbpf_state st;
	int next = 1, told_otherwise = 0, views_differ = 0, commits_failed = 0;

	CHECK(mkdtemp(dir) != NULL && state_open(dir, &st) == 0, "a store in %s", dir);
	net(&n1, "n1", 0);
	net(&n2, "n2", 0);
	n2.id = 2;
	state_add_net(&st, &n1);
	state_add_net(&st, &n2);
	CHECK(state_commit(&st) == 0 && store_view_of(&st, &view) == 0,
	      "two networks and the view of them");
	state_on_commit(on_commit);
	srand(5);
	for (int cmd = 0; cmd < 300; cmd++) {
		store_view_of(&st, &before);
		for (int c = 1 + rand() % 3; c > 0; c--) {
			for (int e = 1 + rand() % 2; e > 0; e--)
				random_change(&st, &next);
			commits_failed += state_commit(&st) != 0;
		}
		store_view_of(&st, &after);
		got[0] = '\0';
		store_view_diff(&before, &after, collect, NULL);
		memcpy(want, got, sizeof(want));
		got[0] = '\0';
		store_changes_apply(&view, &pending, collect, NULL);
		if (strcmp(want, got) && !told_otherwise++)
			snprintf(first, sizeof(first), "whole: %s; commit by commit: %s", want,
				 got);
		views_differ += !same_objects(&view, &after);
		state_objects_free(&before);
		state_objects_free(&after);
	}
	state_on_commit(NULL);
	CHECK(!commits_failed && !adds_failed, "300 commands committed (%d failed)",
	      commits_failed);
	CHECK(!told_otherwise, "each told the same changes both ways (%d not: %s)", told_otherwise,
	      first);
	CHECK(!views_differ, "and the view is the store's after each (%d not)", views_differ);
	state_objects_free(&view);
	state_close(&st);
	snprintf(first, sizeof(first), "rm -rf %s", dir);
	CHECK(system(first) == 0, "remove %s", dir);
}

int main(void)
{
	struct cbpf_network nets_a[2], nets_b[2];
	struct cbpf_endpoint eps_a[2], eps_b[3];
	struct cbpf_rule rules_a[1], rules_b[1];
	struct cbpf_state empty = {0}, a = {0}, b = {0};

	net(&nets_a[0], "n1", 0x00);
	ep(&eps_a[0], "e1", "n1", 0x00);
	a.nets = nets_a;
	a.n_nets = 1;
	a.eps = eps_a;
	a.n_eps = 1;
	CHECK(!strcmp(diff(&empty, &a), "network create n1|endpoint add e1 n1"),
	      "a network and an endpoint made: network first (got %s)", got);
	CHECK(!strcmp(diff(&a, &empty), "network delete n1|endpoint delete e1 n1"),
	      "both deleted (got %s)", got);

	net(&nets_b[0], "n1", 0xaa);
	ep(&eps_b[0], "e1", "n1", 0x55);
	b.nets = nets_b;
	b.n_nets = 1;
	b.eps = eps_b;
	b.n_eps = 1;
	CHECK(!strcmp(diff(&a, &b), ""), "equal fields, other padding: no change (got %s)", got);

	/* Unsorted on purpose: the view sorts by name. */
	net(&nets_b[0], "n2", 0xaa);
	net(&nets_b[1], "n1", 0xaa);
	b.n_nets = 2;
	ep(&eps_b[0], "e1", "n2", 0x55);
	CHECK(!strcmp(diff(&a, &b), "network create n2|endpoint move e1 n2 n1"),
	      "an endpoint in another network is a move, with the old network (got %s)", got);

	ep(&eps_b[0], "e1", "n1", 0x55);
	ep(&eps_b[1], "e1@n2", "n2", 0x55);
	b.n_eps = 2;
	rule(&rules_b[0], "ep:e1", "net:n2", CBPF_VERDICT_DENY);
	b.rules = rules_b;
	b.n_rules = 1;
	CHECK(
	    !strcmp(
		diff(&a, &b),
		"network create n2|endpoint connect e1 n2|policy set pair rule ep:e1 net:n2 deny"),
	    "a further interface is a connect of its endpoint; a pair rule a set (got %s)", got);
	CHECK(!strcmp(diff(&b, &a),
		      "network delete n2|endpoint disconnect e1 n2|policy delete pair rule ep:e1 "
		      "net:n2 deny"),
	      "and back: disconnect, rule deleted (got %s)", got);

	memcpy(&a, &b, sizeof(a));
	rule(&rules_b[0], "ep:e1", "net:n2", CBPF_VERDICT_ALLOW);
	rule(&rules_a[0], "ep:e1", "net:n2", CBPF_VERDICT_DENY);
	a.rules = rules_a;
	CHECK(!strcmp(diff(&a, &b), "policy set pair rule ep:e1 net:n2 allow"),
	      "a rule's verdict changed is a set with the new verdict (got %s)", got);
	commits_told_as_the_whole_diff();
	TAP_EXIT();
}
