/* The SQLite store: import of a state.json, file mode, diffed commits, constraints, corruption. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "store/state.h"
#include "store/state_store.h"
#include "tap.h"

/* As cbpfnet before the database wrote it (a network, a local and a remote endpoint, ...). */
static const char old_state_json[] =
    "{\"format\":1,\"next_ep_id\":4,\"next_rule_id\":2,"
    "\"networks\":[{\"name\":\"web\",\"id\":1,\"model\":0,\"subnet\":\"10.10.0.0\\/24\","
    "\"gateway\":\"10.10.0.1\",\"gateway_mac\":\"0a:cb:00:00:00:01\",\"icc\":1,\"vni\":0,"
    "\"vlan\":0,\"mtu\":1500,\"parent\":\"\",\"macvlan_mode\":0,\"host_access\":0},"
    "{\"name\":\"ov\",\"id\":2,\"model\":1,\"subnet\":\"10.20.0.0\\/24\",\"gateway\":"
    "\"10.20.0.1\",\"gateway_mac\":\"0a:cb:00:00:00:02\",\"icc\":0,\"vni\":100,\"vlan\":0,"
    "\"mtu\":1450,\"parent\":\"\",\"macvlan_mode\":0,\"host_access\":0}],"
    "\"endpoints\":[{\"name\":\"web1\",\"id\":1,\"net\":\"web\",\"netns\":\"c1\",\"ifname\":"
    "\"eth0\",\"host_ifname\":\"cbe1\",\"ip\":\"10.10.0.2\",\"mac\":\"02:cb:0a:0a:00:02\","
    "\"node\":\"\"},{\"name\":\"r1\",\"id\":3,\"net\":\"ov\",\"netns\":\"\",\"ifname\":\"\","
    "\"host_ifname\":\"\",\"ip\":\"10.20.0.7\",\"mac\":\"02:cb:0a:14:00:07\",\"node\":\"h2\"}],"
    "\"rules\":[{\"id\":1,\"from\":\"ep:web1\",\"to\":\"net:ov\",\"verdict\":2}],"
    "\"nodes\":[{\"name\":\"h2\",\"underlay\":\"198.18.0.2\",\"ifname\":\"\"}]}";

static void path_in(char *buf, size_t size, const char *dir, const char *file)
{
	snprintf(buf, size, "%s/%s", dir, file);
}

static void remove_dir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "remove %s", dir);
}

