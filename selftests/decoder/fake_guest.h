/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake guest for the emulator tests: a few pages of guest RAM at chosen
 * guest-physical addresses, everything else is a device whose accesses are
 * logged, and builders for guest page tables in every paging mode.
 */
#ifndef FAKE_GUEST_H
#define FAKE_GUEST_H

#include "emulate.h"

#define FG_PAGE_SIZE		4096u
#define FG_MAX_RAM_PAGES	48
#define FG_MAX_ACCESSES		4

/* Page table entry bits (same in every paging mode). */
#define FG_PTE_P		0x001ull
#define FG_PTE_RW		0x002ull
#define FG_PTE_US		0x004ull
#define FG_PTE_PS		0x080ull

enum fg_paging {
	FG_PAGING_NONE,
	FG_PAGING_32,		/* 2-level, 4-byte entries */
	FG_PAGING_PAE,		/* PDPT + 2 levels */
	FG_PAGING_4LEVEL,
	FG_PAGING_5LEVEL,
};

struct fg_access {
	u64 gpa;
	unsigned int size;
	bool write;
	u64 value;
};

struct fake_guest {
	struct {
		u64 gpa;
		u8 data[FG_PAGE_SIZE];
	} ram[FG_MAX_RAM_PAGES];
	unsigned int nr_ram;
	u64 next_table_gpa;	/* bump allocator for page-table pages */

	/* Device side. */
	u64 mmio_value;		/* what reads return */
	bool defer_reads;	/* first read of a run returns -EAGAIN */
	bool read_ready;	/* the deferred value has "arrived" */
	int mmio_error;		/* if non-zero, every device access fails */
	struct fg_access log[FG_MAX_ACCESSES];
	unsigned int nr_log;
	unsigned int nr_phys_writes;
};

extern const struct hvm_emul_ops fg_ops;

void fg_init(struct fake_guest *fg);
/* The RAM page holding gpa, added (zeroed) if 'create'; NULL if none. */
u8 *fg_page(struct fake_guest *fg, u64 gpa, bool create);
void fg_write(struct fake_guest *fg, u64 gpa, const void *buf,
	      unsigned int len);
void fg_read(struct fake_guest *fg, u64 gpa, void *buf, unsigned int len);

/*
 * Page tables: fg_new_root() returns a CR3 value for the mode;
 * fg_map() maps one page of 'page_size' (4 KiB, 2 MiB, 4 MiB or 1 GiB)
 * with 'flags' at every level.
 */
u64 fg_new_root(struct fake_guest *fg, enum fg_paging paging);
void fg_map(struct fake_guest *fg, enum fg_paging paging, u64 cr3, u64 gva,
	    u64 gpa, u64 page_size, u64 flags);

/* Control registers for a paging mode (PE always set). */
void fg_set_paging(struct hvm_emul_ctxt *ctxt, enum fg_paging paging,
		   u64 cr3, bool pse);

#endif /* FAKE_GUEST_H */
