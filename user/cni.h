/* cbpfnet as a CNI plugin (CNI spec 1.0): runtimes exec it with CNI_COMMAND set. */
#ifndef CBPF_CNI_H
#define CBPF_CNI_H

/* Runs the CNI command in the environment with the network config on stdin; exit status. */
int cni_main(void);

#endif
