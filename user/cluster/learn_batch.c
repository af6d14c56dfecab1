/* Remote endpoint records learned and forgotten many at a time (learn_op.h). */
#include <errno.h>
#include <string.h>

#include "core/err.h"
#include "agent/agent.h"
#include "core/log.h"
#include "api/exec.h"
#include "cluster/learn_op.h"
#include "ep/ep.h"

struct batch {
	struct op **ops;
	size_t n;
};

static int run(struct agent *a, void *arg)
{
	struct batch *b = arg;
	struct ep_session s;
	int err = ep_session_open(&a->ctx, &s);

	if (err)
		return err;
	s.one_commit = true;
	for (size_t i = 0; i < b->n; i++) {
		struct op *op = b->ops[i];

		if (!strcmp(op->argv[1], "add")) {
			struct ep_request req = {.name = op->text[0],
						 .ip = op->text[1],
						 .mac = op->text[2],
						 .net = op->text[3],
						 .remote = op->text[4]};

			op->err = ep_session_add(&s, &req, NULL);
		} else {
			op->err = ep_session_del(&s, op->text[0], false);
		}
		if (op->err)
			agent_log(LOG_LVL_INFO, "cluster: ep %s %s: failed: %s", op->argv[1],
				  op->text[0], cbpf_last_error());
	}
	err = ep_session_commit(&s);
	ep_session_close(&s);
	return err;
}

void learn_run_batch(struct agent *a, struct op **ops, size_t n)
{
	struct batch b = {.ops = ops, .n = n};
	struct exec_result res;

	exec_call(a, run, &b, NULL, &res);
	if (res.err) {
		agent_log(LOG_LVL_WARN, "cluster: recording %zu learned endpoint change(s): %.*s",
			  n, (int)res.errors_len, res.errors ? res.errors : "");
		for (size_t i = 0; i < n; i++)
			ops[i]->err = ops[i]->err ?: res.err;
	}
	exec_result_free(&res);
}
