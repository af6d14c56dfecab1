/*
 * The store's database: opening it under the state lock, its schema and migrations, the import
 * of an earlier state.json, and reading it into struct cbpf_state.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "store/state_store.h"

#define STATE_JSON "state.json"

/*
 * Version 1: every table of the store. Addresses are allocated per network, once (UNIQUE), and
 * an allocation lives exactly as long as its endpoint.
 */
static const char schema_v1[] =
    "CREATE TABLE networks (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " model INTEGER NOT NULL, subnet TEXT NOT NULL, gateway TEXT NOT NULL,"
    " gateway_mac TEXT NOT NULL, icc INTEGER NOT NULL, vni INTEGER NOT NULL,"
    " vlan INTEGER NOT NULL, mtu INTEGER NOT NULL, parent TEXT NOT NULL,"
    " macvlan_mode INTEGER NOT NULL, host_access INTEGER NOT NULL);"
    "CREATE TABLE nodes (name TEXT PRIMARY KEY, underlay TEXT NOT NULL, ifname TEXT NOT NULL);"
    "CREATE TABLE endpoints (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " net TEXT NOT NULL REFERENCES networks (name), node TEXT NOT NULL, netns TEXT NOT NULL,"
    " ifname TEXT NOT NULL, host_ifname TEXT NOT NULL, ip TEXT NOT NULL, mac TEXT NOT NULL);"
    "CREATE INDEX endpoints_net ON endpoints (net);"
    "CREATE TABLE allocations (net_id INTEGER NOT NULL REFERENCES networks (id),"
    " ip TEXT NOT NULL, endpoint_id INTEGER NOT NULL UNIQUE"
    " REFERENCES endpoints (id) ON DELETE CASCADE, UNIQUE (net_id, ip));"
    "CREATE TABLE rules (id INTEGER PRIMARY KEY, from_sel TEXT NOT NULL, to_sel TEXT NOT NULL,"
    " verdict INTEGER NOT NULL);"
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO counters VALUES ('next_ep_id', 1), ('next_rule_id', 1);"
    "CREATE TABLE policy_sources (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL);"
    "CREATE TABLE owned_netns (name TEXT PRIMARY KEY);";

