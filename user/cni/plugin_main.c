/*
 * cbpfnet-cni: the CNI plugin on its own, linked with json-c alone, so a runtime's exec of it
 * loads one library instead of cbpfnet's forty.
 */
#include "cni/cni.h"

int main(void)
{
	return cni_main();
}
