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
#include "agent/lock.h"
#include "agent/log.h"
#include "agent/event_feed.h"
#include "api/server.h"
#include "cluster/cluster.h"
#include "commands.h"
#include "policy_load.h"

int agent_policy_reload(struct agent *a, json_object **doc)
{
	struct pol_result res = {0};
	int err;

	if (!a->policy_path) {
		cbpf_err(
		    "policy reload: the agent was started without --policy; nothing to reload");
		return -EINVAL;
	}
	err = policy_apply_path(&a->ctx, a->policy_path, &res);
	a->policy_generation++;
	if (err) {
		agent_log(LOG_LVL_WARN, "policy rejected, keeping the live one: %s", res.message);
		cbpf_err("policy reload: rejected, the live policy is unchanged: %s", res.message);
		return err;
	}
	agent_log(LOG_LVL_INFO, "policy applied: %s in %.1f ms", res.message, res.ms);
	*doc = json_object_new_object();
	json_object_object_add(*doc, "generation", json_object_new_int64(a->policy_generation));
	json_object_object_add(*doc, "ok", json_object_new_boolean(true));
	json_object_object_add(*doc, "message", json_object_new_string(res.message));
	json_object_object_add(*doc, "rules", json_object_new_int64(res.n_rules));
	json_object_object_add(*doc, "entries", json_object_new_int64(res.n_entries));
	json_object_object_add(*doc, "ms", json_object_new_double(res.ms));
	return 0;
}

#define DAEMON_USAGE                                                                               \
	"daemon: usage: daemon [--policy FILE|DIR] [--log-level LEVEL] [--etcd URL[,URL...] "      \
	"[--node NAME] [--underlay IFACE|ADDR] [--lease-ttl S]]"

static int parse_options(struct agent *a, struct cluster_opts *cl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"etcd", required_argument, NULL, 'e'},
	    {"node", required_argument, NULL, 'n'},
	    {"underlay", required_argument, NULL, 'u'},
	    {"lease-ttl", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'p') {
			a->policy_path = optarg;
		} else if (opt == 'l' && agent_log_set_level(optarg)) {
			cbpf_err("daemon: --log-level %s: one of error, warn, info, debug", optarg);
			return -EINVAL;
		} else if (opt == 'e') {
			cl->etcd = optarg;
		} else if (opt == 'n') {
			cl->node = optarg;
		} else if (opt == 'u') {
			cl->underlay = optarg;
		} else if (opt == 't') {
			long ttl = strtol(optarg, &end, 10);

			if (*end || end == optarg || ttl < CLUSTER_LEASE_TTL_MIN || ttl > 3600) {
				cbpf_err("daemon: --lease-ttl %s: seconds, %d to 3600", optarg,
					 CLUSTER_LEASE_TTL_MIN);
				return -EINVAL;
			}
			cl->lease_ttl = ttl;
		} else if (opt != 'l') {
			cbpf_err(DAEMON_USAGE);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		cbpf_err(DAEMON_USAGE);
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
	struct agent a = {.ctx = *ctx};
	struct cluster_opts cl = {0};
	char socket_path[4096];
	int lock_fd = -1, err;
	sigset_t set;

	err = parse_options(&a, &cl, argc, argv);
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
	if (err)
		return err;
	pthread_mutex_init(&a.lock, NULL);
	snprintf(socket_path, sizeof(socket_path), "%s/" AGENT_SOCKET_FILE, ctx->state_dir);
	err = agent_prepare(&a);
	if (!err)
		err = events_start(&a, &a.events);
	if (!err && cl.etcd)
		err = cluster_start(&a, &cl, &a.cluster);
	if (!err)
		err = api_start(&a, socket_path, &a.api);
	if (err) {
		cluster_stop(a.cluster);
		events_stop(a.events);
		events_free(a.events);
		agent_lock_release(lock_fd);
		return err;
	}
	agent_log(LOG_LVL_INFO, "ready: pid %d, state %s, bpffs %s, API on %s%s%s", getpid(),
		  ctx->state_dir, ctx->bpffs, socket_path, a.policy_path ? ", policy " : "",
		  a.policy_path ? a.policy_path : "");
	serve(&a, &set);
	agent_log(LOG_LVL_INFO, "stopping; the datapath keeps forwarding with the last state");
	api_stop(a.api);
	/* After the API: no command kicks it any more. Revoking the lease deregisters the node. */
	cluster_stop(a.cluster);
	events_stop(a.events);
	events_free(a.events);
	agent_lock_release(lock_fd);
	return 0;
}
