/* Policy file parser: fields, defaults, port rows, selectors, and "file:line" errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "policy/policy_fields.h"
#include "policy/policy_rules.h"
#include "tap.h"

static char err[POL_ERR_MAX];

static int parse(const char *text, struct pol_set *set)
{
	memset(set, 0, sizeof(*set));
	err[0] = '\0';
	return policy_parse_text("t.json", text, set, err, sizeof(err));
}

/* The error of a one-document parse must start with want. */
static void rejects(const char *text, const char *want)
{
	struct pol_set set;
	int rc = parse(text, &set);

	CHECK(rc == -EINVAL && !strncmp(err, want, strlen(want)), "rejects: %s (got '%s')", want,
	      err);
	policy_set_free(&set);
}

/*
 * The one-pass reader takes text (want 0) or declines it (want -EAGAIN, the set untouched);
 * what it takes, json-c reads to the same rows.
 */
static void fast_reads(const char *text, int want, const char *what)
{
	struct pol_set fast = {0}, json = {0};
	int e = policy_parse_fast("t.json", text, &fast);
	int j = policy_parse_json("t.json", text, &json, err, sizeof(err));

	if (want)
		CHECK(e == want && fast.n == 0 && fast.n_ids == 0,
		      "one-pass reader declines %s (%d)", what, e);
	else
		CHECK(
		    e == 0 && j == 0 && fast.n == json.n && fast.n_ids == json.n_ids &&
			fast.n_port_entries == json.n_port_entries &&
			(!fast.n || !memcmp(fast.rules, json.rules, fast.n * sizeof(*fast.rules))),
		    "one-pass reader: %s, the rows json-c reads (%d, %zu rows)", what, e, fast.n);
	policy_set_free(&fast);
	policy_set_free(&json);
}

static void fast_reader(void)
{
	static const char rule[] =
	    "{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\"%s}";
	static const struct {
		const char *fields, *what;
	} declined[] = {
	    {", \"id\": \"r\\u0031\"", "an escape"},
	    {", \"id\": \"caf\xc3\xa9\"", "a byte outside ASCII"},
	    {", \"priority\": 10.0", "a fraction"},
	    {", \"priority\": 1e2", "an exponent"},
	    {", \"priority\": -0", "minus zero"},
	    {", \"priority\": 010", "a leading zero"},
	    {", \"priority\": 1234567890123456789", "19 digits"},
	    {", \"protocol\": null", "null"},
	    {", \"protocol\": true", "true"},
	    {", \"action\": \"allow\"", "a key twice"},
	    {", \"comment\": \"x\"", "an unknown key"},
	    {", \"protocol\": \"tcp\", \"ports\": []", "an empty port list"},
	    {", \"protocol\": \"tcp\", \"ports\": [\"80\",]", "a trailing comma"},
	    {", \"to\": \"net:c\"", "a repeated selector"},
	    {", \"protocol\": \"sctp\"", "a rule json-c refuses"},
	};
	char text[512], one[256];

	fast_reads(
	    "{\"description\": \"d [x] {y}\", \"rules\": [\n"
	    "  {\"id\": \"r1\", \"from\": \"net:a\", \"to\": \"cidr:10.1.0.0/16\",\n"
	    "   \"action\": \"deny\", \"protocol\": \"tcp\", \"ports\": [\"80\", 443, "
	    "\"8000-8099\"],\r\n\t\"priority\": 100, \"direction\": \"two-way\"},\n"
	    "  {\"from\": \"ep:x\", \"to\": \"world\", \"action\": \"allow\", \"ports\": "
	    "\"53\", \"protocol\": \"udp\", \"origin\": \"f.json:9\"}\n], \"source\": \"s\"}\n",
	    0, "every field, lines counted");
	fast_reads("  {\"rules\": []}  ", 0, "no rules");
	for (size_t i = 0; i < sizeof(declined) / sizeof(declined[0]); i++) {
		snprintf(one, sizeof(one), rule, declined[i].fields);
		snprintf(text, sizeof(text), "{\"rules\": [%s]}", one);
		fast_reads(text, -EAGAIN, declined[i].what);
	}
	snprintf(one, sizeof(one), rule, "");
	snprintf(text, sizeof(text), "{\"rules\": [%s]} x", one);
	fast_reads(text, -EAGAIN, "text after the document");
	snprintf(text, sizeof(text), "{\"rules\": [%s], \"rules\": []}", one);
	fast_reads(text, -EAGAIN, "a top-level key twice");
	snprintf(text, sizeof(text), "\xef\xbb\xbf{\"rules\": [%s]}", one);
	fast_reads(text, -EAGAIN, "a byte-order mark");
	snprintf(text, sizeof(text), "{\"rules\": [%s], \"description\": 5}", one);
	fast_reads(text, -EAGAIN, "a description that is no string");
	/* What it declines is still read, by json-c, with the same words as before. */
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\", "
		"\"action\": \"allow\"}]}",
		"t.json:1: duplicate key \"action\"");
}

