/* The web UI's files (ui/), served over TCP at / and /ui/... and nowhere outside their folder. */
#ifndef CBPF_API_STATIC_H
#define CBPF_API_STATIC_H

#include "api/server.h"

/* GET or HEAD of url (already %-decoded by libmicrohttpd) under dir: a file or a JSON error. */
void api_static(const char *dir, const char *method, const char *url, struct api_reply *r);

#endif
