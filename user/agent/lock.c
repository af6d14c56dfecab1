#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/lock.h"
#include "core/err.h"

static int holder_pid(int fd)
{
	char text[32] = "";
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	int pid = 0;

	if (n > 0)
		sscanf(text, "%d", &pid);
	return pid;
}

int agent_lock_take(const char *state_dir, int *fd_out)
{
	char path[4096], text[32];
	int fd, err, len;

	if (mkdir(state_dir, 0700) && errno != EEXIST) {
		err = -errno;
		cbpf_err("daemon: create state directory %s: %s", state_dir, strerror(errno));
		return err;
	}
	snprintf(path, sizeof(path), "%s/" AGENT_LOCK_FILE, state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		cbpf_err("daemon: open %s: %s", path, strerror(errno));
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (err == -EBUSY)
			cbpf_err("daemon: another agent (pid %d) is running on state %s; one agent "
				 "per state directory",
				 holder_pid(fd), state_dir);
		else
			cbpf_err("daemon: lock %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	len = snprintf(text, sizeof(text), "%d\n", getpid());
	if (ftruncate(fd, 0) || pwrite(fd, text, len, 0) != len) {
		err = -errno;
		cbpf_err("daemon: write %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

void agent_lock_release(int fd)
{
	if (fd < 0)
		return;
	/* Emptied before unlocking: a reader never finds our pid once we are gone. */
	if (ftruncate(fd, 0))
		return;
	close(fd);
}
