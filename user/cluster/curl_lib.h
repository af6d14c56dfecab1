/*
 * libcurl, opened when cluster mode first talks to etcd. Linked in, its libraries cost every
 * command about 6 ms of start-up (`ep add` from the command line included), while only an agent
 * in cluster mode ever uses it.
 */
#ifndef CBPF_CURL_LIB_H
#define CBPF_CURL_LIB_H

#include <curl/curl.h>
#include <stddef.h>

struct curl_lib {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *curl);
	void (*easy_reset)(CURL *curl);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
	void (*slist_free_all)(struct curl_slist *list);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *multi, CURL *curl);
	CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *curl);
	CURLMcode (*multi_perform)(CURLM *multi, int *running);
	CURLMcode (*multi_poll)(CURLM *multi, struct curl_waitfd extra[], unsigned int n_extra,
				int timeout_ms, int *ret);
	CURLMcode (*multi_wakeup)(CURLM *multi);
	CURLMsg *(*multi_info_read)(CURLM *multi, int *left);
	CURLMcode (*multi_cleanup)(CURLM *multi);
};

/* Filled by curl_lib_open(); its pointers are valid once that returned 0. */
extern struct curl_lib curl_lib;

/* Opens libcurl and initialises it, once per process; 0 or -errno with the reason in msg. */
int curl_lib_open(char *msg, size_t size);

#endif
