/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hypercall_test's guests <-> test contract: parameter and result words.
 */
#ifndef HVM_SELFTEST_HYPERCALL_H
#define HVM_SELFTEST_HYPERCALL_H

/* GUEST_PARAM(HC_P_AMD): 1 on SVM (VMMCALL), 0 on VMX (VMCALL). */
#define HC_P_AMD		0

/* Kernel guest: RAX after each call, RBX..RSI after the first. */
#define HC_R_RET0		0
#define HC_R_RET1		1
#define HC_R_RBX		2
#define HC_R_RCX		3
#define HC_R_RDX		4
#define HC_R_RSI		5
#define HC_R_DONE		6

/* User guest: #UD count, the EIPs of the two faults, other vectors. */
#define HC_R_UD_COUNT		0
#define HC_R_UD_EIP0		1
#define HC_R_UD_EIP1		2
#define HC_R_VMMCALL_EIP	3
#define HC_R_VMCALL_EIP		4
#define HC_R_OTHER_VECTOR	5

/* The values of the first call (nr, args) and what the test answers. */
#define HC_NR0			0x1234
#define HC_ARG0			0x1111222233334444
#define HC_ARG1			0x5555666677778888
#define HC_ARG2			0x99990000aaaabbbb
#define HC_ARG3			0xccccddddeeeeffff
#define HC_NR1			0x77

/* The user guest's OUT when it is done (al = HC_USER_DONE). */
#define HC_USER_DONE		0x5a
#define HC_USER_FAILED		0xee

#endif /* HVM_SELFTEST_HYPERCALL_H */
