/* core/output.h under its old name, for policy_cmds.c alone (see cli/cli.h). */
#ifndef CBPF_CLI_OUTPUT_H
#define CBPF_CLI_OUTPUT_H

#include "core/output.h"

#endif
