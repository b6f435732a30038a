// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO instruction emulation and guest page walks.
 *
 * A guest access to a guest-physical page that is not RAM stops the guest
 * with a nested page fault that names the address but not the access.  This
 * file decodes the one instruction that faulted, performs its device access
 * through the callbacks and computes its register results.  Only the
 * instruction forms guests use on device memory are accepted (MOV and its
 * extending forms, the string moves, ALU and bit tests on memory); anything
 * else is refused rather than approximated.
 *
 * Restart rule: a device read may not have its value yet (-EAGAIN).  The
 * caller then runs the whole emulation again later, so every read happens
 * before the single device write and before anything is committed.
 *
 * The device operand is the one in the faulting page: the instruction's
 * own address computation must land there, in one piece, or it is refused.
 * Not modelled: segment limits and access rights (the hardware checked the
 * faulting operand before the fault), and the accessed/dirty bits of the
 * guest's page tables for the RAM side of MOVS, which a CPU would set.
 *
 * Encodings and paging structures follow the AMD64 Architecture
 * Programmer's Manual vol. 2 (paging) and vol. 3 (instruction formats).
 */
#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/kernel.h>
#endif
#include "emulate.h"

#define EMUL_CR0_PE		BIT_ULL(0)
#define EMUL_CR0_WP		BIT_ULL(16)
#define EMUL_CR0_PG		BIT_ULL(31)
#define EMUL_CR4_PSE		BIT_ULL(4)
#define EMUL_CR4_PAE		BIT_ULL(5)
#define EMUL_CR4_LA57		BIT_ULL(12)
#define EMUL_EFER_LMA		BIT_ULL(10)

#define EMUL_FLAG_CF		BIT_ULL(0)
#define EMUL_FLAG_PF		BIT_ULL(2)
#define EMUL_FLAG_AF		BIT_ULL(4)
#define EMUL_FLAG_ZF		BIT_ULL(6)
#define EMUL_FLAG_SF		BIT_ULL(7)
#define EMUL_FLAG_DF		BIT_ULL(10)
#define EMUL_FLAG_OF		BIT_ULL(11)
#define EMUL_FLAG_VM		BIT_ULL(17)
#define EMUL_ARITH_FLAGS	(EMUL_FLAG_CF | EMUL_FLAG_PF | EMUL_FLAG_AF | \
				 EMUL_FLAG_ZF | EMUL_FLAG_SF | EMUL_FLAG_OF)

#define EMUL_PAGE_SIZE		4096ULL
#define EMUL_PAGE_OFFSET	(EMUL_PAGE_SIZE - 1)

#define PTE_PRESENT		BIT_ULL(0)
#define PTE_WRITABLE		BIT_ULL(1)
#define PTE_USER		BIT_ULL(2)
#define PTE_LARGE		BIT_ULL(7)
/* Bits 51:12: the architectural maximum physical address width. */
#define PTE_ADDR_MASK		0x000ffffffffff000ULL

#define MAX_INSN_LEN		15

#define REG_RAX			0
#define REG_RCX			1
#define REG_RSP			4
#define REG_RBP			5
#define REG_RSI			6
#define REG_RDI			7
#define REG_NONE		0xff

#define REX_B			0x01
#define REX_X			0x02
#define REX_R			0x04
#define REX_W			0x08

enum emul_seg {
	SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_DEFAULT,
};

/* Group 1 operation numbers (ModRM.reg of 80/81/83, bits 5:3 of 00-3B). */
enum alu_op {
	ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
};

/* Group 8 order (ModRM.reg - 4 of 0F BA). */
enum bit_op {
	BIT_TEST, BIT_SET, BIT_RESET, BIT_COMPLEMENT,
};

enum emul_kind {
	K_LOAD,		/* reg <- mem, optionally zero/sign extended */
	K_STORE,	/* mem <- reg */
	K_STORE_IMM,	/* mem <- imm */
	K_ALU_TO_MEM,	/* mem <- mem op src (CMP: flags only) */
	K_ALU_TO_REG,	/* reg <- reg op mem (CMP: flags only) */
	K_TEST,		/* flags of mem & src */
	K_XCHG,
	K_NOT,
	K_NEG,
	K_BT,		/* BT, BTS, BTR, BTC: see bit_op */
	K_MOVS,
	K_STOS,
	K_LODS,
};

/* One decoded instruction.  Registers are numbers 0-15 after REX. */
struct emul_insn {
	u8 code_size;		/* 2, 4 or 8: the mode's default widths */
	u8 op_size;		/* operand size in bytes */
	u8 addr_size;
	u8 mem_size;		/* bytes accessed at the memory operand */
	u8 reg_size;		/* K_LOAD: bytes written to the register */
	u8 rex;
	u8 rep;			/* 0, 0xf2 or 0xf3 */
	u8 seg;			/* enum emul_seg */
	u8 kind;		/* enum emul_kind */
	u8 alu;			/* enum alu_op */
	u8 bit_op;		/* enum bit_op */
	u8 reg;			/* register operand */
	u8 base;		/* memory operand base register or REG_NONE */
	u8 index;		/* memory operand index register or REG_NONE */
	u8 scale;		/* log2 of the index scale */
	u8 len;
	bool lock;
	bool rip_relative;
	bool src_is_imm;	/* ALU/TEST/BT source is imm, not reg */
	bool sign_extend;	/* K_LOAD: MOVSX/MOVSXD rather than zero */
	bool uses_ss;		/* default segment is SS (rBP/rSP base) */
	u64 disp;		/* sign-extended displacement or moffs */
	u64 imm;		/* sign-extended to 64 bits */
};

