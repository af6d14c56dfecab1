/* The in-memory view of the store: lookups and edits that state_commit later writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/state.h"

bool state_valid_name(const char *name)
{
	size_t len = strlen(name);

	/* "." and ".." would name directories in paths built from names; "-..." reads as an option.
	 */
	if (len == 0 || len >= CBPF_NAME_MAX || name[0] == '-' || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	/* Ranges rather than strspn, which builds its table on every call: two names per rule. */
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-'))
			return false;
	return true;
}

/*
 * Growable arrays: every collection in the state is one of these. They double when the count
 * reaches a power of two, so reading thousands of rows does not copy the array each time.
 */
static void *array_append(void **items, size_t *n, size_t size, const void *item)
{
	void *grown = *items;

	if (!(*n & (*n - 1))) {
		grown = realloc(*items, (*n ? 2 * *n : 1) * size);
		if (!grown)
			return NULL;
	}
	*items = grown;
	memcpy((char *)grown + *n * size, item, size);
	return (char *)grown + (*n)++ * size;
}

static void array_remove(void *items, size_t *n, size_t size, void *item)
{
	size_t index = ((char *)item - (char *)items) / size;

	memmove(item, (char *)item + size, (*n - index - 1) * size);
	(*n)--;
}

struct cbpf_network *state_find_net(struct cbpf_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_nets; i++)
		if (!strcmp(st->nets[i].name, name))
			return &st->nets[i];
	return NULL;
}

struct cbpf_network *state_find_net_id(struct cbpf_state *st, uint16_t id)
{
	for (size_t i = 0; i < st->n_nets; i++)
		if (st->nets[i].id == id)
			return &st->nets[i];
	return NULL;
}

struct cbpf_endpoint *state_find_ep(struct cbpf_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (!strcmp(st->eps[i].name, name))
			return &st->eps[i];
	return NULL;
}

struct cbpf_endpoint *state_find_ep_ip(struct cbpf_state *st, uint32_t ip)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].ip == ip)
			return &st->eps[i];
	return NULL;
}

struct cbpf_rule *state_find_rule(struct cbpf_state *st, const char *from, const char *to)
{
	for (size_t i = 0; i < st->n_rules; i++)
		if (!strcmp(st->rules[i].from, from) && !strcmp(st->rules[i].to, to))
			return &st->rules[i];
	return NULL;
}

struct cbpf_node *state_find_node(struct cbpf_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_nodes; i++)
		if (!strcmp(st->nodes[i].name, name))
			return &st->nodes[i];
	return NULL;
}

struct cbpf_node *state_local_node(struct cbpf_state *st)
{
	for (size_t i = 0; i < st->n_nodes; i++)
		if (st->nodes[i].ifname[0])
			return &st->nodes[i];
	return NULL;
}

bool state_ep_is_local(const struct cbpf_endpoint *ep)
{
	return ep->node[0] == '\0';
}

struct cbpf_node *state_add_node(struct cbpf_state *st, const struct cbpf_node *node)
{
	return array_append((void **)&st->nodes, &st->n_nodes, sizeof(*node), node);
}

void state_remove_node(struct cbpf_state *st, struct cbpf_node *node)
{
	array_remove(st->nodes, &st->n_nodes, sizeof(*node), node);
}

struct cbpf_network *state_add_net(struct cbpf_state *st, const struct cbpf_network *net)
{
	return array_append((void **)&st->nets, &st->n_nets, sizeof(*net), net);
}

struct cbpf_endpoint *state_add_ep(struct cbpf_state *st, const struct cbpf_endpoint *ep)
{
	return array_append((void **)&st->eps, &st->n_eps, sizeof(*ep), ep);
}

struct cbpf_rule *state_add_rule(struct cbpf_state *st, const struct cbpf_rule *rule)
{
	return array_append((void **)&st->rules, &st->n_rules, sizeof(*rule), rule);
}

void state_remove_net(struct cbpf_state *st, struct cbpf_network *net)
{
	array_remove(st->nets, &st->n_nets, sizeof(*net), net);
}

void state_remove_ep(struct cbpf_state *st, struct cbpf_endpoint *ep)
{
	array_remove(st->eps, &st->n_eps, sizeof(*ep), ep);
}

void state_remove_rule(struct cbpf_state *st, struct cbpf_rule *rule)
{
	array_remove(st->rules, &st->n_rules, sizeof(*rule), rule);
}

void state_remove_rules_naming(struct cbpf_state *st, const char *kind, const char *name)
{
	char selector[CBPF_NAME_MAX + 8];

	snprintf(selector, sizeof(selector), "%s:%s", kind, name);
	for (size_t i = st->n_rules; i-- > 0;)
		if (!strcmp(st->rules[i].from, selector) || !strcmp(st->rules[i].to, selector))
			state_remove_rule(st, &st->rules[i]);
}

struct cbpf_owned_netns *state_find_owned_netns(struct cbpf_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_owned; i++)
		if (!strcmp(st->owned[i].name, name))
			return &st->owned[i];
	return NULL;
}

struct cbpf_owned_netns *state_own_netns(struct cbpf_state *st, const char *name)
{
	struct cbpf_owned_netns owned = {0}, *found = state_find_owned_netns(st, name);

	if (found)
		return found;
	snprintf(owned.name, sizeof(owned.name), "%s", name);
	return state_add_owned_netns(st, &owned);
}

struct cbpf_owned_netns *state_add_owned_netns(struct cbpf_state *st,
					       const struct cbpf_owned_netns *owned)
{
	return array_append((void **)&st->owned, &st->n_owned, sizeof(*owned), owned);
}

void state_disown_netns(struct cbpf_state *st, const char *name)
{
	struct cbpf_owned_netns *owned = state_find_owned_netns(st, name);

	if (owned)
		array_remove(st->owned, &st->n_owned, sizeof(*owned), owned);
}