static long count_rows(struct cbpf_state *st, const char *sql)
{
	sqlite3_stmt *s;
	long n = -1;

	if (sqlite3_prepare_v2((sqlite3 *)st->db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static bool in_wal_mode(struct cbpf_state *st)
{
	sqlite3_stmt *s;
	bool wal = false;

	if (sqlite3_prepare_v2((sqlite3 *)st->db, "PRAGMA journal_mode", -1, &s, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		wal = !strcmp((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	return wal;
}

static void import(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX", path[128];
	struct cbpf_state st;
	struct stat sb;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL, "temporary state directory");
	path_in(path, sizeof(path), dir, "state.json");
	f = fopen(path, "w");
	fputs(old_state_json, f);
	fclose(f);
	umask(0);
	CHECK(state_exists(dir), "a state.json alone is a store");
	CHECK(state_open(dir, &st) == 0, "the first open imports state.json");
	umask(022);
	CHECK(st.n_nets == 2 && st.n_eps == 2 && st.n_rules == 1 && st.n_nodes == 1 &&
		  st.next_ep_id == 4 && st.next_rule_id == 2,
	      "networks, endpoints, rules, nodes and counters imported");
	struct cbpf_network *ov = state_find_net(&st, "ov");
	struct cbpf_endpoint *r1 = state_find_ep(&st, "r1");
	CHECK(ov && ov->vni == 100 && ov->mtu == 1450 && !ov->icc && ov->model == 1 &&
		  ov->subnet.prefix_len == 24,
	      "network fields imported");
	CHECK(r1 && r1->id == 3 && !strcmp(r1->node, "h2") && r1->mac[5] == 7,
	      "remote endpoint imported with its node and MAC");
	CHECK(state_find_ep(&st, "web1") &&
		  !strcmp(state_find_ep(&st, "web1")->host_ifname, "cbe1"),
	      "local endpoint imported with its interfaces");
	state_close(&st);
	CHECK(access(path, F_OK) == -1, "state.json is gone");
	path_in(path, sizeof(path), dir, "state.json.imported");
	CHECK(access(path, F_OK) == 0, "renamed state.json.imported");
	path_in(path, sizeof(path), dir, "cbpfnet.db");
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	      "the database is 0600 under umask 0 (%o)", sb.st_mode & 0777);
	path_in(path, sizeof(path), dir, "cbpfnet.db-wal");
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "and its log too (%o)",
	      sb.st_mode & 0777);
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 2 && st.n_nets == 2,
	      "reopened: the same store, imported once");
	CHECK(count_rows(&st, "PRAGMA user_version") == 2 &&
		  count_rows(&st, "PRAGMA foreign_keys") == 1 &&
		  count_rows(&st, "SELECT count(*) FROM allocations") == 2 && in_wal_mode(&st),
	      "schema version 2, WAL, foreign keys on, one address allocation per endpoint");
	/* A store of version 1, from before the decision history moved in, gains its table. */
	sqlite3_exec((sqlite3 *)st.db, "DROP TABLE decisions; PRAGMA user_version = 1", NULL, NULL,
		     NULL);
	state_close(&st);
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 2 &&
		  count_rows(&st, "PRAGMA user_version") == 2 &&
		  count_rows(&st, "SELECT count(*) FROM decisions") == 0,
	      "a version 1 store migrates to version 2 keeping its endpoints: %s",
	      cbpf_last_error());
	sqlite3_exec((sqlite3 *)st.db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	state_close(&st);
	CHECK(state_open(dir, &st) == -EPROTO &&
		  strstr(cbpf_last_error(), "schema version 99 is newer than this cbpfnet's (2)"),
	      "a database of a newer schema is refused: %s", cbpf_last_error());
	remove_dir(dir);
}

static long changes(struct cbpf_state *st)
{
	return sqlite3_total_changes((sqlite3 *)st->db);
}

static struct cbpf_endpoint endpoint(uint32_t id)
{
	struct cbpf_endpoint ep = {.id = id, .net = "big", .netns = "c", .ifname = "eth0"};

	snprintf(ep.name, sizeof(ep.name), "e%u", id);
	snprintf(ep.host_ifname, sizeof(ep.host_ifname), "cbe%x", id);
	ep.ip = htonl(ntohl(inet_addr("10.128.0.0")) + id + 1);
	return ep;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 5000 endpoints: a one-endpoint change writes its rows, not the table. */
static void diffed_commits(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX";
	struct cbpf_network net = {.name = "big", .id = 1};
	struct cbpf_endpoint ep, twin;
	struct cbpf_state st;
	long before;
	double t;

	CHECK(mkdtemp(dir) != NULL, "temporary state directory");
	cbpf_parse_cidr("10.128.0.0/16", &net.subnet);
	cbpf_parse_ip("10.128.0.1", &net.gateway);
	CHECK(state_open(dir, &st) == 0 && !state_exists("/nonexistent"), "a new store");
	state_add_net(&st, &net);
	for (uint32_t id = 1; id <= 5000; id++) {
		ep = endpoint(id);
		state_add_ep(&st, &ep);
	}
	st.next_ep_id = 5001;
	CHECK(state_commit(&st) == 0, "5000 endpoints committed");
	state_close(&st);

	t = now_ms();
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 5000, "5000 endpoints read back (%.1f ms)",
	      now_ms() - t);
	before = changes(&st);
	ep = endpoint(5001);
	state_add_ep(&st, &ep);
	st.next_ep_id++;
	t = now_ms();
	CHECK(state_commit(&st) == 0, "one endpoint more committed (%.2f ms)", now_ms() - t);
	CHECK(changes(&st) - before == 3, "it wrote 3 rows: endpoint, address, counter (%ld)",
	      changes(&st) - before);
	before = changes(&st);
	state_remove_ep(&st, state_find_ep(&st, "e2500"));
	CHECK(state_commit(&st) == 0 && changes(&st) - before == 2,
	      "one endpoint removed from the middle: its row and its address deleted (%ld)",
	      changes(&st) - before);
	CHECK(count_rows(&st, "SELECT count(*) FROM allocations") == 5000,
	      "the address allocation went by cascade");
	before = changes(&st);
	state_find_ep(&st, "e10")->netns[0] = 'd';
	CHECK(state_commit(&st) == 0 && changes(&st) - before == 2,
	      "one endpoint changed: its row and its allocation updated (%ld)",
	      changes(&st) - before);

	/* The same address twice in a network is refused and nothing of the commit is kept. */
	twin = endpoint(6000);
	twin.ip = state_find_ep(&st, "e7")->ip;
	state_add_ep(&st, &twin);
	ep = endpoint(6001);
	state_add_ep(&st, &ep);
	CHECK(state_commit(&st) == -EIO && strstr(cbpf_last_error(), "UNIQUE constraint failed") &&
		  strstr(cbpf_last_error(), "e6000"),
	      "an address allocated twice is refused naming the endpoint");
	state_close(&st);
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 5000 && !state_find_ep(&st, "e6001"),
	      "the whole failed commit was rolled back");
	state_close(&st);
	remove_dir(dir);
}

/* Random appends, removals and edits in place, committed one by one, then read back whole. */
static void random_edits(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX";
	struct cbpf_network net = {.name = "big", .id = 1};
	struct cbpf_state st, back;
	uint32_t next = 1, rule_id = 1;
	bool same = true;

	CHECK(mkdtemp(dir) != NULL, "temporary state directory");
	cbpf_parse_cidr("10.128.0.0/16", &net.subnet);
	CHECK(state_open(dir, &st) == 0, "a new store");
	state_add_net(&st, &net);
	srand(11);
	for (int round = 1; round <= 400 && same; round++) {
		int what = rand() % 6;

		if (what <= 1 || !st.n_eps) {
			struct cbpf_endpoint ep = endpoint(next++);

			state_add_ep(&st, &ep);
		} else if (what == 2) {
			state_remove_ep(&st, &st.eps[rand() % st.n_eps]);
		} else if (what == 3) {
			snprintf(st.eps[rand() % st.n_eps].netns, CBPF_PATH_MAX, "ns%d", round);
		} else if (what == 4) {
			struct cbpf_rule rule = {.id = rule_id++, .verdict = 1};

			snprintf(rule.from, sizeof(rule.from), "ep:e%d", round);
			snprintf(rule.to, sizeof(rule.to), "net:big");
			state_add_rule(&st, &rule);
		} else if (st.n_rules) {
			state_remove_rule(&st, &st.rules[rand() % st.n_rules]);
		}
		st.next_ep_id = next;
		if (state_commit(&st))
			same = false;
		if (round % 50)
			continue;
		size_t n_eps = st.n_eps, n_rules = st.n_rules;
		struct cbpf_endpoint *eps = malloc(n_eps * sizeof(*eps) + 1);
		struct cbpf_rule *rules = malloc(n_rules * sizeof(*rules) + 1);

		memcpy(eps, st.eps, n_eps * sizeof(*eps));
		memcpy(rules, st.rules, n_rules * sizeof(*rules));
		state_close(&st);
		same = !state_open(dir, &back) && back.n_eps == n_eps && back.n_rules == n_rules &&
		       !memcmp(back.eps, eps, n_eps * sizeof(*eps)) &&
		       !memcmp(back.rules, rules, n_rules * sizeof(*rules));
		free(eps);
		free(rules);
		st = back;
	}
	CHECK(same, "400 random edits committed one by one read back as they were made");
	state_close(&st);
	CHECK(state_open(dir, &back) == 0, "reopened");
	CHECK(back.n_eps > 20 && back.next_ep_id == next &&
		  count_rows(&back, "SELECT count(*) FROM allocations") == (long)back.n_eps,
	      "%zu endpoints, the counter, one address each", back.n_eps);
	state_close(&back);
	remove_dir(dir);
}

static int file_bytes(const char *path, char **data, long *size)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	*size = ftell(f);
	rewind(f);
	*data = malloc(*size);
	*size = fread(*data, 1, *size, f);
	fclose(f);
	return 0;
}

/* A new store in dir with network n and 300 endpoints, committed, left open in st. */
static void store_of_300(const char *dir, struct cbpf_state *st)
{
	struct cbpf_network net = {.name = "n", .id = 1};

	cbpf_parse_cidr("10.1.0.0/16", &net.subnet);
	CHECK(state_open(dir, st) == 0, "a new store");
	state_add_net(st, &net);
	for (uint32_t id = 1; id <= 300; id++) {
		struct cbpf_endpoint ep = endpoint(id);

		snprintf(ep.net, sizeof(ep.net), "n");
		state_add_ep(st, &ep);
	}
	CHECK(state_commit(st) == 0, "300 endpoints committed");
}

/* A store of 300 endpoints in the temporary directory dir (a mkdtemp template), closed; its
 * log's path in wal. */
static void closed_store_of_300(char *dir, char *wal, size_t size)
{
	struct cbpf_state st;

	CHECK(mkdtemp(dir) != NULL, "temporary state directory");
	path_in(wal, size, dir, "cbpfnet.db-wal");
	store_of_300(dir, &st);
	state_close(&st);
}

/* A log with its header and one page. */
#define ONE_PAGE_LOG (32 + 24 + 4096)
/* The most a log holds at the checkpoint a lone command makes: its pages and one command's. */
#define LONE_LOG_MOST ((STORE_LOG_FRAMES + 16) * (4096 + 24) + 32)

static void remove_first_endpoint(struct cbpf_state *st)
{
	state_remove_ep(st, &st->eps[0]);
}

static void rewrite_first_mac(struct cbpf_state *st)
{
	st->eps[0].mac[5] ^= 1;
}

/*
 * count commands on dir's store, each making its edit in its own commit; returns the failures,
 * *biggest the largest size the log at log_path reached after one.
 */
static int edit_in_own_commits(const char *dir, const char *log_path, int count,
			       void (*edit)(struct cbpf_state *st), long *biggest)
{
	struct cbpf_state st;
	struct stat sb;
	int failed = 0;

	*biggest = 0;
	for (int i = 0; i < count; i++) {
		if (state_open(dir, &st)) {
			failed++;
			continue;
		}
		edit(&st);
		failed += state_commit(&st) != 0;
		state_close(&st);
		if (!stat(log_path, &sb) && sb.st_size > *biggest)
			*biggest = sb.st_size;
	}
	return failed;
}

static int remove_in_own_commits(const char *dir, const char *log_path, int count, long *biggest)
{
	return edit_in_own_commits(dir, log_path, count, remove_first_endpoint, biggest);
}

/*
 * Commands that commit once each, as CNI DELs do one after another: the log is emptied at each
 * checkpoint instead of growing with every command, which each open would read whole.
 */
static void log_stays_short(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX", path[128];
	struct cbpf_state st;
	long biggest;

	closed_store_of_300(dir, path, sizeof(path));
	CHECK(!remove_in_own_commits(dir, path, 200, &biggest),
	      "200 commands, each removing an endpoint in its own commit");
	CHECK(biggest > 0 && biggest <= LONE_LOG_MOST,
	      "the log never held more than %d pages and one "
	      "command's (%ld bytes at most, %ld allowed)",
	      STORE_LOG_FRAMES, biggest, (long)LONE_LOG_MOST);
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 100, "100 endpoints left (%zu)", st.n_eps);
	state_close(&st);
	remove_dir(dir);
}

