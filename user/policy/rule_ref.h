/*
 * The rule number people see. File rules and `policy set` rules are numbered apart (file rules
 * 1..n in file order, set rules by the state's counter, which a file edit never renumbers), so
 * one integer cannot name both stably: a rule is "fN" or "sN" everywhere it is shown
 * (policy list, explain, stats, monitor), and "-" for the built-in defaults (icc off).
 */
#ifndef CBPF_RULE_REF_H
#define CBPF_RULE_REF_H

#include <stddef.h>
#include <stdint.h>

#define CBPF_RULE_REF_MAX 16

/* Formats the datapath's rule id (CBPF_RULE_STATE_BIT marks set rules) into buf; returns buf. */
const char *cbpf_rule_ref(uint32_t rule_id, char buf[CBPF_RULE_REF_MAX]);

#endif
