/* The TCP side of the API: token checks, loopback Host names, start-up refusals, UI files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/mhd_lib.h"
#include "api/static.h"
#include "api/tcp.h"
#include "tap.h"

static char dir[] = "/tmp/cbpf-api-tcp-XXXXXX";

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int prepare(const char *listen, const char *token_name)
{
	char path[256];
	struct api_tcp_config cfg = {.listen = listen, .ui_dir = dir};
	struct api_tcp t;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, token_name ? token_name : "");
	cfg.token_file = token_name ? path : NULL;
	err = api_tcp_prepare(&cfg, &t);
	if (!err)
		api_tcp_free(&t);
	return err;
}

static unsigned int fetch(const char *url)
{
	struct api_reply r = {0};

	api_static(dir, "GET", url, &r);
	if (r.response)
		mhd_lib.destroy_response(r.response);
	json_object_put(r.doc);
	return r.status;
}

int main(void)
{
	struct api_tcp t = {.token = "0123456789abcdef", .token_len = 16};
	struct api_tcp none = {0};
	char link[256];

	char msg[256];

	CHECK(!mhd_lib_open(msg, sizeof(msg)), "libmicrohttpd opens");
	CHECK(api_tcp_token_ok(&t, "0123456789abcdef"), "the token matches itself");
	CHECK(!api_tcp_token_ok(&t, "0123456789abcdeX"),
	      "a token differing in its last byte does not");
	CHECK(!api_tcp_token_ok(&t, "0123456789abcde"), "a prefix of the token does not");
	CHECK(!api_tcp_token_ok(&t, "0123456789abcdef0"), "the token and one more byte does not");
	CHECK(!api_tcp_token_ok(&t, NULL) && !api_tcp_token_ok(&t, ""), "no token does not");
	CHECK(api_tcp_bearer_ok(&t, "Bearer 0123456789abcdef") &&
		  api_tcp_bearer_ok(&t, "bearer 0123456789abcdef"),
	      "Authorization: Bearer TOKEN matches, the scheme in any case");
	CHECK(!api_tcp_bearer_ok(&t, "Basic 0123456789abcdef") &&
		  !api_tcp_bearer_ok(&t, "0123456789abcdef") && !api_tcp_bearer_ok(&t, NULL),
	      "another scheme, no scheme or no header does not");
	CHECK(api_tcp_bearer_ok(&none, NULL), "without a configured token anything passes");

	CHECK(api_tcp_host_ok("127.0.0.1:8080") && api_tcp_host_ok("127.1.2.3") &&
		  api_tcp_host_ok("localhost:80") && api_tcp_host_ok("[::1]:8080") &&
		  api_tcp_host_ok("[::1]"),
	      "loopback Host names pass");
	CHECK(!api_tcp_host_ok("attacker.example:8080") && !api_tcp_host_ok("198.18.0.1:8080") &&
		  !api_tcp_host_ok("127.0.0.1.attacker.example") &&
		  !api_tcp_host_ok("localhost.attacker.example") && !api_tcp_host_ok("[::1]x") &&
		  !api_tcp_host_ok(NULL),
	      "other names, lookalikes and no Host do not");

	if (!mkdtemp(dir))
		return 1;
	write_file("token", "0123456789abcdef0123\n", 0600);
	write_file("open-token", "0123456789abcdef0123\n", 0644);
	write_file("short-token", "short\n", 0600);
	write_file("space-token", "0123456789 abcdef0123\n", 0600);
	write_file("index.html", "<!doctype html>", 0644);
	write_file("app.js", "export {};", 0644);
	write_file("notes.txt", "text", 0644);
	snprintf(link, sizeof(link), "%s/passwd.html", dir);
	if (symlink("/etc/passwd", link))
		return 1;

	CHECK(prepare("127.0.0.1:8080", NULL) == 0, "loopback without a token file starts");
	CHECK(prepare("[::1]:8080", NULL) == 0, "IPv6 loopback without a token file starts");
	CHECK(prepare("198.18.0.1:8080", NULL) == -EPERM,
	      "a non-loopback address without a token file is refused");
	CHECK(prepare("0.0.0.0:8080", NULL) == -EPERM, "the wildcard address without one too");
	CHECK(prepare("198.18.0.1:8080", "token") == 0, "a non-loopback address with one starts");
	CHECK(prepare("198.18.0.1:8080", "open-token") == -EPERM,
	      "a token file others can read is refused");
	CHECK(prepare("198.18.0.1:8080", "short-token") == -EINVAL, "a short token is refused");
	CHECK(prepare("198.18.0.1:8080", "space-token") == -EINVAL, "a token with a space too");
	CHECK(prepare("198.18.0.1:8080", "missing") == -ENOENT, "a missing token file too");
	CHECK(prepare("198.18.0.1", "token") == -EINVAL &&
		  prepare("host:8080", "token") == -EINVAL &&
		  prepare("198.18.0.1:http", "token") == -EINVAL,
	      "a listen address without a port, with a name or a port name is refused");

	CHECK(fetch("/") == 200 && fetch("/ui/") == 200 && fetch("/ui/app.js") == 200,
	      "the UI's page and modules are served");
	CHECK(fetch("/ui/notes.txt") == 404, "a file of an unknown type is not");
	CHECK(fetch("/ui/../index.html") == 404 && fetch("/ui/./app.js") == 404 &&
		  fetch("/ui//app.js") == 404 && fetch("/ui/..\\app.js") == 404 &&
		  fetch("/ui/missing.js") == 404 && fetch("/app.js") == 404,
	      "dot segments, empty segments, backslashes, missing files and paths outside /ui are "
	      "404");
	CHECK(fetch("/ui/passwd.html") == 404,
	      "a symlink leading out of the folder is not followed");

	unlink(link);
	for (const char *f = "token\0open-token\0short-token\0space-token\0index.html\0app.js\0"
			     "notes.txt\0";
	     *f; f += strlen(f) + 1) {
		char path[256];

		snprintf(path, sizeof(path), "%s/%s", dir, f);
		unlink(path);
	}
	rmdir(dir);
	TAP_EXIT();
}