/*
 * The agent keeps the store open: its commands leave the log to grow past the checkpoint a
 * lone command would make, and the agent's checkpoint, once the store is quiet, empties it.
 */
static void kept_log_waits_for_checkpoint(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX", path[128];
	struct cbpf_state st;
	struct stat sb;
	long biggest;

	closed_store_of_300(dir, path, sizeof(path));
	CHECK(state_keep_open(dir) == 0, "the store kept open");
	CHECK(!remove_in_own_commits(dir, path, 100, &biggest),
	      "100 commands, each removing an endpoint in its own commit");
	CHECK(biggest > LONE_LOG_MOST,
	      "kept open, no command checkpointed the log (%ld bytes, a lone command's most %ld)",
	      biggest, (long)LONE_LOG_MOST);
	CHECK(state_checkpoint(dir) == 0, "the checkpoint when quiet");
	CHECK(!stat(path, &sb) && sb.st_size > 0 && sb.st_size <= ONE_PAGE_LOG,
	      "... empties the log but for the page that starts it again (%ld bytes, %ld at most)",
	      (long)sb.st_size, (long)ONE_PAGE_LOG);
	state_keep_close();
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 200, "200 endpoints left (%zu)", st.n_eps);
	state_close(&st);
	remove_dir(dir);
}

