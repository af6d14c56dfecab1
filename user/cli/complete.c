/*
 * `cbpfnet completion bash`: a bash completion script written from the command tables, so it
 * offers exactly the commands and options the parsers take. Names of networks, endpoints and
 * nodes come at completion time from `cbpfnet completion names KIND`, which asks the agent.
 */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "cli/help.h"
#include "client/forward.h"
#include "cli/commands.h"

/* "on|off" names fixed words; "FILE|DIR" and "CIDR" name kinds of values. */
static bool has_choices(const char *metavar)
{
	if (!metavar || !strchr(metavar, '|'))
		return false;
	for (const char *p = metavar; *p; p++)
		if (!islower((unsigned char)*p) && *p != '|' && *p != '-' &&
		    !isdigit((unsigned char)*p))
			return false;
	return true;
}

static void print_choices(const char *metavar)
{
	for (const char *p = metavar; *p;) {
		size_t len = strcspn(p, "|[]");

		if (len)
			printf("%.*s ", (int)len, p);
		p += len + (p[len] != '\0');
	}
}

/* The group whose names a command's first argument is: "net delete NAME" names a network. */
static const char *names_kind(const char *group, const struct cbpf_cmd *c)
{
	if (!group || !c->args || strncmp(c->args, "NAME", 4) || !strcmp(c->name, "create") ||
	    !strcmp(c->name, "add"))
		return NULL;
	if (!strcmp(group, "net") || !strcmp(group, "ep") || !strcmp(group, "node"))
		return group;
	return NULL;
}

static void print_cases(const struct cbpf_cmd *table, const char *group)
{
	for (const struct cbpf_cmd *c = table; c->name; c++) {
		const char *kind;

		if (c->sub) {
			printf("\t\"%s\") subs='", c->name);
			for (const struct cbpf_cmd *s = c->sub; s->name; s++)
				printf("%s%s%s ", s->name, s->alias ? " " : "",
				       s->alias ? s->alias : "");
			printf("' ;;\n");
			print_cases(c->sub, c->name);
			continue;
		}
		printf("\t\"%s%s%s\"", group ? group : "", group ? " " : "", c->name);
		if (c->alias)
			printf(" | \"%s%s%s\"", group ? group : "", group ? " " : "", c->alias);
		printf(") opts='");
		for (const struct cbpf_opt *o = c->opts; o && o->name; o++)
			printf("--%s ", o->name);
		printf("'; argopts='");
		for (const struct cbpf_opt *o = c->opts; o && o->name; o++)
			if (o->metavar)
				printf("--%s ", o->name);
		printf("'");
		kind = names_kind(group, c);
		if (kind)
			printf("; names=%s", kind);
		printf(" ;;\n");
	}
}

static void print_values(const struct cbpf_cmd *table, const char *group)
{
	for (const struct cbpf_cmd *c = table; c->name; c++) {
		if (c->sub) {
			print_values(c->sub, c->name);
			continue;
		}
		for (const struct cbpf_opt *o = c->opts; o && o->name; o++)
			if (has_choices(o->metavar)) {
				printf("\t\"%s%s%s --%s\") vals='", group ? group : "",
				       group ? " " : "", c->name, o->name);
				print_choices(o->metavar);
				printf("' ;;\n");
			}
	}
}

