// SPDX-License-Identifier: GPL-2.0
/* The fake guest behind the emulator tests; see fake_guest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_guest.h"

/* Page-table pages are taken from here up, away from the test's data. */
#define FG_TABLE_BASE		0x00100000ull

void fg_init(struct fake_guest *fg)
{
	memset(fg, 0, sizeof(*fg));
	fg->next_table_gpa = FG_TABLE_BASE;
}

u8 *fg_page(struct fake_guest *fg, u64 gpa, bool create)
{
	u64 page = gpa & ~(u64)(FG_PAGE_SIZE - 1);
	unsigned int i;

	for (i = 0; i < fg->nr_ram; i++)
		if (fg->ram[i].gpa == page)
			return fg->ram[i].data;
	if (!create)
		return NULL;
	if (fg->nr_ram == FG_MAX_RAM_PAGES) {
		fprintf(stderr, "fake guest: out of RAM pages\n");
		abort();
	}
	fg->ram[fg->nr_ram].gpa = page;
	memset(fg->ram[fg->nr_ram].data, 0, FG_PAGE_SIZE);
	return fg->ram[fg->nr_ram++].data;
}

void fg_write(struct fake_guest *fg, u64 gpa, const void *buf,
	      unsigned int len)
{
	const u8 *src = buf;
	unsigned int i;

	for (i = 0; i < len; i++)
		fg_page(fg, gpa + i, true)[(gpa + i) % FG_PAGE_SIZE] = src[i];
}

void fg_read(struct fake_guest *fg, u64 gpa, void *buf, unsigned int len)
{
	u8 *dst = buf;
	unsigned int i;
	u8 *page;

	for (i = 0; i < len; i++) {
		page = fg_page(fg, gpa + i, false);
		dst[i] = page ? page[(gpa + i) % FG_PAGE_SIZE] : 0xff;
	}
}

/* RAM accesses must lie entirely in RAM pages; anything else is -EFAULT. */
static int fg_read_phys(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	struct fake_guest *fg = opaque;
	unsigned int i;

	for (i = 0; i < len; i++)
		if (!fg_page(fg, gpa + i, false))
			return -EFAULT;
	fg_read(fg, gpa, buf, len);
	return 0;
}

static int fg_write_phys(void *opaque, u64 gpa, const void *buf,
			 unsigned int len)
{
	struct fake_guest *fg = opaque;
	unsigned int i;

	for (i = 0; i < len; i++)
		if (!fg_page(fg, gpa + i, false))
			return -EFAULT;
	fg_write(fg, gpa, buf, len);
	fg->nr_phys_writes++;
	return 0;
}

static void fg_log(struct fake_guest *fg, u64 gpa, unsigned int size,
		   bool write, u64 value)
{
	if (fg->nr_log == FG_MAX_ACCESSES) {
		fprintf(stderr, "fake guest: access log full\n");
		abort();
	}
	fg->log[fg->nr_log++] = (struct fg_access){ gpa, size, write, value };
}

static int fg_mmio_read(void *opaque, u64 gpa, unsigned int size, u64 *val)
{
	struct fake_guest *fg = opaque;

	fg_log(fg, gpa, size, false, 0);
	if (fg->mmio_error)
		return fg->mmio_error;
	if (fg->defer_reads && !fg->read_ready) {
		fg->read_ready = true;
		return -EAGAIN;
	}
	*val = fg->mmio_value;
	return 0;
}

static int fg_mmio_write(void *opaque, u64 gpa, unsigned int size, u64 val)
{
	struct fake_guest *fg = opaque;

	fg_log(fg, gpa, size, true, val);
	return fg->mmio_error;
}

const struct hvm_emul_ops fg_ops = {
	.read_phys = fg_read_phys,
	.write_phys = fg_write_phys,
	.mmio_read = fg_mmio_read,
	.mmio_write = fg_mmio_write,
};

static u64 fg_alloc_table(struct fake_guest *fg)
{
	u64 gpa = fg->next_table_gpa;

	fg->next_table_gpa += FG_PAGE_SIZE;
	fg_page(fg, gpa, true);
	return gpa;
}

