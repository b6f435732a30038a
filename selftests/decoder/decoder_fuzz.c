// SPDX-License-Identifier: GPL-2.0
/*
 * Differential fuzz: random instruction bytes go through hvm_emulate_mmio()
 * in a guest where every linear page maps to one device page, so any
 * memory operand the emulator accepts reaches the device.  For each
 * instruction the emulator accepts, capstone must decode the same bytes to
 * the same length, with a memory operand of the accessed size at the
 * accessed address (page offset).
 */
#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

#include "emulate.h"
#include "decoder_fuzz.h"

/* Synthetic page tables: every entry of every level points onwards. */
#define FZ_TABLE_FIRST		0x1000ull
#define FZ_FRAME		0x5000ull	/* the one data/code page */
#define FZ_PAGE			4096u
#define FZ_MAX_LOG		4

struct fz_access {
	u64 gpa;
	unsigned int size;
	bool write;
};

struct fz_guest {
	u8 frame[FZ_PAGE];
	bool long_mode;		/* 8-byte entries, 4 levels */
	u64 read_value;
	struct fz_access log[FZ_MAX_LOG];
	unsigned int nr_log;
};

static u64 table_entry(const struct fz_guest *g, u64 gpa)
{
	u64 last_table = FZ_TABLE_FIRST + (g->long_mode ? 3 : 1) * FZ_PAGE;
	u64 table = gpa & ~(u64)(FZ_PAGE - 1);

	/* P, R/W, U/S: any access is allowed. */
	return (table == last_table ? FZ_FRAME : table + FZ_PAGE) | 0x7;
}

static int fz_read_phys(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	struct fz_guest *g = opaque;
	u64 entry;

	if (gpa >= FZ_TABLE_FIRST && gpa < FZ_FRAME) {
		if (len != 4 && len != 8)
			return -EFAULT;
		entry = table_entry(g, gpa);
		memcpy(buf, &entry, len);
		return 0;
	}
	if (gpa >= FZ_FRAME && gpa + len <= FZ_FRAME + FZ_PAGE) {
		memcpy(buf, g->frame + (gpa - FZ_FRAME), len);
		return 0;
	}
	return -EFAULT;
}

static int fz_write_phys(void *opaque, u64 gpa, const void *buf,
			 unsigned int len)
{
	(void)opaque;
	(void)buf;
	return gpa >= FZ_FRAME && gpa + len <= FZ_FRAME + FZ_PAGE ? 0 : -EFAULT;
}

static void fz_log(struct fz_guest *g, u64 gpa, unsigned int size, bool write)
{
	if (g->nr_log < FZ_MAX_LOG)
		g->log[g->nr_log] = (struct fz_access){ gpa, size, write };
	g->nr_log++;
}

static int fz_mmio_read(void *opaque, u64 gpa, unsigned int size, u64 *val)
{
	struct fz_guest *g = opaque;

	fz_log(g, gpa, size, false);
	*val = g->read_value;
	return 0;
}

static int fz_mmio_write(void *opaque, u64 gpa, unsigned int size, u64 val)
{
	(void)val;
	fz_log(opaque, gpa, size, true);
	return 0;
}

static const struct hvm_emul_ops fz_ops = {
	.read_phys = fz_read_phys,
	.write_phys = fz_write_phys,
	.mmio_read = fz_mmio_read,
	.mmio_write = fz_mmio_write,
};