static void print_script(void)
{
	printf("# bash completion for cbpfnet, written by `cbpfnet completion bash`.\n"
	       "_cbpfnet_table() {\n\tsubs= opts= argopts= names=\n\tcase \"$1\" in\n");
	print_cases(cbpf_commands, NULL);
	printf("\tesac\n}\n\n_cbpfnet_values() {\n\tvals=\n\tcase \"$1\" in\n");
	print_values(cbpf_commands, NULL);
	printf("\tesac\n}\n\n");
	printf("_cbpfnet() {\n"
	       "\tlocal self=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} "
	       "prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	       "\tlocal globals='");
	for (const struct cbpf_opt *o = cli_global_opts; o->name; o++)
		printf("--%s ", o->name);
	printf("' path= cmd= sub= word i skip=0 subs opts argopts names vals\n"
	       "\tlocal -a state=()\n"
	       "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	       "\t\tword=${COMP_WORDS[i]}\n"
	       "\t\tif ((skip)); then skip=0; state+=(\"$word\"); continue; fi\n"
	       "\t\tcase $word in\n"
	       "\t\t--state | --bpffs) skip=1; state+=(\"$word\"); continue ;;\n"
	       "\t\t-*) continue ;;\n"
	       "\t\tesac\n"
	       "\t\tif [ -z \"$cmd\" ]; then cmd=$word; path=$word\n"
	       "\t\telif [ -z \"$sub\" ] && _cbpfnet_table \"$cmd\" && [ -n \"$subs\" ]; then\n"
	       "\t\t\tsub=$word; path=\"$cmd $word\"\n"
	       "\t\tfi\n"
	       "\tdone\n"
	       "\t_cbpfnet_table \"$path\"\n"
	       "\tcase $prev in\n"
	       "\t--state | --bpffs) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n"
	       "\t--net) COMPREPLY=($(compgen -W \"$(\"$self\" \"${state[@]}\" completion names "
	       "net 2>/dev/null)\" -- \"$cur\")); return ;;\n"
	       "\tesac\n"
	       "\tif [[ \" $argopts \" == *\" $prev \"* ]]; then\n"
	       "\t\t_cbpfnet_values \"$path $prev\"\n"
	       "\t\tif [ -n \"$vals\" ]; then COMPREPLY=($(compgen -W \"$vals\" -- \"$cur\"));\n"
	       "\t\telse COMPREPLY=($(compgen -f -- \"$cur\")); fi\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tif [[ $cur == -* ]]; then\n"
	       "\t\tCOMPREPLY=($(compgen -W \"$opts $globals\" -- \"$cur\")); return\n"
	       "\tfi\n"
	       "\tif [ -z \"$cmd\" ]; then\n"
	       "\t\tCOMPREPLY=($(compgen -W \"");
	for (const struct cbpf_cmd *c = cbpf_commands; c->name; c++)
		printf("%s ", c->name);
	printf("\" -- \"$cur\")); return\n"
	       "\tfi\n"
	       "\tif [ -n \"$subs\" ]; then COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\")); "
	       "return; fi\n"
	       "\tif [ -n \"$names\" ]; then\n"
	       "\t\tCOMPREPLY=($(compgen -W \"$(\"$self\" \"${state[@]}\" completion names $names "
	       "2>/dev/null)\" -- \"$cur\"))\n"
	       "\tfi\n"
	       "}\n"
	       "complete -F _cbpfnet cbpfnet\n");
}

/* The names of KIND's objects, one a line, from the agent; nothing (and 0) without one. */
static int print_names(const struct cbpf_ctx *ctx, const char *kind)
{
	struct cbpf_ctx json_ctx = *ctx;
	char *words[] = {(char *)kind, "list", NULL};
	char *text = NULL;
	size_t len = 0;
	FILE *saved = stdout, *out = open_memstream(&text, &len), *quiet = fopen("/dev/null", "w");
	json_object *list;

	if (!out || !quiet) {
		if (out)
			fclose(out);
		if (quiet)
			fclose(quiet);
		free(text);
		return 0;
	}
	json_ctx.json = true;
	stdout = out;
	cbpf_err_redirect(quiet);
	forward_to_agent(&json_ctx, 2, words);
	cbpf_err_redirect(NULL);
	stdout = saved;
	fclose(out);
	fclose(quiet);
	list = json_tokener_parse(text);
	for (size_t i = 0;
	     json_object_is_type(list, json_type_array) && i < json_object_array_length(list); i++)
		puts(json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(list, i), "name")));
	json_object_put(list);
	free(text);
	return 0;
}

int cli_completion_cmd(struct cbpf_ctx *ctx, int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "bash")) {
		print_script();
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "names") &&
	    (!strcmp(argv[2], "net") || !strcmp(argv[2], "ep") || !strcmp(argv[2], "node")))
		return print_names(ctx, argv[2]);
	cbpf_err("completion: usage: completion bash (or: completion names net|ep|node)");
	return -EINVAL;
}
