/* JSON policy files to rules, with "file:line" on every error. */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drop.h"
#include "json/json_in.h"
#include "policy.h"
#include "policy/policy_fields.h"
#include "policy/policy_rules.h"

static int fail(char *err, size_t size, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, size, "%s:%d: ", file, line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < size)
		vsnprintf(err + n, size - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * json-c keeps no positions, so the offsets of the elements of the top-level "rules" array are
 * found with a small scanner over the same text; offsets[i] is where rules[i] starts.
 */
static size_t locate_rules(const char *text, size_t *offsets, size_t max)
{
	int depth = 0, in_rules = 0;
	size_t n = 0, key_start = 0, key_len = 0;
	int expect_value = 0, last_key_rules = 0;

	for (size_t i = 0; text[i]; i++) {
		char c = text[i];

		if (c == '"') {
			size_t start = ++i;

			while (text[i] && text[i] != '"')
				i += text[i] == '\\' && text[i + 1] ? 2 : 1;
			if (!text[i])
				break;
			if (in_rules && depth == 2 && expect_value && n < max)
				offsets[n++] = start - 1;
			expect_value = 0;
			key_start = start;
			key_len = i - start;
			continue;
		}
		if (c == ':' && depth == 1)
			last_key_rules = key_len == 5 && !strncmp(text + key_start, "rules", 5);
		if (c == '[' || c == '{') {
			if (in_rules && depth == 2 && expect_value && n < max)
				offsets[n++] = i;
			expect_value = 0;
			depth++;
			if (c == '[' && depth == 2 && last_key_rules) {
				in_rules = 1;
				expect_value = 1;
			}
		} else if (c == ']' || c == '}') {
			depth--;
			if (depth == 1)
				in_rules = 0;
		} else if (c == ',' && in_rules && depth == 2) {
			expect_value = 1;
		} else if (in_rules && depth == 2 && expect_value && c > ' ') {
			if (n < max)
				offsets[n++] = i;
			expect_value = 0;
		}
	}
	return n;
}

/* Digits of v ending at end; returns where they start. */
static char *format_uint(unsigned int v, char *end)
{
	*end = '\0';
	do
		*--end = '0' + v % 10;
	while (v /= 10);
	return end;
}

/* What snprintf(dst, size, "%s%s", a, b) writes, without its formatting: a few per rule. */
static void join_text(char *dst, size_t size, const char *a, const char *b)
{
	size_t n = strnlen(a, size - 1), m = strnlen(b, size - 1 - n);

	memcpy(dst, a, n);
	memcpy(dst + n, b, m);
	dst[n + m] = '\0';
}

int policy_parse_selector(const char *text, struct pol_selector *sel)
{
	static const struct {
		const char *prefix;
		uint8_t kind;
	} kinds[] = {
	    {"ep:", POL_SEL_EP},     {"net:", POL_SEL_NET},   {"vlan:", POL_SEL_VLAN},
	    {"node:", POL_SEL_NODE}, {"host:", POL_SEL_HOST}, {"cidr:", POL_SEL_CIDR},
	};

	memset(sel, 0, sizeof(*sel));
	if (!strcmp(text, "world")) {
		sel->kind = POL_SEL_WORLD;
		return 0;
	}
	if (!strcmp(text, "host")) {
		sel->kind = POL_SEL_HOST;
		strcpy(sel->name, "local");
		return 0;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t len = strlen(kinds[i].prefix);
		const char *arg = text + len;
		char *end;

		if (strncmp(text, kinds[i].prefix, len))
			continue;
		sel->kind = kinds[i].kind;
		if (sel->kind == POL_SEL_CIDR)
			return cbpf_parse_cidr(arg, &sel->cidr) ? -EDOM : 0;
		if (sel->kind == POL_SEL_VLAN) {
			unsigned long v = strtoul(arg, &end, 10);

			if (!*arg || *end || v < 1 || v > 4094)
				return -EDOM;
			sel->vlan = v;
			return 0;
		}
		if (!state_valid_name(arg))
			return -EDOM;
		join_text(sel->name, sizeof(sel->name), arg, "");
		return 0;
	}
	return -ENOENT;
}

/* Without snprintf: a snapshot formats two selectors per rule. */
void policy_format_selector(const struct pol_selector *sel, char *buf, size_t size)
{
	static const char *const prefixes[] = {
	    [POL_SEL_EP] = "ep:",     [POL_SEL_NET] = "net:",	[POL_SEL_VLAN] = "vlan:",
	    [POL_SEL_NODE] = "node:", [POL_SEL_HOST] = "host:", [POL_SEL_CIDR] = "cidr:",
	};
	char num[12], cidr[CBPF_IP_STRLEN + sizeof(num)];
	const char *prefix = sel->kind < POL_SEL_WORLD ? prefixes[sel->kind] : "world", *arg;
	size_t n = strlen(prefix), m;

	switch (sel->kind) {
	case POL_SEL_VLAN:
		arg = format_uint(sel->vlan, num + sizeof(num) - 1);
		break;
	case POL_SEL_CIDR:
		cbpf_format_ip(sel->cidr.addr, cidr);
		strcat(strcat(cidr, "/"), format_uint(sel->cidr.prefix_len, num + sizeof(num) - 1));
		arg = cidr;
		break;
	case POL_SEL_EP:
	case POL_SEL_NET:
	case POL_SEL_NODE:
	case POL_SEL_HOST:
		arg = sel->name;
		break;
	default:
		arg = "";
	}
	if (!size)
		return;
	n = n < size - 1 ? n : size - 1;
	memcpy(buf, prefix, n);
	m = strlen(arg);
	m = m < size - 1 - n ? m : size - 1 - n;
	memcpy(buf + n, arg, m);
	buf[n + m] = '\0';
}

static int parse_port_range(const char *text, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a = strtoul(text, &end, 10), b = a;

	if (end == text)
		return -EINVAL;
	if (*end == '-') {
		const char *second = end + 1;

		b = strtoul(second, &end, 10);
		if (end == second)
			return -EINVAL;
	}
	if (*end || a > 65535 || b > 65535 || a > b)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

int policy_set_reserve(struct pol_set *set, size_t n)
{
	size_t cap = set->cap ? set->cap * 2 : 64;
	struct pol_rule *grown;

	if (set->n + n <= set->cap)
		return 0;
	if (cap < set->n + n)
		cap = set->n + n;
	grown = realloc(set->rules, cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	set->rules = grown;
	set->cap = cap;
	return 0;
}

struct pol_rule *policy_set_append(struct pol_set *set)
{
	if (policy_set_reserve(set, 1))
		return NULL;
	return memset(&set->rules[set->n++], 0, sizeof(struct pol_rule));
}

/* With their lengths, so that a key is compared with the one name its length allows. */
#define FIELD(name)                                                                                \
	{                                                                                          \
		name, sizeof(name) - 1                                                             \
	}
static const struct {
	const char *name;
	size_t len;
} fields[POL_F_COUNT] = {
    FIELD("id"),       FIELD("from"),  FIELD("to"),	  FIELD("action"), FIELD("direction"),
    FIELD("protocol"), FIELD("ports"), FIELD("priority"), FIELD("origin"),
};

enum pol_field policy_field_index(const char *name, size_t len)
{
	int k = 0;

	while (k < POL_F_COUNT && (fields[k].len != len || memcmp(fields[k].name, name, len)))
		k++;
	return k;
}

/* A string field's text; NULL when it is missing or not a string. */
static const char *string_field(const struct pol_fields *f, enum pol_field k)
{
	return f->has[k] && f->v[k].type == json_type_string ? f->v[k].text : NULL;
}

/* Fills everything but the ports; the caller adds one row per port range. */
static int check_rule(const struct pol_fields *f, struct pol_rule *r, const char *file, int line,
		      char *err, size_t size)
{
	static const enum pol_field sel_fields[] = {POL_F_FROM, POL_F_TO};
	struct pol_selector *sels[] = {&r->from, &r->to};
	const struct pol_value *v;
	const char *text;
	char num[13], *digits;

	memset(r, 0, sizeof(*r));
	if (f->has[POL_F_ID]) {
		v = &f->v[POL_F_ID];
		if (v->type != json_type_string || !state_valid_name(v->text))
			return fail(err, size, file, line,
				    "id must be a name (" CBPF_NAME_RULE ")");
		join_text(r->name, sizeof(r->name), v->text, "");
	}
	for (int i = 0; i < 2; i++) {
		const char *key = fields[sel_fields[i]].name;
		int e;

		text = string_field(f, sel_fields[i]);
		if (!text)
			return fail(err, size, file, line, "'%s' is missing or not a string", key);
		e = policy_parse_selector(text, sels[i]);
		if (e == -ENOENT)
			return fail(err, size, file, line,
				    "unknown selector '%s' (ep:, net:, vlan:, node:, host, host:, "
				    "cidr:, world)",
				    text);
		if (e)
			return fail(err, size, file, line, "bad %s selector '%s'", key, text);
	}
	text = string_field(f, POL_F_ACTION);
	if (!text || (strcmp(text, "allow") && strcmp(text, "deny")))
		return fail(err, size, file, line, "action must be \"allow\" or \"deny\"");
	r->verdict = strcmp(text, "allow") ? CBPF_VERDICT_DENY : CBPF_VERDICT_ALLOW;
	r->drop_reason = r->verdict == CBPF_VERDICT_DENY ? CBPF_DROP_POLICY : 0;
	if (f->has[POL_F_DIRECTION]) {
		text = string_field(f, POL_F_DIRECTION);
		if (!text || (strcmp(text, "one-way") && strcmp(text, "two-way")))
			return fail(err, size, file, line,
				    "direction must be \"one-way\" or \"two-way\"");
		r->two_way = !strcmp(text, "two-way");
	}
	if (f->has[POL_F_PROTOCOL]) {
		/* Only a string can name one; the message quotes whatever else was there. */
		text = f->v[POL_F_PROTOCOL].text;
		if (!strcmp(text, "tcp"))
			r->proto = 6;
		else if (!strcmp(text, "udp"))
			r->proto = 17;
		else if (!strcmp(text, "icmp"))
			r->proto = 1;
		else if (strcmp(text, "any"))
			return fail(err, size, file, line,
				    "protocol must be tcp, udp, icmp or any, not '%s'", text);
	}
	r->priority = POL_DEFAULT_PRIORITY;
	if (f->has[POL_F_PRIORITY]) {
		v = &f->v[POL_F_PRIORITY];
		if (v->type != json_type_int || v->num < 0 || v->num > POL_MAX_PRIORITY)
			return fail(err, size, file, line, "priority must be an integer 0..%d",
				    POL_MAX_PRIORITY);
		r->priority = v->num;
	}
	text = string_field(f, POL_F_ORIGIN);
	if (text)
		join_text(r->origin, sizeof(r->origin), text, "");
	else {
		digits = format_uint(line, num + sizeof(num) - 1);
		*--digits = ':';
		join_text(r->origin, sizeof(r->origin), file, digits);
	}
	r->port_lo = 0;
	r->port_hi = 65535;
	return 0;
}

int policy_add_fields(struct pol_set *set, const struct pol_fields *f, const char *file, int line,
		      char *err, size_t size)
{
	struct pol_rule *rule;
	int e;

	/* Checked in the row it will take rather than in a copy: rows are large. */
	if (policy_set_reserve(set, 1))
		return -ENOMEM;
	e = check_rule(f, &set->rules[set->n], file, line, err, size);
	if (e)
		return e;
	set->rules[set->n].id = ++set->n_ids;
	if (!f->has[POL_F_PORTS]) {
		set->n++;
		return 0;
	}
	if (set->rules[set->n].proto != 6 && set->rules[set->n].proto != 17)
		return fail(err, size, file, line, "ports need protocol tcp or udp");
	if (!f->n_ports)
		return fail(err, size, file, line, "ports is an empty list");
	if (f->n_ports > POL_MAX_PORT_ENTRIES - set->n_port_entries)
		return fail(err, size, file, line,
			    "more than %d port entries in the policy (the limit, counted over all "
			    "rules)",
			    POL_MAX_PORT_ENTRIES);
	set->n_port_entries += f->n_ports;
	if (policy_set_reserve(set, f->n_ports))
		return -ENOMEM;
	rule = &set->rules[set->n];
	for (size_t i = 0; i < f->n_ports; i++) {
		const struct pol_value *one = &f->ports[i];
		uint16_t lo, hi;

		if ((one->type != json_type_string && one->type != json_type_int) ||
		    parse_port_range(one->text, &lo, &hi))
			return fail(err, size, file, line,
				    "bad port range '%s' (PORT or LOW-HIGH, 0..65535)", one->text);
		if (i)
			rule[i] = rule[0];
		rule[i].port_lo = lo;
		rule[i].port_hi = hi;
	}
	set->n += f->n_ports;
	return 0;
}

/* json-c gives JSON null as a NULL object, and NULL for its text. */
static struct pol_value json_value(json_object *obj)
{
	return (struct pol_value){.type = json_object_get_type(obj),
				  .text = obj ? json_object_get_string(obj) : "null",
				  .num = json_object_get_int64(obj)};
}

static int add_json_rule(struct pol_set *set, json_object *obj, const char *file, int line,
			 char *err, size_t size)
{
	struct pol_fields f = {0};
	struct pol_value *items = NULL;
	json_object *ports = NULL;
	int e;

	if (set->n_ids >= POL_MAX_RULES)
		return fail(err, size, file, line, "more than %d rules in the policy (the limit)",
			    POL_MAX_RULES);
	if (!json_object_is_type(obj, json_type_object))
		return fail(err, size, file, line, "a rule must be an object");
	json_object_object_foreach(obj, key, val)
	{
		enum pol_field k = policy_field_index(key, strlen(key));

		if (k == POL_F_COUNT)
			return fail(err, size, file, line, "unknown field '%s'", key);
		f.has[k] = true;
		f.v[k] = json_value(val);
	}
	json_object_object_get_ex(obj, "ports", &ports);
	f.ports = &f.v[POL_F_PORTS];
	f.n_ports = 1;
	if (json_object_is_type(ports, json_type_array)) {
		f.n_ports = json_object_array_length(ports);
		items = calloc(f.n_ports + 1, sizeof(*items));
		if (!items)
			return -ENOMEM;
		for (size_t i = 0; i < f.n_ports; i++)
			items[i] = json_value(json_object_array_get_idx(ports, i));
		f.ports = items;
	}
	e = policy_add_fields(set, &f, file, line, err, size);
	free(items);
	return e;
}

int policy_parse_json(const char *file, const char *text, struct pol_set *set, char *err,
		      size_t err_size)
{
	json_object *root, *rules;
	size_t n, *offsets = NULL;
	struct json_in_error je;
	int e = json_in_parse(text, strlen(text), false, &root, NULL, &je);

	if (e == -EINVAL)
		return fail(err, err_size, file, json_in_line(text, je.offset), "%s", je.what);
	if (e)
		return e;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "rules", &rules) ||
	    !json_object_is_type(rules, json_type_array)) {
		json_object_put(root);
		return fail(err, err_size, file, 1,
			    "the document must be an object with a "
			    "\"rules\" array");
	}
	json_object_object_foreach(root, key, val)
	{
		(void)val;
		if (strcmp(key, "rules") && strcmp(key, "description") && strcmp(key, "source")) {
			e = fail(err, err_size, file, 1, "unknown top-level field '%s'", key);
			json_object_put(root);
			return e;
		}
	}
	n = json_object_array_length(rules);
	offsets = calloc(n + 1, sizeof(*offsets));
	if (!offsets) {
		json_object_put(root);
		return -ENOMEM;
	}
	/* Only to save moving rows as they come: without the memory, appending reports it. */
	policy_set_reserve(set, n < POL_MAX_RULES ? n : POL_MAX_RULES);
	if (locate_rules(text, offsets, n) != n)
		memset(offsets, 0, n * sizeof(*offsets));
	/* Offsets grow with i: count newlines once, not from the start for every rule. */
	for (size_t i = 0, pos = 0, line = 1; i < n && !e; i++) {
		for (; pos < offsets[i]; pos++)
			line += text[pos] == '\n';
		e = add_json_rule(set, json_object_array_get_idx(rules, i), file, line, err,
				  err_size);
	}
	free(offsets);
	json_object_put(root);
	return e;
}

int policy_parse_text(const char *file, const char *text, struct pol_set *set, char *err,
		      size_t err_size)
{
	int e = policy_parse_fast(file, text, set);

	return e == -EAGAIN ? policy_parse_json(file, text, set, err, err_size) : e;
}

static char *read_file(const char *path, char *err, size_t err_size)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long size;

	if (!f) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(size + 1)) || fread(buf, 1, size, f) != (size_t)size) {
		snprintf(err, err_size, "%s: cannot read: %s", path, strerror(errno ? errno : EIO));
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[size] = '\0';
	fclose(f);
	if (strlen(buf) != (size_t)size) {
		snprintf(err, err_size, "%s:%d: NUL byte in a text file", path,
			 json_in_line(buf, strlen(buf)));
		free(buf);
		return NULL;
	}
	return buf;
}

static int parse_file(const char *path, struct pol_set *set, char *err, size_t err_size)
{
	char *text = read_file(path, err, err_size);
	int e;

	if (!text)
		return -EINVAL;
	e = policy_parse_text(path, text, set, err, err_size);
	free(text);
	if (!e)
		set->n_files++;
	return e;
}

static int json_name(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && !strcmp(d->d_name + len - 5, ".json");
}

int policy_parse_path(const char *path, struct pol_set *set, char *err, size_t err_size)
{
	struct dirent **names;
	char file[CBPF_PATH_MAX * 2];
	int n, e = 0;
	DIR *d = opendir(path);

	if (!d)
		return errno == ENOTDIR
			   ? parse_file(path, set, err, err_size)
			   : (snprintf(err, err_size, "%s: %s", path, strerror(errno)), -EINVAL);
	closedir(d);
	n = scandir(path, &names, json_name, alphasort);
	if (n < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
		if (!e)
			e = parse_file(file, set, err, err_size);
		free(names[i]);
	}
	free(names);
	return e;
}

void policy_set_free(struct pol_set *set)
{
	free(set->rules);
	memset(set, 0, sizeof(*set));
}
