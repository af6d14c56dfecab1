#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "cluster/curl_lib.h"

#define CURL_SONAME "libcurl.so.4"

struct curl_lib curl_lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int open_err;
static char open_msg[256];

/* Each member and the symbol it is read from, in one list so that none is forgotten. */
#define CURL_LIB_SYMBOLS(X)                                                                        \
	X(global_init, curl_global_init)                                                           \
	X(easy_init, curl_easy_init)                                                               \
	X(easy_cleanup, curl_easy_cleanup)                                                         \
	X(easy_reset, curl_easy_reset)                                                             \
	X(easy_setopt, curl_easy_setopt)                                                           \
	X(easy_getinfo, curl_easy_getinfo)                                                         \
	X(easy_perform, curl_easy_perform)                                                         \
	X(easy_strerror, curl_easy_strerror)                                                       \
	X(slist_append, curl_slist_append)                                                         \
	X(slist_free_all, curl_slist_free_all)                                                     \
	X(multi_init, curl_multi_init)                                                             \
	X(multi_add_handle, curl_multi_add_handle)                                                 \
	X(multi_remove_handle, curl_multi_remove_handle)                                           \
	X(multi_perform, curl_multi_perform)                                                       \
	X(multi_poll, curl_multi_poll)                                                             \
	X(multi_wakeup, curl_multi_wakeup)                                                         \
	X(multi_info_read, curl_multi_info_read)                                                   \
	X(multi_cleanup, curl_multi_cleanup)

static void open_once(void)
{
	void *lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		snprintf(open_msg, sizeof(open_msg), "load %s: %s", CURL_SONAME, dlerror());
		open_err = -ENOENT;
		return;
	}
#define CURL_LIB_READ(member, symbol)                                                              \
	*(void **)&curl_lib.member = dlsym(lib, #symbol);                                          \
	if (!curl_lib.member) {                                                                    \
		snprintf(open_msg, sizeof(open_msg), "%s has no %s", CURL_SONAME, #symbol);        \
		open_err = -ENOSYS;                                                                \
		return;                                                                            \
	}
	CURL_LIB_SYMBOLS(CURL_LIB_READ)
#undef CURL_LIB_READ
	if (curl_lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(open_msg, sizeof(open_msg), "%s: curl_global_init failed", CURL_SONAME);
		open_err = -ENOMEM;
	}
}

int curl_lib_open(char *msg, size_t size)
{
	pthread_once(&once, open_once);
	if (open_err)
		snprintf(msg, size, "%s", open_msg);
	return open_err;
}
