#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api/mhd_lib.h"
#include "api/static.h"

static const struct {
	const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".json", "application/json"},
    {".ico", "image/x-icon"},
};

static const char *content_type(const char *rel)
{
	size_t len = strlen(rel);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t el = strlen(types[i].ext);

		if (len > el && !strcmp(rel + len - el, types[i].ext))
			return types[i].type;
	}
	return NULL;
}

/* Every segment a plain name: no "", ".", "..", no backslash, no control character. */
static bool plain_path(const char *rel)
{
	const char *seg = rel;

	if (!*rel)
		return false;
	while (*seg) {
		size_t len = strcspn(seg, "/");

		if (!len || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)seg[i] < ' ' || seg[i] == '\\' || seg[i] == 0x7f)
				return false;
		seg += len;
		if (*seg == '/')
			seg++;
	}
	return seg[-1] != '/';
}

void api_static(const char *dir, const char *method, const char *url, struct api_reply *r)
{
	/* RESOLVE_BENEATH: even a symlink planted in the folder cannot lead out of it. */
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	const char *rel, *type;
	struct stat st;
	int dfd, fd;

	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		api_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method-not-allowed", url,
			  "%s is not allowed on %s", method, url);
		return;
	}
	if (!strcmp(url, "/") || !strcmp(url, "/ui") || !strcmp(url, "/ui/"))
		rel = "index.html";
	else if (!strncmp(url, "/ui/", 4))
		rel = url + 4;
	else
		rel = NULL;
	type = rel ? content_type(rel) : NULL;
	if (!rel || !plain_path(rel) || !type) {
		api_error(r, MHD_HTTP_NOT_FOUND, "no-route", url, "no file %s", url);
		return;
	}
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = dfd < 0 ? -1 : (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	if (dfd >= 0)
		close(dfd);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		api_error(r, MHD_HTTP_NOT_FOUND, "no-route", url, "no file %s", url);
		return;
	}
	r->response = mhd_lib.create_response_from_fd((size_t)st.st_size, fd);
	if (!r->response) {
		close(fd);
		api_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", url, "cannot send %s",
			  url);
		return;
	}
	mhd_lib.add_response_header(r->response, "Content-Type", type);
	mhd_lib.add_response_header(r->response, "Cache-Control", "no-cache");
	/* The UI's own files only: no inline script, nothing fetched from elsewhere. */
	mhd_lib.add_response_header(
	    r->response, "Content-Security-Policy",
	    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
	r->status = MHD_HTTP_OK;
}
