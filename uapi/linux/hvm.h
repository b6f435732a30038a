/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hvm: hosted hypervisor, userspace API.
 *
 * /dev/hvm (system fd) -> HVM_CREATE_VM -> VM fd -> HVM_CREATE_VCPU -> vCPU fd
 *                                              \-> HVM_CREATE_RING -> ring fd
 *
 * Every structure here has a fixed layout on x86-64 (explicit padding, no
 * implicit holes).  Documentation/api.rst describes every ioctl and its
 * errors.
 */
#ifndef _UAPI_LINUX_HVM_H
#define _UAPI_LINUX_HVM_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/const.h>

#define HVM_API_VERSION		1

#define HVM_MAX_VCPUS		64
#define HVM_MAX_SLOTS		32
#define HVM_MAX_CPUID_ENTRIES	256
/* Highest guest-physical address + 1 that a slot may cover (2^46). */
#define HVM_MAX_GPA		_BITULL(46)

/* ---- system fd ---------------------------------------------------------- */

enum hvm_vendor {
	HVM_VENDOR_NONE  = 0,
	HVM_VENDOR_AMD   = 1,	/* AMD SVM */
	HVM_VENDOR_INTEL = 2,	/* Intel VMX */
};

/* hvm_caps.features */
#define HVM_CAP_NESTED_PAGING	_BITUL(0)	/* NPT or EPT (always set) */
#define HVM_CAP_NRIP_SAVE	_BITUL(1)	/* SVM: next RIP saved on exit */
#define HVM_CAP_DECODE_ASSISTS	_BITUL(2)	/* SVM: insn bytes on #NPF */
#define HVM_CAP_FLUSH_BY_ASID	_BITUL(3)	/* SVM: TLB flush per ASID */
#define HVM_CAP_VMCB_CLEAN	_BITUL(4)	/* SVM: VMCB clean bits */
#define HVM_CAP_VGIF		_BITUL(5)	/* SVM: virtual GIF */
#define HVM_CAP_VPID		_BITUL(6)	/* VMX: VPID */
#define HVM_CAP_UNRESTRICTED	_BITUL(7)	/* VMX: unrestricted guest */
/* A spinning PAUSE loop exits and yields (SVM pause filter, VMX PLE). */
#define HVM_CAP_PAUSE_EXITS	_BITUL(8)

/*
 * HVM_GET_CAPS.  Fields are only ever appended.  In: size = the bytes the
 * caller has room for (HVM_CAPS_SIZE_V1 .. HVM_CAPS_SIZE_MAX); out: size =
 * the bytes this module fills (its sizeof); room past that reads zero.
 */
#define HVM_CAPS_SIZE_V1	80	/* the structure of HVM_API_VERSION 1 */
#define HVM_CAPS_SIZE_MAX	4096

struct hvm_caps {
	__u32 size;		/* in: room; out: bytes the module knows */
	__u32 vendor;		/* enum hvm_vendor */
	__u32 features;		/* HVM_CAP_* */
	__u32 nr_asids;		/* ASIDs / VPIDs the hardware offers */
	__u32 max_vcpus;	/* per VM */
	__u32 max_slots;	/* per VM */
	__u32 max_cpuid_entries;
	__u32 ring_slots;	/* synchronous slots in a ring (== max_vcpus) */
	__u32 ring_posted_entries;
	__u32 reserved0;
	__u64 max_gpa;		/* highest guest-physical address + 1 */
	__u64 reserved[4];
};

/*
 * HVM_CHECK_EXTENSION numbers (system fd and VM fd).  Stable: a number is
 * never reused or renumbered, new ones are appended.  The ioctl returns 0
 * for an extension the module lacks (or does not know), else a positive
 * value: the number named here, or 1.
 */
