/*
 * libmicrohttpd, opened when the agent starts serving. Linked in, it and the TLS libraries behind
 * it cost every command about 2 ms of start-up (`ep add` from the command line included), while
 * only the agent serves.
 */
#ifndef CBPF_MHD_LIB_H
#define CBPF_MHD_LIB_H

#include <microhttpd.h>
#include <stddef.h>

/* Members typed after the library's own declarations, so a mismatch cannot compile. */
struct mhd_lib {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_create_response_from_callback) *create_response_from_callback;
	__typeof__(MHD_create_response_from_fd) *create_response_from_fd;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_is_feature_supported) *is_feature_supported;
};

/* Filled by mhd_lib_open(); its pointers are valid once that returned 0. */
extern struct mhd_lib mhd_lib;

/* Opens libmicrohttpd, once per process; 0 or -errno with the reason in msg. */
int mhd_lib_open(char *msg, size_t size);

#endif