/* Decoder cursor over the fetched bytes. */
struct insn_cursor {
	const u8 *buf;
	u8 avail;
	u8 pos;
};

/* Working copy of the guest state; copied back only on success. */
struct emul_state {
	struct hvm_emul_ctxt *ctxt;
	struct emul_insn in;
	u64 gprs[16];
	u64 rflags;
	u64 next_rip;
};

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : BIT_ULL(size * 8) - 1;
}

static u64 sign_extend(u64 val, unsigned int size)
{
	unsigned int shift = 64 - size * 8;

	return (u64)((s64)(val << shift) >> shift);
}

/* ---- Guest page walk ---- */

static int read_pte(const struct hvm_emul_ctxt *ctxt, u64 gpa,
		    unsigned int size, u64 *pte)
{
	u32 pte32;
	int ret;

	if (size == 4) {
		ret = ctxt->ops->read_phys(ctxt->opaque, gpa, &pte32, 4);
		*pte = pte32;
	} else {
		ret = ctxt->ops->read_phys(ctxt->opaque, gpa, pte, 8);
	}
	return ret ? -EFAULT : 0;
}

/*
 * Access rights are the AND of every level's bits.  Supervisor writes
 * ignore R/W unless CR0.WP is set; CPL 3 needs U/S everywhere.
 */
static int check_access(const struct hvm_emul_ctxt *ctxt, bool write,
			bool writable, bool user)
{
	if (ctxt->cpl == 3 && !user)
		return -EFAULT;
	if (write && !writable &&
	    (ctxt->cpl == 3 || (ctxt->cr0 & EMUL_CR0_WP)))
		return -EFAULT;
	return 0;
}

static int walk_legacy(const struct hvm_emul_ctxt *ctxt, u32 gva, bool write,
		       u64 *gpa)
{
	u64 pde, pte;
	bool writable, user;

	if (read_pte(ctxt, (ctxt->cr3 & 0xfffff000) + (gva >> 22) * 4, 4,
		     &pde))
		return -EFAULT;
	if (!(pde & PTE_PRESENT))
		return -EFAULT;
	writable = pde & PTE_WRITABLE;
	user = pde & PTE_USER;

	if ((pde & PTE_LARGE) && (ctxt->cr4 & EMUL_CR4_PSE)) {
		/* PSE-36: PDE bits 20:13 are physical address bits 39:32. */
		*gpa = (pde & 0xffc00000) | (((pde >> 13) & 0xff) << 32) |
		       (gva & 0x3fffff);
		return check_access(ctxt, write, writable, user);
	}

	if (read_pte(ctxt, (pde & 0xfffff000) + ((gva >> 12) & 0x3ff) * 4, 4,
		     &pte))
		return -EFAULT;
	if (!(pte & PTE_PRESENT))
		return -EFAULT;
	writable = writable && (pte & PTE_WRITABLE);
	user = user && (pte & PTE_USER);
	*gpa = (pte & 0xfffff000) | (gva & EMUL_PAGE_OFFSET);
	return check_access(ctxt, write, writable, user);
}

/*
 * 64-bit entries, 9 index bits per level, from 'level' down to 1 (the
 * page table).  PS is honoured at levels 3 (1 GiB) and 2 (2 MiB).
 */
static int walk_levels(const struct hvm_emul_ctxt *ctxt, u64 table, u64 gva,
		       unsigned int level, bool write, bool writable, bool user,
		       u64 *gpa)
{
	unsigned int shift;
	u64 entry, page_mask;

	for (; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		if (read_pte(ctxt, table + ((gva >> shift) & 0x1ff) * 8, 8,
			     &entry))
			return -EFAULT;
		if (!(entry & PTE_PRESENT))
			return -EFAULT;
		writable = writable && (entry & PTE_WRITABLE);
		user = user && (entry & PTE_USER);

		if (level == 1 || (entry & PTE_LARGE)) {
			if (level > 3)
				return -EFAULT;	/* PS is reserved there */
			page_mask = BIT_ULL(shift) - 1;
			*gpa = (entry & PTE_ADDR_MASK & ~page_mask) |
			       (gva & page_mask);
			return check_access(ctxt, write, writable, user);
		}
		table = entry & PTE_ADDR_MASK;
	}
	return -EFAULT;
}