/*
 * The default VFS with every file's sync counted: which commits wait for the disk. Files of
 * different kinds have different methods (a journal has no shared memory): one copy of each.
 */
static sqlite3_vfs *plain_vfs, counting_vfs;
static const sqlite3_io_methods *plain_io[4];
static sqlite3_io_methods counting_io[4];
static _Atomic int syncs, db_opens;

static int counting_sync(sqlite3_file *f, int flags)
{
	int k = (int)(f->pMethods - counting_io);

	syncs++;
	return plain_io[k]->xSync(f, flags);
}

static int counting_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
			 int *out_flags)
{
	int rc = plain_vfs->xOpen(plain_vfs, name, f, flags, out_flags), k = 0;

	(void)vfs;
	if (rc != SQLITE_OK || !f->pMethods)
		return rc;
	if (flags & SQLITE_OPEN_MAIN_DB)
		db_opens++;
	while (k < 4 && plain_io[k] && plain_io[k] != f->pMethods)
		k++;
	if (k == 4) {
		f->pMethods->xClose(f);
		return SQLITE_CANTOPEN;
	}
	if (!plain_io[k]) {
		plain_io[k] = f->pMethods;
		counting_io[k] = *f->pMethods;
		counting_io[k].xSync = counting_sync;
	}
	f->pMethods = &counting_io[k];
	return rc;
}