int store_exec(struct cbpf_state *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	cbpf_err("state database %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
	return -EIO;
}

static int migrate_to_v1(struct cbpf_state *st)
{
	return store_exec(st, schema_v1, "create the schema (version 1)");
}

/*
 * migrations[N] takes the schema from version N to N + 1 inside the open transaction; the
 * database records its version (PRAGMA user_version). A step may move data, not only tables:
 * version 2 (state_history.c) takes in the decision history.
 */
static int (*const migrations[])(struct cbpf_state *st) = {migrate_to_v1, store_migrate_history};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int mkdir_p(const char *dir)
{
	char path[CBPF_PATH_MAX];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

bool state_exists(const char *dir)
{
	char path[CBPF_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/" STATE_DB, dir);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "%s/" STATE_JSON, dir);
	return !access(path, F_OK);
}

static void *dup_array(const void *items, size_t n, size_t size, int *err)
{
	void *copy = n ? malloc(n * size) : NULL;

	if (n && !copy)
		*err = -ENOMEM;
	else if (n)
		memcpy(copy, items, n * size);
	return copy;
}

int state_objects_copy(const struct cbpf_state *st, struct cbpf_objects *o)
{
	int err = 0;

	o->nets = dup_array(st->nets, st->n_nets, sizeof(*st->nets), &err);
	o->eps = dup_array(st->eps, st->n_eps, sizeof(*st->eps), &err);
	o->rules = dup_array(st->rules, st->n_rules, sizeof(*st->rules), &err);
	o->nodes = dup_array(st->nodes, st->n_nodes, sizeof(*st->nodes), &err);
	o->n_nets = st->n_nets;
	o->n_eps = st->n_eps;
	o->n_rules = st->n_rules;
	o->n_nodes = st->n_nodes;
	if (err)
		state_objects_free(o);
	return err;
}

void state_objects_free(struct cbpf_objects *o)
{
	free(o->nets);
	free(o->eps);
	free(o->rules);
	free(o->nodes);
	memset(o, 0, sizeof(*o));
}

void store_forget(struct cbpf_state *st)
{
	if (!st->seen)
		return;
	state_objects_free(&st->seen->obj);
	free(st->seen->owned);
	free(st->seen);
	st->seen = NULL;
}

int store_remember(struct cbpf_state *st)
{
	struct cbpf_state_seen *seen = calloc(1, sizeof(*seen));
	int err = seen ? 0 : -ENOMEM;

	if (err)
		return err;
	err = state_objects_copy(st, &seen->obj);
	seen->owned = dup_array(st->owned, st->n_owned, sizeof(*st->owned), &err);
	seen->n_owned = st->n_owned;
	seen->next_ep_id = st->next_ep_id;
	seen->next_rule_id = st->next_rule_id;
	store_forget(st);
	seen->unsure = err != 0;
	st->seen = seen;
	if (err)
		cbpf_err("state database %s: out of memory", st->path);
	return err;
}

static void column_text(sqlite3_stmt *s, int i, char *dst, size_t size)
{
	const unsigned char *text = sqlite3_column_text(s, i);
	size_t len = text ? (size_t)sqlite3_column_bytes(s, i) : 0;

	len = len < size ? len : size - 1;
	memcpy(dst, text ? (const char *)text : "", len);
	dst[len] = '\0';
}

static int column_ip(sqlite3_stmt *s, int i, uint32_t *ip)
{
	char text[CBPF_IP_STRLEN + 4];

	column_text(s, i, text, sizeof(text));
	return cbpf_parse_ip(text, ip);
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* As cbpf_format_mac writes it, parsed by hand: sscanf was the largest cost of a read. */
static int column_mac(sqlite3_stmt *s, int i, uint8_t mac[6])
{
	const char *text = (const char *)sqlite3_column_text(s, i);

	if (!text || sqlite3_column_bytes(s, i) != CBPF_MAC_STRLEN - 1)
		return -EINVAL;
	for (int k = 0; k < 6; k++) {
		int hi = hex_digit(text[3 * k]), lo = hex_digit(text[3 * k + 1]);

		if (hi < 0 || lo < 0 || (k < 5 && text[3 * k + 2] != ':'))
			return -EINVAL;
		mac[k] = hi << 4 | lo;
	}
	return 0;
}

static int read_net(struct cbpf_state *st, sqlite3_stmt *s)
{
	struct cbpf_network net = {0};
	char subnet[32];

	net.id = sqlite3_column_int(s, 0);
	column_text(s, 1, net.name, sizeof(net.name));
	net.model = sqlite3_column_int(s, 2);
	column_text(s, 3, subnet, sizeof(subnet));
	net.icc = sqlite3_column_int(s, 6);
	net.vni = sqlite3_column_int64(s, 7);
	net.vlan = sqlite3_column_int(s, 8);
	net.mtu = sqlite3_column_int(s, 9);
	column_text(s, 10, net.parent, sizeof(net.parent));
	net.macvlan_mode = sqlite3_column_int(s, 11);
	net.host_access = sqlite3_column_int(s, 12);
	if (cbpf_parse_cidr(subnet, &net.subnet) || column_ip(s, 4, &net.gateway) ||
	    column_mac(s, 5, net.gateway_mac))
		return -EINVAL;
	return state_add_net(st, &net) ? 0 : -ENOMEM;
}

static int read_ep(struct cbpf_state *st, sqlite3_stmt *s)
{
	struct cbpf_endpoint ep = {0};

	ep.id = sqlite3_column_int64(s, 0);
	column_text(s, 1, ep.name, sizeof(ep.name));
	column_text(s, 2, ep.net, sizeof(ep.net));
	column_text(s, 3, ep.node, sizeof(ep.node));
	column_text(s, 4, ep.netns, sizeof(ep.netns));
	column_text(s, 5, ep.ifname, sizeof(ep.ifname));
	column_text(s, 6, ep.host_ifname, sizeof(ep.host_ifname));
	if (column_ip(s, 7, &ep.ip) || column_mac(s, 8, ep.mac))
		return -EINVAL;
	return state_add_ep(st, &ep) ? 0 : -ENOMEM;
}

static int read_rule(struct cbpf_state *st, sqlite3_stmt *s)
{
	struct cbpf_rule rule = {0};

	rule.id = sqlite3_column_int64(s, 0);
	column_text(s, 1, rule.from, sizeof(rule.from));
	column_text(s, 2, rule.to, sizeof(rule.to));
	rule.verdict = sqlite3_column_int(s, 3);
	return state_add_rule(st, &rule) ? 0 : -ENOMEM;
}

static int read_node(struct cbpf_state *st, sqlite3_stmt *s)
{
	struct cbpf_node node = {0};

	column_text(s, 0, node.name, sizeof(node.name));
	column_text(s, 2, node.ifname, sizeof(node.ifname));
	if (column_ip(s, 1, &node.underlay_ip))
		return -EINVAL;
	return state_add_node(st, &node) ? 0 : -ENOMEM;
}

static int read_owned(struct cbpf_state *st, sqlite3_stmt *s)
{
	struct cbpf_owned_netns owned = {0};

	column_text(s, 0, owned.name, sizeof(owned.name));
	return state_add_owned_netns(st, &owned) ? 0 : -ENOMEM;
}

static int read_counter(struct cbpf_state *st, sqlite3_stmt *s)
{
	const char *name = (const char *)sqlite3_column_text(s, 0);
	uint32_t value = sqlite3_column_int64(s, 1);

	if (name && !strcmp(name, "next_ep_id"))
		st->next_ep_id = value;
	else if (name && !strcmp(name, "next_rule_id"))
		st->next_rule_id = value;
	return 0;
}

static int read_rows(struct cbpf_state *st, const char *table, const char *sql,
		     int (*row)(struct cbpf_state *st, sqlite3_stmt *s))
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), err = 0;

	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(s)) == SQLITE_ROW && !err)
			err = row(st, s);
	if (rc != SQLITE_DONE && !err)
		cbpf_err("state database %s: read %s: %s", st->path, table, sqlite3_errmsg(st->db));
	if (err)
		cbpf_err("state database %s: read %s: %s", st->path, table,
			 err == -ENOMEM ? "out of memory" : "a row holds an invalid value");
	sqlite3_finalize(s);
	return err ?: (rc == SQLITE_DONE ? 0 : -EIO);
}

