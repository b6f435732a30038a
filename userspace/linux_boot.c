// SPDX-License-Identifier: GPL-2.0
/*
 * Linux's x86 64-bit boot protocol (Documentation/x86/boot.rst in the
 * kernel): the kernel's protected-mode part is loaded at its preferred
 * address (bzImage) or at its segments' physical addresses (vmlinux), the
 * zero page (struct boot_params) carries the setup header, the e820 map,
 * the command line, the initrd and the RSDP, and the boot CPU enters in
 * 64-bit mode with identity paging, __BOOT_CS/__BOOT_DS and RSI pointing
 * at the zero page.  Application processors are started by the guest
 * itself (INIT/SIPI through the in-kernel local APIC).
 */
#define _GNU_SOURCE
#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_boot.h"

#define PAGE			4096ULL
#define GIB			(1ULL << 30)

/* boot.rst: "HdrS", the protocol versions we rely on. */
#define SETUP_MAGIC		0x53726448U
#define BOOT_FLAG		0xaa55
#define PROTO_64BIT_ENTRY	0x020c	/* xloadflags, XLF_KERNEL_64 */
#define LOADER_UNDEFINED	0xff
#define ENTRY_64_OFFSET		0x200

/* __BOOT_CS and __BOOT_DS: GDT entries 2 and 3, as the protocol asks. */
#define BOOT_CS			0x10
#define BOOT_DS			0x18
#define GDT_CODE64		0x00af9b000000ffffULL
#define GDT_DATA		0x00cf93000000ffffULL

#define SEG_TYPE_DATA_RW_ACC	0x3
#define SEG_TYPE_CODE_RX_ACC	0xb
#define SEG_TYPE_TSS_BUSY	0xb
#define SEG_TYPE_LDT		0x2
#define SEG_S			(1U << 4)
#define SEG_P			(1U << 7)
#define SEG_L			(1U << 9)
#define SEG_DB			(1U << 10)
#define SEG_G			(1U << 11)

#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_PS			(1ULL << 7)

#define E820_RAM		1
#define E820_RESERVED		2

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Whole file into a malloc'ed buffer; NULL with errno set on failure. */
static uint8_t *read_file(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (!errno)
			errno = EINVAL;
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (done < (size_t)st.st_size) {
		n = read(fd, buf + done, st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			free(buf);
			close(fd);
			return NULL;
		}
		done += n;
	}
	close(fd);
	*size = done;
	return buf;
}

static bool fits(const struct linux_boot *lb, uint64_t gpa, uint64_t len)
{
	return gpa >= LINUX_HIGH_RAM && gpa <= lb->mem_size &&
	       len <= lb->mem_size - gpa;
}

static int load_vmlinux(struct linux_boot *lb, uint8_t *ram,
			const uint8_t *file, size_t size, char *err,
			size_t err_len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned int i;

	if (size < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > size ||
	    eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr))
		return fail(err, err_len, "%s: not an x86-64 vmlinux",
			    lb->kernel_path);
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff +
							    i * sizeof(*ph));

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
		    ph->p_filesz > size - ph->p_offset)
			return fail(err, err_len, "%s: a segment lies outside the file",
				    lb->kernel_path);
		if (!fits(lb, ph->p_paddr, ph->p_memsz))
			return fail(err, err_len, "%s: a segment at %#llx does not fit in %llu MiB of RAM (--mem)",
				    lb->kernel_path,
				    (unsigned long long)ph->p_paddr,
				    (unsigned long long)(lb->mem_size >> 20));
		memcpy(ram + ph->p_paddr, file + ph->p_offset, ph->p_filesz);
		memset(ram + ph->p_paddr + ph->p_filesz, 0,
		       ph->p_memsz - ph->p_filesz);
		if (ph->p_paddr < lo)
			lo = ph->p_paddr;
		if (ph->p_paddr + ph->p_memsz > hi)
			hi = ph->p_paddr + ph->p_memsz;
	}
	if (!hi)
		return fail(err, err_len, "%s: no PT_LOAD segment", lb->kernel_path);
	/* e_entry is startup_64's virtual address; its physical one: */
	lb->entry = eh->e_entry >= 0xffffffff80000000ULL ?
		    eh->e_entry - 0xffffffff80000000ULL : eh->e_entry;
	if (lb->entry < lo || lb->entry >= hi)
		return fail(err, err_len, "%s: entry point %#llx outside the kernel",
			    lb->kernel_path, (unsigned long long)eh->e_entry);
	lb->kernel_start = lo;
	lb->kernel_end = hi;
	return 0;
}

