/* Direct packet access helpers for programs on skbs (TC). */
#ifndef CBPF_SKB_H
#define CBPF_SKB_H

/*
 * clang may keep &skb->data in a register across the pull helper call, which the verifier
 * rejects as a modified context pointer; an asm load pins the access to one instruction.
 */
#define SKB_LOAD_PTR(skb, field)                                                                   \
	({                                                                                         \
		void *ptr_;                                                                        \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                                              \
			     : "=r"(ptr_)                                                          \
			     : "r"(skb), "i"(__builtin_offsetof(struct __sk_buff, field)));        \
		ptr_;                                                                              \
	})

/* The same for a field read after a helper call that may have changed it. */
#define SKB_LOAD_U32(skb, field)                                                                   \
	({                                                                                         \
		__u32 val_;                                                                        \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                                              \
			     : "=r"(val_)                                                          \
			     : "r"(skb), "i"(__builtin_offsetof(struct __sk_buff, field)));        \
		val_;                                                                              \
	})

#endif
