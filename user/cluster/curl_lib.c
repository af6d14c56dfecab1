#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "cluster/curl_lib.h"
#include "core/dlib.h"

#define CURL_SONAME "libcurl.so.4"

struct curl_lib curl_lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int open_err;
static char open_msg[256];

static void open_once(void)
{
	const struct dlib_symbol syms[] = {
	    DLIB_SYMBOL(curl_lib, global_init, curl_global_init),
	    DLIB_SYMBOL(curl_lib, easy_init, curl_easy_init),
	    DLIB_SYMBOL(curl_lib, easy_cleanup, curl_easy_cleanup),
	    DLIB_SYMBOL(curl_lib, easy_reset, curl_easy_reset),
	    DLIB_SYMBOL(curl_lib, easy_setopt, curl_easy_setopt),
	    DLIB_SYMBOL(curl_lib, easy_getinfo, curl_easy_getinfo),
	    DLIB_SYMBOL(curl_lib, easy_perform, curl_easy_perform),
	    DLIB_SYMBOL(curl_lib, easy_strerror, curl_easy_strerror),
	    DLIB_SYMBOL(curl_lib, slist_append, curl_slist_append),
	    DLIB_SYMBOL(curl_lib, slist_free_all, curl_slist_free_all),
	    DLIB_SYMBOL(curl_lib, multi_init, curl_multi_init),
	    DLIB_SYMBOL(curl_lib, multi_add_handle, curl_multi_add_handle),
	    DLIB_SYMBOL(curl_lib, multi_remove_handle, curl_multi_remove_handle),
	    DLIB_SYMBOL(curl_lib, multi_perform, curl_multi_perform),
	    DLIB_SYMBOL(curl_lib, multi_poll, curl_multi_poll),
	    DLIB_SYMBOL(curl_lib, multi_wakeup, curl_multi_wakeup),
	    DLIB_SYMBOL(curl_lib, multi_info_read, curl_multi_info_read),
	    DLIB_SYMBOL(curl_lib, multi_cleanup, curl_multi_cleanup),
	};

	open_err = dlib_open(CURL_SONAME, syms, sizeof(syms) / sizeof(syms[0]), open_msg,
			     sizeof(open_msg));
	if (!open_err && curl_lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
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
