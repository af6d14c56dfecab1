/*
 * A network requirement: the four user weights of the paper's adaptation step, each an integer
 * 0..10, and the two network models they choose between.
 */
#ifndef CBPF_MODEL_REQ_H
#define CBPF_MODEL_REQ_H

#define MODEL_NFEAT 4
#define MODEL_W_MAX 10

enum model_feature { MODEL_SECURITY, MODEL_SCALE, MODEL_EFFICIENCY, MODEL_EXTENSIBILITY };

/* Label 0 and 1 of the paper's data. */
enum model_choice { MODEL_CHOICE_OVERLAY = 0, MODEL_CHOICE_MACVLAN = 1 };

struct model_req {
	int w[MODEL_NFEAT];
};

extern const char *const model_feature_names[MODEL_NFEAT];

const char *model_choice_name(enum model_choice c);
/* Parses "overlay" or "macvlan"; returns 0 or -EINVAL (no message). */
int model_choice_parse(const char *text, enum model_choice *out);
/* Parses one weight; on error reports "<what>: ..." and returns -EINVAL. */
int model_weight_parse(const char *what, const char *text, int *out);
/*
 * Parses "security=S,scale=N,efficiency=E,extensibility=X" (any order, each exactly once).
 * Reports what is wrong and returns -EINVAL.
 */
int model_req_parse(const char *spec, struct model_req *out);

#endif
