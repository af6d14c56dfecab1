/*
 * Per-host state under --state: networks, endpoints and pair rules, kept in the SQLite database
 * cbpfnet.db and guarded by an exclusive lock so concurrent commands serialize. Maps are always
 * derivable from it, which is what lets `load` rebuild the datapath after an unload or a reboot.
 * struct cbpf_state is the store read into memory; state_commit writes what changed since.
 */
#ifndef CBPF_STATE_H
#define CBPF_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include <stdint.h>

#include "core/addr.h"

#define CBPF_NAME_MAX	64
#define CBPF_IFNAME_MAX 16
#define CBPF_PATH_MAX	256

struct cbpf_network {
	char name[CBPF_NAME_MAX];
	uint16_t id;
	uint8_t model; /* enum cbpf_net_model */
	struct cbpf_cidr subnet;
	uint32_t gateway;
	uint8_t gateway_mac[6];
	bool icc;
	uint32_t vni;
	uint16_t vlan;
	uint16_t mtu;		      /* endpoint MTU; 0 means the model's default */
	char parent[CBPF_IFNAME_MAX]; /* macvlan: the host uplink */
	uint8_t macvlan_mode;	      /* macvlan: MACVLAN_MODE_* of linux/if_link.h */
	bool host_access;	      /* macvlan: host-side shim so the host reaches endpoints */
};

struct cbpf_endpoint {
	char name[CBPF_NAME_MAX];
	uint32_t id;
	char net[CBPF_NAME_MAX];
	char netns[CBPF_PATH_MAX];
	char ifname[CBPF_IFNAME_MAX];
	char host_ifname[CBPF_IFNAME_MAX];
	uint32_t ip;
	uint8_t mac[6];
	char node[CBPF_NAME_MAX]; /* remote endpoints: the node hosting it; empty when local */
};

/* A peer host known to this one. */
struct cbpf_node {
	char name[CBPF_NAME_MAX];
	uint32_t underlay_ip;
	char ifname[CBPF_IFNAME_MAX]; /* this host: the interface owning underlay_ip; else empty */
};

struct cbpf_rule {
	uint32_t id;
	char from[CBPF_NAME_MAX + 4]; /* "net:NAME" or "ep:NAME" */
	char to[CBPF_NAME_MAX + 4];
	uint8_t verdict; /* enum cbpf_verdict */
};

/* A namespace `ep add` created: it goes again once no recorded endpoint holds it. */
struct cbpf_owned_netns {
	char name[CBPF_PATH_MAX];
};

struct sqlite3;
struct cbpf_state_seen;
struct store_statements;

/*
 * The store's objects, apart from the working copy: what the store last read or wrote (its
 * seen copy) and the agent's views that its change events compare.
 */
struct cbpf_objects {
	struct cbpf_network *nets;
	size_t n_nets;
	struct cbpf_endpoint *eps;
	size_t n_eps;
	struct cbpf_rule *rules;
	size_t n_rules;
	struct cbpf_node *nodes;
	size_t n_nodes;
};

struct cbpf_state {
	struct cbpf_network *nets;
	size_t n_nets;
	struct cbpf_endpoint *eps;
	size_t n_eps;
	struct cbpf_rule *rules;
	size_t n_rules;
	struct cbpf_node *nodes;
	size_t n_nodes;
	uint32_t next_ep_id;
	uint32_t next_rule_id;
	struct cbpf_owned_netns *owned;
	size_t n_owned;
	int lock_fd;
	char path[CBPF_PATH_MAX]; /* the database */
	struct sqlite3 *db;
	struct store_statements *stmts; /* db's statements for writing, prepared once */
	struct cbpf_state_seen *seen;	/* the store as last read or written */
};

/*
 * Locks and reads the state in dir, creating dir and the database (0600) when missing. A
 * state.json of earlier versions is imported on the first open, then renamed state.json.imported.
 */
int state_open(const char *dir, struct cbpf_state *st);
/* Writes what changed since the last open or commit, in one transaction. */
int state_commit(struct cbpf_state *st);
/* Commits this process has made so far, from any thread. */
unsigned long state_commits(void);

/*
 * For a long-lived process (the agent): one connection to dir's store stays open from here to
 * state_keep_close, so each state_open finds the log's index built instead of reading the
 * whole log again, and commits leave checkpoints to state_checkpoint (when the store is
 * quiet) and state_checkpoint_aside (when its log is long), until the log reaches
 * STORE_LOG_FRAMES_KEPT pages.
 */
