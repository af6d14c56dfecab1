/* `cbpfnet --version`: which source the binary was built from and what its pins are. */
#include <inttypes.h>

#include "cli/help.h"
#include "common.h"
#include "reconcile/loader.h"
#include "version.h"

void cli_version(FILE *out)
{
	fprintf(out, "cbpfnet %s (BPF objects %016" PRIx64 ", pin ABI %d)\n", CBPF_VERSION,
		cbpf_build_id(), CBPF_ABI_VERSION);
}
