/*
 * cbpfnet daemon: the host agent. It takes the state directory's lock, loads the datapath
 * (reconciling maps and attachments with the state), applies the policy files it was given,
 * then serves the API until SIGTERM. SIGHUP re-reads the policy files (a bad file is logged and
 * the live policy kept). On exit the datapath keeps forwarding with the last state and policy.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/event_feed.h"
#include "agent/lock.h"
#include "agent/recheck.h"
#include "core/log.h"
#include "api/server.h"
#include "api/tcp.h"
#include "cli/commands.h"
#include "cli/help.h"
#include "cluster/cluster.h"
#include "core/err.h"
#include "net/netmodel.h"
#include "reconcile/policy_spare.h"
#include "reconcile/rcu_expedite.h"
#include "store/state.h"

#define DAEMON_USAGE                                                                               \
	"daemon: usage: daemon [--policy FILE|DIR] [--log-level LEVEL] [--listen ADDR:PORT "       \
	"[--token-file FILE] [--tls-cert PEM --tls-key PEM] [--ui-dir DIR]] [--etcd URL[,URL...] " \
	"[--node NAME] [--underlay IFACE|ADDR] [--lease-ttl S]] [--recheck MS] [--expedite-grace " \
	"on|off]"

/* Cluster mode's options (--etcd ...); the TCP API's are parse_options' own. */
static int parse_cluster_option(int opt, struct cluster_opts *cl)
{
	char *end;
	long ttl;

	switch (opt) {
	case 'e':
		cl->etcd = optarg;
		return 0;
	case 'n':
		cl->node = optarg;
		return 0;
	case 'U':
		cl->underlay = optarg;
		return 0;
	case 'T':
		ttl = strtol(optarg, &end, 10);
		if (*end || end == optarg || ttl < CLUSTER_LEASE_TTL_MIN || ttl > 3600) {
			cbpf_err("daemon: --lease-ttl %s: seconds, %d to 3600", optarg,
				 CLUSTER_LEASE_TTL_MIN);
			return -EINVAL;
		}
		cl->lease_ttl = ttl;
		return 0;
	default:
		cbpf_err(DAEMON_USAGE);
		return -EINVAL;
	}
}

const struct cbpf_opt agent_daemon_opts[] = {
    {"policy", 'p', "FILE|DIR", "policy files to load and watch"},
    {"log-level", 'l', "LEVEL", "error, warn, info or debug"},
    {"listen", 'L', "ADDR:PORT", "serve the API (and the web UI) over TCP too"},
    {"token-file", 't', "FILE", "with --listen: the bearer token clients must send"},
    {"tls-cert", 'c', "PEM", "with --listen: serve HTTPS with this certificate"},
    {"tls-key", 'k', "PEM", "with --listen: and this key"},
    {"ui-dir", 'u', "DIR", "with --listen: where the web UI's files are"},
    {"etcd", 'e', "URL[,URL...]", "cluster mode: the etcd endpoints"},
    {"node", 'n', "NAME", "with --etcd: this node's name (default the hostname)"},
    {"underlay", 'U', "IFACE|ADDR", "with --etcd: this node's underlay"},
    {"lease-ttl", 'T', "S", "with --etcd: seconds without heartbeat before a node is dead"},
    {"recheck", 'r', "MS",
     "after commits, once the store is quiet this long, make links deleted behind the agent's "
     "back again (default 1000; 0: at start and on sync only)"},
    {"expedite-grace", 'g', "on|off",
     "expedite the RCU grace periods that attaching, detaching and deleting links wait for "
     "(default on)"},
    {NULL, 0, NULL, NULL},
};

static int parse_options(struct agent *a, struct api_tcp_config *tcp, struct cluster_opts *cl,
			 unsigned int *recheck_ms, int argc, char **argv)
{
	unsigned long value;
	int opt;

	optind = 1;
	while ((opt = cbpf_getopt(argc, argv, agent_daemon_opts, "daemon")) != -1) {
		if (opt == 'p') {
			a->policy_path = optarg;
		} else if (opt == 'L') {
			tcp->listen = optarg;
		} else if (opt == 't') {
			tcp->token_file = optarg;
		} else if (opt == 'c') {
			tcp->tls_cert = optarg;
		} else if (opt == 'k') {
			tcp->tls_key = optarg;
		} else if (opt == 'u') {
			tcp->ui_dir = optarg;
		} else if (opt == 'r') {
			if (parse_uint_option(optarg, 0, 600000, &value)) {
				cbpf_err("daemon: --recheck %s: milliseconds, 0 to 600000", optarg);
				return -EINVAL;
			}
			*recheck_ms = value;
		} else if (opt == 'g') {
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				cbpf_err("daemon: --expedite-grace %s: on or off", optarg);
				return -EINVAL;
			}
			rcu_expedite_enable(!strcmp(optarg, "on"));
		} else if (opt == 'l' && agent_log_set_level(optarg)) {
			cbpf_err("daemon: --log-level %s: one of error, warn, info, debug", optarg);
			return -EINVAL;
		} else if (opt != 'l' && opt != 'r' && opt != 'g' &&
			   parse_cluster_option(opt, cl)) {
			return -EINVAL;
		}
	}
	if (optind != argc) {
		cbpf_err(DAEMON_USAGE);
		return -EINVAL;
	}
	if (!tcp->listen && (tcp->token_file || tcp->tls_cert || tcp->tls_key || tcp->ui_dir)) {
		cbpf_err("daemon: --token-file, --tls-cert, --tls-key and --ui-dir need --listen");
		return -EINVAL;
	}
	if (!cl->etcd && (cl->node || cl->underlay || cl->lease_ttl)) {
		cbpf_err("daemon: --node, --underlay and --lease-ttl need --etcd");
		return -EINVAL;
	}
	if (!cl->lease_ttl)
		cl->lease_ttl = CLUSTER_LEASE_TTL;
	return 0;
}

