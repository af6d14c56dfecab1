/*
 * The accepted file rules in <state>/policy.json: the policy files' own bytes as they were read,
 * each with its name, rather than the rows they gave. Formatting the rows was an eighth of a
 * reload, and the files say the same: reading them again as their names gives the same rows,
 * ids and "file:line" origins. The layout is JSON, with each file's text inside it as is:
 *
 *   {"snapshot":2,"source":"<path>","files":[
 *   {"file":"<name>","bytes":<length>,"policy":
 *   <the file's text>
 *   },
 *   {"file": ...
 *   }
 *   ]}
 *
 * The reader takes the layout exactly as written and finds each text by its length. A snapshot
 * written by a build before this one holds one object per row, with its origin, and is read as
 * a policy file.
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

static void put_uint(struct out *o, size_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do
		*--p = '0' + v % 10;
	while (v /= 10);
	put(o, p, buf + sizeof(buf) - p);
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
 * The text goes into policy.json.prev, over the policy before the previous one, and the two names
 * are exchanged: policy.json is whole at every moment and policy.json.prev is the previous
 * policy. Renaming over the old file instead freed it, and on a filesystem mounted with discard
 * that waits for the disk: 2-3 ms of every reload here. Where names cannot be exchanged, the text
 * is renamed over policy.json.
 */
int policy_snapshot_write(const char *state_dir, const struct pol_set *set, const char *source)
{
	char path[CBPF_PATH_MAX + 16], tmp[CBPF_PATH_MAX + 32];
	struct out o = {.cap = 4096};
	int err;

	policy_snapshot_path(state_dir, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.prev", path);
	for (size_t i = 0; i < set->n_sources; i++)
		o.cap += set->sources[i].len + 64;
	o.buf = malloc(o.cap);
	if (!o.buf)
		return -ENOMEM;
	put_lit(&o, "{\"snapshot\":2,\"source\":");
	put_string(&o, source);
	put_lit(&o, ",\"files\":[\n");
	for (size_t i = 0; i < set->n_sources; i++) {
		const struct pol_source *f = &set->sources[i];

		if (i)
			put_lit(&o, ",\n");
		put_lit(&o, "{\"file\":");
		put_string(&o, f->name);
		put_lit(&o, ",\"bytes\":");
		put_uint(&o, f->len);
		put_lit(&o, ",\"policy\":\n");
		put(&o, f->text, f->len);
		put_lit(&o, "\n}");
	}
	put_lit(&o, "\n]}\n");
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

/* What is left of the snapshot's text while reading it. */
struct cursor {
	const char *p, *end;
};

static bool take(struct cursor *c, const char *lit, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n))
		return false;
	c->p += n;
	return true;
}

#define take_lit(c, lit) take(c, lit, sizeof(lit) - 1)

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* What put_string wrote, as a string of its own; NULL when it is not that or without memory. */
static char *take_string(struct cursor *c)
{
	const char *end = c->p + 1;
	char *out, *o;

	if (!take_lit(c, "\""))
		return NULL;
	while (end < c->end && *end != '"')
		end += *end == '\\' ? 2 : 1;
	if (end >= c->end || !(out = o = malloc(end - c->p + 1)))
		return NULL;
	while (c->p < end) {
		if (*c->p != '\\') {
			*o++ = *c->p++;
		} else if (c->p[1] == '"' || c->p[1] == '\\') {
			*o++ = c->p[1];
			c->p += 2;
		} else if (end - c->p >= 6 && take_lit(c, "\\u00") && hex_digit(c->p[0]) >= 0 &&
			   hex_digit(c->p[0]) < 2 && hex_digit(c->p[1]) >= 0 &&
			   (hex_digit(c->p[0]) || hex_digit(c->p[1]))) {
			*o++ = hex_digit(c->p[0]) << 4 | hex_digit(c->p[1]);
			c->p += 2;
		} else {
			free(out);
			return NULL;
		}
	}
	*o = '\0';
	c->p++;
	return out;
}

static bool take_size(struct cursor *c, size_t *v)
{
	const char *start = c->p;

	*v = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && c->p - start < 16)
		*v = *v * 10 + (*c->p++ - '0');
	return c->p > start && (c->p == start + 1 || *start != '0');
}

/* One file of the snapshot, parsed as the file it was read from; -EPROTO: not the layout. */
static int take_file(struct cursor *c, struct pol_set *set, char *err, size_t err_size)
{
	char *name = NULL, *text;
	size_t len;
	int e;

	if (!take_lit(c, "{\"file\":") || !(name = take_string(c)) || !take_lit(c, ",\"bytes\":") ||
	    !take_size(c, &len) || !take_lit(c, ",\"policy\":\n") ||
	    len > (size_t)(c->end - c->p)) {
		free(name);
		return -EPROTO;
	}
	text = malloc(len + 1);
	if (!text) {
		free(name);
		return -ENOMEM;
	}
	memcpy(text, c->p, len);
	text[len] = '\0';
	c->p += len;
	e = policy_parse_source(name, text, len, set, err, err_size);
	free(name);
	return e ?: take_lit(c, "\n}") ? 0 : -EPROTO;
}

static int read_files(const char *path, const char *text, size_t len, struct pol_set *set,
		      char *err, size_t err_size)
{
	struct cursor c = {text, text + len};
	char *source;
	int e = 0;

	if (!take_lit(&c, "{\"snapshot\":2,\"source\":") || !(source = take_string(&c)))
		e = -EPROTO;
	else
		free(source);
	if (!e && !take_lit(&c, ",\"files\":[\n"))
		e = -EPROTO;
	for (bool first = true; !e && !take_lit(&c, "\n]}\n"); first = false)
		e = !first && !take_lit(&c, ",\n") ? -EPROTO : take_file(&c, set, err, err_size);
	if (!e && c.p != c.end)
		e = -EPROTO;
	if (e == -EINVAL) {
		/* A file in the snapshot that no longer parses: the snapshot is what is wrong. */
		char why[POL_ERR_MAX];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, err_size, "%s: %s", path, why);
	}
	if (e != -EPROTO)
		return e;
	snprintf(err, err_size, "%s: not a policy snapshot this build wrote (at byte %zu)", path,
		 (size_t)(c.p - text));
	return -EINVAL;
}

/* A snapshot of rows, one object each with its origin, as builds before wrote it. */
static int read_rows(const char *path, const char *text, struct pol_set *set, char *err,
		     size_t err_size)
{
	size_t first = set->n;
	uint32_t n_ids = set->n_ids;
	int e = policy_parse_text(path, text, set, err, err_size);

	if (e)
		return e;
	set->n_files++;
	/* Rows that came from one rule share its origin: give them back one id. */
	for (size_t i = first; i < set->n; i++) {
		if (i == first || strcmp(set->rules[i].origin, set->rules[i - 1].origin))
			n_ids++;
		set->rules[i].id = n_ids;
	}
	set->n_ids = n_ids;
	return 0;
}

int policy_snapshot_read(const char *state_dir, struct pol_set *set, char *err, size_t err_size)
{
	char path[CBPF_PATH_MAX + 16];
	size_t len;
	char *text;
	int e;

	policy_snapshot_path(state_dir, path, sizeof(path));
	if (access(path, F_OK))
		return 0;
	text = policy_read_text(path, &len, err, err_size);
	if (!text)
		return -EINVAL;
	e = strncmp(text, "{\"snapshot\":", 12) ? read_rows(path, text, set, err, err_size)
						: read_files(path, text, len, set, err, err_size);
	free(text);
	return e;
}