static void counting_vfs_on(void)
{
	plain_vfs = sqlite3_vfs_find(NULL);
	counting_vfs = *plain_vfs;
	counting_vfs.zName = "cbpf-counting";
	counting_vfs.xOpen = counting_open;
	CHECK(sqlite3_vfs_register(&counting_vfs, 1) == SQLITE_OK, "the sync-counting VFS");
}

static void counting_vfs_off(void)
{
	sqlite3_vfs_register(plain_vfs, 1);
	sqlite3_vfs_unregister(&counting_vfs);
}

/*
 * The first commit into an emptied log syncs its header (and the directory): the agent's quiet
 * checkpoint does that write itself, so the command after a quiet spell (a CNI ADD) does not.
 */
static void commit_after_checkpoint_waits_for_no_disk(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX", path[128];
	struct cbpf_state st;
	unsigned long reads;
	long biggest;

	counting_vfs_on();
	closed_store_of_300(dir, path, sizeof(path));
	CHECK(state_keep_open(dir) == 0, "the store kept open");
	CHECK(!remove_in_own_commits(dir, path, 10, &biggest), "10 commands, one commit each");
	CHECK(state_checkpoint(dir) == 0, "the checkpoint when quiet");
	syncs = 0;
	reads = store_reads();
	CHECK(!remove_in_own_commits(dir, path, 3, &biggest), "3 commands after it");
	CHECK(syncs == 0, "... none of their commits waited for the disk (%d syncs)", syncs);
	CHECK(store_reads() == reads, "... each took the copy the last command left (%lu reads)",
	      store_reads() - reads);
	state_keep_close();
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 287, "287 endpoints left (%zu)", st.n_eps);
	state_close(&st);
	counting_vfs_off();
	remove_dir(dir);
}