#define HVM_EXT_CAPS_SIZE	1	/* sizeof(struct hvm_caps) of the module */
#define HVM_EXT_MAX_VCPUS	2	/* vCPUs per VM */
#define HVM_EXT_MAX_SLOTS	3	/* memory slots per VM */
#define HVM_EXT_READONLY_MEM	4	/* HVM_MEM_READONLY: 1 */
#define HVM_EXT_RING		5	/* HVM_CREATE_RING: slots per ring */
#define HVM_EXT_POSTED_WRITES	6	/* HVM_RING_ADD_POSTED: posted entries */
#define HVM_EXT_SUPPORTED_CPUID	7	/* HVM_GET_SUPPORTED_CPUID, masking */
#define HVM_EXT_GET_CPUID	8	/* HVM_GET_CPUID: 1 */
#define HVM_EXT_DEBUGREGS	9	/* HVM_GET/SET_DEBUGREGS: 1 */
#define HVM_EXT_DIRTY_LOG	10	/* HVM_MEM_LOG_DIRTY, HVM_GET_DIRTY_LOG: 1 */
#define HVM_EXT_LARGEST_LEAF	11	/* largest nested page table leaf, KiB */
#define HVM_EXT_MEMORY_STATS	12	/* HVM_GET_MEMORY_STATS: 1 */
#define HVM_EXT_STATS		13	/* HVM_GET_STATS_FD: HVM_STATS_VERSION */
#define HVM_EXT_IRQCHIP		14	/* local APICs, MP state, MSIs: 1 */
#define HVM_EXT_TSC_KHZ		15	/* the guest TSC's rate, kHz */
#define HVM_EXT_HYPERCALL	16	/* HVM_EXIT_HYPERCALL: 1 */

/* ---- VM fd -------------------------------------------------------------- */

#define HVM_MEM_READONLY	_BITUL(0)
#define HVM_MEM_LOG_DIRTY	_BITUL(1)	/* track guest writes: GET_DIRTY_LOG */

/*
 * Maps [guest_phys, guest_phys + size) onto the calling process's memory at
 * userspace_addr.  All three must be page aligned.  size == 0 deletes the
 * slot.  A slot cannot be resized or moved: delete it and create it again.
 */
struct hvm_memory_slot {
	__u32 slot;
	__u32 flags;		/* HVM_MEM_* */
	__u64 guest_phys;
	__u64 size;
	__u64 userspace_addr;
};

#define HVM_CPUID_SIGNIFICANT_INDEX	_BITUL(0)

struct hvm_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;		/* HVM_CPUID_* */
	__u32 eax;
	__u32 ebx;
	__u32 ecx;
	__u32 edx;
	__u32 reserved;
};

/*
 * HVM_SET_CPUID: in.  HVM_GET_SUPPORTED_CPUID, HVM_GET_CPUID: nent in = room
 * in entries[], out = entries written (or needed, with E2BIG).
 */
struct hvm_cpuid {
	__u32 nent;
	__u32 reserved;
	struct hvm_cpuid_entry entries[];
};

/* ---- vCPU fd ------------------------------------------------------------ */

/* General registers, in x86 encoding order (rax = 0 ... r15 = 15). */
struct hvm_regs {
	__u64 rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/*
 * attrib uses the SVM VMCB packing of the descriptor attribute bits:
 * bits 0-3 type, 4 S, 5-6 DPL, 7 P, 8 AVL, 9 L, 10 D/B, 11 G.
 */
struct hvm_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u16 attrib;
};

struct hvm_dtable {
	__u64 base;
	__u16 limit;
	__u16 reserved[3];
};

struct hvm_sregs {
	struct hvm_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct hvm_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8, efer;
	__u64 reserved[4];
};

/*
 * The guest's debug registers, as its MOV from DRn reads them.  Set:
 * dr6 and dr7 take the architectural fixed bits whatever is passed;
 * bits 63:32 of either, flags or reserved not zero give EINVAL.
 */
struct hvm_debugregs {
	__u64 db[4];		/* DR0-DR3 */
	__u64 dr6;
	__u64 dr7;
	__u64 flags;		/* none defined: 0 */
	__u64 reserved[9];	/* 0 */
};