int hvm_gva_to_gpa(const struct hvm_emul_ctxt *ctxt, u64 gva, bool write,
		   u64 *gpa)
{
	u64 pdpte;

	if (!(ctxt->cr0 & EMUL_CR0_PG)) {
		*gpa = (u32)gva;
		return 0;
	}
	if (!(ctxt->cr4 & EMUL_CR4_PAE))
		return walk_legacy(ctxt, (u32)gva, write, gpa);
	if (ctxt->efer & EMUL_EFER_LMA)
		return walk_levels(ctxt, ctxt->cr3 & PTE_ADDR_MASK, gva,
				   (ctxt->cr4 & EMUL_CR4_LA57) ? 5 : 4, write,
				   true, true, gpa);

	/* PAE: four PDPTEs without R/W or U/S bits, then two levels. */
	gva = (u32)gva;
	if (read_pte(ctxt, (ctxt->cr3 & 0xffffffe0) + (gva >> 30) * 8, 8,
		     &pdpte))
		return -EFAULT;
	if (!(pdpte & PTE_PRESENT))
		return -EFAULT;
	return walk_levels(ctxt, pdpte & PTE_ADDR_MASK, gva, 2, write, true,
			   true, gpa);
}

/* ---- Instruction fetch and decode ---- */

static unsigned int code_size(const struct hvm_emul_ctxt *ctxt)
{
	if (!(ctxt->cr0 & EMUL_CR0_PE) || (ctxt->rflags & EMUL_FLAG_VM))
		return 2;
	if ((ctxt->efer & EMUL_EFER_LMA) && ctxt->cs_l)
		return 8;
	return ctxt->cs_d ? 4 : 2;
}

/* Outside 64-bit mode linear addresses wrap at 4 GiB. */
static u64 wrap_linear(unsigned int mode, u64 linear)
{
	return mode == 8 ? linear : (u32)linear;
}

/*
 * Fetch up to 15 bytes at CS:rip into ctxt->insn, page by page: the
 * instruction may be shorter than 15 bytes and end before an unmapped
 * page, so a failure after the first byte only shortens what is there.
 */
static int fetch_insn(struct hvm_emul_ctxt *ctxt, unsigned int mode)
{
	u64 ip = ctxt->rip & size_mask(mode);
	u64 start = mode == 8 ? ip : ctxt->cs_base + ip;
	unsigned int avail = 0, chunk;
	u64 gva, gpa;

	while (avail < MAX_INSN_LEN) {
		gva = wrap_linear(mode, start + avail);
		chunk = EMUL_PAGE_SIZE - (gva & EMUL_PAGE_OFFSET);
		if (chunk > MAX_INSN_LEN - avail)
			chunk = MAX_INSN_LEN - avail;
		if (hvm_gva_to_gpa(ctxt, gva, false, &gpa))
			break;
		if (ctxt->ops->read_phys(ctxt->opaque, gpa, ctxt->insn + avail,
					 chunk))
			break;
		avail += chunk;
	}
	ctxt->insn_len = avail;
	return avail ? 0 : -EFAULT;
}

int hvm_emulate_fetch(struct hvm_emul_ctxt *ctxt)
{
	return fetch_insn(ctxt, code_size(ctxt));
}

/*
 * Running out of fetched bytes means the rest could not be fetched, unless
 * all 15 were there: then the encoding is longer than the architecture
 * allows.
 */
static int next_byte(struct insn_cursor *cur, u8 *byte)
{
	if (cur->pos >= cur->avail)
		return cur->avail < MAX_INSN_LEN ? -EFAULT : -EOPNOTSUPP;
	*byte = cur->buf[cur->pos++];
	return 0;
}

/* Little-endian immediate or displacement of 'size' bytes, sign-extended. */
static int next_signed(struct insn_cursor *cur, unsigned int size, u64 *val)
{
	unsigned int i;
	u64 raw = 0;
	u8 byte;
	int ret;

	for (i = 0; i < size; i++) {
		ret = next_byte(cur, &byte);
		if (ret)
			return ret;
		raw |= (u64)byte << (i * 8);
	}
	*val = sign_extend(raw, size);
	return 0;
}

static int decode_prefixes(struct insn_cursor *cur, struct emul_insn *in,
			   u8 *opcode)
{
	bool opsize_override = false, addrsize_override = false;
	u8 byte;
	int ret;

	in->seg = SEG_DEFAULT;
	for (;;) {
		ret = next_byte(cur, &byte);
		if (ret)
			return ret;
		switch (byte) {
		case 0x66:
			opsize_override = true;
			break;
		case 0x67:
			addrsize_override = true;
			break;
		case 0xf0:
			in->lock = true;
			break;
		case 0xf2:
		case 0xf3:
			in->rep = byte;
			break;
		case 0x26:
			in->seg = SEG_ES;
			break;
		case 0x2e:
			in->seg = SEG_CS;
			break;
		case 0x36:
			in->seg = SEG_SS;
			break;
		case 0x3e:
			in->seg = SEG_DS;
			break;
		case 0x64:
			in->seg = SEG_FS;
			break;
		case 0x65:
			in->seg = SEG_GS;
			break;
		default:
			if (in->code_size == 8 && (byte & 0xf0) == 0x40) {
				in->rex = byte;
				continue;
			}
			goto done;
		}
		/* A REX prefix counts only right before the opcode. */
		in->rex = 0;
	}
done:
	*opcode = byte;

	if (in->code_size == 8) {
		in->addr_size = addrsize_override ? 4 : 8;
		if (in->rex & REX_W)
			in->op_size = 8;
		else
			in->op_size = opsize_override ? 2 : 4;
	} else {
		in->addr_size = addrsize_override ? 6 - in->code_size :
						    in->code_size;
		in->op_size = opsize_override ? 6 - in->code_size :
						in->code_size;
	}
	return 0;
}