u64 fg_new_root(struct fake_guest *fg, enum fg_paging paging)
{
	u64 root = fg_alloc_table(fg);
	u64 entry;
	unsigned int i;

	if (paging != FG_PAGING_PAE)
		return root;
	/* PAE: the four PDPTEs point at four page directories. */
	for (i = 0; i < 4; i++) {
		entry = fg_alloc_table(fg) | FG_PTE_P;
		fg_write(fg, root + i * 8, &entry, 8);
	}
	return root;
}

/* Index shift and entry size of each level, top (index 0) first. */
static unsigned int fg_levels(enum fg_paging paging, unsigned int *shifts,
			      unsigned int *entry_size)
{
	static const unsigned int long_shifts[] = { 48, 39, 30, 21, 12 };
	unsigned int i, n;

	switch (paging) {
	case FG_PAGING_32:
		shifts[0] = 22;
		shifts[1] = 12;
		*entry_size = 4;
		return 2;
	case FG_PAGING_PAE:
		shifts[0] = 21;
		shifts[1] = 12;
		*entry_size = 8;
		return 2;
	default:
		n = paging == FG_PAGING_5LEVEL ? 5 : 4;
		for (i = 0; i < n; i++)
			shifts[i] = long_shifts[5 - n + i];
		*entry_size = 8;
		return n;
	}
}

void fg_map(struct fake_guest *fg, enum fg_paging paging, u64 cr3, u64 gva,
	    u64 gpa, u64 page_size, u64 flags)
{
	unsigned int shifts[5], entry_size, nr_levels, level;
	u64 table, entry_gpa, entry = 0, index_mask;

	nr_levels = fg_levels(paging, shifts, &entry_size);
	if (paging == FG_PAGING_PAE) {
		fg_read(fg, (cr3 & ~0x1full) + ((gva >> 30) & 3) * 8, &entry,
			8);
		table = entry & 0x000ffffffffff000ull;
	} else {
		table = cr3 & 0x000ffffffffff000ull;
	}

	for (level = 0; level < nr_levels; level++) {
		index_mask = entry_size == 4 ? 0x3ff : 0x1ff;
		entry_gpa = table + ((gva >> shifts[level]) & index_mask) *
				    entry_size;
		if ((1ull << shifts[level]) == page_size) {
			entry = gpa | flags | FG_PTE_P;
			if (page_size > FG_PAGE_SIZE)
				entry |= FG_PTE_PS;
			fg_write(fg, entry_gpa, &entry, entry_size);
			return;
		}
		entry = 0;
		fg_read(fg, entry_gpa, &entry, entry_size);
		if (!(entry & FG_PTE_P)) {
			entry = fg_alloc_table(fg) | flags | FG_PTE_P;
			fg_write(fg, entry_gpa, &entry, entry_size);
		}
		table = entry & 0x000ffffffffff000ull;
		if (entry_size == 4)
			table &= 0xfffff000ull;
	}
	fprintf(stderr, "fake guest: bad page size %llx\n",
		(unsigned long long)page_size);
	abort();
}

void fg_set_paging(struct hvm_emul_ctxt *ctxt, enum fg_paging paging,
		   u64 cr3, bool pse)
{
	ctxt->cr0 = 0x1;		/* PE */
	ctxt->cr3 = cr3;
	ctxt->cr4 = pse ? 0x10 : 0;
	ctxt->efer = 0;
	if (paging == FG_PAGING_NONE)
		return;
	ctxt->cr0 |= 0x80010000;	/* PG, WP */
	if (paging == FG_PAGING_32)
		return;
	ctxt->cr4 |= 0x20;		/* PAE */
	if (paging == FG_PAGING_PAE)
		return;
	ctxt->efer = 0x500;		/* LME, LMA */
	if (paging == FG_PAGING_5LEVEL)
		ctxt->cr4 |= 0x1000;	/* LA57 */
}
