/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MMIO instruction emulation and guest page walks.
 *
 * Pure code: no kernel calls, only the callbacks below, so that the same
 * file builds into a userspace test (selftests/decoder).
 */
#ifndef HVM_EMULATE_H
#define HVM_EMULATE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#else
#include "emulate_user.h"
#endif

struct hvm_emul_ops {
	/* Guest-physical RAM (memory slots).  0, or -EFAULT if not RAM. */
	int (*read_phys)(void *opaque, u64 gpa, void *buf, unsigned int len);
	int (*write_phys)(void *opaque, u64 gpa, const void *buf,
			  unsigned int len);
	/*
	 * Device access.  mmio_read returns 0 with *val set, -EAGAIN when
	 * the value is not there yet (the access was submitted; the caller
	 * will run the whole emulation again later), or another -errno.
	 */
	int (*mmio_read)(void *opaque, u64 gpa, unsigned int size, u64 *val);
	int (*mmio_write)(void *opaque, u64 gpa, unsigned int size, u64 val);
};

struct hvm_emul_ctxt {
	/* Guest state in; regs, rip and rflags updated on success. */
	u64 *gprs;		/* 16 registers, x86 encoding order */
	u64 rip;
	u64 rflags;
	u64 cr0, cr3, cr4, efer;
	u64 cs_base, ds_base, es_base, ss_base, fs_base, gs_base;
	bool cs_l;		/* CS.L (64-bit code segment) */
	bool cs_d;		/* CS.D/B (32-bit default size) */
	u8 cpl;
	u64 fault_gpa;		/* the guest-physical address that faulted */

	const struct hvm_emul_ops *ops;
	void *opaque;

	/* Out: the bytes fetched, for reports. */
	u8 insn[15];
	u8 insn_len;
};

/*
 * Emulate the instruction at rip that touched fault_gpa.
 * 0: done, gprs/rip/rflags committed.  -EAGAIN: a read is pending, nothing
 * committed.  -EOPNOTSUPP: not an instruction the emulator handles.
 * -EFAULT: the instruction could not be fetched.  Other -errno from the
 * callbacks.  Nothing is committed unless 0 is returned.
 */
int hvm_emulate_mmio(struct hvm_emul_ctxt *ctxt);

/*
 * Fetch the bytes at CS:rip into ctxt->insn (insn_len of them, up to 15,
 * fewer before an unmapped page), for decoders outside this file.
 * 0, or -EFAULT if not even the first byte could be fetched.
 */
int hvm_emulate_fetch(struct hvm_emul_ctxt *ctxt);

/*
 * Translate a guest linear address with the guest's paging mode (none,
 * 32-bit, PAE, 4-level).  0 with *gpa set, or -EFAULT.
 */
int hvm_gva_to_gpa(const struct hvm_emul_ctxt *ctxt, u64 gva, bool write,
		   u64 *gpa);

#endif /* HVM_EMULATE_H */