enum hvm_exit_reason {
	HVM_EXIT_NONE		= 0,
	HVM_EXIT_HLT		= 1,	/* guest executed HLT; RIP is past it */
	HVM_EXIT_IO		= 2,	/* port access no ring served */
	HVM_EXIT_MMIO		= 3,	/* MMIO access no ring served */
	HVM_EXIT_MSR		= 4,	/* MSR the kernel does not handle */
	HVM_EXIT_SHUTDOWN	= 5,	/* triple fault */
	HVM_EXIT_DECODE_FAILED	= 6,	/* MMIO instruction not decodable */
	HVM_EXIT_FAIL_ENTRY	= 7,	/* hardware refused the guest state */
	HVM_EXIT_UNHANDLED	= 8,	/* exit the kernel does not know */
	HVM_EXIT_STOPPED	= 9,	/* HVM_RING_STOP_VM: device asked */
	HVM_EXIT_INTR		= 10,	/* RUN interrupted by a signal */
	HVM_EXIT_HYPERCALL	= 11,	/* VMCALL/VMMCALL at CPL 0 */
};

/*
 * Layout of the page mmap'ed from a vCPU fd at offset 0.  The kernel fills
 * exit_reason and the matching member of the union when HVM_RUN returns,
 * and copies the guest's general registers into regs.  Userspace may edit
 * regs and set regs_dirty = 1: the next HVM_RUN loads them.
 */
struct hvm_run {
	__u32 exit_reason;	/* enum hvm_exit_reason */
	__u32 regs_dirty;
	/*
	 * VM exits of this vCPU so far that its guest's instructions caused
	 * (I/O, MMIO, CPUID, MSR, HLT...), counted by the kernel: not exits
	 * for host interrupts or kicks, nor nested page faults that only
	 * mapped guest memory (was reserved and zero before; read-only for
	 * userspace).
	 */
	__u64 nr_exits;
	union {
		/*
		 * HVM_EXIT_IO / HVM_EXIT_MMIO without a ring.  For a read,
		 * write the value to data before the next HVM_RUN: the
		 * access completes then.  A write is already done.
		 */
		struct {
			__u64 addr;	/* port or guest-physical address */
			__u64 data;
			__u8 size;	/* 1, 2, 4 or 8 */
			__u8 is_write;
			__u8 reserved[6];
		} io;
		/*
		 * HVM_EXIT_MSR.  For a read, put the value in data; set
		 * error = 1 to make the guest take #GP instead.
		 */
		struct {
			__u32 index;
			__u8 is_write;
			__u8 error;
			__u8 reserved[2];
			__u64 data;
		} msr;
		/* HVM_EXIT_DECODE_FAILED */
		struct {
			__u64 gpa;
			__u64 rip;
			__u8 insn_len;	/* bytes fetched (0: fetch failed) */
			__u8 insn[15];
		} decode;
		/* HVM_EXIT_FAIL_ENTRY / HVM_EXIT_UNHANDLED / HVM_EXIT_SHUTDOWN */
		struct {
			__u64 hw_exit_code;	/* SVM exit code / VMX reason */
			__u64 info1;
			__u64 info2;
		} hw;
		/* HVM_EXIT_STOPPED */
		struct {
			__u64 code;
		} stop;
		/*
		 * HVM_EXIT_HYPERCALL: nr is the guest's RAX, args its RBX,
		 * RCX, RDX and RSI; RIP is past the instruction.  The next
		 * HVM_RUN puts ret in the guest's RAX.
		 */
		struct {
			__u64 nr;
			__u64 args[4];
			__u64 ret;
		} hypercall;
		__u8 padding[256];
	};
	struct hvm_regs regs;
};

/*
 * HVM_GET_MP_STATE / HVM_SET_MP_STATE (HVM_EXT_IRQCHIP).  Every vCPU is
 * created RUNNABLE; a runner puts application processors in WAIT_SIPI
 * before their first HVM_RUN.  HVM_RUN of a HALTED or WAIT_SIPI vCPU
 * sleeps in the kernel until an interrupt (a SIPI) or a signal.
 */
struct hvm_mp_state {
	__u32 state;		/* HVM_MP_STATE_* */
	__u32 reserved;		/* 0 */
};

#define HVM_MP_STATE_RUNNABLE	0
#define HVM_MP_STATE_HALTED	1	/* HLT with IF=1: until an interrupt */
#define HVM_MP_STATE_WAIT_SIPI	2	/* after INIT: until a SIPI */

