/* Meta map: which build loaded the pinned programs, so a different build never mixes with them. */
#ifndef CBPF_MAPS_META_H
#define CBPF_MAPS_META_H

#include "common.h"

struct cbpf_meta {
	__u64 build_id; /* hash of the BPF object that created the pins */
	__u32 abi_version;
	__u32 pad;
};

#endif