/* xorshift64*: deterministic for a seed, good enough for byte soup. */
static u64 rng_next(u64 *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

static const u8 legacy_prefixes[] = {
	0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
};

/* Opcodes of the accepted forms; 0x0f entries are followed by the second
 * byte in the same slot's high byte.
 */
static const u16 accepted_opcodes[] = {
	0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12,
	0x13, 0x18, 0x19, 0x1a, 0x1b, 0x20, 0x21, 0x22, 0x23, 0x28, 0x29,
	0x2a, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x38, 0x39, 0x3a, 0x3b, 0x63,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
	0x8b, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad,
	0xc6, 0xc7, 0xf6, 0xf7, 0xb60f, 0xb70f, 0xbe0f, 0xbf0f, 0xa30f,
	0xab0f, 0xb30f, 0xbb0f, 0xba0f,
};

/* Prefixes, an accepted opcode, a memory ModRM most of the time, noise. */
static void generate_encoding(u64 *rng, unsigned int mode, u8 *buf)
{
	unsigned int pos = 0, nr_prefixes, i;
	u16 opcode;
	u64 r = rng_next(rng);

	for (i = 0; i < 15; i++)
		buf[i] = (u8)rng_next(rng);
	nr_prefixes = r % 4;
	for (i = 0; i < nr_prefixes; i++)
		buf[pos++] = legacy_prefixes[(r >> (8 + 4 * i)) %
					     sizeof(legacy_prefixes)];
	if (mode == 8 && (r >> 32) & 1)
		buf[pos++] = 0x40 | ((r >> 33) & 0xf);
	opcode = accepted_opcodes[(r >> 40) % (sizeof(accepted_opcodes) /
					       sizeof(accepted_opcodes[0]))];
	buf[pos++] = opcode & 0xff;
	if (opcode > 0xff)
		buf[pos++] = opcode >> 8;
	/* ModRM: mod 3 is a register operand, refused; keep it rare. */
	if (((r >> 48) & 7) && (buf[pos] & 0xc0) == 0xc0)
		buf[pos] &= 0x7f;
	/* Group opcodes: steer ModRM.reg to the accepted one half the time. */
	if ((r >> 52) & 1) {
		if (opcode == 0xc6 || opcode == 0xc7 || opcode == 0xf6 ||
		    opcode == 0xf7)
			buf[pos] &= 0xc7;
		else if (opcode == 0xba0f)
			buf[pos] |= 0x20;	/* /4 to /7 */
	}
}

/* Capstone register -> our register number and width in bytes. */
static bool cs_gpr(x86_reg reg, unsigned int *index, unsigned int *width)
{
	static const x86_reg regs64[16] = {
		X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
		X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI,
		X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11,
		X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
	};
	static const x86_reg regs32[16] = {
		X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
		X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI,
		X86_REG_R8D, X86_REG_R9D, X86_REG_R10D, X86_REG_R11D,
		X86_REG_R12D, X86_REG_R13D, X86_REG_R14D, X86_REG_R15D,
	};
	static const x86_reg regs16[8] = {
		X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
		X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI,
	};
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (reg == regs64[i] || reg == regs32[i] ||
		    (i < 8 && reg == regs16[i])) {
			*index = i;
			*width = reg == regs64[i] ? 8 : reg == regs32[i] ? 4 : 2;
			return true;
		}
	}
	return false;
}

struct fz_cpu {
	unsigned int mode;	/* 2, 4, 8 */
	u64 gprs[16];		/* as before the instruction */
	u64 live_gprs[16];	/* what the emulator updates */
	u64 rip;
	u64 seg_base[6];	/* ES CS SS DS FS GS */
};

static u64 mask_bytes(u64 val, unsigned int bytes)
{
	return bytes >= 8 ? val : val & ((1ull << (bytes * 8)) - 1);
}

/*
 * Linear address of a capstone memory operand with the fuzz registers;
 * false if it names a register this check does not model.
 */
static bool cs_linear(const struct fz_cpu *cpu, const cs_insn *insn,
		      const cs_x86_op *op, u64 *linear)
{
	const x86_op_mem *mem = &op->mem;
	unsigned int addr_size = insn->detail->x86.addr_size;
	unsigned int index, width, seg = 3;	/* DS */
	u64 ea = (u64)mem->disp;

	if (mem->base == X86_REG_RIP || mem->base == X86_REG_EIP) {
		ea += cpu->rip + insn->size;
	} else if (mem->base != X86_REG_INVALID) {
		if (!cs_gpr(mem->base, &index, &width))
			return false;
		ea += cpu->gprs[index];
		if (index == 4 || index == 5)
			seg = 2;	/* SS */
	}
	if (mem->index != X86_REG_INVALID) {
		if (!cs_gpr(mem->index, &index, &width))
			return false;
		ea += cpu->gprs[index] * (u64)mem->scale;
	}
	ea = mask_bytes(ea, addr_size);

	switch (mem->segment) {
	case X86_REG_ES:
		seg = 0;
		break;
	case X86_REG_CS:
		seg = 1;
		break;
	case X86_REG_SS:
		seg = 2;
		break;
	case X86_REG_DS:
		seg = 3;
		break;
	case X86_REG_FS:
		seg = 4;
		break;
	case X86_REG_GS:
		seg = 5;
		break;
	default:
		break;
	}
	if (cpu->mode == 8)
		*linear = ea + (seg >= 4 ? cpu->seg_base[seg] : 0);
	else
		*linear = (u32)(ea + cpu->seg_base[seg]);
	return true;
}