static int load_bzimage(struct linux_boot *lb, uint8_t *ram,
			struct boot_params *zp, const uint8_t *file,
			size_t size, char *err, size_t err_len)
{
	const struct setup_header *hdr;
	uint64_t setup_bytes, pm_size, load, end;
	size_t hdr_len;

	if (size < 0x264 + 4)
		return fail(err, err_len, "%s: too small for a kernel", lb->kernel_path);
	hdr = (const struct setup_header *)(file + 0x1f1);
	if (hdr->header != SETUP_MAGIC || hdr->boot_flag != BOOT_FLAG)
		return fail(err, err_len, "%s: neither an ELF vmlinux nor a bzImage",
			    lb->kernel_path);
	if (hdr->version < PROTO_64BIT_ENTRY ||
	    !(hdr->xloadflags & XLF_KERNEL_64) || !(hdr->loadflags & LOADED_HIGH))
		return fail(err, err_len, "%s: boot protocol %#x without a 64-bit entry (2.12 or later needed)",
			    lb->kernel_path, hdr->version);
	/* The header runs to 0x202 + the byte at 0x201 (boot.rst). */
	hdr_len = 0x202 + file[0x201] - 0x1f1;
	if (hdr_len > sizeof(zp->hdr))
		hdr_len = sizeof(zp->hdr);
	memcpy(&zp->hdr, hdr, hdr_len);
	setup_bytes = ((uint64_t)(hdr->setup_sects ? hdr->setup_sects : 4) + 1) * 512;
	if (setup_bytes >= size)
		return fail(err, err_len, "%s: truncated bzImage", lb->kernel_path);
	pm_size = size - setup_bytes;
	load = hdr->pref_address;
	if (load % hdr->kernel_alignment)
		load = (load + hdr->kernel_alignment - 1) /
		       hdr->kernel_alignment * hdr->kernel_alignment;
	end = load + (hdr->init_size > pm_size ? hdr->init_size : pm_size);
	if (!fits(lb, load, end - load))
		return fail(err, err_len, "%s: the kernel needs RAM up to %llu MiB (--mem)",
			    lb->kernel_path, (unsigned long long)(end >> 20) + 1);
	memcpy(ram + load, file + setup_bytes, pm_size);
	zp->hdr.code32_start = load;
	lb->entry = load + ENTRY_64_OFFSET;
	lb->kernel_start = load;
	lb->kernel_end = end;
	lb->is_bzimage = true;
	return 0;
}

static void build_e820(const struct linux_boot *lb, struct boot_params *zp)
{
	struct boot_e820_entry *e = zp->e820_table;

	e[0] = (struct boot_e820_entry){ 0, LINUX_LOW_RAM_END, E820_RAM };
	e[1] = (struct boot_e820_entry){ LINUX_LOW_RAM_END,
		LINUX_HIGH_RAM - LINUX_LOW_RAM_END, E820_RESERVED };
	e[2] = (struct boot_e820_entry){ LINUX_HIGH_RAM,
		lb->mem_size - LINUX_HIGH_RAM, E820_RAM };
	zp->e820_entries = 3;
}

/*
 * What a BIOS has at the reset vector, F000:FFF0: here, a reset through
 * the FADT's reset register.  Linux jumps there when it reboots "through
 * the BIOS", which it tries after EFI (and, on a hardware-reduced ACPI
 * platform, it picks EFI unless reboot= says otherwise); without this the
 * vCPU would run off into zeros.
 */
static const uint8_t reset_vector_code[] = {
	0xba, ACPI_RESET_PORT & 0xff, ACPI_RESET_PORT >> 8,	/* mov dx, port */
	0xb0, ACPI_RESET_VALUE,		/* mov al, value */
	0xee,				/* out dx, al */
	0xf4,				/* hlt */
	0xeb, 0xfd,			/* jmp to the hlt */
};
#define RESET_VECTOR_GPA	0xffff0ULL

/* Identity map of the first 4 GiB with 2 MiB pages, and the GDT. */
static void build_paging(uint8_t *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + LINUX_PAGE_TABLES_GPA);
	uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
	uint64_t *gdt = (uint64_t *)(ram + LINUX_GDT_GPA);
	unsigned int i;

	memset(pml4, 0, 6 * PAGE);
	pml4[0] = (LINUX_PAGE_TABLES_GPA + PAGE) | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (LINUX_PAGE_TABLES_GPA + (2 + i) * PAGE) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
	memset(gdt, 0, 4 * 8);
	gdt[BOOT_CS / 8] = GDT_CODE64;
	gdt[BOOT_DS / 8] = GDT_DATA;
}

