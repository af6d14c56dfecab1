/* Which command lines the calling process runs itself rather than the agent. */
#include <string.h>

#include "client/forward.h"

bool forward_runs_locally(int argc, char **argv)
{
	if (argc < 1)
		return true;
	if (!strcmp(argv[0], "model") || !strcmp(argv[0], "daemon") || !strcmp(argv[0], "help") ||
	    !strcmp(argv[0], "completion"))
		return true;
	if (argc >= 2 && !strcmp(argv[0], "policy") && !strcmp(argv[1], "check"))
		return true;
	/* Reading a hook needs no pins, so it works in any namespace, agent or not. */
	for (int i = 1; i < argc && !strcmp(argv[0], "attach"); i++)
		if (!strcmp(argv[i], "--show"))
			return true;
	return false;
}
