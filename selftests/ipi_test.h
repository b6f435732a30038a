/* SPDX-License-Identifier: GPL-2.0 */
/* ipi_test and its guest: cases, vectors, result words. */
#ifndef HVM_SELFTEST_IPI_TEST_H
#define HVM_SELFTEST_IPI_TEST_H

#define IPI_CASE_FIXED		1
#define IPI_CASE_SHORTHANDS	2
#define IPI_CASE_INIT_SIPI	3

#define IPI_VECTOR_FIXED	0x40
#define IPI_VECTOR_SELF		0x41
#define IPI_VECTOR_ALL_BUT	0x42
#define IPI_VECTOR_ALL		0x43
#define IPI_VECTOR_LOGICAL	0x44
/* The AP's flat logical ID. */
#define IPI_AP_LOGICAL		0x02
/* SIPI vector: the AP starts at IPI_SIPI_VECTOR << 12, in real mode. */
#define IPI_SIPI_VECTOR		0x40

/* Per vCPU: GUEST_RESULT(IPI_R_BASE(cpu) + word). */
#define IPI_R_BASE(cpu)		(16 * (cpu))
#define IPI_R_DONE		0
#define IPI_R_RECEIVED		1	/* bit v - 0x40 for each vector */
#define IPI_R_READY		2	/* the AP waits for IPIs */
/* Written by the AP's real-mode code after SIPI. */
#define IPI_R_SIPI_MARK		40
#define IPI_SIPI_MARK_VALUE	0xabcd

#endif /* HVM_SELFTEST_IPI_TEST_H */