static const u8 modrm16_base[8] = {
	3, 3, REG_RBP, REG_RBP, REG_RSI, REG_RDI, REG_RBP, 3,
};

static const u8 modrm16_index[8] = {
	REG_RSI, REG_RDI, REG_RSI, REG_RDI, REG_NONE, REG_NONE, REG_NONE,
	REG_NONE,
};

/* ModRM, SIB and displacement.  Register-direct operands are refused. */
static int decode_modrm(struct insn_cursor *cur, struct emul_insn *in)
{
	u8 modrm, sib, mod, rm;
	unsigned int disp_size = 0;
	int ret;

	ret = next_byte(cur, &modrm);
	if (ret)
		return ret;
	mod = modrm >> 6;
	rm = modrm & 7;
	in->reg = ((modrm >> 3) & 7) | ((in->rex & REX_R) ? 8 : 0);
	if (mod == 3)
		return -EOPNOTSUPP;
	in->base = REG_NONE;
	in->index = REG_NONE;

	if (in->addr_size == 2) {
		if (mod == 0 && rm == 6) {
			disp_size = 2;
		} else {
			in->base = modrm16_base[rm];
			in->index = modrm16_index[rm];
			in->uses_ss = in->base == REG_RBP;
			disp_size = mod == 1 ? 1 : mod == 2 ? 2 : 0;
		}
		return disp_size ? next_signed(cur, disp_size, &in->disp) : 0;
	}

	if (rm == 4) {
		ret = next_byte(cur, &sib);
		if (ret)
			return ret;
		in->scale = sib >> 6;
		in->index = ((sib >> 3) & 7) | ((in->rex & REX_X) ? 8 : 0);
		if (in->index == REG_RSP)
			in->index = REG_NONE;
		if ((sib & 7) == 5 && mod == 0)
			disp_size = 4;
		else
			in->base = (sib & 7) | ((in->rex & REX_B) ? 8 : 0);
	} else if (rm == 5 && mod == 0) {
		disp_size = 4;
		in->rip_relative = in->code_size == 8;
	} else {
		in->base = rm | ((in->rex & REX_B) ? 8 : 0);
	}
	if (mod == 1)
		disp_size = 1;
	else if (mod == 2)
		disp_size = 4;
	in->uses_ss = in->base == REG_RSP || in->base == REG_RBP;
	return disp_size ? next_signed(cur, disp_size, &in->disp) : 0;
}

/* The "Iz" immediate: 16 bits for 16-bit operands, else 32 sign-extended. */
static unsigned int imm_z_size(const struct emul_insn *in)
{
	return in->op_size == 2 ? 2 : 4;
}

/* Two-byte opcodes 0F xx. */
static int decode_0f(struct insn_cursor *cur, struct emul_insn *in)
{
	unsigned int imm_size = 0;
	u8 opcode;
	int ret;

	ret = next_byte(cur, &opcode);
	if (ret)
		return ret;
	switch (opcode) {
	case 0xb6:	/* MOVZX Gv, Eb */
	case 0xb7:	/* MOVZX Gv, Ew */
	case 0xbe:	/* MOVSX Gv, Eb */
	case 0xbf:	/* MOVSX Gv, Ew */
		in->kind = K_LOAD;
		in->mem_size = (opcode & 1) ? 2 : 1;
		in->reg_size = in->op_size;
		in->sign_extend = opcode >= 0xbe;
		break;
	case 0xa3:	/* BT Ev, Gv */
	case 0xab:	/* BTS Ev, Gv */
	case 0xb3:	/* BTR Ev, Gv */
	case 0xbb:	/* BTC Ev, Gv */
		in->kind = K_BT;
		in->bit_op = (opcode >> 3) & 3;
		in->mem_size = in->op_size;
		break;
	case 0xba:	/* group 8: BT, BTS, BTR, BTC Ev, Ib (/4 to /7) */
		in->kind = K_BT;
		in->mem_size = in->op_size;
		in->src_is_imm = true;
		imm_size = 1;
		break;
	default:
		return -EOPNOTSUPP;
	}
	ret = decode_modrm(cur, in);
	if (ret)
		return ret;
	if (opcode == 0xba) {
		if ((in->reg & 7) < 4)
			return -EOPNOTSUPP;
		in->bit_op = (in->reg & 7) - 4;
	}
	if (imm_size)
		return next_signed(cur, imm_size, &in->imm);
	return 0;
}

