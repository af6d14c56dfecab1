/*
 * The agent's policy: re-read and applied on SIGHUP and `policy reload`, a bad file logged and
 * the live policy kept.
 */
#include <errno.h>
#include <stdio.h>

#include "agent/agent.h"
#include "agent/event_feed.h"
#include "core/log.h"
#include "core/err.h"
#include "reconcile/policy_load.h"

int agent_policy_reload(struct agent *a, json_object **doc)
{
	struct pol_result res = {0};
	char ms[32];
	int err;

	if (!a->policy_path) {
		cbpf_err(
		    "policy reload: the agent was started without --policy; nothing to reload");
		return -EINVAL;
	}
	err = policy_apply_path(&a->ctx, a->policy_path, &res);
	a->policy_generation++;
	events_policy_reloaded(a->events, a->policy_generation, !err, res.message);
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
	json_object_object_add(*doc, "path", json_object_new_string(a->policy_path));
	json_object_object_add(*doc, "files", json_object_new_int64(res.n_files));
	json_object_object_add(*doc, "rules", json_object_new_int64(res.n_rules));
	json_object_object_add(*doc, "entries", json_object_new_int64(res.n_entries));
	/* Printed as measured to 0.1 ms, not as the double's 17 digits. */
	snprintf(ms, sizeof(ms), "%.1f", res.ms);
	json_object_object_add(*doc, "ms", json_object_new_double_s(res.ms, ms));
	snprintf(ms, sizeof(ms), "%.1f", res.cpu_ms);
	json_object_object_add(*doc, "cpu_ms", json_object_new_double_s(res.cpu_ms, ms));
	return 0;
}
