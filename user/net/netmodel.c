#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "net/netmodel.h"

static const struct net_model_ops *const models[] = {
    &net_model_local,
    &net_model_overlay,
    &net_model_macvlan,
};

const struct net_model_ops *net_model_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (!strcmp(models[i]->name, name))
			return models[i];
	return NULL;
}

const struct net_model_ops *net_model_of(const struct cbpf_network *net)
{
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (models[i]->model == net->model)
			return models[i];
	return &net_model_local;
}

int parse_uint_option(const char *text, unsigned long min, unsigned long max, unsigned long *value)
{
	char *end;

	if (!text || !*text || *text == '-')
		return -EINVAL;
	errno = 0;
	*value = strtoul(text, &end, 10);
	if (errno || *end || *value < min || *value > max)
		return -EINVAL;
	return 0;
}

int netmodel_parse_vlan(const struct net_request *req, uint16_t *vlan)
{
	unsigned long value;

	*vlan = 0;
	if (!req->vlan)
		return 0;
	if (parse_uint_option(req->vlan, 1, 4094, &value)) {
		cbpf_err("net create %s: VLAN ID %s is outside 1..4094", req->name, req->vlan);
		return -EINVAL;
	}
	*vlan = value;
	return 0;
}
