/* Conntrack entries of an address, removed when the address moves (ct_forget.h). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/addr.h"
#include "conntrack.h"
#include "reconcile/ct_forget.h"
#include "reconcile/loader.h"

int ct_forget_addr(const struct cbpf_ctx *ctx, uint32_t ip, size_t *n)
{
	struct cbpf_ct_key *doomed = calloc(CBPF_MAX_CT, sizeof(*doomed)), key, next;
	char path[256], text[CBPF_IP_STRLEN];
	size_t count = 0;
	void *prev = NULL;
	int fd, err = 0;

	if (!doomed)
		return -ENOMEM;
	cbpf_pin_path(ctx, "cbpf_ct", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		cbpf_err("conntrack map %s: %s", path, strerror(-err));
		free(doomed);
		return err;
	}
	/* Deleting while walking can send the walk back to the start: collect, then delete. */
	while (count < CBPF_MAX_CT && !bpf_map_get_next_key(fd, prev, &next)) {
		if (next.addr_a == ip || next.addr_b == ip)
			doomed[count++] = next;
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < count; i++) {
		if (bpf_map_delete_elem(fd, &doomed[i]) && errno != ENOENT && !err) {
			err = -errno;
			cbpf_format_ip(ip, text);
			cbpf_err("conntrack map %s: removing a flow of %s: %s", path, text,
				 strerror(-err));
		}
	}
	close(fd);
	free(doomed);
	if (n)
		*n = count;
	return err;
}