/* Classify the one-byte opcode; 'imm_size' is read after ModRM. */
static int classify_opcode(struct emul_insn *in, u8 opcode,
			   unsigned int *imm_size, bool *has_modrm)
{
	bool byte_op = !(opcode & 1);

	*has_modrm = true;
	*imm_size = 0;

	if (opcode < 0x40 && (opcode & 7) < 4) {
		/* 00-3B: ALU Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev */
		in->alu = opcode >> 3;
		in->kind = (opcode & 2) ? K_ALU_TO_REG : K_ALU_TO_MEM;
		in->mem_size = byte_op ? 1 : in->op_size;
		return 0;
	}

	switch (opcode) {
	case 0x63:	/* MOVSXD Gv, Ed (64-bit mode only; ARPL elsewhere) */
		if (in->code_size != 8 || in->op_size == 2)
			return -EOPNOTSUPP;
		in->kind = K_LOAD;
		in->mem_size = 4;
		in->reg_size = in->op_size;
		in->sign_extend = true;
		return 0;
	case 0x80:
	case 0x81:
	case 0x82:
	case 0x83:
		if (opcode == 0x82 && in->code_size == 8)
			return -EOPNOTSUPP;
		byte_op = opcode != 0x81 && opcode != 0x83;
		in->kind = K_ALU_TO_MEM;
		in->src_is_imm = true;
		in->mem_size = byte_op ? 1 : in->op_size;
		*imm_size = opcode == 0x81 ? imm_z_size(in) : 1;
		return 0;
	case 0x84:
	case 0x85:
		in->kind = K_TEST;
		break;
	case 0x86:
	case 0x87:
		in->kind = K_XCHG;
		break;
	case 0x88:
	case 0x89:
		in->kind = K_STORE;
		break;
	case 0x8a:
	case 0x8b:
		in->kind = K_LOAD;
		break;
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3:
		/* MOV AL/rAX <-> moffs: the offset is address-size wide. */
		in->kind = opcode < 0xa2 ? K_LOAD : K_STORE;
		in->reg = REG_RAX;
		*has_modrm = false;
		break;
	case 0xa4:
	case 0xa5:
		in->kind = K_MOVS;
		*has_modrm = false;
		break;
	case 0xaa:
	case 0xab:
		in->kind = K_STOS;
		*has_modrm = false;
		break;
	case 0xac:
	case 0xad:
		in->kind = K_LODS;
		*has_modrm = false;
		break;
	case 0xc6:
	case 0xc7:
		in->kind = K_STORE_IMM;
		in->src_is_imm = true;
		*imm_size = byte_op ? 1 : imm_z_size(in);
		break;
	case 0xf6:
	case 0xf7:
		/* The ModRM.reg check happens once ModRM is read. */
		in->kind = K_TEST;
		in->src_is_imm = true;
		*imm_size = byte_op ? 1 : imm_z_size(in);
		break;
	default:
		return -EOPNOTSUPP;
	}
	in->mem_size = byte_op ? 1 : in->op_size;
	in->reg_size = in->mem_size;
	return 0;
}

static bool is_string_op(u8 opcode)
{
	return opcode == 0xa4 || opcode == 0xa5 ||
	       (opcode >= 0xaa && opcode <= 0xad);
}

static bool is_lockable(const struct emul_insn *in)
{
	switch (in->kind) {
	case K_ALU_TO_MEM:
		return in->alu != ALU_CMP;
	case K_XCHG:
	case K_NOT:
	case K_NEG:
		return true;
	case K_BT:
		return in->bit_op != BIT_TEST;
	default:
		return false;
	}
}

static int decode_insn(struct insn_cursor *cur, struct emul_insn *in)
{
	unsigned int imm_size;
	bool has_modrm;
	u8 opcode;
	int ret;

	ret = decode_prefixes(cur, in, &opcode);
	if (ret)
		return ret;
	/*
	 * F2/F3 mean nothing to the accepted non-string forms (at most an
	 * XACQUIRE/XRELEASE hint); the two-byte ones with a meaning are
	 * refused by opcode.
	 */
	if (!is_string_op(opcode))
		in->rep = 0;
	if (opcode == 0x0f)
		ret = decode_0f(cur, in);
	else
		ret = classify_opcode(in, opcode, &imm_size, &has_modrm);
	if (ret || opcode == 0x0f)
		goto out;

	if (!has_modrm) {
		if (opcode <= 0xa3) {
			ret = next_signed(cur, in->addr_size, &in->disp);
			in->base = REG_NONE;
			in->index = REG_NONE;
		}
		goto out;
	}

	ret = decode_modrm(cur, in);
	if (ret)
		goto out;
	if ((opcode == 0xc6 || opcode == 0xc7) && (in->reg & 7) != 0)
		return -EOPNOTSUPP;
	if (opcode == 0xf6 || opcode == 0xf7) {
		switch (in->reg & 7) {
		case 0:
		case 1:		/* TEST alias: both vendors decode it */
			break;
		case 2:
			in->kind = K_NOT;
			imm_size = 0;
			break;
		case 3:
			in->kind = K_NEG;
			imm_size = 0;
			break;
		default:
			return -EOPNOTSUPP;
		}
	}
	if (opcode >= 0x80 && opcode <= 0x83)
		in->alu = in->reg & 7;
	if (imm_size)
		ret = next_signed(cur, imm_size, &in->imm);
out:
	if (ret)
		return ret;
	if (in->rep == 0xf2)
		return -EOPNOTSUPP;	/* REPNE on MOVS/STOS/LODS: reserved */
	/*
	 * LOCK is #UD except on read-modify-write forms, so a locked MOV
	 * never faults on memory.  The device sees one read and one write
	 * either way: a device page has no other CPU's cache to lock out.
	 */
	if (in->lock && !is_lockable(in))
		return -EOPNOTSUPP;
	in->len = cur->pos;
	return 0;
}

/* ---- Register and flag helpers ---- */