int linux_boot_load(struct linux_boot *lb, void *mem, char *err,
		    size_t err_len)
{
	struct boot_params *zp;
	uint8_t *ram = mem, *kernel, *initrd = NULL;
	size_t kernel_size, initrd_size = 0, cmd_len;
	uint64_t initrd_top, rsdp;
	int ret;

	if (lb->mem_size < 64ULL << 20)
		return fail(err, err_len, "a Linux guest needs --mem 64M or more");
	cmd_len = strlen(lb->cmdline);
	kernel = read_file(lb->kernel_path, &kernel_size);
	if (!kernel)
		return fail(err, err_len, "cannot read the kernel '%s': %s",
			    lb->kernel_path, strerror(errno));
	zp = (struct boot_params *)(ram + LINUX_ZERO_PAGE_GPA);
	memset(zp, 0, sizeof(*zp));
	if (kernel_size >= SELFMAG && !memcmp(kernel, ELFMAG, SELFMAG)) {
		ret = load_vmlinux(lb, ram, kernel, kernel_size, err, err_len);
		/* A setup header of our own: the kernel reads these fields. */
		zp->hdr.boot_flag = BOOT_FLAG;
		zp->hdr.header = SETUP_MAGIC;
		zp->hdr.version = PROTO_64BIT_ENTRY;
		zp->hdr.kernel_alignment = 0x200000;
		zp->hdr.initrd_addr_max = 0x7fffffff;
		zp->hdr.cmdline_size = LINUX_CMDLINE_MAX - 1;
	} else {
		ret = load_bzimage(lb, ram, zp, kernel, kernel_size, err, err_len);
	}
	free(kernel);
	if (ret)
		return ret;
	if (cmd_len >= LINUX_CMDLINE_MAX || cmd_len > zp->hdr.cmdline_size)
		return fail(err, err_len, "the command line is %zu bytes, the kernel takes %u",
			    cmd_len, zp->hdr.cmdline_size);
	memcpy(ram + LINUX_CMDLINE_GPA, lb->cmdline, cmd_len + 1);

	if (lb->initrd_path) {
		initrd = read_file(lb->initrd_path, &initrd_size);
		if (!initrd)
			return fail(err, err_len, "cannot read the initrd '%s': %s",
				    lb->initrd_path, strerror(errno));
		initrd_top = lb->mem_size;
		if (initrd_top > (uint64_t)zp->hdr.initrd_addr_max + 1)
			initrd_top = (uint64_t)zp->hdr.initrd_addr_max + 1;
		lb->initrd_start = (initrd_top - initrd_size) & ~(PAGE - 1);
		if (initrd_size > initrd_top ||
		    lb->initrd_start < lb->kernel_end) {
			free(initrd);
			return fail(err, err_len, "the initrd (%zu bytes) does not fit above the kernel (--mem)",
				    initrd_size);
		}
		memcpy(ram + lb->initrd_start, initrd, initrd_size);
		free(initrd);
		lb->initrd_size = initrd_size;
	}

	zp->hdr.type_of_loader = LOADER_UNDEFINED;
	zp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	zp->hdr.loadflags &= ~KEEP_SEGMENTS;
	zp->hdr.heap_end_ptr = 0xfe00;
	zp->hdr.cmd_line_ptr = LINUX_CMDLINE_GPA;
	zp->hdr.ramdisk_image = lb->initrd_start;
	zp->hdr.ramdisk_size = lb->initrd_size;
	build_e820(lb, zp);
	build_paging(ram);
	memcpy(ram + RESET_VECTOR_GPA, reset_vector_code,
	       sizeof(reset_vector_code));
	rsdp = acpi_build(ram, lb->nr_vcpus);
	zp->acpi_rsdp_addr = rsdp;
	return 0;
}

static void set_seg(struct hvm_segment *s, uint16_t sel, uint32_t limit,
		    uint16_t attrib)
{
	s->base = 0;
	s->selector = sel;
	s->limit = limit;
	s->attrib = attrib;
}

void linux_boot_entry_state(const struct linux_boot *lb,
			    struct hvm_sregs *sregs, struct hvm_regs *regs)
{
	const uint16_t data = SEG_TYPE_DATA_RW_ACC | SEG_S | SEG_P | SEG_DB |
			      SEG_G;

	memset(sregs, 0, sizeof(*sregs));
	set_seg(&sregs->cs, BOOT_CS, 0xffffffff,
		SEG_TYPE_CODE_RX_ACC | SEG_S | SEG_P | SEG_L | SEG_G);
	set_seg(&sregs->ds, BOOT_DS, 0xffffffff, data);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	set_seg(&sregs->tr, 0, 0xffff, SEG_TYPE_TSS_BUSY | SEG_P);
	set_seg(&sregs->ldt, 0, 0xffff, SEG_TYPE_LDT | SEG_P);
	sregs->gdt.base = LINUX_GDT_GPA;
	sregs->gdt.limit = 4 * 8 - 1;
	sregs->cr0 = 0x80050033;	/* PG WP NE ET MP PE */
	sregs->cr3 = LINUX_PAGE_TABLES_GPA;
	sregs->cr4 = 0x20;		/* PAE */
	sregs->efer = 0x500;		/* LMA LME */
	memset(regs, 0, sizeof(*regs));
	regs->rip = lb->entry;
	regs->rsi = LINUX_ZERO_PAGE_GPA;
	regs->rsp = LINUX_STACK_TOP;
	regs->rflags = 0x2;
}
