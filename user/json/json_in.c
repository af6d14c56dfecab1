/* Strict JSON for outside input: json-c's strict tokener plus the checks it does not make. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_in.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

static int refuse(struct json_in_error *e, size_t offset, const char *what)
{
	e->offset = offset;
	snprintf(e->what, sizeof(e->what), "%s", what);
	return -EINVAL;
}

int json_in_line(const char *text, size_t offset)
{
	int line = 1;

	for (size_t i = 0; i < offset; i++)
		line += text[i] == '\n';
	return line;
}

/* Objects in document order: where each starts and how many keys its text holds. */
struct objects {
	size_t *start, *keys;
	size_t n, cap;
};

static int objects_push(struct objects *o, size_t start)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		size_t *s = realloc(o->start, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		o->start = s;
		s = realloc(o->keys, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		o->keys = s;
		o->cap = cap;
	}
	o->start[o->n] = start;
	o->keys[o->n++] = 0;
	return 0;
}

/*
 * The end of the string token starting at text[i] (its closing quote, or len); *nul is where it
 * holds the escape "\u0000", or SIZE_MAX.
 */
static size_t string_end(const char *text, size_t len, size_t i, size_t *nul)
{
	*nul = SIZE_MAX;
	for (i++; i < len && text[i] != '"'; i++) {
		if (text[i] != '\\' || i + 1 >= len)
			continue;
		if (i + 5 < len && text[i + 1] == 'u' && !memcmp(text + i + 2, "0000", 4) &&
		    *nul == SIZE_MAX)
			*nul = i;
		i++;
	}
	return i;
}

/*
 * A pass over text json-c accepted: "\u0000" anywhere is refused (json-c would cut the string
 * there), and every object's keys are counted as written, for comparison with what json-c kept.
 */
static int scan(const char *text, size_t len, struct objects *o, struct json_in_error *e)
{
	/* json-c refuses deeper nesting than its default depth. */
	struct {
		size_t object; /* index in o, or SIZE_MAX for an array */
		bool expect_key;
	} stack[JSON_TOKENER_DEFAULT_DEPTH + 1];
	int depth = 0, err;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '"') {
			size_t nul, end = string_end(text, len, i, &nul);

			if (nul != SIZE_MAX)
				return refuse(e, nul, "\\u0000 (a NUL character) in a string");
			if (depth && stack[depth - 1].expect_key) {
				o->keys[stack[depth - 1].object]++;
				stack[depth - 1].expect_key = false;
			}
			i = end;
		} else if (c == '\'') {
			/* json-c's strict mode still takes 'strings'; JSON has none. */
			return refuse(e, i, "JSON syntax: single-quoted string");
		} else if (c == '{' || c == '[') {
			if (depth > JSON_TOKENER_DEFAULT_DEPTH)
				return refuse(e, i, "JSON nested too deeply");
			stack[depth].object = c == '{' ? o->n : SIZE_MAX;
			stack[depth++].expect_key = c == '{';
			if (c == '{' && (err = objects_push(o, i)))
				return err;
		} else if ((c == '}' || c == ']') && depth) {
			depth--;
		} else if (c == ',' && depth && stack[depth - 1].object != SIZE_MAX) {
			stack[depth - 1].expect_key = true;
		}
	}
	return 0;
}

struct key {
	char *text; /* decoded */
	size_t offset;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int d = strcmp(x->text, y->text);

	return d ? d : (x->offset > y->offset) - (x->offset < y->offset);
}

/* A key as json-c reads it: "a" and "\u0061" are one key. */
static char *decode_key(struct json_tokener *tok, const char *token, size_t len)
{
	json_object *s;
	char *text;

	json_tokener_reset(tok);
	s = json_tokener_parse_ex(tok, token, len);
	text = strdup(s ? json_object_get_string(s) : "");
	json_object_put(s);
	return text;
}

