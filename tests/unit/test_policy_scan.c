/*
 * The policy scanner against json-c: every document the scanner reads gives byte-identical
 * rules (fields, rows, ids, file:line origins); everything else, including every bad document,
 * it leaves to json-c untouched.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fields.h"
#include "tap.h"

static char err[POL_ERR_MAX];

/* Both readers, each appending to a set that already holds one rule. */
static int compare(const char *text, int *scanned)
{
	static const char *seed = "{\"rules\": [{\"from\": \"world\", \"to\": \"net:a\", "
				  "\"action\": \"deny\"}]}";
	struct pol_set a = {0}, b = {0};
	int same, ea, eb;

	policy_parse_json("seed.json", seed, &a, err, sizeof(err));
	policy_parse_json("seed.json", seed, &b, err, sizeof(err));
	ea = policy_scan_text("t.json", text, &a);
	eb = policy_parse_json("t.json", text, &b, err, sizeof(err));
	*scanned = !ea;
	same = ea ? ea == -EAGAIN && a.n == 1 && a.n_ids == 1
		  : !eb && a.n == b.n && a.n_ids == b.n_ids &&
			!memcmp(a.rules, b.rules, a.n * sizeof(*a.rules));
	policy_set_free(&a);
	policy_set_free(&b);
	return same;
}

static void reads(const char *desc, const char *text)
{
	int scanned, same = compare(text, &scanned);

	CHECK(same && scanned, "scanner reads %s as json-c does", desc);
}

static void leaves(const char *desc, const char *text)
{
	int scanned, same = compare(text, &scanned);

	CHECK(same && !scanned, "scanner leaves %s to json-c, set untouched", desc);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);

	if (f && buf)
		buf[fread(buf, 1, (1 << 20) - 1, f)] = '\0';
	if (f)
		fclose(f);
	return buf;
}

int main(void)
{
	char *big = malloc(1 << 20), *p;
	glob_t g;

	reads("a rule with every field",
	      "{\"rules\": [\n\n  {\"id\": \"r.1\", \"from\": \"net:a\", \"to\": "
	      "\"cidr:10.0.0.0/8\",\n"
	      "   \"action\": \"allow\", \"direction\": \"two-way\", \"protocol\": \"udp\",\n"
	      "   \"ports\": [\"53\", 1000, \"2000-2999\"], \"priority\": 0, \"origin\": \"x:9\"}\n"
	      "]}\n");
	reads(
	    "one port, no ports, icmp, any",
	    "{\"rules\":[{\"from\":\"ep:a\",\"to\":\"host\",\"action\":\"deny\",\"protocol\":"
	    "\"tcp\",\"ports\":443},\n{\"from\":\"host:n1\",\"to\":\"world\",\"action\":\"deny\","
	    "\"protocol\":\"icmp\",\"priority\":65534},{\"from\":\"vlan:7\",\"to\":\"node:local\","
	    "\"action\":\"allow\",\"protocol\":\"any\",\"direction\":\"one-way\"}]}");
	reads(
	    "description and source of any shape",
	    "{\"description\": {\"a\": [1, -2.5e3, true, false, null, \"caf\xc3\xa9\"], \"b\": {}},"
	    " \"rules\": [], \"source\": \"/etc/p.json\"}");
	reads("empty rules", " {\"rules\" : [ ] } \n");
	p = big + sprintf(big, "{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": "
			       "\"allow\", \"direction\": \"two-way\", \"priority\": 10}\n");
	for (int i = 0; i < 2000; i++)
		p += sprintf(p,
			     ",{\"from\": \"net:a\", \"to\": \"cidr:172.16.%d.%d/32\", \"action\": "
			     "\"deny\", \"protocol\": \"tcp\", \"ports\": \"%d\"}\n",
			     i / 256, i % 256, 1000 + i);
	strcpy(p, "]}\n");
	reads("the benchmark's shape, 2001 rules", big);
	if (glob("policy/*.json", 0, NULL, &g) == 0 &&
	    glob("policy/*/*.json", GLOB_APPEND, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			char *text = slurp(g.gl_pathv[i]);
			int scanned, same = compare(text, &scanned);

			CHECK(same, "%s: the same rules (%s)", g.gl_pathv[i],
			      scanned ? "scanned" : "json-c");
			free(text);
		}
		globfree(&g);
	}

	leaves("an escape", "{\"rules\": [{\"from\": \"net:\\u0061\", \"to\": \"world\", "
			    "\"action\": \"deny\"}]}");
	leaves("a comment", "{\"rules\": [/* x */]}");
	leaves("a trailing comma", "{\"rules\": [{\"from\": \"world\", \"to\": \"net:a\", "
				   "\"action\": \"deny\"},]}");
	leaves("a repeated field",
	       "{\"rules\": [{\"from\": \"world\", \"from\": \"net:b\", \"to\": "
	       "\"net:a\", \"action\": \"deny\"}]}");
	leaves("a repeated rules array", "{\"rules\": [], \"rules\": []}");
	leaves("a negative priority", "{\"rules\": [{\"from\": \"world\", \"to\": \"net:a\", "
				      "\"action\": \"deny\", \"priority\": -1}]}");
	leaves("a priority of ten digits", "{\"rules\": [{\"from\": \"world\", \"to\": \"net:a\", "
					   "\"action\": \"deny\", \"priority\": 1000000000}]}");
	leaves("a fractional port",
	       "{\"rules\": [{\"from\": \"world\", \"to\": \"net:a\", "
	       "\"action\": \"deny\", \"protocol\": \"tcp\", \"ports\": 80.0}]}");
	leaves("a null protocol", "{\"rules\": [{\"from\": \"world\", \"to\": \"net:a\", "
				  "\"action\": \"deny\", \"protocol\": null}]}");
	leaves("an unknown selector", "{\"rules\": [{\"from\": \"pod:x\", \"to\": \"net:a\", "
				      "\"action\": \"deny\"}]}");
	leaves("an unknown field", "{\"rules\": [{\"from\": \"world\", \"to\": \"net:a\", "
				   "\"action\": \"deny\", \"colour\": 1}]}");
	leaves("an empty port list",
	       "{\"rules\": [{\"from\": \"world\", \"to\": \"net:a\", "
	       "\"action\": \"deny\", \"protocol\": \"tcp\", \"ports\": []}]}");
	leaves("a rule that is no object", "{\"rules\": [1]}");
	leaves("a document without rules", "{\"description\": \"x\"}");
	leaves("an unknown top-level field", "{\"rules\": [], \"extra\": 1}");
	leaves("text after the document", "{\"rules\": []} x");
	leaves("an unterminated document", "{\"rules\": [\n");
	leaves("a raw tab in a string", "{\"rules\": [], \"description\": \"a\tb\"}");
	leaves("deep nesting",
	       "{\"rules\": [], \"description\": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}");
	free(big);
	TAP_EXIT();
}
