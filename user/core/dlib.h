/* Libraries opened on first use instead of linked, so that commands which never need them do
 * not pay for loading them (and everything behind them) at every start. */
#ifndef CBPF_DLIB_H
#define CBPF_DLIB_H

#include <stddef.h>

struct dlib_symbol {
	const char *name;
	void **slot; /* a function pointer's address, filled with the symbol's */
};

/* The row for member of obj read from the symbol of the same spelling as symbol. */
#define DLIB_SYMBOL(obj, member, symbol)                                                           \
	{                                                                                          \
#symbol, (void **)&(obj).member                                                    \
	}

/*
 * Opens soname and reads each symbol into its slot; 0, or -ENOENT (no library) or -ENOSYS (a
 * symbol missing) with the reason in msg.
 */
int dlib_open(const char *soname, const struct dlib_symbol *syms, size_t n, char *msg, size_t size);

#endif