struct aside_run {
	const char *dir;
	_Atomic bool done;
	int err;
};

static void *checkpoint_aside_thread(void *arg)
{
	struct aside_run *run = arg;

	run->err = state_checkpoint_aside(run->dir);
	run->done = true;
	return NULL;
}

/*
 * Commands too close together for a quiet spell: once the log is long, the agent's thread
 * copies it into the database and syncs it while a command holds the store's lock, and only
 * empties the log once that command is done.
 */
static void long_log_checkpointed_beside_a_command(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX", path[128];
	struct aside_run run = {.dir = dir};
	struct cbpf_state held, st;
	pthread_t thread;
	struct stat sb;
	int commands = 0, tries = 0;
	long biggest = 0;

	counting_vfs_on();
	closed_store_of_300(dir, path, sizeof(path));
	CHECK(state_keep_open(dir) == 0, "the store kept open");
	while (!state_log_long() && commands < 290 &&
	       !remove_in_own_commits(dir, path, 1, &biggest))
		commands++;
	CHECK(state_log_long(), "after %d commands the log is past %d pages (%ld bytes)", commands,
	      STORE_LOG_FRAMES_ASIDE, biggest);
	CHECK(state_open(dir, &held) == 0, "a command holds the store's lock");
	syncs = 0;
	CHECK(pthread_create(&thread, NULL, checkpoint_aside_thread, &run) == 0,
	      "the checkpoint beside it starts");
	while (syncs < 2 && !run.done && tries++ < 500)
		usleep(10000);
	CHECK(syncs >= 2 && !run.done,
	      "... copies the log into the database and syncs both while the command runs "
	      "(%d syncs)",
	      syncs);
	usleep(50000);
	CHECK(!run.done, "... and waits for the command to empty the log");
	state_close(&held);
	pthread_join(thread, NULL);
	CHECK(run.err == 0, "... then empties it: %s", run.err ? cbpf_last_error() : "ok");
	CHECK(!stat(path, &sb) && sb.st_size <= ONE_PAGE_LOG && !state_log_long(),
	      "the log holds the page that starts it again (%ld bytes, %ld at most)",
	      (long)sb.st_size, (long)ONE_PAGE_LOG);
	state_keep_close();
	CHECK(state_open(dir, &st) == 0 && st.n_eps == (size_t)(300 - commands),
	      "%d endpoints left (%zu)", 300 - commands, st.n_eps);
	state_close(&st);
	counting_vfs_off();
	remove_dir(dir);
}

/* Commands rewriting a MAC until the log is long, 5000 at most; returns how many ran. */
static int rewrite_until_log_long(const char *dir, const char *log_path)
{
	int commands = 0;
	long biggest;

	while (!state_log_long() && commands < 5000 &&
	       !edit_in_own_commits(dir, log_path, 1, rewrite_first_mac, &biggest))
		commands++;
	return commands;
}

/*
 * A reader of another program's (sqlite3 on the file) holding the log makes the checkpoint
 * beside commands fail: it says so, and tries again once the log has grown by half as much, not
 * at each of the agent's looks; once a checkpoint empties the log, from the usual length.
 */
