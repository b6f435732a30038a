/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpuid_test's guest <-> test contract: where the guest stores the CPUID
 * words it read and the vector each feature's instruction raised.
 */
#ifndef HVM_SELFTEST_CPUID_STEPS_H
#define HVM_SELFTEST_CPUID_STEPS_H

/* Result words: CPUID registers the guest read. */
#define CPUID_R_1_ECX		0
#define CPUID_R_1_EDX		1
#define CPUID_R_7_EBX		2
#define CPUID_R_7_ECX		3
#define CPUID_R_7_EDX		4
#define CPUID_R_81_ECX		5
#define CPUID_R_81_EDX		6
#define CPUID_R_D0_EAX		7
#define CPUID_R_D1_EAX		8
#define CPUID_R_XCR0		9	/* what the guest asked XSETBV for */

/* Result words: the vector each step raised, or CPUID_NO_FAULT. */
#define CPUID_S_RDTSCP		16
#define CPUID_S_RDPID		17
#define CPUID_S_INVPCID		18
#define CPUID_S_CR4_OSXSAVE	19
#define CPUID_S_XSETBV		20
#define CPUID_S_XSAVE		21
#define CPUID_S_XSAVES		22
#define CPUID_S_AVX		23
#define CPUID_NR_STEPS		8

#define CPUID_LAST_VECTOR	30
#define CPUID_RESUME_RIP	31
#define CPUID_DONE		32	/* 1 once the guest got to the end */

#define CPUID_NO_FAULT		0xffULL

#endif /* HVM_SELFTEST_CPUID_STEPS_H */