/* path gets text: 0 or -errno. */
static int put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/*
 * The snapshot holds the files as read: reading it gives the rows, ids and origins of parsing
 * the files themselves, whatever bytes their names hold; a snapshot of rows from a build before
 * still reads; a damaged one is refused with its path.
 */
static void snapshot(void)
{
	static const char two_rules[] =
	    "{\"rules\": [\n"
	    "  {\"id\": \"r1\", \"from\": \"net:a\", \"to\": \"ep:b\", \"action\": \"deny\"},\n"
	    "  {\"from\": \"world\", \"to\": \"net:a\", \"action\": \"allow\",\n"
	    "   \"direction\": \"two-way\", \"protocol\": \"tcp\",\n"
	    "   \"ports\": [\"80\", \"8000-8080\", 443], \"priority\": 7}\n"
	    "]}\n";
	/* Read by json-c, not the one-pass reader: an escape. */
	static const char escaped[] =
	    "{\"rules\": [{\"from\": \"net:\\u0061\", \"to\": \"world\", \"action\": \"deny\"}]}";
	static const char rows[] =
	    "{\"source\":\"p\",\"rules\":[{\"from\":\"world\",\"to\":\"net:a\",\"action\":"
	    "\"allow\",\"direction\":\"two-way\",\"protocol\":\"tcp\",\"ports\":\"80-80\","
	    "\"priority\":7,\"origin\":\"t.json:3\"},{\"from\":\"world\",\"to\":\"net:a\","
	    "\"action\":\"allow\",\"direction\":\"two-way\",\"protocol\":\"tcp\",\"ports\":"
	    "\"443-443\",\"priority\":7,\"origin\":\"t.json:3\"}]}";
	char dir[] = "/tmp/cbpf-test-policy-XXXXXX", pol[64], odd[128], plain[128], snap[96];
	struct pol_set set = {0}, back = {0};
	FILE *f;

	CHECK(mkdtemp(dir) != NULL, "temporary state directory");
	snprintf(pol, sizeof(pol), "%s/pol", dir);
	/* File names reach the snapshot: any byte but NUL and '/'. */
	snprintf(odd, sizeof(odd), "%s/a \"b\"\\c\td\x01.json", pol);
	snprintf(plain, sizeof(plain), "%s/z.json", pol);
	policy_snapshot_path(dir, snap, sizeof(snap));
	CHECK(mkdir(pol, 0700) == 0 && put_file(odd, two_rules) == 0 &&
		  put_file(plain, escaped) == 0,
	      "two policy files");
	CHECK(policy_parse_path(pol, &set, err, sizeof(err)) == 0 && set.n == 5 && set.n_ids == 3,
	      "the directory parses: 5 rows, 3 rules (%s)", err);
	CHECK(policy_snapshot_write(dir, &set, "dir \"x\"") == 0, "snapshot written");
	CHECK(policy_snapshot_read(dir, &back, err, sizeof(err)) == 0 && back.n == set.n &&
		  back.n_ids == set.n_ids &&
		  !memcmp(back.rules, set.rules, set.n * sizeof(*set.rules)),
	      "snapshot reads back the same rows, ids and origins (%s)", err);
	CHECK(back.n == 5 && !strncmp(back.rules[1].origin, odd, strlen(odd)) &&
		  !strcmp(back.rules[1].origin + strlen(odd), ":3") &&
		  back.rules[4].from.kind == POL_SEL_NET && !strcmp(back.rules[4].from.name, "a"),
	      "origins keep quotes, backslashes and control characters of file names (%s)",
	      back.n > 1 ? back.rules[1].origin : "");
	policy_set_free(&back);

	CHECK(put_file(snap, rows) == 0 &&
		  policy_snapshot_read(dir, &back, err, sizeof(err)) == 0 && back.n == 2 &&
		  back.n_ids == 1 && back.rules[1].id == 1 && back.rules[1].port_lo == 443 &&
		  !strcmp(back.rules[1].origin, "t.json:3"),
	      "a snapshot of rows reads back, one id per origin (%s)", err);
	policy_set_free(&back);

	CHECK(policy_snapshot_write(dir, &set, "p") == 0 && (f = fopen(snap, "r+")) != NULL &&
		  fseek(f, -20, SEEK_END) == 0 && fputc('!', f) != EOF && fclose(f) == 0,
	      "a snapshot with one byte changed");
	CHECK(policy_snapshot_read(dir, &back, err, sizeof(err)) == -EINVAL &&
		  !strncmp(err, snap, strlen(snap)),
	      "a damaged snapshot is refused, with its path (%s)", err);
	policy_set_free(&back);
	CHECK(policy_snapshot_write(dir, &set, "p") == 0 && truncate(snap, 200) == 0 &&
		  policy_snapshot_read(dir, &back, err, sizeof(err)) == -EINVAL &&
		  strstr(err, "not a policy snapshot this build wrote (at byte"),
	      "a cut snapshot is refused (%s)", err);
	policy_set_free(&back);
	policy_set_free(&set);
	unlink(odd);
	unlink(plain);
	/* A directory without policy files: no rules, recorded and read back as such. */
	err[0] = '\0';
	CHECK(policy_parse_path(pol, &set, err, sizeof(err)) == 0 && set.n == 0 &&
		  policy_snapshot_write(dir, &set, pol) == 0 &&
		  policy_snapshot_read(dir, &back, err, sizeof(err)) == 0 && back.n == 0 &&
		  back.n_files == 0,
	      "an empty directory's snapshot reads back no rules (%s)", err);
	policy_set_free(&back);
	policy_set_free(&set);
	rmdir(pol);
	unlink(snap);
	strncat(snap, ".prev", sizeof(snap) - strlen(snap) - 1);
	unlink(snap);
	rmdir(dir);
}

