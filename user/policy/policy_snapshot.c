/*
 * The accepted file rules in <state>/policy.json, one object per row. Written by hand rather
 * than through json-c objects: building and printing ten objects per rule was a fifth of a
 * reload. policy_parse reads it back like any policy file.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "policy/policy_rules.h"

int policy_snapshot_path(const char *state_dir, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/policy.json", state_dir);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static const char *proto_name(uint8_t proto)
{
	return proto == 6 ? "tcp" : proto == 17 ? "udp" : proto == 1 ? "icmp" : "any";
}

/* The file's text, built in memory and written with one call. */
struct out {
	char *buf;
	size_t len, cap;
	int err;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *grown;

		while (cap < o->len + n)
			cap *= 2;
		grown = realloc(o->buf, cap);
		if (!grown) {
			o->err = -ENOMEM;
			return;
		}
		o->buf = grown;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_text(struct out *o, const char *text)
{
	put(o, text, strlen(text));
}

/* A string literal: its length is known when compiling. */
#define put_lit(o, lit) put(o, lit, sizeof(lit) - 1)

/* A JSON string: quotes, backslashes and control characters escaped, other bytes as they are. */
static void put_string(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put(o, "\"", 1);
	while (*s) {
		size_t n = 0;

		while ((unsigned char)s[n] >= 0x20 && s[n] != '"' && s[n] != '\\')
			n++;
		put(o, s, n);
		s += n;
		if (!*s)
			break;
		if (*s == '"' || *s == '\\') {
			char esc[2] = {'\\', *s};

			put(o, esc, 2);
		} else {
			char esc[6] = {'\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15]};

			put(o, esc, 6);
		}
		s++;
	}
	put(o, "\"", 1);
}

static void put_uint(struct out *o, unsigned int v)
{
	char buf[12], *p = buf + sizeof(buf);

	do
		*--p = '0' + v % 10;
	while (v /= 10);
	put(o, p, buf + sizeof(buf) - p);
}

static void put_rule(struct out *o, const struct pol_rule *r)
{
	char sel[96];

	put_lit(o, "{");
	if (r->name[0]) {
		put_lit(o, "\"id\":");
		put_string(o, r->name);
		put_lit(o, ",");
	}
	policy_format_selector(&r->from, sel, sizeof(sel));
	put_lit(o, "\"from\":");
	put_string(o, sel);
	policy_format_selector(&r->to, sel, sizeof(sel));
	put_lit(o, ",\"to\":");
	put_string(o, sel);
	if (r->verdict == CBPF_VERDICT_ALLOW)
		put_lit(o, ",\"action\":\"allow\"");
	else
		put_lit(o, ",\"action\":\"deny\"");
	if (r->two_way)
		put_lit(o, ",\"direction\":\"two-way\"");
	else
		put_lit(o, ",\"direction\":\"one-way\"");
	put_lit(o, ",\"protocol\":\"");
	put_text(o, proto_name(r->proto));
	if (r->proto == 6 || r->proto == 17) {
		put_lit(o, "\",\"ports\":\"");
		put_uint(o, r->port_lo);
		put_lit(o, "-");
		put_uint(o, r->port_hi);
	}
	put_lit(o, "\",\"priority\":");
	put_uint(o, r->priority);
	put_lit(o, ",\"origin\":");
	put_string(o, r->origin);
	put_lit(o, "}");
}

/* Written over what the file held, then cut to length: blocks are kept, not freed and taken. */
static int write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), err = 0;
	size_t size = len;

	if (fd < 0)
		return -errno;
	/* The accepted policy is the host's: 0600 whatever the umask, or the file's older mode. */
	if (fchmod(fd, 0600))
		err = -errno;
	while (len && !err) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno != EINTR)
			err = -errno;
		if (n > 0) {
			buf += n;
			len -= n;
		}
	}
	if (!err && ftruncate(fd, size))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/*
 * Rows of one file rule keep their id through "origin" and order. The text goes into
 * policy.json.prev, over the policy before the previous one, and the two names are exchanged:
 * policy.json is whole at every moment and policy.json.prev is the previous policy. Renaming
 * over the old file instead freed it, and on a filesystem mounted with discard that waits for
 * the disk: 2-3 ms of every reload here. Where names cannot be exchanged, the text is renamed
 * over policy.json.
 */
int policy_snapshot_write(const char *state_dir, const struct pol_set *set, const char *source)
{
	char path[CBPF_PATH_MAX + 16], tmp[CBPF_PATH_MAX + 32];
	struct out o = {0};
	int err;

	policy_snapshot_path(state_dir, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.prev", path);
	/* About what a row takes, so the buffer grows once or not at all. */
	o.cap = 256 * set->n + 4096;
	o.buf = malloc(o.cap);
	if (!o.buf)
		return -ENOMEM;
	put_text(&o, "{\"source\":");
	put_string(&o, source);
	put_text(&o, ",\"rules\":[");
	for (size_t i = 0; i < set->n; i++) {
		if (i)
			put_lit(&o, ",");
		put_rule(&o, &set->rules[i]);
	}
	put_text(&o, "]}");
	err = o.err ?: write_file(tmp, o.buf, o.len);
	free(o.buf);
	if (!err && renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE)) {
		/* No policy.json yet, or a filesystem that cannot exchange names. */
		if (errno != ENOENT && errno != EINVAL)
			err = -errno;
		else if (rename(tmp, path))
			err = -errno;
	}
	if (err)
		unlink(tmp);
	return err;
}

int policy_snapshot_read(const char *state_dir, struct pol_set *set, char *err, size_t err_size)
{
	char path[CBPF_PATH_MAX + 16];
	size_t first = set->n;
	uint32_t n_ids = set->n_ids;
	int e;

	policy_snapshot_path(state_dir, path, sizeof(path));
	if (access(path, F_OK))
		return 0;
	e = policy_parse_path(path, set, err, err_size);
	if (e)
		return e;
	/* Rows that came from one rule share its origin: give them back one id. */
	for (size_t i = first; i < set->n; i++) {
		if (i == first || strcmp(set->rules[i].origin, set->rules[i - 1].origin))
			n_ids++;
		set->rules[i].id = n_ids;
	}
	set->n_ids = n_ids;
	return 0;
}