static bool is_bit_test(const cs_insn *insn)
{
	return insn->id == X86_INS_BT || insn->id == X86_INS_BTS ||
	       insn->id == X86_INS_BTR || insn->id == X86_INS_BTC;
}

/* Each device access must match a capstone memory operand. */
static bool accesses_match(const struct fz_cpu *cpu, const cs_insn *insn,
			   const struct fz_guest *g, char *why, size_t why_len)
{
	const cs_x86 *x86 = &insn->detail->x86;
	unsigned int i, j;
	u64 linear;
	bool found;

	if (g->nr_log == 0 || g->nr_log > 2) {
		snprintf(why, why_len, "%u device accesses", g->nr_log);
		return false;
	}
	for (i = 0; i < g->nr_log; i++) {
		found = false;
		for (j = 0; j < x86->op_count && !found; j++) {
			if (x86->operands[j].type != X86_OP_MEM ||
			    x86->operands[j].size != g->log[i].size)
				continue;
			/* BT's register bit offset moves the access. */
			if (is_bit_test(insn)) {
				found = true;
				break;
			}
			if (!cs_linear(cpu, insn, &x86->operands[j], &linear))
				continue;
			found = (linear & (FZ_PAGE - 1)) ==
				(g->log[i].gpa & (FZ_PAGE - 1));
		}
		if (!found) {
			snprintf(why, why_len,
				 "access %u (offset %#llx size %u) matches no operand",
				 i, (unsigned long long)(g->log[i].gpa & 0xfff),
				 g->log[i].size);
			return false;
		}
	}
	return true;
}

static void print_mismatch(const struct fz_cpu *cpu, const u8 *bytes,
			   unsigned int len, const char *what)
{
	unsigned int i;

	fprintf(stderr, "# mismatch (%u-bit):", cpu->mode * 8);
	for (i = 0; i < len; i++)
		fprintf(stderr, " %02x", bytes[i]);
	fprintf(stderr, ": %s\n", what);
}

static void setup_cpu(u64 *rng, unsigned int mode, struct fz_cpu *cpu,
		      struct hvm_emul_ctxt *ctxt, struct fz_guest *g,
		      unsigned int code_off)
{
	unsigned int i;

	cpu->mode = mode;
	for (i = 0; i < 16; i++)
		cpu->gprs[i] = rng_next(rng);
	cpu->gprs[1] = 1;	/* rCX: one REP iteration, then advance */
	memcpy(cpu->live_gprs, cpu->gprs, sizeof(cpu->gprs));
	for (i = 0; i < 6; i++)
		cpu->seg_base[i] = mode == 8 ? rng_next(rng) :
				   (u32)rng_next(rng);
	/* CS base and rip together put the code at code_off in the frame. */
	cpu->seg_base[1] &= ~(u64)(FZ_PAGE - 1);
	if (mode == 8)
		cpu->rip = (rng_next(rng) & 0x00007ffffffff000ull) | code_off;
	else if (mode == 4)
		cpu->rip = ((u32)rng_next(rng) & ~(FZ_PAGE - 1)) | code_off;
	else
		cpu->rip = (rng_next(rng) & 0xf000) | code_off;

	memset(ctxt, 0, sizeof(*ctxt));
	ctxt->gprs = cpu->live_gprs;
	ctxt->rip = cpu->rip;
	ctxt->rflags = 0x2 | (rng_next(rng) & 0x400);	/* random DF */
	ctxt->cr0 = 0x80010001;		/* PG WP PE */
	ctxt->cr3 = FZ_TABLE_FIRST;
	if (mode == 8) {
		ctxt->cr4 = 0x20;
		ctxt->efer = 0x500;
		ctxt->cs_l = true;
	}
	ctxt->cs_d = mode == 4;
	ctxt->es_base = cpu->seg_base[0];
	ctxt->cs_base = cpu->seg_base[1];
	ctxt->ss_base = cpu->seg_base[2];
	ctxt->ds_base = cpu->seg_base[3];
	ctxt->fs_base = cpu->seg_base[4];
	ctxt->gs_base = cpu->seg_base[5];
	ctxt->fault_gpa = FZ_FRAME;
	ctxt->ops = &fz_ops;
	ctxt->opaque = g;
	g->long_mode = mode == 8;
	g->nr_log = 0;
	g->read_value = rng_next(rng);
}

