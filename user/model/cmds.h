/* The `model` subcommands and the option handling they share (model_cmd.c). */
#ifndef CBPF_MODEL_CMDS_H
#define CBPF_MODEL_CMDS_H

#include <getopt.h>
#include <stdint.h>

#include "core/cmd.h"
#include "model/decide.h"
#include "model/metrics.h"
#include "model/store.h"

int model_cmd_gen(struct cbpf_ctx *ctx, int argc, char **argv);
int model_cmd_train(struct cbpf_ctx *ctx, int argc, char **argv);
int model_cmd_eval(struct cbpf_ctx *ctx, int argc, char **argv);
int model_cmd_screen(struct cbpf_ctx *ctx, int argc, char **argv);
int model_cmd_predict(struct cbpf_ctx *ctx, int argc, char **argv);
int model_cmd_decide(struct cbpf_ctx *ctx, int argc, char **argv);
int model_cmd_confirm(struct cbpf_ctx *ctx, int argc, char **argv);
int model_cmd_override(struct cbpf_ctx *ctx, int argc, char **argv);
int model_cmd_history(struct cbpf_ctx *ctx, int argc, char **argv);
int model_cmd_retrain(struct cbpf_ctx *ctx, int argc, char **argv);

extern const struct cbpf_opt model_gen_opts[], model_train_opts[], model_eval_opts[],
    model_screen_opts[], model_predict_opts[], model_decide_opts[], model_retrain_opts[];

/*
 * cbpf_getopt for a subcommand (argv[0]): the next option, -1 after the last, or -EINVAL after
 * reporting an unknown option or a missing value. Options may follow positional arguments.
 */
int model_getopt(int argc, char **argv, const struct cbpf_opt *opts);
/* Strict number parsing; report "<what>: ..." and return -EINVAL. */
int model_parse_double(const char *what, const char *text, double *out);
int model_parse_u64(const char *what, const char *text, uint64_t *out);
/* Requires exactly `want` positional arguments after the options; reports otherwise. */
int model_positional(int argc, char **argv, int want, const char *usage);

/*
 * Constraint options of predict and decide: --same-l2 (code 'L'), --parent-free ('P'), both
 * yes|no|unknown, and --passthru ('T'). Returns 1 if opt was one, 0 if not, -EINVAL on a bad
 * value.
 */
int model_constraint_opt(int opt, const char *arg, struct model_constraints *c);

/* Shared by train and retrain. */
int model_fit(const struct model_data *train, const char *train_path, size_t n_confirmed,
	      double lambda, struct model *m, double *ms);
int model_evaluate(const struct model_lr *lr, const struct model_data *d, const char *what,
		   struct model_metrics *m);
void model_print_weights(const struct model *m);

void model_print_metrics(const struct model_metrics *m);
json_object *model_decision_json(const struct model_decision *d);
void model_print_decision(const struct model_decision *d);

#endif