/* ---- ring fd: the shared-memory I/O ring -------------------------------- */

/*
 * A ring is created on the VM fd and handed to a device helper (usually
 * another process).  mmap the whole ring (header.mmap_size bytes) from
 * offset 0.  Slot life cycle, one slot per vCPU:
 *
 *   FREE -> PENDING (kernel wrote the request)
 *        -> PROCESSING (helper took it)
 *        -> COMPLETE (helper wrote data/result, then calls HVM_RING_NOTIFY)
 *        -> FREE (kernel consumed the result)
 *
 * State stores use release ordering and loads acquire ordering on both
 * sides.
 *
 * Ring layout version 2 (header.version == HVM_RING_VERSION) adds two
 * bitmaps to the header, bit i for slot i; every version-1 field keeps its
 * meaning, so a helper that scans the slots still works:
 *   pending_mask  the kernel sets bit i (atomic OR, after storing PENDING)
 *                 so the helper finds its work without scanning; the
 *                 helper takes the bits with an atomic exchange with 0 and
 *                 serves the slots whose state is PENDING.
 *   waiting_mask  the kernel sets bit i while slot i's vCPU sleeps for
 *                 COMPLETE (and clears it once awake).  After storing
 *                 COMPLETE and a full fence, a helper that sees the bit
 *                 clear may skip HVM_RING_NOTIFY: the vCPU is still
 *                 polling and sees COMPLETE by itself.
 * HVM_RING_NOTIFY's argument: 0 wakes every waiting vCPU (version 1),
 * else bit i wakes slot i's vCPU only; vCPUs waiting for posted room are
 * woken by either.
 *
 * Posted writes go to a single-producer-per-lock, single-consumer
 * ring of entries; the kernel advances posted_head, the helper
 * posted_tail.  A synchronous request carries posted_seq: the helper must
 * have consumed every posted entry before it (posted_tail >= posted_seq)
 * before serving the request, so a request never overtakes earlier posted
 * writes.
 */
#define HVM_RING_MAGIC		0x484d5652U	/* "RVMH" */
/* header.version: 1 had no pending_mask / waiting_mask. */
#define HVM_RING_VERSION	2

enum hvm_slot_state {
	HVM_SLOT_FREE		= 0,
	HVM_SLOT_PENDING	= 1,
	HVM_SLOT_PROCESSING	= 2,
	HVM_SLOT_COMPLETE	= 3,
};

enum hvm_io_space {
	HVM_IO_PIO	= 0,
	HVM_IO_MMIO	= 1,
};

struct hvm_ring_slot {
	__u32 state;		/* enum hvm_slot_state */
	__u32 vcpu;
	__u8 space;		/* enum hvm_io_space */
	__u8 is_write;
	__u8 size;		/* 1, 2, 4 or 8 */
	__u8 reserved0;
	__s32 result;		/* helper: 0 or -errno (guest sees all-ones) */
	__u64 addr;
	__u64 data;		/* write value / read result */
	__u64 seq;		/* request number, increasing per ring */
	__u64 posted_seq;	/* posted entries queued before this one */
	__u64 reserved[2];
};

struct hvm_posted_entry {
	__u64 seq;		/* posted sequence number of this entry */
	__u64 addr;
	__u64 data;
	__u8 space;
	__u8 size;
	__u8 reserved[2];
	__u32 vcpu;
};

struct hvm_ring_header {
	__u32 magic;		/* HVM_RING_MAGIC */
	__u32 version;		/* HVM_RING_VERSION (1 before the masks) */
	__u32 nr_slots;
	__u32 nr_posted;	/* power of two */
	__u32 slots_offset;	/* from the start of the mapping */
	__u32 posted_offset;
	__u32 mmap_size;
	__u32 reserved0;
	/* Kernel-written: entries published so far.  Helper reads (acquire). */
	__u64 posted_head;
	/* Helper-written: entries consumed so far.  Kernel reads (acquire). */
	__u64 posted_tail;
	/* Version 2: slots PENDING not yet taken by a helper (bit = slot). */
	__u64 pending_mask;
	/* Version 2: slots whose vCPU sleeps until HVM_RING_NOTIFY. */
	__u64 waiting_mask;
	/*
	 * Version 2: non-zero while a vCPU sleeps for room in the posted
	 * ring; a helper that advanced posted_tail then calls
	 * HVM_RING_NOTIFY (full fence between the two, as for waiting_mask).
	 */
	__u32 posted_waiting;
	__u32 reserved1;
	__u64 reserved[1];
};