static void aside_checkpoint_held_by_a_reader(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX", path[128], db_path[128];
	sqlite3 *reader = NULL;
	int first, again;

	closed_store_of_300(dir, path, sizeof(path));
	path_in(db_path, sizeof(db_path), dir, "cbpfnet.db");
	CHECK(state_keep_open(dir) == 0, "the store kept open");
	first = rewrite_until_log_long(dir, path);
	CHECK(state_log_long(), "after %d commands the log is long", first);
	CHECK(sqlite3_open_v2(db_path, &reader, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		  sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM endpoints", NULL, NULL, NULL) ==
		      SQLITE_OK,
	      "another program reads the store in a transaction");
	CHECK(state_checkpoint_aside(dir) == -EIO, "the checkpoint beside commands fails");
	CHECK(strstr(cbpf_last_error(), dir) && strstr(cbpf_last_error(), "database is locked"),
	      "... naming the store and SQLite's reason: %s", cbpf_last_error());
	CHECK(!state_log_long(), "... and is not tried again at the next look");
	sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(reader);
	again = rewrite_until_log_long(dir, path);
	CHECK(state_log_long() && again > first / 2,
	      "... but once the log has grown again (%d commands, then %d)", first, again);
	CHECK(state_checkpoint_aside(dir) == 0 && !state_log_long(),
	      "the reader gone, it empties the log");
	again = rewrite_until_log_long(dir, path);
	CHECK(state_log_long() && again <= first + first / 4,
	      "then the log is long again at the usual length (%d commands, then %d)", first,
	      again);
	state_keep_close();
	remove_dir(dir);
}

/*
 * Kept open, a command takes the copy of the store the last one left instead of reading every
 * row, and reads again after another connection wrote or a commit failed.
 */
static void kept_copy_follows_the_store(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX", path[128];
	struct cbpf_endpoint ep = endpoint(301), twin = endpoint(302);
	struct cbpf_state st;
	unsigned long reads;
	sqlite3 *other;

	closed_store_of_300(dir, path, sizeof(path));
	CHECK(state_keep_open(dir) == 0, "the store kept open");
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 300, "a command reads 300 endpoints");
	snprintf(ep.net, sizeof(ep.net), "n");
	state_add_ep(&st, &ep);
	CHECK(state_commit(&st) == 0, "... and adds one");
	state_close(&st);
	reads = store_reads();
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 301 && state_find_ep(&st, "e301"),
	      "the next command finds it");
	CHECK(store_reads() == reads, "in the copy, without reading the store (%lu reads, %lu)",
	      store_reads(), reads);
	ep = endpoint(303);
	snprintf(ep.net, sizeof(ep.net), "n");
	CHECK(state_add_ep(&st, &ep) && state_commit(&st) == 0 && st.n_eps == 302,
	      "and adds one to the copy");
	state_close(&st);

	path_in(path, sizeof(path), dir, "cbpfnet.db");
	CHECK(sqlite3_open(path, &other) == SQLITE_OK &&
		  sqlite3_exec(other, "UPDATE endpoints SET netns = 'moved' WHERE name = 'e5'",
			       NULL, NULL, NULL) == SQLITE_OK,
	      "another connection changes e5");
	sqlite3_close(other);
	CHECK(state_open(dir, &st) == 0 && !strcmp(state_find_ep(&st, "e5")->netns, "moved"),
	      "the next command sees the change");
	CHECK(store_reads() == reads + 1, "having read the store again");

	twin.ip = ep.ip;
	snprintf(twin.net, sizeof(twin.net), "n");
	state_add_ep(&st, &twin);
	CHECK(state_commit(&st) == -EIO, "a commit of an address taken twice fails");
	state_close(&st);
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 302 && state_find_ep(&st, "e303") &&
		  !state_find_ep(&st, "e302"),
	      "the next command does not see what failed");
	CHECK(store_reads() == reads + 2, "having read the store again");
	state_close(&st);
	state_keep_close();
	remove_dir(dir);
}

static long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : (long)sb.st_size;
}

/*
 * Kept open, a command also takes the connection the last one closed, with its statements: no
 * open of the database, no pragmas, no schema read. A command after another connection's
 * commit, or after a failed one, opens its own again. A commit with nothing to write writes
 * nothing.
 */