int state_keep_open(const char *dir);
void state_keep_close(void);
/*
 * Copies the log into the database and starts it again, its header written and on disk, under
 * the store's lock: the next command's commit waits for no disk write.
 */
int state_checkpoint(const char *dir);
/*
 * Whether the kept store's log has grown past STORE_LOG_FRAMES_ASIDE pages since the last
 * checkpoint (and half as many again since a state_checkpoint_aside that failed): commands that
 * come too close together for a quiet spell (a runtime starting hundreds of containers) leave
 * it to state_checkpoint_aside.
 */
bool state_log_long(void);
/*
 * Copies the log into the database beside the commands running, through a connection of its
 * own and without the store's lock, then state_checkpoint: the bulk of the copy and its sync
 * held no command up, and what the lock covers is the pages committed meanwhile.
 */
int state_checkpoint_aside(const char *dir);
/*
 * fn is called after each commit this process makes (the agent's change events) with what it
 * changed: in gone the networks, endpoints, rules and nodes it removed or rewrote, as they
 * were, in came those it added or rewrote. Both point into the store's arrays for the length
 * of the call. Set it before other threads commit; NULL for none.
 */
void state_on_commit(void (*fn)(const struct cbpf_objects *gone, const struct cbpf_objects *came));
void state_close(struct cbpf_state *st);
/* Copies of st's objects into o: 0, or -ENOMEM with o empty. */
int state_objects_copy(const struct cbpf_state *st, struct cbpf_objects *o);
void state_objects_free(struct cbpf_objects *o);

struct cbpf_network *state_find_net(struct cbpf_state *st, const char *name);
struct cbpf_network *state_find_net_id(struct cbpf_state *st, uint16_t id);
struct cbpf_endpoint *state_find_ep(struct cbpf_state *st, const char *name);
struct cbpf_endpoint *state_find_ep_ip(struct cbpf_state *st, uint32_t ip);
struct cbpf_rule *state_find_rule(struct cbpf_state *st, const char *from, const char *to);
struct cbpf_node *state_find_node(struct cbpf_state *st, const char *name);
/* Whether dir holds a store at all: the database or a state.json to import. */
bool state_exists(const char *dir);
struct cbpf_owned_netns *state_find_owned_netns(struct cbpf_state *st, const char *name);
/* Records name as created by cbpfnet, once. */
struct cbpf_owned_netns *state_own_netns(struct cbpf_state *st, const char *name);
void state_disown_netns(struct cbpf_state *st, const char *name);
/* The node that is this host, if it was added. */
struct cbpf_node *state_local_node(struct cbpf_state *st);

/* Appends copies; the returned pointer is valid until the next append or removal. */
struct cbpf_network *state_add_net(struct cbpf_state *st, const struct cbpf_network *net);
struct cbpf_endpoint *state_add_ep(struct cbpf_state *st, const struct cbpf_endpoint *ep);
struct cbpf_rule *state_add_rule(struct cbpf_state *st, const struct cbpf_rule *rule);
struct cbpf_node *state_add_node(struct cbpf_state *st, const struct cbpf_node *node);
struct cbpf_owned_netns *state_add_owned_netns(struct cbpf_state *st,
					       const struct cbpf_owned_netns *owned);
void state_remove_node(struct cbpf_state *st, struct cbpf_node *node);
void state_remove_net(struct cbpf_state *st, struct cbpf_network *net);
void state_remove_ep(struct cbpf_state *st, struct cbpf_endpoint *ep);
void state_remove_rule(struct cbpf_state *st, struct cbpf_rule *rule);
/* Removes every rule whose from or to selector is "<kind>:<name>". */
void state_remove_rules_naming(struct cbpf_state *st, const char *kind, const char *name);

/* Names are [A-Za-z0-9_.-], 1..63 characters, not "-..." nor "." or "..": they end up in
 * interface and file names and on command lines. */
bool state_valid_name(const char *name);
#define CBPF_NAME_RULE "use 1-63 of A-Z a-z 0-9 _ . -, not starting with -, not . or .."
/* Local endpoints have an interface on this host; remote ones live on another node. */
bool state_ep_is_local(const struct cbpf_endpoint *ep);
/* An endpoint as state.json recorded it, the fields `ep list --json` prints. */
json_object *state_ep_json(const struct cbpf_endpoint *ep);
/* Fills st from a state.json document of earlier versions; -EPROTO for another format. */
int state_from_json(struct cbpf_state *st, json_object *root);

#endif
