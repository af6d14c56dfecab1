/* What the libFuzzer targets share: the input as a C string. */
#ifndef CBPF_FUZZ_H
#define CBPF_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The parsers take C strings: a NUL inside the input ends what they see, as it would in a file. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	return text;
}

#endif