static void kept_connection_follows_the_store(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX", log_path[128], db_path[128];
	struct cbpf_endpoint ep = endpoint(301);
	unsigned long commits;
	struct cbpf_state st;
	long log_size;
	sqlite3 *other;

	counting_vfs_on();
	closed_store_of_300(dir, log_path, sizeof(log_path));
	path_in(db_path, sizeof(db_path), dir, "cbpfnet.db");
	CHECK(state_keep_open(dir) == 0, "the store kept open");
	db_opens = 0;
	CHECK(state_open(dir, &st) == 0 && db_opens == 1,
	      "the first command opens the database (%d opens)", db_opens);
	state_close(&st);
	db_opens = 0;
	for (uint32_t id = 301; id < 304; id++) {
		ep = endpoint(id);
		snprintf(ep.net, sizeof(ep.net), "n");
		CHECK(state_open(dir, &st) == 0 && state_add_ep(&st, &ep) && state_commit(&st) == 0,
		      "a command adds e%u", id);
		state_close(&st);
	}
	CHECK(db_opens == 0, "... on the connection the first one closed (%d opens)", db_opens);

	log_size = file_size(log_path);
	commits = state_commits();
	CHECK(state_open(dir, &st) == 0 && st.n_eps == 303 && state_find_ep(&st, "e303"),
	      "the next command finds all three");
	CHECK(state_commit(&st) == 0 && state_commits() == commits &&
		  file_size(log_path) == log_size,
	      "a commit of nothing changed writes nothing (%ld bytes of log, %ld before)",
	      file_size(log_path), log_size);
	state_close(&st);

	CHECK(sqlite3_open(db_path, &other) == SQLITE_OK &&
		  sqlite3_exec(other, "UPDATE endpoints SET netns = 'moved' WHERE name = 'e7'",
			       NULL, NULL, NULL) == SQLITE_OK,
	      "another connection changes e7");
	sqlite3_close(other);
	db_opens = 0;
	CHECK(state_open(dir, &st) == 0 && !strcmp(state_find_ep(&st, "e7")->netns, "moved") &&
		  db_opens == 1,
	      "the next command sees the change, through a connection of its own (%d opens)",
	      db_opens);
	ep = endpoint(304);
	ep.ip = state_find_ep(&st, "e301")->ip;
	snprintf(ep.net, sizeof(ep.net), "n");
	state_add_ep(&st, &ep);
	CHECK(state_commit(&st) == -EIO, "a commit of an address taken twice fails");
	state_close(&st);
	db_opens = 0;
	CHECK(state_open(dir, &st) == 0 && !state_find_ep(&st, "e304") && db_opens == 1,
	      "the command after it opens its own connection and does not see e304 (%d opens)",
	      db_opens);
	state_close(&st);
	db_opens = 0;
	CHECK(state_open(dir, &st) == 0 && db_opens == 0,
	      "the command after that one takes its connection again (%d opens)", db_opens);
	state_close(&st);
	state_keep_close();
	counting_vfs_off();
	remove_dir(dir);
}

/* A damaged database is refused, naming the file, and left as it was. */
static void corruption(void)
{
	char dir[] = "/tmp/cbpf-store-XXXXXX", path[128];
	char *before, *after;
	long n_before, n_after;
	struct cbpf_state st;
	int fd;

	CHECK(mkdtemp(dir) != NULL, "temporary state directory");
	store_of_300(dir, &st);
	CHECK(sqlite3_exec((sqlite3 *)st.db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) ==
		  SQLITE_OK,
	      "log checkpointed into the database file");
	state_close(&st);
	path_in(path, sizeof(path), dir, "cbpfnet.db");
	fd = open(path, O_WRONLY);
	for (off_t off = 4096; off < 6 * 4096; off += 4096)
		CHECK(pwrite(fd, "garbage!garbage!", 16, off) == 16,
		      "damage the header of page %ld", (long)(off / 4096 + 1));
	close(fd);
	file_bytes(path, &before, &n_before);
	CHECK(state_open(dir, &st) < 0, "a damaged database is refused");
	CHECK(strstr(cbpf_last_error(), "database disk image is malformed") &&
		  strstr(cbpf_last_error(), path),
	      "saying so and naming the file: %s", cbpf_last_error());
	file_bytes(path, &after, &n_after);
	CHECK(n_before == n_after && !memcmp(before, after, n_before), "the file is unchanged");
	free(before);
	free(after);
	remove_dir(dir);
}

int main(void)
{
	import();
	diffed_commits();
	random_edits();
	log_stays_short();
	kept_log_waits_for_checkpoint();
	kept_copy_follows_the_store();
	kept_connection_follows_the_store();
	commit_after_checkpoint_waits_for_no_disk();
	long_log_checkpointed_beside_a_command();
	aside_checkpoint_held_by_a_reader();
	corruption();
	TAP_EXIT();
}
