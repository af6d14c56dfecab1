#include <errno.h>
#include <stdio.h>

#include "cli/list.h"
#include "core/err.h"
#include "core/output.h"

int cli_list(struct cbpf_ctx *ctx, int argc, const struct cli_list *l)
{
	struct cbpf_state st;
	const char *items;
	size_t n;
	int err;

	if (argc != 1) {
		cbpf_err("%s: takes no arguments", l->what);
		return -EINVAL;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	items = l->items(&st, &n);
	if (ctx->json) {
		json_object *list = json_object_new_array();

		for (size_t i = 0; i < n; i++)
			json_object_array_add(list, l->to_json(ctx, &st, items + i * l->size));
		cbpf_print_json(list);
	} else {
		struct cli_table t;

		l->header(&t);
		for (size_t i = 0; i < n; i++)
			l->row(&t, ctx, &st, items + i * l->size);
		err = cli_table_print(&t, stdout);
	}
	state_close(&st);
	return err;
}
