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

/*
 * Drops an skb at TCX egress so that its sender takes it for loss, as behind a firewall's DROP.
 * TC_ACT_SHOT there fails the sender's dev_queue_xmit() with NET_XMIT_DROP, which sockets report
 * as ENOBUFS ("ping: sendmsg: No buffer space available"), and TC_ACT_STOLEN is no TCX verdict
 * (TCX takes it for TCX_NEXT and the packet would pass). A redirect is reported to the sender
 * as sent, and skb_do_redirect() frees one to ifindex 0, which no device has, unsent. The
 * caller counts the drop under its reason first.
 */
static __always_inline int cbpf_egress_drop(void)
{
	return bpf_redirect(0, 0);
}

#endif
