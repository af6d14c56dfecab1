#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "api/mhd_lib.h"

#define MHD_SONAME "libmicrohttpd.so.12"

struct mhd_lib mhd_lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int open_err;
static char open_msg[256];

/* Each member and the symbol it is read from, in one list so that none is forgotten. */
#define MHD_LIB_SYMBOLS(X)                                                                         \
	X(start_daemon, MHD_start_daemon)                                                          \
	X(stop_daemon, MHD_stop_daemon)                                                            \
	X(lookup_connection_value, MHD_lookup_connection_value)                                    \
	X(queue_response, MHD_queue_response)                                                      \
	X(create_response_from_buffer, MHD_create_response_from_buffer)                            \
	X(create_response_from_callback, MHD_create_response_from_callback)                        \
	X(create_response_from_fd, MHD_create_response_from_fd)                                    \
	X(destroy_response, MHD_destroy_response)                                                  \
	X(add_response_header, MHD_add_response_header)                                            \
	X(is_feature_supported, MHD_is_feature_supported)

static void open_once(void)
{
	void *lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		snprintf(open_msg, sizeof(open_msg), "load %s: %s", MHD_SONAME, dlerror());
		open_err = -ENOENT;
		return;
	}
#define MHD_LIB_READ(member, symbol)                                                               \
	*(void **)&mhd_lib.member = dlsym(lib, #symbol);                                           \
	if (!mhd_lib.member) {                                                                     \
		snprintf(open_msg, sizeof(open_msg), "%s has no %s", MHD_SONAME, #symbol);         \
		open_err = -ENOSYS;                                                                \
		return;                                                                            \
	}
	MHD_LIB_SYMBOLS(MHD_LIB_READ)
#undef MHD_LIB_READ
}

int mhd_lib_open(char *msg, size_t size)
{
	pthread_once(&once, open_once);
	if (open_err)
		snprintf(msg, size, "%s", open_msg);
	return open_err;
}
