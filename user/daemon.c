/*
 * cbpfnet daemon --policy FILE|DIR: loads the datapath, applies the policy and stays up.
 * SIGHUP re-reads the policy (a bad one is logged and the live one kept); SIGTERM exits and
 * leaves the datapath forwarding with the last policy.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "policy_load.h"

static void log_line(const char *fmt, const char *text)
{
	char stamp[32];
	time_t now = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", gmtime(&now));
	fprintf(stderr, "%s cbpfnet daemon: ", stamp);
	fprintf(stderr, fmt, text);
	fputc('\n', stderr);
}

static int state_file(const struct cbpf_ctx *ctx, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", ctx->state_dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* `policy reload` waits for the generation to move, then reports ok and message. */
static void write_status(const struct cbpf_ctx *ctx, unsigned int generation, int err,
			 const struct pol_result *res)
{
	char path[CBPF_PATH_MAX + 32], tmp[CBPF_PATH_MAX + 40];
	json_object *doc = json_object_new_object();

	json_object_object_add(doc, "generation", json_object_new_int64(generation));
	json_object_object_add(doc, "ok", json_object_new_boolean(!err));
	json_object_object_add(doc, "message", json_object_new_string(res->message));
	json_object_object_add(doc, "rules", json_object_new_int64(res->n_rules));
	json_object_object_add(doc, "entries", json_object_new_int64(res->n_entries));
	json_object_object_add(doc, "ms", json_object_new_double(res->ms));
	if (!state_file(ctx, POL_STATUS, path, sizeof(path))) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		if (!json_object_to_file(tmp, doc))
			rename(tmp, path);
	}
	json_object_put(doc);
}

static int apply(const struct cbpf_ctx *ctx, const char *path, unsigned int generation)
{
	struct pol_result res;
	int err = policy_apply_path(ctx, path, &res);

	if (err) {
		log_line("policy rejected, keeping the live one: %s", res.message);
	} else {
		char text[POL_ERR_MAX + 64];

		snprintf(text, sizeof(text), "%s in %.1f ms", res.message, res.ms);
		log_line("policy applied: %s", text);
	}
	write_status(ctx, generation, err, &res);
	return err;
}

int cmd_daemon(struct cbpf_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	char *load_argv[] = {"load", NULL};
	char pidfile[CBPF_PATH_MAX + 32];
	const char *path = NULL;
	unsigned int generation = 0;
	sigset_t set;
	FILE *f;
	int opt, sig, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'p') {
			cbpf_err("daemon: usage: daemon --policy FILE|DIR");
			return -EINVAL;
		}
		path = optarg;
	}
	if (!path || optind != argc) {
		cbpf_err("daemon: usage: daemon --policy FILE|DIR");
		return -EINVAL;
	}
	/*
	 * Keep freed memory in the heap: every reload allocates about the same again, and memory
	 * returned to the kernel has to be faulted in anew, which is most of a large reload.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	/* Signals are taken synchronously: a reload never interrupts another. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	err = cmd_load(ctx, 1, load_argv);
	if (err)
		return err;
	err = apply(ctx, path, generation);
	if (err) {
		cbpf_err("daemon: policy %s rejected at start", path);
		return err;
	}
	state_file(ctx, POL_PIDFILE, pidfile, sizeof(pidfile));
	f = fopen(pidfile, "w");
	if (!f) {
		err = -errno;
		cbpf_err("daemon: write %s: %s", pidfile, strerror(errno));
		return err;
	}
	fprintf(f, "%d\n", getpid());
	fclose(f);
	log_line("running with policy %s", path);
	while ((sig = sigwaitinfo(&set, NULL)) != -1 || errno == EINTR) {
		if (sig == SIGHUP)
			apply(ctx, path, ++generation);
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	unlink(pidfile);
	log_line("stopping; the datapath keeps forwarding with policy %s", path);
	return 0;
}
