/* Captures what cbpf_err writes to stderr, so tests can read the message a call produced. */
#ifndef CBPF_TEST_CAPTURE_H
#define CBPF_TEST_CAPTURE_H

#include <stdio.h>
#include <unistd.h>

static char errbuf[4096];
static int saved_stderr = -1;
static FILE *captured;

static void capture(void)
{
	fflush(stderr);
	saved_stderr = dup(2);
	captured = tmpfile();
	dup2(fileno(captured), 2);
}

static const char *captured_text(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(captured);
	n = fread(errbuf, 1, sizeof(errbuf) - 1, captured);
	while (n > 0 && errbuf[n - 1] == '\n')
		n--;
	errbuf[n] = '\0';
	fclose(captured);
	return errbuf;
}

#endif
