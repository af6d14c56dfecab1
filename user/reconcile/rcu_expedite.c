#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/file.h>
#include <unistd.h>

#include "reconcile/rcu_expedite.h"

#define RCU_EXPEDITED "/sys/kernel/rcu_expedited"
#define WINDOW_LOCK   "/run/cbpfnet-rcu.lock"

/*
 * Threads of one process share a window (ep apply deletes links on many threads at once);
 * processes take turns on the lock file, held from the first window's start to the last's end.
 */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned int open_windows;
static int lock_fd = -1;
static bool set_by_us;
static bool enabled = true;

void rcu_expedite_enable(bool on)
{
	enabled = on;
}

static bool knob_write(char value)
{
	int fd = open(RCU_EXPEDITED, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, &value, 1) == 1;
	close(fd);
	return ok;
}

static bool knob_off(void)
{
	int fd = open(RCU_EXPEDITED, O_RDONLY | O_CLOEXEC);
	char now = '1';

	if (fd < 0)
		return false;
	if (read(fd, &now, 1) != 1)
		now = '1';
	close(fd);
	return now == '0';
}

static bool mark_set(int fd)
{
	return pwrite(fd, "1", 1, 0) == 1;
}

static bool mark_clear(int fd)
{
	return ftruncate(fd, 0) == 0;
}

/* False only when wait is false and another process holds the lock. */
static bool first_window(bool wait)
{
	lock_fd = open(WINDOW_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd >= 0 && flock(lock_fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB)) {
		bool busy = errno == EWOULDBLOCK;

		close(lock_fd);
		lock_fd = -1;
		if (!wait && busy)
			return false;
	}
	/* Someone set it for the whole host: theirs to keep, ours to leave alone. */
	set_by_us = lock_fd >= 0 && knob_off() && knob_write('1');
	/* Marked until put back: a process killed in between leaves the mark for the next. */
	if (set_by_us && !mark_set(lock_fd))
		set_by_us = !knob_write('0');
	return true;
}

static void last_window(void)
{
	if (set_by_us && knob_write('0'))
		mark_clear(lock_fd);
	set_by_us = false;
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
}

void rcu_expedite_recover(void)
{
	int fd = open(WINDOW_LOCK, O_RDWR | O_CLOEXEC);
	char mark;

	if (fd < 0)
		return;
	/* The lock is free once its holder is gone, whichever way it went. */
	if (!flock(fd, LOCK_EX) && pread(fd, &mark, 1, 0) == 1 && knob_write('0'))
		mark_clear(fd);
	close(fd);
}

void rcu_expedite_begin(struct rcu_expedite *w)
{
	w->open = enabled;
	if (!w->open)
		return;
	pthread_mutex_lock(&mu);
	if (!open_windows++)
		first_window(true);
	pthread_mutex_unlock(&mu);
}

void rcu_expedite_try_begin(struct rcu_expedite *w)
{
	w->open = false;
	if (!enabled)
		return;
	pthread_mutex_lock(&mu);
	if (open_windows || first_window(false)) {
		open_windows++;
		w->open = true;
	}
	pthread_mutex_unlock(&mu);
}

void rcu_expedite_end(struct rcu_expedite *w)
{
	if (!w->open)
		return;
	pthread_mutex_lock(&mu);
	if (!--open_windows)
		last_window();
	pthread_mutex_unlock(&mu);
	w->open = false;
}
