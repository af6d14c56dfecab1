#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reconcile/rcu_expedite.h"

#define RCU_EXPEDITED "/sys/kernel/rcu_expedited"
#define WINDOW_LOCK   "/run/cbpfnet-rcu.lock"

/*
 * Threads of one process share a window (ep apply deletes links on many threads at once);
 * processes take turns on the lock file, held from the first window's start to the last's end.
 * Both files stay open from the first window on: four opens and closes fewer per window, of
 * the few file calls a window is.
 */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned int open_windows;
static int lock_fd = -1, knob_fd = -1;
static bool locked, set_by_us;
static bool enabled = true;

void rcu_expedite_enable(bool on)
{
	enabled = on;
}

static int knob(void)
{
	if (knob_fd < 0)
		knob_fd = open(RCU_EXPEDITED, O_RDWR | O_CLOEXEC);
	return knob_fd;
}

static bool knob_write(char value)
{
	return knob() >= 0 && pwrite(knob_fd, &value, 1, 0) == 1;
}

static bool knob_off(void)
{
	char now = '1';

	return knob() >= 0 && pread(knob_fd, &now, 1, 0) == 1 && now == '0';
}

static bool mark_set(int fd)
{
	return pwrite(fd, "1", 1, 0) == 1;
}

static bool mark_clear(int fd)
{
	return ftruncate(fd, 0) == 0;
}

/*
 * The lock file, open; opened again when it was removed, or this process would lock a file no
 * other process can find.
 */
static int window_lock(void)
{
	struct stat st;

	if (lock_fd >= 0 && (fstat(lock_fd, &st) || !st.st_nlink)) {
		close(lock_fd);
		lock_fd = -1;
	}
	if (lock_fd < 0)
		lock_fd = open(WINDOW_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	return lock_fd;
}

/* False only when wait is false and another process holds the lock. */
static bool first_window(bool wait)
{
	int fd = window_lock();

	locked = fd >= 0 && !flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
	if (fd >= 0 && !locked && !wait && errno == EWOULDBLOCK)
		return false;
	/* Someone set it for the whole host: theirs to keep, ours to leave alone. */
	set_by_us = locked && knob_off() && knob_write('1');
	/* Marked until put back: a process killed in between leaves the mark for the next. */
	if (set_by_us && !mark_set(fd))
		set_by_us = !knob_write('0');
	return true;
}

static void last_window(void)
{
	if (set_by_us && knob_write('0'))
		mark_clear(lock_fd);
	set_by_us = false;
	if (locked)
		flock(lock_fd, LOCK_UN);
	locked = false;
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
