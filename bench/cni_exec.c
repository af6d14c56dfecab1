/*
 * Times CNI plugin processes as a runtime starts them: fork and exec from a process already in
 * the host's network namespace, the network configuration on stdin, CNI_* in the environment.
 *
 *   cni_exec COMMAND PLUGIN CONF NETNS_PREFIX FIRST COUNT
 *
 * runs PLUGIN once per container FIRST..FIRST+COUNT-1 (CNI_CONTAINERID cbench<i>, CNI_NETNS
 * <NETNS_PREFIX><i>, CNI_IFNAME eth0) and prints each process's wall time in nanoseconds, one a
 * line. A plugin that fails ends the run with its output on stderr and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int run(const char *command, const char *plugin, int conf_fd, const char *prefix, int i,
	       long long *ns)
{
	char id[64], netns[4096], out_path[] = "/tmp/cni_exec.XXXXXX";
	int out_fd = mkstemp(out_path), status;
	long long t0;
	pid_t pid;

	if (out_fd < 0)
		return -errno;
	unlink(out_path);
	snprintf(id, sizeof(id), "cbench%d", i);
	snprintf(netns, sizeof(netns), "%s%d", prefix, i);
	lseek(conf_fd, 0, SEEK_SET);
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		char *env[] = {NULL, NULL, NULL, "CNI_IFNAME=eth0", "CNI_PATH=/usr/lib/cni", NULL};
		char *argv[] = {(char *)plugin, NULL};
		char e0[128], e1[128], e2[4200];

		snprintf(e0, sizeof(e0), "CNI_COMMAND=%s", command);
		snprintf(e1, sizeof(e1), "CNI_CONTAINERID=%s", id);
		snprintf(e2, sizeof(e2), "CNI_NETNS=%s", netns);
		env[0] = e0;
		env[1] = e1;
		env[2] = e2;
		dup2(conf_fd, 0);
		dup2(out_fd, 1);
		execve(plugin, argv, env);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	*ns = now_ns() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char buf[4096];
		ssize_t n = pread(out_fd, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "cni_exec: %s %s for container %d failed: %s\n", plugin, command, i,
			buf);
		close(out_fd);
		return -EIO;
	}
	close(out_fd);
	return 0;
}

int main(int argc, char **argv)
{
	int conf_fd, first, count;

	if (argc != 7) {
		fprintf(stderr, "usage: cni_exec COMMAND PLUGIN CONF NETNS_PREFIX FIRST COUNT\n");
		return 2;
	}
	conf_fd = open(argv[3], O_RDONLY);
	first = atoi(argv[5]);
	count = atoi(argv[6]);
	if (conf_fd < 0 || count < 1) {
		fprintf(stderr, "cni_exec: %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	for (int i = first; i < first + count; i++) {
		long long ns;

		if (run(argv[1], argv[2], conf_fd, argv[4], i, &ns))
			return 1;
		printf("%lld\n", ns);
	}
	return 0;
}
