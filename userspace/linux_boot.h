/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Booting a Linux kernel (bzImage or vmlinux ELF) through the x86 64-bit
 * boot protocol (the kernel's Documentation/x86/boot.rst), with ACPI
 * tables (acpi.c) that describe the vCPUs and the helper's devices.
 */
#ifndef HVM_LINUX_BOOT_H
#define HVM_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libhvm.h"

/* Guest-physical layout below 1 MiB (the e820 map keeps it out of RAM). */
#define LINUX_GDT_GPA		0x500ULL
#define LINUX_ZERO_PAGE_GPA	0x7000ULL
#define LINUX_STACK_TOP		0x8ff0ULL
#define LINUX_PAGE_TABLES_GPA	0x9000ULL	/* 6 pages: 4 GiB identity */
#define LINUX_CMDLINE_GPA	0x20000ULL
#define LINUX_CMDLINE_MAX	4096
#define LINUX_LOW_RAM_END	0x9fc00ULL	/* RAM below, reserved above */
#define LINUX_ACPI_GPA		0xe0000ULL	/* BIOS area: RSDP scan range */
#define LINUX_ACPI_SIZE		0x10000ULL
#define LINUX_HIGH_RAM		0x100000ULL

/* The platform the ACPI tables describe and the helper serves. */
#define LINUX_IOAPIC_GPA	0xfec00000ULL
#define LINUX_LAPIC_GPA		0xfee00000ULL
#define LINUX_COM1_IRQ		4

struct linux_boot {
	const char *kernel_path;
	const char *initrd_path;	/* NULL: none */
	const char *cmdline;		/* complete command line */
	unsigned int nr_vcpus;
	uint64_t mem_size;
	/* Filled by linux_boot_load(). */
	uint64_t entry;
	bool is_bzimage;
	uint64_t kernel_start, kernel_end;
	uint64_t initrd_start, initrd_size;
};

/*
 * Loads kernel, initrd, command line, zero page, page tables, GDT and ACPI
 * tables into ram (guest RAM at gpa 0, lb->mem_size bytes).  Returns 0 or
 * writes why it failed into err (err_len bytes) and returns -1.
 */
int linux_boot_load(struct linux_boot *lb, void *ram, char *err,
		    size_t err_len);
/*
 * The boot processor's state at the 64-bit entry (RSI = the zero page),
 * for whichever hypervisor loads it.
 */
void linux_boot_entry_state(const struct linux_boot *lb,
			    struct hvm_sregs *sregs, struct hvm_regs *regs);

/*
 * ACPI (acpi.c): RSDP at LINUX_ACPI_GPA, then XSDT, FADT (hardware
 * reduced, with the reset and sleep registers below), MADT and DSDT.
 * Returns the RSDP's address.
 */
uint64_t acpi_build(void *ram, unsigned int nr_vcpus);

/* Registers the FADT names; the helper's acpi_pm device serves them. */
#define ACPI_SLEEP_CONTROL_PORT	0x600	/* write SLP_TYP << 2 | SLP_EN */
#define ACPI_SLEEP_STATUS_PORT	0x601
#define ACPI_RESET_PORT		0xcf9	/* the usual PCI reset port */
#define ACPI_RESET_VALUE	0x06
#define ACPI_S5_SLP_TYP		5	/* \_S5's first value */
#define ACPI_SLP_EN		0x20

#endif /* HVM_LINUX_BOOT_H */
