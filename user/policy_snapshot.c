/*
 * The accepted file rules in <state>/policy.json, one object per row. Written by hand rather
 * than through json-c objects: building and printing ten objects per rule was a fifth of a
 * reload. policy_parse reads it back like any policy file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "policy_rules.h"

int policy_snapshot_path(const char *state_dir, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/policy.json", state_dir);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static const char *proto_name(uint8_t proto)
{
	return proto == 6 ? "tcp" : proto == 17 ? "udp" : proto == 1 ? "icmp" : "any";
}

/* A JSON string: quotes, backslashes and control characters escaped, other bytes as they are. */
static void put_string(FILE *f, const char *s)
{
	fputc_unlocked('"', f);
	while (*s) {
		size_t n = 0;

		while ((unsigned char)s[n] >= 0x20 && s[n] != '"' && s[n] != '\\')
			n++;
		fwrite_unlocked(s, 1, n, f);
		s += n;
		if (!*s)
			break;
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else
			fprintf(f, "\\u%04x", (unsigned char)*s);
		s++;
	}
	fputc_unlocked('"', f);
}

/* fprintf was most of the writing: plain pieces and numbers go out as they are. */
static void put_text(FILE *f, const char *text)
{
	fputs_unlocked(text, f);
}

static void put_uint(FILE *f, unsigned int v)
{
	char buf[12], *p = buf + sizeof(buf);

	do
		*--p = '0' + v % 10;
	while (v /= 10);
	fwrite_unlocked(p, 1, buf + sizeof(buf) - p, f);
}

static void put_rule(FILE *f, const struct pol_rule *r)
{
	char sel[96];

	put_text(f, "{");
	if (r->name[0]) {
		put_text(f, "\"id\":");
		put_string(f, r->name);
		put_text(f, ",");
	}
	policy_format_selector(&r->from, sel, sizeof(sel));
	put_text(f, "\"from\":");
	put_string(f, sel);
	policy_format_selector(&r->to, sel, sizeof(sel));
	put_text(f, ",\"to\":");
	put_string(f, sel);
	put_text(f, r->verdict == CBPF_VERDICT_ALLOW ? ",\"action\":\"allow\""
						     : ",\"action\":\"deny\"");
	put_text(f, r->two_way ? ",\"direction\":\"two-way\"" : ",\"direction\":\"one-way\"");
	put_text(f, ",\"protocol\":\"");
	put_text(f, proto_name(r->proto));
	if (r->proto == 6 || r->proto == 17) {
		put_text(f, "\",\"ports\":\"");
		put_uint(f, r->port_lo);
		put_text(f, "-");
		put_uint(f, r->port_hi);
	}
	put_text(f, "\",\"priority\":");
	put_uint(f, r->priority);
	put_text(f, ",\"origin\":");
	put_string(f, r->origin);
	put_text(f, "}");
}

/* Rows of one file rule keep their id through "origin" and order. */
int policy_snapshot_write(const char *state_dir, const struct pol_set *set, const char *source)
{
	char path[CBPF_PATH_MAX + 16], tmp[CBPF_PATH_MAX + 32];
	FILE *f;
	int err = 0;

	policy_snapshot_path(state_dir, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	put_text(f, "{\"source\":");
	put_string(f, source);
	put_text(f, ",\"rules\":[");
	for (size_t i = 0; i < set->n; i++) {
		if (i)
			put_text(f, ",");
		put_rule(f, &set->rules[i]);
	}
	put_text(f, "]}");
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
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