static _Atomic unsigned long reads;

unsigned long store_reads(void)
{
	return reads;
}

static int read_store(struct cbpf_state *st)
{
	int err = read_rows(st, "networks",
			    "SELECT id, name, model, subnet, gateway, gateway_mac, icc, vni, vlan,"
			    " mtu, parent, macvlan_mode, host_access FROM networks ORDER BY rowid",
			    read_net);

	err = err
		  ?: read_rows(st, "endpoints",
			       "SELECT id, name, net, node, netns, ifname, host_ifname, ip, mac"
			       " FROM endpoints ORDER BY id",
			       read_ep);
	err = err
		  ?: read_rows(st, "rules",
			       "SELECT id, from_sel, to_sel, verdict FROM rules ORDER BY id",
			       read_rule);
	err =
	    err
		?: read_rows(st, "nodes", "SELECT name, underlay, ifname FROM nodes ORDER BY rowid",
			     read_node);
	err = err
		  ?: read_rows(st, "owned_netns", "SELECT name FROM owned_netns ORDER BY rowid",
			       read_owned);
	err = err ?: read_rows(st, "counters", "SELECT name, value FROM counters", read_counter);
	reads++;
	return err ?: store_remember(st);
}

/* Into the open transaction: st is empty and its seen copy too, so everything is written. */
static int import_json(struct cbpf_state *st, const char *json_path)
{
	json_object *root = json_object_from_file(json_path);
	int err = root ? state_from_json(st, root) : -EINVAL;

	json_object_put(root);
	if (err) {
		cbpf_err("state file %s: unreadable or from another cbpfnet version", json_path);
		return err;
	}
	err = store_write(st);
	free(st->nets);
	free(st->eps);
	free(st->rules);
	free(st->nodes);
	st->nets = NULL, st->eps = NULL, st->rules = NULL, st->nodes = NULL;
	st->n_nets = st->n_eps = st->n_rules = st->n_nodes = 0;
	return err;
}

