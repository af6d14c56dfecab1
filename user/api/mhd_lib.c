#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "api/mhd_lib.h"
#include "core/dlib.h"

#define MHD_SONAME "libmicrohttpd.so.12"

struct mhd_lib mhd_lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int open_err;
static char open_msg[256];

static void open_once(void)
{
	const struct dlib_symbol syms[] = {
	    DLIB_SYMBOL(mhd_lib, start_daemon, MHD_start_daemon),
	    DLIB_SYMBOL(mhd_lib, stop_daemon, MHD_stop_daemon),
	    DLIB_SYMBOL(mhd_lib, lookup_connection_value, MHD_lookup_connection_value),
	    DLIB_SYMBOL(mhd_lib, queue_response, MHD_queue_response),
	    DLIB_SYMBOL(mhd_lib, create_response_from_buffer, MHD_create_response_from_buffer),
	    DLIB_SYMBOL(mhd_lib, create_response_from_callback, MHD_create_response_from_callback),
	    DLIB_SYMBOL(mhd_lib, create_response_from_fd, MHD_create_response_from_fd),
	    DLIB_SYMBOL(mhd_lib, destroy_response, MHD_destroy_response),
	    DLIB_SYMBOL(mhd_lib, add_response_header, MHD_add_response_header),
	    DLIB_SYMBOL(mhd_lib, is_feature_supported, MHD_is_feature_supported),
	};

	open_err =
	    dlib_open(MHD_SONAME, syms, sizeof(syms) / sizeof(syms[0]), open_msg, sizeof(open_msg));
}

int mhd_lib_open(char *msg, size_t size)
{
	pthread_once(&once, open_once);
	if (open_err)
		snprintf(msg, size, "%s", open_msg);
	return open_err;
}
