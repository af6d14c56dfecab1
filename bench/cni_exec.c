/*
 * Times CNI plugin processes as a runtime starts them: fork and exec from a process already in
 * the host's network namespace, the network configuration on stdin, CNI_* in the environment.
 *
 *   cni_exec COMMAND PLUGIN CONF NETNS_PREFIX FIRST COUNT
 *
 * runs PLUGIN once per container FIRST..FIRST+COUNT-1 (CNI_CONTAINERID cbench<i>, CNI_NETNS
 * <NETNS_PREFIX><i>, CNI_IFNAME eth0) and prints each process's wall time in nanoseconds, one a
 * line. A plugin that fails ends the run with its output on stderr and exit status 1.
 *
 *   cni_exec --argv FIRST COUNT PROGRAM [ARG...]
 *
 * times a command line the same way (`cbpfnet ep add`, as a user or a script starts it), once
 * per i in FIRST..FIRST+COUNT-1, every "%d" in an ARG replaced by i, this process's environment
 * passed on, stdin /dev/null.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 32

extern char **environ;

struct job {
	char *argv[MAX_ARGS + 1];
	char **env;
	int in_fd;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int run(const struct job *job, int i, long long *ns)
{
	char out_path[] = "/tmp/cni_exec.XXXXXX";
	int out_fd = mkstemp(out_path), status;
	long long t0;
	pid_t pid;

	if (out_fd < 0)
		return -errno;
	unlink(out_path);
	lseek(job->in_fd, 0, SEEK_SET);
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		dup2(job->in_fd, 0);
		dup2(out_fd, 1);
		dup2(out_fd, 2);
		execve(job->argv[0], job->argv, job->env);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	*ns = now_ns() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char buf[4096];
		ssize_t n = pread(out_fd, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "cni_exec: %s for %d failed: %s\n", job->argv[0], i, buf);
		close(out_fd);
		return -EIO;
	}
	close(out_fd);
	return 0;
}

/* ARG with every "%d" replaced by I, in BUF. */
static char *expand(const char *arg, int i, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = arg; *p && n + 16 < size; p++) {
		if (p[0] == '%' && p[1] == 'd') {
			n += (size_t)snprintf(buf + n, size - n, "%d", i);
			p++;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	return buf;
}

static int run_argv(int first, int count, int argc, char **argv)
{
	static char bufs[MAX_ARGS][4096];
	struct job job = {.env = environ, .in_fd = open("/dev/null", O_RDONLY)};

	if (job.in_fd < 0 || argc > MAX_ARGS) {
		fprintf(stderr, "cni_exec: /dev/null or %d arguments (at most %d)\n", argc,
			MAX_ARGS);
		return 2;
	}
	for (int i = first; i < first + count; i++) {
		long long ns;

		for (int a = 0; a < argc; a++)
			job.argv[a] = expand(argv[a], i, bufs[a], sizeof(bufs[a]));
		job.argv[argc] = NULL;
		if (run(&job, i, &ns))
			return 1;
		printf("%lld\n", ns);
	}
	return 0;
}

static int run_cni(char **argv)
{
	char id[64], netns[4096], e0[128], e1[128], e2[4200];
	char *env[] = {e0, e1, e2, "CNI_IFNAME=eth0", "CNI_PATH=/usr/lib/cni", NULL};
	struct job job = {.argv = {argv[2], NULL}, .env = env, .in_fd = open(argv[3], O_RDONLY)};
	int first = atoi(argv[5]), count = atoi(argv[6]);

	if (job.in_fd < 0 || count < 1) {
		fprintf(stderr, "cni_exec: %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	snprintf(e0, sizeof(e0), "CNI_COMMAND=%s", argv[1]);
	for (int i = first; i < first + count; i++) {
		long long ns;

		snprintf(id, sizeof(id), "cbench%d", i);
		snprintf(netns, sizeof(netns), "%s%d", argv[4], i);
		snprintf(e1, sizeof(e1), "CNI_CONTAINERID=%s", id);
		snprintf(e2, sizeof(e2), "CNI_NETNS=%s", netns);
		if (run(&job, i, &ns))
			return 1;
		printf("%lld\n", ns);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "--argv"))
		return run_argv(atoi(argv[2]), atoi(argv[3]), argc - 4, argv + 4);
	if (argc != 7) {
		fprintf(stderr, "usage: cni_exec COMMAND PLUGIN CONF NETNS_PREFIX FIRST COUNT\n"
				"       cni_exec --argv FIRST COUNT PROGRAM [ARG...]\n");
		return 2;
	}
	return run_cni(argv);
}