/* Is there a 66 prefix followed by F2 or F3 among the prefixes? */
static bool opsize_before_rep(const u8 *bytes)
{
	bool opsize = false;
	unsigned int i;

	for (i = 0; i < 15; i++) {
		switch (bytes[i]) {
		case 0x66:
			opsize = true;
			break;
		case 0xf2:
		case 0xf3:
			if (opsize)
				return true;
			break;
		case 0x67: case 0xf0: case 0x26: case 0x2e: case 0x36:
		case 0x3e: case 0x64: case 0x65:
			break;
		default:
			/* REX (64-bit) also sits in the prefix run. */
			if ((bytes[i] & 0xf0) != 0x40)
				return false;
		}
	}
	return false;
}

/* One instruction in one mode; returns false on a mismatch. */
static bool fuzz_one(csh handle, u64 *rng, unsigned int mode, const u8 *bytes,
		     struct fuzz_report *report)
{
	static struct fz_guest guest;
	struct hvm_emul_ctxt ctxt;
	struct fz_cpu cpu;
	unsigned int code_off = rng_next(rng) % (FZ_PAGE - 16);
	u64 rip_in;
	cs_insn *insn;
	size_t count;
	char why[512];
	bool ok = true;
	int ret;

	memset(guest.frame, 0, sizeof(guest.frame));
	memcpy(guest.frame + code_off, bytes, 15);
	setup_cpu(rng, mode, &cpu, &ctxt, &guest, code_off);
	rip_in = ctxt.rip;

	ret = hvm_emulate_mmio(&ctxt);
	count = cs_disasm(handle, bytes, 15, rip_in, 1, &insn);
	if (!count)
		report->capstone_invalid++;
	if (ret == -EOPNOTSUPP) {
		report->refused++;
		goto out;
	}
	if (ret) {
		snprintf(why, sizeof(why), "emulator returned %d", ret);
		ok = false;
	} else if (!count) {
		snprintf(why, sizeof(why), "accepted, capstone says invalid");
		ok = false;
	} else if (insn->size != ctxt.insn_len) {
		snprintf(why, sizeof(why), "length %u, capstone %u (%s %s)",
			 ctxt.insn_len, insn->size, insn->mnemonic,
			 insn->op_str);
		ok = false;
	} else if (mask_bytes(ctxt.rip - rip_in, mode) != insn->size) {
		snprintf(why, sizeof(why), "rip advanced by %llu",
			 (unsigned long long)(ctxt.rip - rip_in));
		ok = false;
	} else if (!accesses_match(&cpu, insn, &guest, why, sizeof(why))) {
		size_t used = strlen(why);

		snprintf(why + used, sizeof(why) - used, " (%s %s)",
			 insn->mnemonic, insn->op_str);
		ok = false;
	} else {
		report->compared++;
	}
	if (!ok && opsize_before_rep(bytes)) {
		report->capstone_quirks++;
	} else if (!ok) {
		report->mismatches++;
		if (report->mismatches <= 20)
			print_mismatch(&cpu, bytes, 15, why);
	}
out:
	if (count)
		cs_free(insn, count);
	return ok;
}

int fuzz_run(unsigned long long seed, unsigned long iterations,
	     struct fuzz_report *report)
{
	static const cs_mode cs_modes[3] = { CS_MODE_16, CS_MODE_32,
					     CS_MODE_64 };
	static const unsigned int modes[3] = { 2, 4, 8 };
	csh handles[3];
	u64 rng = seed ? seed : 1;
	unsigned long i;
	unsigned int m, b;
	u8 bytes[15];

	memset(report, 0, sizeof(*report));
	for (m = 0; m < 3; m++) {
		if (cs_open(CS_ARCH_X86, cs_modes[m], &handles[m]) != CS_ERR_OK)
			return -1;
		cs_option(handles[m], CS_OPT_DETAIL, CS_OPT_ON);
	}
	for (i = 0; i < iterations; i++) {
		m = i % 3;
		if (i & 1) {
			generate_encoding(&rng, modes[m], bytes);
		} else {
			for (b = 0; b < 15; b++)
				bytes[b] = (u8)rng_next(&rng);
		}
		fuzz_one(handles[m], &rng, modes[m], bytes, report);
		report->iterations++;
	}
	for (m = 0; m < 3; m++)
		cs_close(&handles[m]);
	return 0;
}