/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
static u64 reg_read(const struct emul_state *st, unsigned int reg,
		    unsigned int size)
{
	if (size == 1 && !st->in.rex && reg >= 4 && reg < 8)
		return (st->gprs[reg - 4] >> 8) & 0xff;
	return st->gprs[reg] & size_mask(size);
}

static void reg_write(struct emul_state *st, unsigned int reg,
		      unsigned int size, u64 val)
{
	u64 *dst = &st->gprs[reg];

	switch (size) {
	case 1:
		if (!st->in.rex && reg >= 4 && reg < 8) {
			dst = &st->gprs[reg - 4];
			*dst = (*dst & ~0xff00ULL) | ((val & 0xff) << 8);
		} else {
			*dst = (*dst & ~0xffULL) | (val & 0xff);
		}
		break;
	case 2:
		*dst = (*dst & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		*dst = (u32)val;	/* 32-bit writes zero bits 63:32 */
		break;
	default:
		*dst = val;
		break;
	}
}

/* rSI/rDI/rCX as string-op pointers and counter use the address size. */
static void addr_reg_write(struct emul_state *st, unsigned int reg, u64 val)
{
	reg_write(st, reg, st->in.addr_size, val);
}

static bool even_parity(u8 byte)
{
	byte ^= byte >> 4;
	byte ^= byte >> 2;
	byte ^= byte >> 1;
	return !(byte & 1);
}

/* ZF, SF and PF of 'res'; the caller sets CF, AF and OF. */
static u64 result_flags(u64 res, unsigned int size)
{
	u64 flags = 0;

	res &= size_mask(size);
	if (!res)
		flags |= EMUL_FLAG_ZF;
	if (res & BIT_ULL(size * 8 - 1))
		flags |= EMUL_FLAG_SF;
	if (even_parity(res & 0xff))
		flags |= EMUL_FLAG_PF;
	return flags;
}

/* dst op src on 'size' bytes; returns the result, updates *rflags. */
static u64 alu_compute(unsigned int op, u64 dst, u64 src, unsigned int size,
		       u64 *rflags)
{
	u64 mask = size_mask(size), sign = BIT_ULL(size * 8 - 1);
	u64 carry_in = 0, res, flags = 0;

	dst &= mask;
	src &= mask;
	switch (op) {
	case ALU_ADC:
		carry_in = *rflags & EMUL_FLAG_CF ? 1 : 0;
		fallthrough;
	case ALU_ADD:
		res = (dst + src + carry_in) & mask;
		if (res < dst || (carry_in && res == dst))
			flags |= EMUL_FLAG_CF;
		if ((dst ^ res) & (src ^ res) & sign)
			flags |= EMUL_FLAG_OF;
		flags |= (dst ^ src ^ res) & EMUL_FLAG_AF;
		break;
	case ALU_SBB:
		carry_in = *rflags & EMUL_FLAG_CF ? 1 : 0;
		fallthrough;
	case ALU_SUB:
	case ALU_CMP:
		res = (dst - src - carry_in) & mask;
		if (dst < src || (carry_in && dst == src))
			flags |= EMUL_FLAG_CF;
		if ((dst ^ src) & (dst ^ res) & sign)
			flags |= EMUL_FLAG_OF;
		flags |= (dst ^ src ^ res) & EMUL_FLAG_AF;
		break;
	case ALU_OR:
		res = dst | src;
		break;
	case ALU_AND:
		res = dst & src;
		break;
	default:
		res = dst ^ src;
		break;
	}
	*rflags = (*rflags & ~EMUL_ARITH_FLAGS) | flags |
		  result_flags(res, size);
	return res;
}

/* ---- Memory operands ---- */

static u64 effective_addr(const struct emul_state *st)
{
	const struct emul_insn *in = &st->in;
	u64 ea = in->disp;

	if (in->rip_relative)
		ea += st->next_rip;
	if (in->base != REG_NONE)
		ea += st->gprs[in->base];
	if (in->index != REG_NONE)
		ea += st->gprs[in->index] << in->scale;
	return ea & size_mask(in->addr_size);
}

/* In 64-bit mode only FS and GS have a base. */
static u64 seg_base(const struct emul_state *st, unsigned int seg)
{
	const struct hvm_emul_ctxt *ctxt = st->ctxt;

	switch (seg) {
	case SEG_FS:
		return ctxt->fs_base;
	case SEG_GS:
		return ctxt->gs_base;
	}
	if (st->in.code_size == 8)
		return 0;
	switch (seg) {
	case SEG_ES:
		return ctxt->es_base;
	case SEG_CS:
		return ctxt->cs_base;
	case SEG_SS:
		return ctxt->ss_base;
	default:
		return ctxt->ds_base;
	}
}

static u64 linear_addr(const struct emul_state *st, unsigned int seg, u64 ea)
{
	return wrap_linear(st->in.code_size, seg_base(st, seg) + ea);
}

/* DS unless overridden; SS for rBP/rSP based ModRM operands. */
static unsigned int data_seg(const struct emul_insn *in)
{
	if (in->seg != SEG_DEFAULT)
		return in->seg;
	return in->uses_ss ? SEG_SS : SEG_DS;
}

static bool in_fault_page(const struct emul_state *st, u64 gpa,
			  unsigned int size)
{
	return !((gpa ^ st->ctxt->fault_gpa) & ~EMUL_PAGE_OFFSET) &&
	       (gpa & EMUL_PAGE_OFFSET) + size <= EMUL_PAGE_SIZE;
}

/*
 * The device operand must be the page that faulted, in one piece: an
 * access elsewhere or split across pages is not what the fault reported.
 */
static int mmio_operand(const struct emul_state *st, u64 linear,
			unsigned int size, bool write, u64 *gpa)
{
	if (hvm_gva_to_gpa(st->ctxt, linear, write, gpa))
		return -EOPNOTSUPP;
	return in_fault_page(st, *gpa, size) ? 0 : -EOPNOTSUPP;
}

static int mmio_read(struct emul_state *st, u64 gpa, unsigned int size,
		     u64 *val)
{
	int ret;

	ret = st->ctxt->ops->mmio_read(st->ctxt->opaque, gpa, size, val);
	*val &= size_mask(size);
	return ret;
}

static int mmio_write(struct emul_state *st, u64 gpa, unsigned int size,
		      u64 val)
{
	return st->ctxt->ops->mmio_write(st->ctxt->opaque, gpa, size,
					 val & size_mask(size));
}

/* ---- Instruction bodies ---- */

static int emulate_modrm_op(struct emul_state *st)
{
	struct emul_insn *in = &st->in;
	unsigned int size = in->mem_size;
	bool writes_mem, reads_mem;
	u64 gpa, mem = 0, src, res, linear;
	int ret;

	linear = linear_addr(st, data_seg(in), effective_addr(st));
	writes_mem = in->kind == K_STORE || in->kind == K_STORE_IMM ||
		     in->kind == K_XCHG || in->kind == K_NOT ||
		     in->kind == K_NEG ||
		     (in->kind == K_ALU_TO_MEM && in->alu != ALU_CMP) ||
		     (in->kind == K_BT && in->bit_op != BIT_TEST);
	reads_mem = in->kind != K_STORE && in->kind != K_STORE_IMM;

	if (in->kind == K_BT && !in->src_is_imm) {
		/*
		 * A register bit offset is signed and may select another
		 * operand-sized word outside the ModRM operand.
		 */
		s64 bit = (s64)sign_extend(reg_read(st, in->reg, size), size);
		unsigned int bits_log2 = size == 2 ? 4 : size == 4 ? 5 : 6;

		linear = linear_addr(st, data_seg(in),
				     (effective_addr(st) +
				      (u64)((bit >> bits_log2) * size)) &
				     size_mask(in->addr_size));
	}

	ret = mmio_operand(st, linear, size, writes_mem, &gpa);
	if (ret)
		return ret;
	if (reads_mem) {
		ret = mmio_read(st, gpa, size, &mem);
		if (ret)
			return ret;
	}

	src = in->src_is_imm ? in->imm : reg_read(st, in->reg, size);
	switch (in->kind) {
	case K_LOAD:
		if (in->sign_extend)
			mem = sign_extend(mem, size);
		reg_write(st, in->reg, in->reg_size, mem);
		return 0;
	case K_STORE:
	case K_STORE_IMM:
		return mmio_write(st, gpa, size, src);
	case K_ALU_TO_MEM:
		res = alu_compute(in->alu, mem, src, size, &st->rflags);
		return in->alu == ALU_CMP ? 0 : mmio_write(st, gpa, size, res);
	case K_ALU_TO_REG:
		res = alu_compute(in->alu, src, mem, size, &st->rflags);
		if (in->alu != ALU_CMP)
			reg_write(st, in->reg, size, res);
		return 0;
	case K_TEST:
		alu_compute(ALU_AND, mem, src, size, &st->rflags);
		return 0;
	case K_XCHG:
		ret = mmio_write(st, gpa, size, src);
		if (!ret)
			reg_write(st, in->reg, size, mem);
		return ret;
	case K_NOT:
		return mmio_write(st, gpa, size, ~mem);
	case K_NEG:
		res = alu_compute(ALU_SUB, 0, mem, size, &st->rflags);
		return mmio_write(st, gpa, size, res);
	case K_BT:
		/* CF is the old bit; the other arithmetic flags stay. */
		res = BIT_ULL(src & (size * 8 - 1));
		st->rflags &= ~EMUL_FLAG_CF;
		if (mem & res)
			st->rflags |= EMUL_FLAG_CF;
		switch (in->bit_op) {
		case BIT_SET:
			return mmio_write(st, gpa, size, mem | res);
		case BIT_RESET:
			return mmio_write(st, gpa, size, mem & ~res);
		case BIT_COMPLEMENT:
			return mmio_write(st, gpa, size, mem ^ res);
		}
		return 0;
	}
	return -EOPNOTSUPP;
}

/*
 * The RAM side of MOVS, possibly split over two guest pages.  Both pages
 * are translated before anything is written.
 */
static int ram_access(struct emul_state *st, u64 linear, void *buf,
		      unsigned int size, bool write)
{
	const struct hvm_emul_ops *ops = st->ctxt->ops;
	unsigned int first = EMUL_PAGE_SIZE - (linear & EMUL_PAGE_OFFSET);
	u64 gpa[2];
	int ret;

	if (first > size)
		first = size;
	if (hvm_gva_to_gpa(st->ctxt, linear, write, &gpa[0]))
		return -EOPNOTSUPP;
	if (first < size &&
	    hvm_gva_to_gpa(st->ctxt, wrap_linear(st->in.code_size,
						 linear + first),
			   write, &gpa[1]))
		return -EOPNOTSUPP;

	if (write) {
		ret = ops->write_phys(st->ctxt->opaque, gpa[0], buf, first);
		if (!ret && first < size)
			ret = ops->write_phys(st->ctxt->opaque, gpa[1],
					      (u8 *)buf + first, size - first);
	} else {
		ret = ops->read_phys(st->ctxt->opaque, gpa[0], buf, first);
		if (!ret && first < size)
			ret = ops->read_phys(st->ctxt->opaque, gpa[1],
					     (u8 *)buf + first, size - first);
	}
	/* Not RAM: a second device, which the fault did not report. */
	return ret == -EFAULT ? -EOPNOTSUPP : ret;
}

/*
 * One element of MOVS.  The side in the faulting page is the device; the
 * other side must be RAM, or the same device page (a copy within it).
 */
static int emulate_movs(struct emul_state *st, u64 src_linear, u64 dst_linear,
			unsigned int size)
{
	u64 src_gpa, dst_gpa, val = 0;
	bool src_mmio, dst_mmio;
	int ret;

	src_mmio = !hvm_gva_to_gpa(st->ctxt, src_linear, false, &src_gpa) &&
		   in_fault_page(st, src_gpa, size);
	dst_mmio = !hvm_gva_to_gpa(st->ctxt, dst_linear, true, &dst_gpa) &&
		   in_fault_page(st, dst_gpa, size);
	if (!src_mmio && !dst_mmio)
		return -EOPNOTSUPP;

	if (src_mmio)
		ret = mmio_read(st, src_gpa, size, &val);
	else
		ret = ram_access(st, src_linear, &val, size, false);
	if (ret)
		return ret;
	/* x86 is little-endian like the host: val's low bytes are the data. */
	if (dst_mmio)
		return mmio_write(st, dst_gpa, size, val);
	return ram_access(st, dst_linear, &val, size, true);
}

/* One iteration per call; a REP op keeps rip until rCX reaches 0. */
static int emulate_string(struct emul_state *st)
{
	struct emul_insn *in = &st->in;
	unsigned int size = in->mem_size;
	u64 amask = size_mask(in->addr_size);
	u64 rsi = st->gprs[REG_RSI] & amask, rdi = st->gprs[REG_RDI] & amask;
	u64 step = (st->rflags & EMUL_FLAG_DF) ? -(u64)size : size;
	u64 count = st->gprs[REG_RCX] & amask;
	unsigned int src_seg = in->seg == SEG_DEFAULT ? SEG_DS : in->seg;
	u64 gpa, val;
	int ret;

	if (in->rep && !count)
		return 0;

	switch (in->kind) {
	case K_STOS:
		ret = mmio_operand(st, linear_addr(st, SEG_ES, rdi), size, true,
				   &gpa);
		if (!ret)
			ret = mmio_write(st, gpa, size,
					 reg_read(st, REG_RAX, size));
		break;
	case K_LODS:
		ret = mmio_operand(st, linear_addr(st, src_seg, rsi), size,
				   false, &gpa);
		if (!ret)
			ret = mmio_read(st, gpa, size, &val);
		if (!ret)
			reg_write(st, REG_RAX, size, val);
		break;
	default:
		ret = emulate_movs(st, linear_addr(st, src_seg, rsi),
				   linear_addr(st, SEG_ES, rdi), size);
		break;
	}
	if (ret)
		return ret;

	if (in->kind != K_STOS)
		addr_reg_write(st, REG_RSI, rsi + step);
	if (in->kind != K_LODS)
		addr_reg_write(st, REG_RDI, rdi + step);
	if (in->rep) {
		addr_reg_write(st, REG_RCX, count - 1);
		if (count - 1)
			st->next_rip = st->ctxt->rip;
	}
	return 0;
}

int hvm_emulate_mmio(struct hvm_emul_ctxt *ctxt)
{
	struct emul_state st = { .ctxt = ctxt };
	struct insn_cursor cur = { .buf = ctxt->insn };
	unsigned int i;
	int ret;

	st.in.code_size = code_size(ctxt);
	ret = fetch_insn(ctxt, st.in.code_size);
	if (ret)
		return ret;
	cur.avail = ctxt->insn_len;
	ret = decode_insn(&cur, &st.in);
	if (ret)
		return ret;
	ctxt->insn_len = st.in.len;

	for (i = 0; i < ARRAY_SIZE(st.gprs); i++)
		st.gprs[i] = ctxt->gprs[i];
	st.rflags = ctxt->rflags;
	st.next_rip = (ctxt->rip + st.in.len) & size_mask(st.in.code_size);

	if (st.in.kind >= K_MOVS)
		ret = emulate_string(&st);
	else
		ret = emulate_modrm_op(&st);
	if (ret)
		return ret;

	for (i = 0; i < ARRAY_SIZE(st.gprs); i++)
		ctxt->gprs[i] = st.gprs[i];
	ctxt->rflags = st.rflags;
	ctxt->rip = st.next_rip;
	return 0;
}
