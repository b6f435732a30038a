// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI tables of a Linux guest (ACPI 6.x layouts): RSDP, XSDT, a
 * hardware-reduced FADT, MADT and DSDT, built in the BIOS area at
 * LINUX_ACPI_GPA (reserved in the e820 map; the RSDP is also found there
 * by the legacy scan of 0xe0000-0xfffff).
 *
 * Hardware-reduced: no PM1 blocks, PM timer, GPEs or SCI; power-off goes
 * through the sleep control register and reset through the reset register
 * (both ports of the helper's acpi_pm device).  On x86 Linux also takes
 * "hardware reduced" to mean no legacy PIC and no PIT timer set-up, which
 * is what this platform is.  The MADT is the only place the guest learns
 * of its CPUs (Debian's cloud kernels have no MP-table parser).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#include "linux_boot.h"
#include "devices/pci.h"

#define ACPI_OEM_ID		"HVM   "
#define ACPI_OEM_TABLE_ID	"HVMGUEST"
#define ACPI_HEADER_SIZE	36

/* FADT flags and IA-PC boot architecture flags (ACPI 6.4, 5.2.9). */
#define FADT_WBINVD		(1U << 0)
#define FADT_PWR_BUTTON		(1U << 4)	/* no fixed power button */
#define FADT_SLP_BUTTON		(1U << 5)
#define FADT_RESET_REG_SUP	(1U << 10)
#define FADT_HW_REDUCED		(1U << 20)
#define BOOT_ARCH_VGA_ABSENT	(1U << 2)	/* and no 8042 bit: absent */
#define FADT_LENGTH		276
#define FADT_REVISION		6
#define FADT_MINOR		4

#define GAS_SYSTEM_IO		1
#define GAS_ACCESS_BYTE		1

#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_LAPIC_ENABLED	1

struct acpi_builder {
	uint8_t *ram;
	uint64_t next;		/* gpa of the next free byte */
};

static void put8(uint8_t *p, uint8_t v) { p[0] = v; }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* A table of len bytes with its header; the checksum comes at the end. */
static uint8_t *table(struct acpi_builder *b, const char *sig, uint32_t len,
		      uint8_t rev, uint64_t *gpa)
{
	uint8_t *t;

	b->next = (b->next + 15) & ~15ULL;
	*gpa = b->next;
	t = b->ram + b->next;
	b->next += len;
	memset(t, 0, len);
	memcpy(t, sig, 4);
	put32(t + 4, len);
	put8(t + 8, rev);
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put32(t + 24, 1);
	memcpy(t + 28, "HVM ", 4);
	put32(t + 32, 1);
	return t;
}

static void seal(uint8_t *t)
{
	uint32_t len;

	memcpy(&len, t + 4, 4);
	t[9] = 0;
	t[9] = checksum(t, len);
}

static void gas_io(uint8_t *p, uint16_t port, uint8_t bits)
{
	put8(p, GAS_SYSTEM_IO);
	put8(p + 1, bits);
	put8(p + 2, 0);
	put8(p + 3, GAS_ACCESS_BYTE);
	put64(p + 4, port);
}

/*
 * The DSDT's AML, assembled by hand.  It is the compiled form of:
 *
 *   Name (_S5, Package () { 5, 0 })      // SLP_TYP for S5 (soft off)
 *   Scope (\_SB) {
 *     Device (COM1) {
 *       Name (_HID, EisaId ("PNP0501"))   // 16550 compatible UART
 *       Name (_UID, 1)
 *       Name (_CRS, ResourceTemplate () {
 *         IO (Decode16, 0x3F8, 0x3F8, 0, 8)
 *         IRQNoFlags () { 4 }              // edge, active high: ISA
 *       })
 *     }
 *     Device (PCI0) {                      // the helper's bus 0 (pci.h)
 *       Name (_HID, EisaId ("PNP0A03"))
 *       Name (_UID, 0)
 *       Name (_CRS, ResourceTemplate () {
 *         WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                        0, 0, 0, 0, 1)
 *         IO (Decode16, 0xCF8, 0xCF8, 1, 8)
 *         WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                 EntireRange, 0, 0xD00, 0xFFFF, 0, 0xF300)
 *         DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
 *                      NonCacheable, ReadWrite, 0, PCI_MMIO_BASE,
 *                      PCI_MMIO_END - 1, 0, PCI_MMIO_END - PCI_MMIO_BASE)
 *       })
 *     }
 *   }
 *
 * Linux finds bus 0 through PNP0A03 (ACPI PCI root bridge) and takes the
 * _CRS windows as the root bus's resources; config space goes through
 * mechanism #1, which it probes at boot (there is no MCFG).
 */
static const uint8_t aml_s5[] = {
	0x08, '_', 'S', '5', '_',		/* NameOp "_S5_" */
	0x12, 0x05, 0x02,			/* PackageOp len 5, 2 elements */
	0x0a, ACPI_S5_SLP_TYP,			/*   BytePrefix 5 */
	0x00,					/*   ZeroOp */
};

static const uint8_t aml_com1[] = {
	0x08, '_', 'H', 'I', 'D',		/* Name _HID */
	0x0c, 0x41, 0xd0, 0x05, 0x01,		/*   DWord EisaId PNP0501 */
	0x08, '_', 'U', 'I', 'D', 0x01,		/* Name _UID One */
	0x08, '_', 'C', 'R', 'S',		/* Name _CRS */
	0x11, 0x10, 0x0a, 0x0d,			/*   BufferOp len 16, 13 bytes */
	0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08,	/* IO port */
	0x22, 1 << LINUX_COM1_IRQ, 0x00,	/* IRQ mask: IRQ 4 */
	0x79, 0x00,				/* end tag */
};

static const uint8_t aml_pci0_names[] = {
	0x08, '_', 'H', 'I', 'D',		/* Name _HID */
	0x0c, 0x41, 0xd0, 0x0a, 0x03,		/*   DWord EisaId PNP0A03 */
	0x08, '_', 'U', 'I', 'D', 0x00,		/* Name _UID Zero */
	0x08, '_', 'C', 'R', 'S',		/* Name _CRS: the buffer after */
};

/* Address space descriptors (ACPI 6.4, 6.4.3.5): types and flags. */
#define RES_WORD		0x88
#define RES_DWORD		0x87
#define RES_TYPE_MEMORY		0
#define RES_TYPE_IO		1
#define RES_TYPE_BUS		2
#define RES_PRODUCER_FIXED	0x0c	/* producer, min and max fixed */
#define RES_IO_ENTIRE_RANGE	3
#define RES_MEM_READ_WRITE	1

#define AML_MAX			512

struct aml {
	uint8_t b[AML_MAX];
	size_t len;
};

static void aml_put(struct aml *a, const void *bytes, size_t n)
{
	memcpy(a->b + a->len, bytes, n);
	a->len += n;
}

static void aml_u8(struct aml *a, uint8_t v) { aml_put(a, &v, 1); }
static void aml_u16(struct aml *a, uint16_t v) { aml_put(a, &v, 2); }
static void aml_u32(struct aml *a, uint32_t v) { aml_put(a, &v, 4); }

/* op (1 or 2 bytes), a PkgLength, then body (ACPI 6.4, 20.2.4). */
static void aml_pkg(struct aml *a, const uint8_t *op, size_t op_len,
		    const struct aml *body)
{
	size_t len = body->len + 1;

	aml_put(a, op, op_len);
	if (len <= 0x3f) {
		aml_u8(a, len);
	} else {
		len++;
		aml_u8(a, 0x40 | (len & 0xf));
		aml_u8(a, len >> 4);
	}
	aml_put(a, body->b, body->len);
}

static void res_word(struct aml *a, uint8_t type, uint8_t type_flags,
		     uint16_t min, uint16_t max)
{
	aml_u8(a, RES_WORD);
	aml_u16(a, 13);
	aml_u8(a, type);
	aml_u8(a, RES_PRODUCER_FIXED);
	aml_u8(a, type_flags);
	aml_u16(a, 0);				/* granularity */
	aml_u16(a, min);
	aml_u16(a, max);
	aml_u16(a, 0);				/* translation */
	aml_u16(a, max - min + 1);
}

static void pci0_crs(struct aml *a)
{
	static const uint8_t conf1_io[] = {
		0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08,
	};
	static const uint8_t buffer_op = 0x11;
	struct aml res = { .len = 0 }, buf = { .len = 0 };

	res_word(&res, RES_TYPE_BUS, 0, 0, 0);
	aml_put(&res, conf1_io, sizeof(conf1_io));
	res_word(&res, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0xd00, 0xffff);
	aml_u8(&res, RES_DWORD);
	aml_u16(&res, 23);
	aml_u8(&res, RES_TYPE_MEMORY);
	aml_u8(&res, RES_PRODUCER_FIXED);
	aml_u8(&res, RES_MEM_READ_WRITE);	/* non-cacheable */
	aml_u32(&res, 0);
	aml_u32(&res, PCI_MMIO_BASE);
	aml_u32(&res, PCI_MMIO_END - 1);
	aml_u32(&res, 0);
	aml_u32(&res, PCI_MMIO_END - PCI_MMIO_BASE);
	aml_u8(&res, 0x79);			/* end tag, no checksum */
	aml_u8(&res, 0x00);

	aml_u8(&buf, 0x0a);			/* BytePrefix: buffer size */
	aml_u8(&buf, res.len);
	aml_put(&buf, res.b, res.len);
	aml_pkg(a, &buffer_op, 1, &buf);
}

static void build_dsdt_aml(struct aml *out)
{
	static const uint8_t device_op[] = { 0x5b, 0x82 };
	static const uint8_t scope_op = 0x10;
	struct aml sb = { .len = 0 }, dev = { .len = 0 };

	aml_put(out, aml_s5, sizeof(aml_s5));
	aml_put(&sb, "_SB_", 4);
	aml_put(&dev, "COM1", 4);
	aml_put(&dev, aml_com1, sizeof(aml_com1));
	aml_pkg(&sb, device_op, 2, &dev);
	dev.len = 0;
	aml_put(&dev, "PCI0", 4);
	aml_put(&dev, aml_pci0_names, sizeof(aml_pci0_names));
	pci0_crs(&dev);
	aml_pkg(&sb, device_op, 2, &dev);
	aml_pkg(out, &scope_op, 1, &sb);
}

uint64_t acpi_build(void *ram, unsigned int nr_vcpus)
{
	struct acpi_builder b = { .ram = ram, .next = LINUX_ACPI_GPA };
	uint64_t rsdp_gpa, xsdt_gpa, fadt_gpa, madt_gpa, dsdt_gpa;
	uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt, *e;
	static struct aml aml;
	unsigned int i;

	memset(b.ram + LINUX_ACPI_GPA, 0, LINUX_ACPI_SIZE);
	/* RSDP: 16-byte aligned at the start of the scanned area. */
	rsdp_gpa = b.next;
	rsdp = b.ram + rsdp_gpa;
	b.next += 36;

	aml.len = 0;
	build_dsdt_aml(&aml);
	dsdt = table(&b, "DSDT", ACPI_HEADER_SIZE + aml.len, 2, &dsdt_gpa);
	memcpy(dsdt + ACPI_HEADER_SIZE, aml.b, aml.len);
	seal(dsdt);

	fadt = table(&b, "FACP", FADT_LENGTH, FADT_REVISION, &fadt_gpa);
	put32(fadt + 40, 0);			/* DSDT: X_DSDT below */
	put16(fadt + 109, BOOT_ARCH_VGA_ABSENT);
	put32(fadt + 112, FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
			  FADT_RESET_REG_SUP | FADT_HW_REDUCED);
	gas_io(fadt + 116, ACPI_RESET_PORT, 8);
	put8(fadt + 128, ACPI_RESET_VALUE);
	put8(fadt + 131, FADT_MINOR);
	put64(fadt + 140, dsdt_gpa);		/* X_DSDT */
	gas_io(fadt + 244, ACPI_SLEEP_CONTROL_PORT, 8);
	gas_io(fadt + 256, ACPI_SLEEP_STATUS_PORT, 8);
	memcpy(fadt + 268, "hvmhvmhv", 8);	/* hypervisor vendor */
	seal(fadt);

	madt = table(&b, "APIC", ACPI_HEADER_SIZE + 8 + 8 * nr_vcpus + 12, 5,
		     &madt_gpa);
	put32(madt + 36, LINUX_LAPIC_GPA);
	put32(madt + 40, 0);	/* no PCAT_COMPAT: there is no 8259 */
	e = madt + 44;
	for (i = 0; i < nr_vcpus; i++, e += 8) {
		put8(e, MADT_LAPIC);
		put8(e + 1, 8);
		put8(e + 2, i);		/* ACPI processor UID */
		put8(e + 3, i);		/* APIC ID = vCPU id */
		put32(e + 4, MADT_LAPIC_ENABLED);
	}
	put8(e, MADT_IOAPIC);
	put8(e + 1, 12);
	put8(e + 2, nr_vcpus);		/* I/O APIC ID after the CPUs' */
	put32(e + 4, LINUX_IOAPIC_GPA);
	put32(e + 8, 0);		/* GSI base: pin n is ISA IRQ n */
	seal(madt);

	xsdt = table(&b, "XSDT", ACPI_HEADER_SIZE + 2 * 8, 1, &xsdt_gpa);
	put64(xsdt + 36, fadt_gpa);
	put64(xsdt + 44, madt_gpa);
	seal(xsdt);

	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, ACPI_OEM_ID, 6);
	put8(rsdp + 15, 2);			/* ACPI 2.0+: XSDT */
	put32(rsdp + 16, 0);			/* no RSDT */
	put32(rsdp + 20, 36);
	put64(rsdp + 24, xsdt_gpa);
	rsdp[8] = checksum(rsdp, 20);
	rsdp[32] = checksum(rsdp, 36);
	return rsdp_gpa;
}