#define HVM_POSTED_MAX_RANGES	16

/* A range whose writes are posted instead of synchronous. */
struct hvm_posted_range {
	__u32 space;		/* enum hvm_io_space */
	__u32 reserved;
	__u64 base;
	__u64 size;
};

/*
 * HVM_RING_SIGNAL_MSI (HVM_EXT_IRQCHIP): a device's interrupt, as the
 * message a PCI device writes.  address: 0xfee00000 | destination APIC ID
 * << 12 | 1 << 2 for logical destination mode.  data: vector in bits 7:0,
 * delivery mode in 10:8 (0 fixed, 1 lowest priority, 4 NMI), bit 15 set
 * for level trigger.  Returns the number of local APICs that accepted it,
 * or EINVAL for a malformed message (a fixed vector below 16, another
 * delivery mode, bits set outside those fields, flags not 0).
 */
struct hvm_msi {
	__u64 address;
	__u32 data;
	__u32 flags;		/* 0 */
};

/*
 * HVM_GET_DIRTY_LOG: copies the slot's dirty bitmap to bitmap (a user
 * pointer; bit n of 64-bit word n / 64 is the slot's page n, the size
 * rounded up to whole words) and clears it.  Pages are write-protected
 * again before the call returns, so any guest write after it shows in the
 * next call.
 */
struct hvm_dirty_log {
	__u32 slot;
	__u32 reserved;
	__u64 bitmap;
};

/* HVM_GET_MEMORY_STATS: counts since the VM was created, except as noted. */
struct hvm_memory_stats {
	__u64 faults;		/* nested page faults served from a slot */
	__u64 prefaults;	/* present neighbours mapped with a fault */
	__u64 invalidations;	/* host ranges that unmapped guest memory */
	__u64 leaves_4k;	/* leaves installed, by size */
	__u64 leaves_2m;
	__u64 leaves_1g;
	__u64 dirty_faults;	/* writes caught by dirty logging */
	__u64 table_pages;	/* page-table pages held now */
	__u64 reserved[8];
};

/* ---- statistics fd ------------------------------------------------------ */

/*
 * HVM_GET_STATS_FD (VM fd) and HVM_GET_VCPU_STATS_FD (vCPU fd) return a
 * read-only fd.  read() and pread() at any offset see one file:
 *
 *   offset 0            struct hvm_stats_header
 *   header.id_offset    id: HVM_STATS_ID_SIZE bytes, NUL-terminated
 *   header.desc_offset  num_desc struct hvm_stats_desc
 *   header.data_offset  the values, __u64 each, at data_offset + desc.offset
 *
 * Everything before data_offset is fixed for the fd's life; the values are
 * sampled by each read() that reaches them (one read of the whole data
 * area gives one consistent sample per vCPU).  A reader finds a counter
 * by name, never by position: counters are appended, and a reader must
 * skip descriptors whose type or unit it does not know.
 */
#define HVM_STATS_MAGIC		0x54535648U	/* "HVST" */
#define HVM_STATS_VERSION	1
#define HVM_STATS_ID_SIZE	64
#define HVM_STATS_NAME_SIZE	48

struct hvm_stats_header {
	__u32 magic;		/* HVM_STATS_MAGIC */
	__u32 version;		/* HVM_STATS_VERSION */
	__u32 flags;		/* none defined: 0 */
	__u32 num_desc;
	__u32 desc_size;	/* sizeof(struct hvm_stats_desc) */
	__u32 id_offset;
	__u32 desc_offset;
	__u32 data_offset;
	__u32 data_size;	/* bytes of values */
	__u32 reserved0;
	__u64 reserved[3];
};

