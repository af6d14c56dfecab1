/*
 * The agent runs the same command code as the command line, so a command behaves the same
 * whether a person typed it or an API route stands for it. Commands print with stdio: while
 * one runs (under the agent's lock, nothing else prints to stdout) stdout and stdin are memory
 * streams, and its errors go to a stream of this thread's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "agent/agent.h"
#include "agent/event_feed.h"
#include "core/log.h"
#include "api/exec.h"

/* "reloaded 6 files, 12 rules from DIR in 51.8 ms"; JSON has the entries and generation too. */
static void print_reload(json_object *doc)
{
	int files = json_object_get_int(json_object_object_get(doc, "files"));
	int rules = json_object_get_int(json_object_object_get(doc, "rules"));

	printf("reloaded %d file%s, %d rule%s from %s in %.1f ms\n", files, files == 1 ? "" : "s",
	       rules, rules == 1 ? "" : "s",
	       json_object_get_string(json_object_object_get(doc, "path")),
	       json_object_get_double(json_object_object_get(doc, "ms")));
}

static int run_request(struct agent *a, void *arg)
{
	const struct exec_request *req = arg;
	struct cbpf_ctx ctx = a->ctx;
	json_object *doc = NULL;
	int err;

	ctx.json = req->json;
	if (req->whole_line && a->check_line(req->argc, req->argv))
		return -EINVAL;
	if (req->argc >= 2 && !strcmp(req->argv[0], "policy") && !strcmp(req->argv[1], "reload")) {
		if (req->argc != 2) {
			cbpf_err("policy reload: takes no arguments");
			return -EINVAL;
		}
		err = agent_policy_reload(a, &doc);
		if (!err && ctx.json)
			puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
		else if (!err)
			print_reload(doc);
		json_object_put(doc);
		return err;
	}
	if (req->argc >= 1 && !strcmp(req->argv[0], "daemon")) {
		cbpf_err("daemon: an agent is already running on state %s", ctx.state_dir);
		return -EBUSY;
	}
	if (a->cluster) {
		bool handled;

		err = a->cluster_command(a->cluster, &ctx, req->argc, req->argv, &handled);
		if (handled)
			return err;
	}
	return cbpf_dispatch(&ctx, "cbpfnet", ctx.commands, req->argc, req->argv);
}

void exec_call(struct agent *a, exec_fn fn, void *arg, const struct exec_io *io,
	       struct exec_result *res)
{
	FILE *saved_out, *saved_in, *out, *errors, *in;

	memset(res, 0, sizeof(*res));
	errors = open_memstream(&res->errors, &res->errors_len);
	if (!errors) {
		res->err = -ENOMEM;
		return;
	}
	pthread_mutex_lock(&a->lock);
	out = open_memstream(&res->out, &res->out_len);
	in = io && io->input_len ? fmemopen((void *)io->input, io->input_len, "r")
				 : fopen("/dev/null", "r");
	if (!out || !in) {
		res->err = -ENOMEM;
	} else if (chdir(io && io->cwd ? io->cwd : "/")) {
		res->err = -errno;
		fprintf(errors, "cbpfnet: working directory %s: %s\n", io->cwd, strerror(errno));
	} else {
		saved_out = stdout;
		saved_in = stdin;
		stdout = out;
		stdin = in;
		cbpf_err_redirect(errors);
		res->err = fn(a, arg);
		cbpf_err_redirect(NULL);
		fflush(out);
		stdout = saved_out;
		stdin = saved_in;
		if (chdir("/"))
			agent_log(LOG_LVL_WARN, "chdir /: %s", strerror(errno));
	}
	a->changes++;
	events_command_done(a->events);
	pthread_mutex_unlock(&a->lock);
	/* Local endpoints may have changed: the cluster publishes them and learns again. */
	if (a->cluster)
		a->cluster_kick(a->cluster);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	fclose(errors);
}

void exec_run(struct agent *a, const struct exec_request *req, struct exec_result *res)
{
	struct exec_io io = {.input = req->input, .input_len = req->input_len, .cwd = req->cwd};
	char path[128];
	int depth;

	/* Aliases ("net rm") become names first: cluster mode knows commands by their names. */
	cbpf_cmd_walk(a->ctx.commands, req->argc, req->argv, &depth, path, sizeof(path));
	exec_call(a, run_request, (void *)req, &io, res);
	if (res->err)
		agent_log(LOG_LVL_INFO, "%s %s: failed: %.*s", req->argv[0],
			  req->argc > 1 ? req->argv[1] : "", (int)res->errors_len,
			  res->errors ? res->errors : "");
	else
		agent_log(LOG_LVL_DEBUG, "%s %s: ok", req->argv[0],
			  req->argc > 1 ? req->argv[1] : "");
}

void exec_result_free(struct exec_result *res)
{
	free(res->out);
	free(res->errors);
	res->out = res->errors = NULL;
}