/* Each field's name gives it, and nothing else gives a field. */
static void field_names(void)
{
	static const char *const names[POL_F_COUNT] = {[POL_F_ID] = "id",
						       [POL_F_FROM] = "from",
						       [POL_F_TO] = "to",
						       [POL_F_ACTION] = "action",
						       [POL_F_DIRECTION] = "direction",
						       [POL_F_PROTOCOL] = "protocol",
						       [POL_F_PORTS] = "ports",
						       [POL_F_PRIORITY] = "priority",
						       [POL_F_ORIGIN] = "origin"};
	static const char *const others[] = {
	    "",	      "i",	  "tx",	      "ix",	   "fram",	"portz",    "actiox",
	    "origim", "protocox", "priorita", "direktion", "priority1", "fromfrom", "idid"};
	int bad = 0;

	for (int k = 0; k < POL_F_COUNT; k++)
		bad += policy_field_index(names[k], strlen(names[k])) != (enum pol_field)k;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		bad += policy_field_index(others[i], strlen(others[i])) != POL_F_COUNT;
	CHECK(!bad, "field names: each names its field, %zu near misses name none (%d wrong)",
	      sizeof(others) / sizeof(others[0]), bad);
}

int main(void)
{
	struct pol_set set;
	struct pol_selector sel;
	static const char *const round_trip[] = {
	    "ep:a1",	  "net:neta",	    "vlan:4094",	"node:h-2",
	    "host:local", "cidr:0.0.0.0/0", "cidr:10.1.2.3/32", "world"};
	char buf[96];

	CHECK(
	    parse(
		"{\"rules\": [\n"
		"  {\"id\": \"r1\", \"from\": \"net:a\", \"to\": \"ep:b\", \"action\": \"deny\"},\n"
		"  {\"from\": \"world\", \"to\": \"net:a\", \"action\": \"allow\",\n"
		"   \"direction\": \"two-way\", \"protocol\": \"tcp\",\n"
		"   \"ports\": [\"80\", \"8000-8080\", 443], \"priority\": 7}\n"
		"]}\n",
		&set) == 0,
	    "parses a two-rule document (%s)", err);
	CHECK(set.n == 4 && set.n_ids == 2, "one row per port range: %zu rows, %u rules", set.n,
	      set.n_ids);
	CHECK(set.rules[0].id == 1 && !strcmp(set.rules[0].name, "r1") &&
		  set.rules[0].from.kind == POL_SEL_NET && set.rules[0].to.kind == POL_SEL_EP &&
		  set.rules[0].verdict == CBPF_VERDICT_DENY && !set.rules[0].two_way &&
		  set.rules[0].priority == POL_DEFAULT_PRIORITY && set.rules[0].proto == 0 &&
		  set.rules[0].port_lo == 0 && set.rules[0].port_hi == 65535,
	      "rule 1 fields and defaults (one-way, priority 1000, any protocol)");
	CHECK(!strcmp(set.rules[0].origin, "t.json:2") && !strcmp(set.rules[1].origin, "t.json:3"),
	      "origins are file:line of each rule (%s, %s)", set.rules[0].origin,
	      set.rules[1].origin);
	CHECK(set.rules[1].id == 2 && set.rules[3].id == 2 && set.rules[1].two_way &&
		  set.rules[1].proto == 6 && set.rules[1].priority == 7 &&
		  set.rules[1].port_lo == 80 && set.rules[1].port_hi == 80 &&
		  set.rules[2].port_lo == 8000 && set.rules[2].port_hi == 8080 &&
		  set.rules[3].port_lo == 443,
	      "rule 2: two-way tcp rows 80, 8000-8080, 443 at priority 7");

	snapshot();
	field_names();
	policy_set_free(&set);

	rejects("{\"rules\": [\n  {\"from\": \"net:a\"\n  \"to\": \"net:b\"}\n]}",
		"t.json:3: JSON syntax");
	rejects("{\"rules\": [\n", "t.json:2: JSON syntax: unexpected end of input");
	rejects("{\"rules\": []} x", "t.json:1: JSON syntax");
	rejects("{\"rules\": [\n {\"from\": \"net:neta\\u0000junk\", \"to\": \"net:b\", "
		"\"action\": \"deny\"}]}",
		"t.json:2: \\u0000 (a NUL character) in a string");
	rejects("{\"rules\": [\n {\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\",\n"
		"  \"action\": \"allow\"}]}",
		"t.json:3: duplicate key \"action\"");
	rejects("{\"rules\": [],\n \"description\": \"caf\xe9\"}", "t.json:2: invalid UTF-8");
	rejects("{\"rules\": [{\"from\": \"net:..\", \"to\": \"net:b\", \"action\": \"deny\"}]}",
		"t.json:1: bad from selector 'net:..'");
	rejects("{\"rules\": [{\"id\": \"-x\", \"from\": \"net:a\", \"to\": \"net:b\", "
		"\"action\": \"deny\"}]}",
		"t.json:1: id must be a name (use 1-63 of A-Z a-z 0-9 _ . -, not starting with -, "
		"not . or ..)");
	rejects("[1]", "t.json:1: the document must be an object with a \"rules\" array");
	rejects("{\"rules\": [], \"extra\": 1}", "t.json:1: unknown top-level field 'extra'");
	rejects(
	    "{\"rules\": [\n\n {\"from\": \"pod:x\", \"to\": \"net:b\", \"action\": \"deny\"}]}",
	    "t.json:3: unknown selector 'pod:x'");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"drop\"}]}",
		"t.json:1: action must be \"allow\" or \"deny\"");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"action\": \"deny\"}]}",
		"t.json:1: 'to' is missing or not a string");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\", "
		"\"colour\": 1}]}",
		"t.json:1: unknown field 'colour'");
	rejects("{\"rules\": [{\"from\": \"cidr:10.0.0.1/8\", \"to\": \"net:b\", \"action\": "
		"\"deny\"}]}",
		"t.json:1: bad from selector 'cidr:10.0.0.1/8'");
	rejects("{\"rules\": [{\"from\": \"vlan:4095\", \"to\": \"net:b\", \"action\": \"deny\"}]}",
		"t.json:1: bad from selector 'vlan:4095'");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\", "
		"\"ports\": \"80\"}]}",
		"t.json:1: ports need protocol tcp or udp");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\", "
		"\"protocol\": \"udp\", \"ports\": \"90-80\"}]}",
		"t.json:1: bad port range '90-80'");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\", "
		"\"protocol\": \"udp\", \"ports\": [\"1\", \"65536\"]}]}",
		"t.json:1: bad port range '65536'");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\", "
		"\"priority\": 65535}]}",
		"t.json:1: priority must be an integer 0..65534");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\", "
		"\"direction\": \"both\"}]}",
		"t.json:1: direction must be \"one-way\" or \"two-way\"");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\", "
		"\"protocol\": \"sctp\"}]}",
		"t.json:1: protocol must be tcp, udp, icmp or any, not 'sctp'");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\", "
		"\"protocol\": null}]}",
		"t.json:1: protocol must be tcp, udp, icmp or any, not 'null'");
	rejects("{\"rules\": [{\"from\": \"net:a\", \"to\": \"net:b\", \"action\": \"deny\", "
		"\"protocol\": \"tcp\", \"ports\": [\"80\", null]}]}",
		"t.json:1: bad port range 'null'");

	CHECK(policy_parse_selector("host", &sel) == 0 && sel.kind == POL_SEL_HOST &&
		  !strcmp(sel.name, "local"),
	      "'host' is this host");
	policy_parse_selector("cidr:192.0.2.0/24", &sel);
	policy_format_selector(&sel, buf, sizeof(buf));
	CHECK(!strcmp(buf, "cidr:192.0.2.0/24"), "cidr selector round trip: %s", buf);
	for (size_t i = 0; i < sizeof(round_trip) / sizeof(round_trip[0]); i++) {
		policy_parse_selector(round_trip[i], &sel);
		policy_format_selector(&sel, buf, sizeof(buf));
		CHECK(!strcmp(buf, round_trip[i]), "selector round trip: %s (%s)", round_trip[i],
		      buf);
	}
	policy_parse_selector("net:abcdef", &sel);
	policy_format_selector(&sel, buf, 7);
	CHECK(!strcmp(buf, "net:ab"), "a selector cut to the buffer (%s)", buf);
	CHECK(policy_parse_selector("node:h2", &sel) == 0 && sel.kind == POL_SEL_NODE,
	      "node selector");
	CHECK(policy_parse_selector("ep:bad/name", &sel) == -EDOM, "names are validated");
	fast_reader();
	TAP_EXIT();
}