/* Everything but the API: lock, datapath, policy. */
static int agent_prepare(struct agent *a)
{
	char *load_argv[] = {"load", NULL};
	json_object *doc = NULL;
	int err;

	err = cmd_load(&a->ctx, 1, load_argv);
	fflush(stdout);
	if (err) {
		cbpf_err("daemon: the datapath could not be loaded; nothing was started");
		return err;
	}
	if (a->policy_path) {
		err = agent_policy_reload(a, &doc);
		json_object_put(doc);
		if (err) {
			cbpf_err("daemon: policy %s rejected at start", a->policy_path);
			return err;
		}
	}
	return 0;
}

static void serve(struct agent *a, const sigset_t *set)
{
	json_object *doc;
	int sig;

	while ((sig = sigwaitinfo(set, NULL)) != -1 || errno == EINTR) {
		if (sig == SIGHUP && a->policy_path) {
			doc = NULL;
			pthread_mutex_lock(&a->lock);
			agent_policy_reload(a, &doc);
			a->changes++;
			pthread_mutex_unlock(&a->lock);
			json_object_put(doc);
		} else if (sig == SIGTERM || sig == SIGINT) {
			break;
		}
	}
}

int cmd_daemon(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct api_tcp_config tcp_cfg = {0};
	struct agent a = {.ctx = *ctx, .check_line = cli_check_line};
	struct api_tcp tcp = {0};
	struct cluster_opts cl = {0};
	unsigned int recheck_ms = AGENT_RECHECK_MS;
	struct agent_recheck *recheck = NULL;
	char socket_path[4096];
	int lock_fd = -1, err;
	sigset_t set;

	err = parse_options(&a, &tcp_cfg, &cl, &recheck_ms, argc, argv);
	if (!tcp_cfg.ui_dir)
		tcp_cfg.ui_dir = CBPF_UI_DIR;
	/* Token and TLS files are checked before the lock: a bad one changes nothing. */
	if (!err && tcp_cfg.listen)
		err = api_tcp_prepare(&tcp_cfg, &tcp);
	if (err)
		return err;
	a.ctx.json = false;
	/*
	 * Keep freed memory in the heap: every reload allocates about the same again, and memory
	 * returned to the kernel has to be faulted in anew, which is most of a large reload.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	/* Signals are taken synchronously by the main thread; every other thread blocks them. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	err = agent_lock_take(ctx->state_dir, &lock_fd);
	if (err) {
		api_tcp_free(&tcp);
		return err;
	}
	pthread_mutex_init(&a.lock, NULL);
	rcu_expedite_recover();
	snprintf(socket_path, sizeof(socket_path), "%s/" AGENT_SOCKET_FILE, ctx->state_dir);
	err = agent_prepare(&a);
	/* Commands find the log's index built; checkpoints wait for a quiet store. */
	if (!err && state_keep_open(ctx->state_dir))
		agent_log(LOG_LVL_WARN, "the store stays closed between commands: each command "
					"checkpoints a long log itself");
	if (!err)
		err = policy_spare_start(&a.ctx, &a.lock);
	if (!err)
		err = events_start(&a, &a.events);
	if (!err && cl.etcd) {
		a.cluster_command = cluster_command;
		a.cluster_kick = cluster_kick;
		err = cluster_start(&a, &cl, &a.cluster);
	}
	if (!err)
		err = api_start(&a, socket_path, &a.api);
	if (!err && tcp_cfg.listen)
		err = api_start_tcp(&a, &tcp, &a.api_tcp);
	if (!err)
		err = agent_recheck_start(&a, recheck_ms, &recheck);
	if (err) {
		api_stop(a.api_tcp);
		api_stop(a.api);
		api_tcp_free(&tcp);
		cluster_stop(a.cluster);
		events_stop(a.events);
		events_free(a.events);
		policy_spare_stop();
		state_keep_close();
		agent_lock_release(lock_fd);
		return err;
	}
	agent_log(LOG_LVL_INFO, "ready: pid %d, state %s, bpffs %s, API on %s%s%s", getpid(),
		  ctx->state_dir, ctx->bpffs, socket_path, a.policy_path ? ", policy " : "",
		  a.policy_path ? a.policy_path : "");
	if (tcp_cfg.listen)
		agent_log(LOG_LVL_INFO, "API and UI on %s://%s (%s), UI files from %s",
			  tcp.cert ? "https" : "http", tcp.listen,
			  tcp.token ? "bearer token required" : "loopback, no token", tcp.ui_dir);
	serve(&a, &set);
	agent_log(LOG_LVL_INFO, "stopping; the datapath keeps forwarding with the last state");
	/* Streams end first, so the servers' connection threads can; then no command kicks the
	 * cluster any more, and revoking its lease deregisters the node. */
	agent_recheck_stop(recheck);
	state_keep_close();
	events_stop(a.events);
	api_stop(a.api_tcp);
	api_stop(a.api);
	cluster_stop(a.cluster);
	api_tcp_free(&tcp);
	events_free(a.events);
	policy_spare_stop();
	agent_lock_release(lock_fd);
	return 0;
}