/* hvm_stats_desc.flags: type in bits 0-3, unit in bits 4-7. */
#define HVM_STATS_TYPE_MASK		0x0fU
#define HVM_STATS_TYPE_CUMULATIVE	0x00U	/* only grows */
#define HVM_STATS_TYPE_INSTANT		0x01U	/* a level, up or down */
#define HVM_STATS_UNIT_MASK		0xf0U
#define HVM_STATS_UNIT_NONE		0x00U	/* a count of events */
#define HVM_STATS_UNIT_NANOSECONDS	0x10U
#define HVM_STATS_UNIT_PAGES		0x20U	/* 4 KiB pages */

struct hvm_stats_desc {
	__u32 flags;		/* HVM_STATS_TYPE_* | HVM_STATS_UNIT_* */
	__u32 offset;		/* of the __u64 value, from data_offset */
	__u32 size;		/* number of __u64 values: 1 */
	__u32 reserved;
	char name[HVM_STATS_NAME_SIZE];	/* NUL-terminated */
};

/* ---- ioctls ------------------------------------------------------------- */

#define HVMIO	0xB9

/* system fd */
#define HVM_GET_API_VERSION	_IO(HVMIO,   0x00)
/* The size in HVM_GET_CAPS's number is not checked: hvm_caps.size rules. */
#define HVM_GET_CAPS		_IOWR(HVMIO, 0x01, struct hvm_caps)
#define HVM_CREATE_VM		_IO(HVMIO,   0x02)
#define HVM_CHECK_EXTENSION	_IO(HVMIO,   0x03)	/* arg: HVM_EXT_* */
#define HVM_GET_SUPPORTED_CPUID	_IOWR(HVMIO, 0x04, struct hvm_cpuid)

/* VM fd */
#define HVM_SET_MEMORY_SLOT	_IOW(HVMIO,  0x10, struct hvm_memory_slot)
#define HVM_CREATE_VCPU		_IO(HVMIO,   0x11)	/* arg: vCPU id */
#define HVM_SET_CPUID		_IOW(HVMIO,  0x12, struct hvm_cpuid)
#define HVM_CREATE_RING		_IO(HVMIO,   0x13)
#define HVM_GET_CPUID		_IOWR(HVMIO, 0x14, struct hvm_cpuid)
#define HVM_GET_DIRTY_LOG	_IOW(HVMIO,  0x15, struct hvm_dirty_log)
#define HVM_GET_MEMORY_STATS	_IOR(HVMIO,  0x16, struct hvm_memory_stats)
/* Returns a statistics fd (O_RDONLY | O_CLOEXEC); arg must be 0. */
#define HVM_GET_STATS_FD	_IO(HVMIO,   0x17)
/* HVM_CHECK_EXTENSION is accepted on the VM fd too. */

/* vCPU fd */
#define HVM_RUN			_IO(HVMIO,   0x20)
#define HVM_GET_REGS		_IOR(HVMIO,  0x21, struct hvm_regs)
#define HVM_SET_REGS		_IOW(HVMIO,  0x22, struct hvm_regs)
#define HVM_GET_SREGS		_IOR(HVMIO,  0x23, struct hvm_sregs)
#define HVM_SET_SREGS		_IOW(HVMIO,  0x24, struct hvm_sregs)
#define HVM_GET_DEBUGREGS	_IOR(HVMIO,  0x25, struct hvm_debugregs)
#define HVM_SET_DEBUGREGS	_IOW(HVMIO,  0x26, struct hvm_debugregs)
#define HVM_GET_VCPU_STATS_FD	_IO(HVMIO,   0x27)	/* arg: 0 */
#define HVM_GET_MP_STATE	_IOR(HVMIO,  0x28, struct hvm_mp_state)
#define HVM_SET_MP_STATE	_IOW(HVMIO,  0x29, struct hvm_mp_state)

/* ring fd */
#define HVM_RING_NOTIFY		_IO(HVMIO,   0x30)
#define HVM_RING_ADD_POSTED	_IOW(HVMIO,  0x31, struct hvm_posted_range)
#define HVM_RING_STOP_VM	_IO(HVMIO,   0x32)	/* arg: stop code */
#define HVM_RING_SIGNAL_MSI	_IOW(HVMIO,  0x33, struct hvm_msi)

#endif /* _UAPI_LINUX_HVM_H */
