/* `cbpfnet help --man`: the man page, written from the same tables as --help. */
#include <stdio.h>
#include <string.h>

#include "cli/help.h"
#include "cli/commands.h"

/* Text for roff: dashes as \-, a backslash doubled. */
static void roff(FILE *out, const char *text)
{
	for (const char *p = text ? text : ""; *p; p++) {
		if (*p == '-')
			fputs("\\-", out);
		else if (*p == '\\')
			fputs("\\e", out);
		else
			fputc(*p, out);
	}
}

static void options(FILE *out, const struct cbpf_opt *opts)
{
	for (const struct cbpf_opt *o = opts; o && o->name; o++) {
		fputs(".TP\n\\fB", out);
		roff(out, "--");
		roff(out, o->name);
		fputs("\\fR", out);
		if (o->metavar) {
			fputs(" \\fI", out);
			roff(out, o->metavar);
			fputs("\\fR", out);
		}
		fputc('\n', out);
		roff(out, o->help);
		fputc('\n', out);
	}
}

static void commands(FILE *out, const struct cbpf_cmd *table, const char *group)
{
	for (const struct cbpf_cmd *c = table; c->name; c++) {
		if (c->sub) {
			commands(out, c->sub, c->name);
			continue;
		}
		fputs(".SS cbpfnet ", out);
		if (group)
			fprintf(out, "%s ", group);
		roff(out, c->name);
		if (c->args) {
			fputc(' ', out);
			roff(out, c->args);
		}
		fputc('\n', out);
		roff(out, c->help);
		if (c->alias)
			fprintf(out, " (also: %s)", c->alias);
		fputc('\n', out);
		options(out, c->opts);
		if (c->example) {
			fputs(".PP\nExample: \\fBcbpfnet ", out);
			roff(out, c->example);
			fputs("\\fR\n", out);
		}
	}
}

void cli_man(FILE *out)
{
	fputs(".TH CBPFNET 8 \"\" \"cbpfnet\" \"System Administration\"\n"
	      ".SH NAME\ncbpfnet \\- eBPF networks, endpoints and policy for containers\n"
	      ".SH SYNOPSIS\n.B cbpfnet\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR "
	      "[\\fISUBCOMMAND\\fR] [\\fIARGUMENTS\\fR]\n"
	      ".SH DESCRIPTION\nCommands that change the host are run by the agent "
	      "(\\fBcbpfnet daemon\\fR) of the state directory, over its socket; "
	      "\\fBmodel\\fR, \\fBpolicy check\\fR, \\fBattach \\-\\-show\\fR and \\fBhelp\\fR run "
	      "on their own. Run with no arguments and CNI_COMMAND set, cbpfnet is a CNI plugin.\n"
	      ".SH GLOBAL OPTIONS\nAccepted before or after the command.\n",
	      out);
	options(out, cli_global_opts);
	fputs(".SH COMMANDS\n", out);
	commands(out, cbpf_commands, NULL);
	fputs(".SH ENVIRONMENT\n.TP\n.B CBPFNET_STATE\nthe default of \\fB\\-\\-state\\fR\n"
	      ".TP\n.B CBPFNET_BPFFS\nthe default of \\fB\\-\\-bpffs\\fR\n"
	      ".SH EXIT STATUS\n0 on success, non\\-zero on any error. With \\fB\\-\\-json\\fR an "
	      "error is the document {\"error\": \"...\"} on standard output.\n",
	      out);
}