/* The object at text[start] has a key twice: name the first repeat, where it is written. */
static int name_duplicate(const char *text, size_t len, size_t start, struct json_in_error *e)
{
	struct json_tokener *tok = json_tokener_new();
	struct key *keys = NULL;
	size_t n = 0, cap = 0, at = start;
	const char *name = "?";
	int depth = 0, err = -ENOMEM;
	bool expect_key = true;

	for (size_t i = start + 1; tok && depth >= 0 && i < len; i++) {
		char c = text[i];

		if (c == '"') {
			size_t nul, end = string_end(text, len, i, &nul);

			if (!depth && expect_key) {
				if (n == cap) {
					struct key *grown;

					cap = 2 * cap + 16;
					grown = realloc(keys, cap * sizeof(*keys));
					if (!grown)
						goto out;
					keys = grown;
				}
				keys[n].offset = i;
				keys[n].text = decode_key(tok, text + i, MIN(end + 1, len) - i);
				if (!keys[n++].text)
					goto out;
				expect_key = false;
			}
			i = end;
			continue;
		}
		depth += (c == '{' || c == '[') - (c == '}' || c == ']');
		if (!depth && c == ',')
			expect_key = true;
	}
	if (!tok)
		goto out;
	qsort(keys, n, sizeof(*keys), key_cmp);
	at = SIZE_MAX;
	for (size_t i = 1; i < n; i++)
		if (!strcmp(keys[i].text, keys[i - 1].text) && keys[i].offset < at) {
			at = keys[i].offset;
			name = keys[i].text;
		}
	snprintf(e->what, sizeof(e->what), "duplicate key \"%.64s\"", name);
	e->offset = at == SIZE_MAX ? start : at;
	err = -EINVAL;
out:
	for (size_t i = 0; i < n; i++)
		free(keys[i].text);
	free(keys);
	if (tok)
		json_tokener_free(tok);
	return err;
}

/* Compares the objects of the tree, in document order, with the key counts of their text. */
static int check_keys(json_object *v, const struct objects *o, size_t *k, size_t *bad)
{
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (check_keys(json_object_array_get_idx(v, i), o, k, bad))
				return -EINVAL;
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return 0;
	if (*k >= o->n || (size_t)json_object_object_length(v) != o->keys[*k]) {
		*bad = *k < o->n ? o->start[*k] : 0;
		return -EINVAL;
	}
	(*k)++;
	json_object_object_foreach(v, key, val)
	{
		(void)key;
		if (check_keys(val, o, k, bad))
			return -EINVAL;
	}
	return 0;
}

/* text[from..len) is JSON whitespace; text need not end with a NUL byte. */
static bool only_space(const char *text, size_t from, size_t len)
{
	for (; from < len; from++)
		if (text[from] != ' ' && text[from] != '\t' && text[from] != '\r' &&
		    text[from] != '\n')
			return false;
	return true;
}

int json_in_parse(const char *text, size_t len, bool trailing, json_object **out, size_t *used,
		  struct json_in_error *e)
{
	struct json_tokener *tok;
	const char *nul;
	struct objects o = {0};
	enum json_tokener_error je;
	json_object *root;
	size_t end, k = 0, bad = 0;
	int err;

	*out = NULL;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	/* What follows the value is judged below, with a message of its own. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 |
					JSON_TOKENER_ALLOW_TRAILING_CHARS);
	root = json_tokener_parse_ex(tok, text, len);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/*
	 * json-c fails at a NUL byte inside a value, or ends a value before one: a NUL up to where
	 * it stopped (or anywhere in a single document's text) is the reason to give.
	 */
	nul = memchr(text, '\0',
		     !trailing			  ? len
		     : je == json_tokener_success ? end
						  : MIN(end + 1, len));
	if (nul) {
		json_object_put(root);
		return refuse(e, nul - text, "NUL byte in the input");
	}
	if (je == json_tokener_continue)
		return refuse(e, len, "JSON syntax: unexpected end of input");
	if (je == json_tokener_error_parse_utf8_string)
		return refuse(e, end, "invalid UTF-8");
	if (je != json_tokener_success) {
		snprintf(e->what, sizeof(e->what), "JSON syntax: %s", json_tokener_error_desc(je));
		e->offset = end;
		return -EINVAL;
	}
	if (!trailing && !only_space(text, end, len)) {
		json_object_put(root);
		return refuse(e, end, "JSON syntax: text after the document");
	}
	err = scan(text, end, &o, e);
	if (!err && check_keys(root, &o, &k, &bad))
		err = name_duplicate(text, end, bad, e);
	free(o.start);
	free(o.keys);
	if (err) {
		json_object_put(root);
		return err;
	}
	*out = root;
	if (used)
		*used = end;
	return 0;
}

char *json_in_read(FILE *in, size_t *len)
{
	size_t cap = 0;
	char *text = NULL;

	*len = 0;
	for (;;) {
		if (*len + 4096 + 1 > cap) {
			char *grown = realloc(text, cap = 2 * cap + 4096 + 1);

			if (!grown) {
				free(text);
				return NULL;
			}
			text = grown;
		}
		size_t n = fread(text + *len, 1, cap - *len - 1, in);

		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(in)) {
		free(text);
		return NULL;
	}
	text[*len] = '\0';
	return text;
}