static int schema_version(struct cbpf_state *st, int *version)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);

	rc = rc ?: sqlite3_step(s);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	if (rc != SQLITE_ROW)
		cbpf_err("state database %s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

/*
 * Brings the schema to SCHEMA_VERSION in one transaction; a new database takes in state.json
 * within the same one, so a crash leaves either the old file in charge or the database.
 */
static int migrate(struct cbpf_state *st, const char *dir, bool *imported)
{
	char json_path[CBPF_PATH_MAX + 16], sql[48];
	int version, err = schema_version(st, &version);
	bool history;

	*imported = false;
	if (err || version == SCHEMA_VERSION)
		return err;
	if (version > SCHEMA_VERSION) {
		cbpf_err("state database %s: schema version %d is newer than this cbpfnet's (%d)",
			 st->path, version, SCHEMA_VERSION);
		return -EPROTO;
	}
	err = store_exec(st, "BEGIN IMMEDIATE", "begin");
	if (err)
		return err;
	for (int v = version; v < SCHEMA_VERSION && !err; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		err = migrations[v](st);
		err = err ?: store_exec(st, sql, "record the schema version");
	}
	snprintf(json_path, sizeof(json_path), "%s/" STATE_JSON, dir);
	if (!err && version == 0 && !access(json_path, F_OK)) {
		err = store_remember(st);
		err = err ?: import_json(st, json_path);
		*imported = !err;
	}
	history = version < 2 && store_history_pending(st);
	err = err ?: store_exec(st, "COMMIT", "commit");
	if (err)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return err ?: (history ? store_history_imported(st) : 0);
}

static int rename_imported(const char *dir)
{
	char from[CBPF_PATH_MAX + 16], to[CBPF_PATH_MAX + 32];

	snprintf(from, sizeof(from), "%s/" STATE_JSON, dir);
	snprintf(to, sizeof(to), "%s/" STATE_JSON ".imported", dir);
	if (!rename(from, to))
		return 0;
	cbpf_err("state file %s: imported, but renaming it to %s failed: %s", from, to,
		 strerror(errno));
	return -errno;
}

/* The database is only ever readable by root, whatever the umask: it names every endpoint. */
static int create_private(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0 || fchmod(fd, 0600)) {
		int err = -errno;

		if (fd >= 0)
			close(fd);
		return err;
	}
	close(fd);
	return 0;
}

static int db_open(struct cbpf_state *st)
{
	int err = access(st->path, F_OK) ? create_private(st->path) : 0;

	if (err) {
		cbpf_err("state database %s: create: %s", st->path, strerror(-err));
		return err;
	}
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)) {
		cbpf_err("state database %s: %s", st->path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		return -EIO;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	/*
	 * Every command is one process: checkpointing on close would copy the log into the
	 * database and sync it each time. But each process's first read rebuilds its index of
	 * the log by reading all of it, so the log is checkpointed while it is still short.
	 */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(st->db, store_checkpoint_when_long, NULL);
	return store_exec(st, "PRAGMA journal_mode = WAL", "open");
}

int store_lock_take(const char *dir, int *fd)
{
	char lock_path[CBPF_PATH_MAX + 8];

	snprintf(lock_path, sizeof(lock_path), "%s/lock", dir);
	*fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX)) {
		int err = -errno;

		cbpf_err("state lock %s: %s", lock_path, strerror(errno));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return err;
	}
	return 0;
}

/* A connection of its own for st, set up, its schema brought to this version's. */
static int connect_store(struct cbpf_state *st, const char *dir, bool *imported)
{
	int err = db_open(st);

	err =
	    err ?: store_exec(st, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", "open");
	return err ?: migrate(st, dir, imported);
}

int state_open(const char *dir, struct cbpf_state *st)
{
	bool imported = false, from_copy;
	int err;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	st->next_ep_id = 1;
	st->next_rule_id = 1;
	err = mkdir_p(dir);
	if (err) {
		cbpf_err("state directory %s: %s", dir, strerror(-err));
		return err;
	}
	snprintf(st->path, sizeof(st->path), "%s/" STATE_DB, dir);
	err = store_lock_take(dir, &st->lock_fd);
	if (err) {
		state_close(st);
		return err;
	}
	/* The copy being right says nothing else committed: the last connection is right too. */
	from_copy = store_kept_take(st);
	err = from_copy && store_parked_take(st) ? 0 : connect_store(st, dir, &imported);
	if (!err && !from_copy)
		err = read_store(st);
	if (!err && imported)
		err = rename_imported(dir);
	if (err) {
		/* Not one for the next command to take (store_parked_keep). */
		sqlite3_close(st->db);
		st->db = NULL;
		state_close(st);
	}
	return err;
}

void state_close(struct cbpf_state *st)
{
	store_kept_keep(st);
	store_forget(st);
	store_parked_keep(st);
	store_statements_free(st->stmts);
	if (st->db)
		sqlite3_close(st->db);
	free(st->nets);
	free(st->eps);
	free(st->rules);
	free(st->nodes);
	free(st->owned);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
}
