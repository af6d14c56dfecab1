#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "reconcile/loader.h"
#include "reconcile/map_like.h"
#include "reconcile/policy_spare.h"

/* Under the commands' lock: the spare, and how many entries it holds at most. */
static int spare = -1;
static __u32 spare_max;

/* Under mu: the thread's wake-up. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool running, wanted, stop;
static pthread_t thread;
static pthread_mutex_t *commands;
static char live_pin[320];

static int info_of(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

static void drop(void)
{
	if (spare >= 0)
		close(spare);
	spare = -1;
	spare_max = 0;
}

/* Under the commands' lock: a spare as large as the live map, unless there is one. */
static void make(void)
{
	struct bpf_map_info live;
	int live_fd = bpf_obj_get(live_pin), fd, err;

	err = live_fd < 0 ? -errno : info_of(live_fd, &live);
	if (!err && spare >= 0 && spare_max >= live.max_entries)
		goto out;
	fd = err ? err : map_like(live_fd, "cbpf_policy_exa", live.max_entries);
	if (fd < 0) {
		/* Installs take the way without a spare until the next one is asked for. */
		agent_log(LOG_LVL_WARN, "policy: make a spare exact map like %s: %s", live_pin,
			  strerror(-fd));
		goto out;
	}
	drop();
	spare = fd;
	spare_max = live.max_entries;
	agent_log(LOG_LVL_DEBUG, "policy: spare exact map ready, %u entries", spare_max);
out:
	if (live_fd >= 0)
		close(live_fd);
}

static void *loop(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stop) {
		if (!wanted) {
			pthread_cond_wait(&wake, &mu);
			continue;
		}
		wanted = false;
		pthread_mutex_unlock(&mu);
		/* Taken once the install's command has ended: it never waits for a spare. */
		pthread_mutex_lock(commands);
		make();
		pthread_mutex_unlock(commands);
		pthread_mutex_lock(&mu);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

int policy_spare_start(const struct cbpf_ctx *ctx, pthread_mutex_t *lock)
{
	int err = cbpf_pin_path(ctx, "cbpf_policy_exact", live_pin, sizeof(live_pin));

	if (err)
		return err;
	commands = lock;
	stop = false;
	wanted = true;
	err = -pthread_create(&thread, NULL, loop, NULL);
	if (err)
		agent_log(LOG_LVL_ERROR, "policy: start the spare map's thread: %s",
			  strerror(-err));
	running = !err;
	return err;
}

void policy_spare_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&mu);
	stop = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	running = false;
	drop();
}

int policy_spare_peek(int like_fd, size_t n)
{
	struct bpf_map_info like, own;

	if (spare < 0 || n > spare_max)
		return -1;
	/* A spare of another build's maps (an unload and a load since) is no use. */
	if (info_of(like_fd, &like) || info_of(spare, &own) || like.type != own.type ||
	    like.key_size != own.key_size || like.value_size != own.value_size ||
	    like.map_flags != own.map_flags) {
		drop();
		return -1;
	}
	return spare;
}

void policy_spare_used(void)
{
	spare = -1;
	spare_max = 0;
}

void policy_spare_fit(__u32 live_max_entries)
{
	if (!running || (spare >= 0 && spare_max >= live_max_entries))
		return;
	pthread_mutex_lock(&mu);
	wanted = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
}
