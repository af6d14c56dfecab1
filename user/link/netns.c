#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "link/netns.h"

#define NETNS_RUN_DIR "/run/netns"

bool netns_valid_name(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..") &&
	       strlen(name) < 200;
}

/*
 * As iproute2 does: /run/netns is a shared mount, so a namespace mounted on it from here is seen
 * from every mount namespace that shares it, and stays alive with no process inside.
 */
static int run_dir_shared(void)
{
	if (mkdir(NETNS_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (!mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL))
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) ||
	    mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL))
		return -errno;
	return 0;
}

int netns_create(const char *name)
{
	char path[256];
	int fd, self, err = 0;

	if (!netns_valid_name(name))
		return -EINVAL;
	err = run_dir_shared();
	if (err)
		return err;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		err = -errno;
		unlink(path);
		return err;
	}
	/* A new namespace for this thread, pinned by the bind mount, then back to our own. */
	if (unshare(CLONE_NEWNET) || mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL))
		err = -errno;
	if (setns(self, CLONE_NEWNET) && !err)
		err = -errno;
	close(self);
	if (err) {
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	return err;
}

int netns_delete(const char *name)
{
	char path[256];

	if (!netns_valid_name(name))
		return -EINVAL;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	if (umount2(path, MNT_DETACH) && errno != EINVAL)
		return -errno;
	return unlink(path) ? -errno : 0;
}

int netns_enter(int ns_fd, int *self)
{
	*self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*self < 0)
		return -errno;
	if (setns(ns_fd, CLONE_NEWNET)) {
		int err = -errno;

		close(*self);
		return err;
	}
	return 0;
}

int netns_leave(int self, int err)
{
	if (setns(self, CLONE_NEWNET) && !err)
		err = -errno;
	close(self);
	return err;
}

/* /proc/self/ns/net names the caller's namespace whatever path led to the other one. */
bool netns_is_own(int fd)
{
	struct stat ns, own;

	if (fstat(fd, &ns) || stat("/proc/self/ns/net", &own))
		return 0;
	return ns.st_dev == own.st_dev && ns.st_ino == own.st_ino;
}
