/*
 * Definitions shared by the BPF programs and userspace. BPF code sees the kernel types through
 * vmlinux.h; userspace through the UAPI headers.
 */
#ifndef CBPF_MAPS_COMMON_H
#define CBPF_MAPS_COMMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Every pin lives under <bpffs>/CBPF_PIN_DIR. */
#define CBPF_PIN_DIR "cbpfnet"

/* Bumped whenever a key or value layout below changes, so old pins are never reused. */
#define CBPF_ABI_VERSION 3

#define CBPF_ETH_ALEN 6

#endif
