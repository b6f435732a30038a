// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the MMIO instruction emulator and guest page walker
 * (module/emulate.c, built here unchanged against emulate_user.h) over a
 * fake guest: an instruction table per CPU mode, restart after -EAGAIN,
 * page walks in every paging mode, fetches across pages, refusals, and a
 * differential fuzz against capstone (decoder_fuzz.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "fake_guest.h"
#include "decoder_fuzz.h"

#define CODE_GPA	0x3000ull
#define RAM_GPA		0x8000ull	/* data RAM for MOVS */
#define MMIO_GPA	0xfed00000ull	/* not RAM: the device page */
#define CODE2_GPA	0x9000ull	/* second code page (fetch tests) */

/* 64-bit mode: linear addresses of the same pages. */
#define CODE_VA64	0x400000ull
#define RAM_VA64	0x600000ull
#define MMIO_VA64	0x7fff00000000ull
#define MMIO2_VA64	0x500000ull	/* near code, for RIP-relative */

#define F_CF		0x001ull
#define F_PF		0x004ull
#define F_AF		0x010ull
#define F_ZF		0x040ull
#define F_SF		0x080ull
#define F_DF		0x400ull
#define F_OF		0x800ull
#define F_FIXED		0x002ull	/* bit 1 always reads as 1 */

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11 };

enum test_mode { M16 = 1, M32, M64 };

/* reg is register number + 1 so that 0 ends a list. */
struct reg_value {
	u8 reg;
	u64 val;
};

#define R(r, v) { (r) + 1, (v) }

struct emu_case {
	const char *name;
	enum test_mode mode;
	u8 insn[15];
	struct reg_value set[4];
	u64 rflags;		/* in; 0 means F_FIXED */
	u64 mmio_value;
	int ret;
	u8 len;			/* expected rip advance on success */
	bool rip_stays;		/* REP with iterations left */
	struct fg_access acc[2];
	unsigned int nr_acc;
	struct reg_value out[4];	/* registers that change */
	bool check_flags;
	u64 flags_out;
	unsigned int ram_size;	/* RAM at RAM_GPA + ram_off must read ram_val */
	unsigned int ram_off;
	u64 ram_val;
};

#define RD(gpa, size) { (gpa), (size), false, 0 }
#define WR(gpa, size, val) { (gpa), (size), true, (val) }

static const struct emu_case cases[] = {
	/* ---- 64-bit mode ---- */
	{ "mov [rbx],eax", M64, { 0x89, 0x03 },
	  { R(RBX, MMIO_VA64 + 0x10), R(RAX, 0x1122334455667788) },
	  .len = 2, .acc = { WR(MMIO_GPA + 0x10, 4, 0x55667788) }, .nr_acc = 1 },
	{ "mov [rbx],rax", M64, { 0x48, 0x89, 0x03 },
	  { R(RBX, MMIO_VA64 + 0x10), R(RAX, 0x1122334455667788) },
	  .len = 3, .acc = { WR(MMIO_GPA + 0x10, 8, 0x1122334455667788) },
	  .nr_acc = 1 },
	{ "mov eax,[rbx] zero-extends", M64, { 0x8b, 0x03 },
	  { R(RBX, MMIO_VA64 + 0x10), R(RAX, ~0ull) }, .mmio_value = 0xaabbccdd,
	  .len = 2, .acc = { RD(MMIO_GPA + 0x10, 4) }, .nr_acc = 1,
	  .out = { R(RAX, 0xaabbccdd) } },
	{ "mov ax,[rbx] merges", M64, { 0x66, 0x8b, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, ~0ull) }, .mmio_value = 0xbeef,
	  .len = 3, .acc = { RD(MMIO_GPA, 2) }, .nr_acc = 1,
	  .out = { R(RAX, 0xffffffffffffbeef) } },
	{ "mov ah,[rbx]", M64, { 0x8a, 0x23 },
	  { R(RBX, MMIO_VA64), R(RAX, 0x1111) }, .mmio_value = 0x5a,
	  .len = 2, .acc = { RD(MMIO_GPA, 1) }, .nr_acc = 1,
	  .out = { R(RAX, 0x5a11) } },
	{ "mov spl,[rbx] (REX)", M64, { 0x40, 0x8a, 0x23 },
	  { R(RBX, MMIO_VA64), R(RSP, 0x1000), R(RAX, 0x1111) },
	  .mmio_value = 0x5a, .len = 3, .acc = { RD(MMIO_GPA, 1) },
	  .nr_acc = 1, .out = { R(RSP, 0x105a) } },
	{ "mov r8b,[rbx]", M64, { 0x44, 0x8a, 0x03 },
	  { R(RBX, MMIO_VA64), R(R8, 0xff00) }, .mmio_value = 0x77,
	  .len = 3, .acc = { RD(MMIO_GPA, 1) }, .nr_acc = 1,
	  .out = { R(R8, 0xff77) } },
	{ "mov [rax+8],bh", M64, { 0x88, 0x78, 0x08 },
	  { R(RAX, MMIO_VA64), R(RBX, 0xabcd) }, .len = 3,
	  .acc = { WR(MMIO_GPA + 8, 1, 0xab) }, .nr_acc = 1 },
	{ "mov [rbx],dil", M64, { 0x40, 0x88, 0x3b },
	  { R(RBX, MMIO_VA64), R(RDI, 0x1299) }, .len = 3,
	  .acc = { WR(MMIO_GPA, 1, 0x99) }, .nr_acc = 1 },
	{ "mov byte [rbx+5],0x7f", M64, { 0xc6, 0x43, 0x05, 0x7f },
	  { R(RBX, MMIO_VA64) }, .len = 4,
	  .acc = { WR(MMIO_GPA + 5, 1, 0x7f) }, .nr_acc = 1 },
	{ "mov qword [rbx+8],-1", M64,
	  { 0x48, 0xc7, 0x43, 0x08, 0xff, 0xff, 0xff, 0xff },
	  { R(RBX, MMIO_VA64) }, .len = 8,
	  .acc = { WR(MMIO_GPA + 8, 8, ~0ull) }, .nr_acc = 1 },
	{ "mov word [rbx],0x1234", M64, { 0x66, 0xc7, 0x03, 0x34, 0x12 },
	  { R(RBX, MMIO_VA64) }, .len = 5,
	  .acc = { WR(MMIO_GPA, 2, 0x1234) }, .nr_acc = 1 },
	{ "mov rax,[moffs64]", M64,
	  { 0x48, 0xa1, 0x20, 0, 0, 0, 0xff, 0x7f, 0, 0 },
	  .mmio_value = 0x0102030405060708, .len = 10,
	  .acc = { RD(MMIO_GPA + 0x20, 8) }, .nr_acc = 1,
	  .out = { R(RAX, 0x0102030405060708) } },
	{ "mov [moffs64],al", M64,
	  { 0xa2, 0x21, 0, 0, 0, 0xff, 0x7f, 0, 0 },
	  { R(RAX, 0x3344) }, .len = 9,
	  .acc = { WR(MMIO_GPA + 0x21, 1, 0x44) }, .nr_acc = 1 },
	{ "mov eax,[moffs32] (67)", M64, { 0x67, 0xa1, 0x40, 0, 0x50, 0 },
	  .mmio_value = 0x12345678, .len = 6,
	  .acc = { RD(MMIO_GPA + 0x40, 4) }, .nr_acc = 1,
	  .out = { R(RAX, 0x12345678) } },
	{ "mov eax,[rip+disp32]", M64, { 0x8b, 0x05, 0x2a, 0x00, 0x10, 0x00 },
	  .mmio_value = 7, .len = 6, .acc = { RD(MMIO_GPA + 0x30, 4) },
	  .nr_acc = 1, .out = { R(RAX, 7) } },
	{ "movzx eax,byte [rbx]", M64, { 0x0f, 0xb6, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, ~0ull) }, .mmio_value = 0x80,
	  .len = 3, .acc = { RD(MMIO_GPA, 1) }, .nr_acc = 1,
	  .out = { R(RAX, 0x80) } },
	{ "movsx rax,byte [rbx]", M64, { 0x48, 0x0f, 0xbe, 0x03 },
	  { R(RBX, MMIO_VA64) }, .mmio_value = 0x80, .len = 4,
	  .acc = { RD(MMIO_GPA, 1) }, .nr_acc = 1,
	  .out = { R(RAX, 0xffffffffffffff80) } },
	{ "movsx eax,word [rbx]", M64, { 0x0f, 0xbf, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, ~0ull) }, .mmio_value = 0x8000,
	  .len = 3, .acc = { RD(MMIO_GPA, 2) }, .nr_acc = 1,
	  .out = { R(RAX, 0xffff8000) } },
	{ "movzx ax,byte [rbx]", M64, { 0x66, 0x0f, 0xb6, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, ~0ull) }, .mmio_value = 0x80,
	  .len = 4, .acc = { RD(MMIO_GPA, 1) }, .nr_acc = 1,
	  .out = { R(RAX, 0xffffffffffff0080) } },
	{ "movsxd rax,[rbx]", M64, { 0x48, 0x63, 0x03 },
	  { R(RBX, MMIO_VA64) }, .mmio_value = 0x80000000, .len = 3,
	  .acc = { RD(MMIO_GPA, 4) }, .nr_acc = 1,
	  .out = { R(RAX, 0xffffffff80000000) } },
	{ "mov eax,[rbx+rcx*4+0x10]", M64, { 0x8b, 0x44, 0x8b, 0x10 },
	  { R(RBX, MMIO_VA64), R(RCX, 3) }, .mmio_value = 1, .len = 4,
	  .acc = { RD(MMIO_GPA + 0x1c, 4) }, .nr_acc = 1,
	  .out = { R(RAX, 1) } },
	{ "mov eax,[r8+r9*8] (REX.XB)", M64, { 0x43, 0x8b, 0x04, 0xc8 },
	  { R(R8, MMIO_VA64), R(R9, 2) }, .mmio_value = 2, .len = 4,
	  .acc = { RD(MMIO_GPA + 0x10, 4) }, .nr_acc = 1,
	  .out = { R(RAX, 2) } },
	{ "mov r10d,[rbx] (REX.R)", M64, { 0x44, 0x8b, 0x13 },
	  { R(RBX, MMIO_VA64), R(R10, ~0ull) }, .mmio_value = 3, .len = 3,
	  .acc = { RD(MMIO_GPA, 4) }, .nr_acc = 1, .out = { R(R10, 3) } },
	{ "mov eax,gs:[0x40]", M64,
	  { 0x65, 0x8b, 0x04, 0x25, 0x40, 0, 0, 0 },
	  .mmio_value = 4, .len = 8, .acc = { RD(MMIO_GPA + 0x40, 4) },
	  .nr_acc = 1, .out = { R(RAX, 4) } },
	{ "lock add [rbx],eax", M64, { 0xf0, 0x01, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, 1) }, .mmio_value = 0xffffffff,
	  .len = 3, .nr_acc = 2,
	  .acc = { RD(MMIO_GPA, 4), WR(MMIO_GPA, 4, 0) },
	  .check_flags = true,
	  .flags_out = F_FIXED | F_CF | F_PF | F_AF | F_ZF },
	{ "add eax,[rbx] overflow", M64, { 0x03, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, 0x7fffffff) }, .mmio_value = 1,
	  .len = 2, .acc = { RD(MMIO_GPA, 4) }, .nr_acc = 1,
	  .out = { R(RAX, 0x80000000) }, .check_flags = true,
	  .flags_out = F_FIXED | F_OF | F_SF | F_AF | F_PF },
	{ "sub [rbx],eax borrow", M64, { 0x29, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, 1) }, .mmio_value = 0, .len = 2,
	  .acc = { RD(MMIO_GPA, 4), WR(MMIO_GPA, 4, 0xffffffff) },
	  .nr_acc = 2, .check_flags = true,
	  .flags_out = F_FIXED | F_CF | F_SF | F_AF | F_PF },
	{ "cmp [rbx],eax equal", M64, { 0x39, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, 5) }, .mmio_value = 5, .len = 2,
	  .acc = { RD(MMIO_GPA, 4) }, .nr_acc = 1, .check_flags = true,
	  .flags_out = F_FIXED | F_ZF | F_PF },
	{ "cmp eax,[rbx] below", M64, { 0x3b, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, 3) }, .mmio_value = 5, .len = 2,
	  .acc = { RD(MMIO_GPA, 4) }, .nr_acc = 1, .check_flags = true,
	  .flags_out = F_FIXED | F_CF | F_SF | F_AF },
	{ "adc dword [rbx],1 with CF", M64, { 0x83, 0x13, 0x01 },
	  { R(RBX, MMIO_VA64) }, .rflags = F_FIXED | F_CF,
	  .mmio_value = 0xfffffffe, .len = 3,
	  .acc = { RD(MMIO_GPA, 4), WR(MMIO_GPA, 4, 0) }, .nr_acc = 2,
	  .check_flags = true,
	  .flags_out = F_FIXED | F_CF | F_PF | F_AF | F_ZF },
	{ "sbb qword [rbx],1 with CF", M64, { 0x48, 0x83, 0x1b, 0x01 },
	  { R(RBX, MMIO_VA64) }, .rflags = F_FIXED | F_CF, .mmio_value = 2,
	  .len = 4, .acc = { RD(MMIO_GPA, 8), WR(MMIO_GPA, 8, 0) },
	  .nr_acc = 2, .check_flags = true,
	  .flags_out = F_FIXED | F_ZF | F_PF },
	{ "or byte [rbx],0x80 clears CF OF", M64, { 0x80, 0x0b, 0x80 },
	  { R(RBX, MMIO_VA64) }, .rflags = F_FIXED | F_CF | F_OF,
	  .mmio_value = 1, .len = 3,
	  .acc = { RD(MMIO_GPA, 1), WR(MMIO_GPA, 1, 0x81) }, .nr_acc = 2,
	  .check_flags = true, .flags_out = F_FIXED | F_SF | F_PF },
	{ "and qword [rbx],imm32 sign-extended", M64,
	  { 0x48, 0x81, 0x23, 0x00, 0xff, 0xff, 0xff },
	  { R(RBX, MMIO_VA64) }, .mmio_value = 0x123456789abcdef0,
	  .len = 7, .nr_acc = 2,
	  .acc = { RD(MMIO_GPA, 8), WR(MMIO_GPA, 8, 0x123456789abcde00) },
	  .check_flags = true, .flags_out = F_FIXED | F_PF },
	{ "xor [rbx],eax", M64, { 0x31, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, 0xff) }, .mmio_value = 0xff, .len = 2,
	  .acc = { RD(MMIO_GPA, 4), WR(MMIO_GPA, 4, 0) }, .nr_acc = 2,
	  .check_flags = true, .flags_out = F_FIXED | F_ZF | F_PF },
	{ "and al,[rbx]", M64, { 0x22, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, 0x1234) }, .mmio_value = 0x0f,
	  .len = 2, .acc = { RD(MMIO_GPA, 1) }, .nr_acc = 1,
	  .out = { R(RAX, 0x1204) }, .check_flags = true,
	  .flags_out = F_FIXED },
	{ "test byte [rbx],1", M64, { 0xf6, 0x03, 0x01 },
	  { R(RBX, MMIO_VA64) }, .mmio_value = 2, .len = 3,
	  .acc = { RD(MMIO_GPA, 1) }, .nr_acc = 1, .check_flags = true,
	  .flags_out = F_FIXED | F_ZF | F_PF },
	{ "test byte [rbx],1 (f6 /1 alias)", M64, { 0xf6, 0x0b, 0x01 },
	  { R(RBX, MMIO_VA64) }, .mmio_value = 3, .len = 3,
	  .acc = { RD(MMIO_GPA, 1) }, .nr_acc = 1, .check_flags = true,
	  .flags_out = F_FIXED },
	{ "test [rbx],eax", M64, { 0x85, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, 0x80000000) },
	  .mmio_value = 0x80000000, .len = 2, .acc = { RD(MMIO_GPA, 4) },
	  .nr_acc = 1, .check_flags = true,
	  .flags_out = F_FIXED | F_SF | F_PF },
	{ "xchg [rbx],eax", M64, { 0x87, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, 0xffffffffaaaaaaaa) },
	  .mmio_value = 0x55555555, .len = 2, .nr_acc = 2,
	  .acc = { RD(MMIO_GPA, 4), WR(MMIO_GPA, 4, 0xaaaaaaaa) },
	  .out = { R(RAX, 0x55555555) } },
	{ "not dword [rbx]", M64, { 0xf7, 0x13 },
	  { R(RBX, MMIO_VA64) }, .mmio_value = 0x0f0f0f0f, .len = 2,
	  .acc = { RD(MMIO_GPA, 4), WR(MMIO_GPA, 4, 0xf0f0f0f0) },
	  .nr_acc = 2 },
	{ "neg dword [rbx]", M64, { 0xf7, 0x1b },
	  { R(RBX, MMIO_VA64) }, .mmio_value = 1, .len = 2,
	  .acc = { RD(MMIO_GPA, 4), WR(MMIO_GPA, 4, 0xffffffff) },
	  .nr_acc = 2, .check_flags = true,
	  .flags_out = F_FIXED | F_CF | F_SF | F_AF | F_PF },
	{ "bt [rbx],eax (offset 33)", M64, { 0x0f, 0xa3, 0x03 },
	  { R(RBX, MMIO_VA64 + 0x10), R(RAX, 33) }, .mmio_value = 2,
	  .len = 3, .acc = { RD(MMIO_GPA + 0x14, 4) }, .nr_acc = 1,
	  .check_flags = true, .flags_out = F_FIXED | F_CF },
	{ "bt [rbx],rax (offset -1)", M64, { 0x48, 0x0f, 0xa3, 0x03 },
	  { R(RBX, MMIO_VA64 + 0x10), R(RAX, ~0ull) },
	  .mmio_value = 0x8000000000000000, .len = 4,
	  .acc = { RD(MMIO_GPA + 0x8, 8) }, .nr_acc = 1,
	  .check_flags = true, .flags_out = F_FIXED | F_CF },
	{ "bt dword [rbx],5", M64, { 0x0f, 0xba, 0x23, 0x05 },
	  { R(RBX, MMIO_VA64) }, .rflags = F_FIXED | F_CF | F_ZF,
	  .mmio_value = 0xdf, .len = 4, .acc = { RD(MMIO_GPA, 4) },
	  .nr_acc = 1, .check_flags = true, .flags_out = F_FIXED | F_ZF },
	{ "lock bts [rbx],eax", M64, { 0xf0, 0x0f, 0xab, 0x03 },
	  { R(RBX, MMIO_VA64), R(RAX, 4) }, .mmio_value = 0x01, .len = 4,
	  .acc = { RD(MMIO_GPA, 4), WR(MMIO_GPA, 4, 0x11) }, .nr_acc = 2,
	  .check_flags = true, .flags_out = F_FIXED },
	{ "btr dword [rbx],3", M64, { 0x0f, 0xba, 0x33, 0x03 },
	  { R(RBX, MMIO_VA64) }, .mmio_value = 0xff, .len = 4,
	  .acc = { RD(MMIO_GPA, 4), WR(MMIO_GPA, 4, 0xf7) }, .nr_acc = 2,
	  .check_flags = true, .flags_out = F_FIXED | F_CF },
	{ "btc word [rbx],cx (offset -17)", M64, { 0x66, 0x0f, 0xbb, 0x0b },
	  { R(RBX, MMIO_VA64 + 0x10), R(RCX, 0xffef) }, .mmio_value = 0x8000,
	  .len = 4, .acc = { RD(MMIO_GPA + 0xc, 2), WR(MMIO_GPA + 0xc, 2, 0) },
	  .nr_acc = 2, .check_flags = true, .flags_out = F_FIXED | F_CF },
	{ "refuse: lock bt", M64, { 0xf0, 0x0f, 0xa3, 0x03 },
	  { R(RBX, MMIO_VA64) }, .ret = -EOPNOTSUPP },
	{ "stosb", M64, { 0xaa },
	  { R(RDI, MMIO_VA64 + 0x40), R(RAX, 0x5a) }, .len = 1,
	  .acc = { WR(MMIO_GPA + 0x40, 1, 0x5a) }, .nr_acc = 1,
	  .out = { R(RDI, MMIO_VA64 + 0x41) } },
	{ "rep stosq, 3 left", M64, { 0xf3, 0x48, 0xab },
	  { R(RDI, MMIO_VA64), R(RCX, 3), R(RAX, 0x1122334455667788) },
	  .rip_stays = true, .acc = { WR(MMIO_GPA, 8, 0x1122334455667788) },
	  .nr_acc = 1, .out = { R(RDI, MMIO_VA64 + 8), R(RCX, 2) } },
	{ "rep stosd, last, DF=1", M64, { 0xf3, 0xab },
	  { R(RDI, MMIO_VA64 + 0x10), R(RCX, 1), R(RAX, 9) },
	  .rflags = F_FIXED | F_DF, .len = 2,
	  .acc = { WR(MMIO_GPA + 0x10, 4, 9) }, .nr_acc = 1,
	  .out = { R(RDI, MMIO_VA64 + 0xc), R(RCX, 0) } },
	{ "rep stosb, rcx=0 skips", M64, { 0xf3, 0xaa },
	  { R(RDI, MMIO_VA64), R(RCX, 0) }, .len = 2, .nr_acc = 0 },
	{ "movsd RAM->MMIO", M64, { 0xa5 },
	  { R(RSI, RAM_VA64), R(RDI, MMIO_VA64 + 4) }, .len = 1,
	  .acc = { WR(MMIO_GPA + 4, 4, 0x03020100) }, .nr_acc = 1,
	  .out = { R(RSI, RAM_VA64 + 4), R(RDI, MMIO_VA64 + 8) } },
	{ "movsq MMIO->RAM", M64, { 0x48, 0xa5 },
	  { R(RSI, MMIO_VA64 + 8), R(RDI, RAM_VA64 + 0x20) },
	  .mmio_value = 0x1122334455667788, .len = 2,
	  .acc = { RD(MMIO_GPA + 8, 8) }, .nr_acc = 1,
	  .out = { R(RSI, MMIO_VA64 + 16), R(RDI, RAM_VA64 + 0x28) },
	  .ram_size = 8, .ram_off = 0x20, .ram_val = 0x1122334455667788 },
	{ "rep movsw MMIO->RAM, 2 left", M64, { 0xf3, 0x66, 0xa5 },
	  { R(RSI, MMIO_VA64), R(RDI, RAM_VA64 + 0x40), R(RCX, 2) },
	  .mmio_value = 0xabcd, .rip_stays = true,
	  .acc = { RD(MMIO_GPA, 2) }, .nr_acc = 1,
	  .out = { R(RSI, MMIO_VA64 + 2), R(RDI, RAM_VA64 + 0x42),
		   R(RCX, 1) },
	  .ram_size = 2, .ram_off = 0x40, .ram_val = 0xabcd },
	{ "lodsb", M64, { 0xac },
	  { R(RSI, MMIO_VA64 + 1), R(RAX, 0xffff) }, .mmio_value = 0x42,
	  .len = 1, .acc = { RD(MMIO_GPA + 1, 1) }, .nr_acc = 1,
	  .out = { R(RAX, 0xff42), R(RSI, MMIO_VA64 + 2) } },
	{ "lodsq", M64, { 0x48, 0xad },
	  { R(RSI, MMIO_VA64 + 8) }, .mmio_value = 0x0123456789abcdef,
	  .len = 2, .acc = { RD(MMIO_GPA + 8, 8) }, .nr_acc = 1,
	  .out = { R(RAX, 0x0123456789abcdef), R(RSI, MMIO_VA64 + 16) } },
	{ "lodsd with 32-bit address", M64, { 0x67, 0xad },
	  { R(RSI, 0xffffffff00500010), R(RAX, ~0ull) }, .mmio_value = 5,
	  .len = 2, .acc = { RD(MMIO_GPA + 0x10, 4) }, .nr_acc = 1,
	  .out = { R(RAX, 5), R(RSI, 0x500014) } },
	{ "refuse: mov to RAM page", M64, { 0x89, 0x03 },
	  { R(RBX, RAM_VA64) }, .ret = -EOPNOTSUPP },
	{ "refuse: access split across pages", M64, { 0x89, 0x03 },
	  { R(RBX, MMIO_VA64 + 0xffe) }, .ret = -EOPNOTSUPP },
	{ "refuse: register operand", M64, { 0x89, 0xc0 },
	  .ret = -EOPNOTSUPP },
	{ "refuse: ud2", M64, { 0x0f, 0x0b }, .ret = -EOPNOTSUPP },
	{ "refuse: div dword [rbx]", M64, { 0xf7, 0x33 },
	  { R(RBX, MMIO_VA64) }, .ret = -EOPNOTSUPP },
	{ "refuse: lock mov", M64, { 0xf0, 0x89, 0x03 },
	  { R(RBX, MMIO_VA64) }, .ret = -EOPNOTSUPP },
	{ "refuse: repne movsb", M64, { 0xf2, 0xa4 },
	  { R(RSI, MMIO_VA64), R(RDI, RAM_VA64), R(RCX, 1) },
	  .ret = -EOPNOTSUPP },
	{ "refuse: 82 in 64-bit mode", M64, { 0x82, 0x03, 0x01 },
	  { R(RBX, MMIO_VA64) }, .ret = -EOPNOTSUPP },
	{ "refuse: movs RAM to RAM", M64, { 0xa4 },
	  { R(RSI, RAM_VA64), R(RDI, RAM_VA64 + 8) }, .ret = -EOPNOTSUPP },

	/* ---- 32-bit protected mode, flat, paging off ---- */
	{ "mov [ebx],eax", M32, { 0x89, 0x03 },
	  { R(RBX, MMIO_GPA + 0x10), R(RAX, 0x11223344) }, .len = 2,
	  .acc = { WR(MMIO_GPA + 0x10, 4, 0x11223344) }, .nr_acc = 1 },
	{ "mov [ebx],ax (66)", M32, { 0x66, 0x89, 0x03 },
	  { R(RBX, MMIO_GPA), R(RAX, 0x11223344) }, .len = 3,
	  .acc = { WR(MMIO_GPA, 2, 0x3344) }, .nr_acc = 1 },
	{ "mov eax,[moffs32]", M32, { 0xa1, 0x04, 0x00, 0xd0, 0xfe },
	  { R(RAX, 0xffffffff00000000) }, .mmio_value = 0xcafe, .len = 5,
	  .acc = { RD(MMIO_GPA + 4, 4) }, .nr_acc = 1,
	  .out = { R(RAX, 0xcafe) } },
	{ "mov eax,fs:[bx] (64 67)", M32, { 0x64, 0x67, 0x8b, 0x07 },
	  { R(RBX, 0xffff0010) }, .mmio_value = 1, .len = 4,
	  .acc = { RD(MMIO_GPA + 0x10, 4) }, .nr_acc = 1,
	  .out = { R(RAX, 1) } },
	{ "mov eax,[esp+8]", M32, { 0x8b, 0x44, 0x24, 0x08 },
	  { R(RSP, MMIO_GPA) }, .mmio_value = 2, .len = 4,
	  .acc = { RD(MMIO_GPA + 8, 4) }, .nr_acc = 1, .out = { R(RAX, 2) } },
	{ "mov eax,[disp32] (no RIP-relative)", M32,
	  { 0x8b, 0x05, 0x30, 0x00, 0xd0, 0xfe }, .mmio_value = 3, .len = 6,
	  .acc = { RD(MMIO_GPA + 0x30, 4) }, .nr_acc = 1,
	  .out = { R(RAX, 3) } },
	{ "add byte [ebx],1 (82)", M32, { 0x82, 0x03, 0x01 },
	  { R(RBX, MMIO_GPA) }, .mmio_value = 0x7f, .len = 3,
	  .acc = { RD(MMIO_GPA, 1), WR(MMIO_GPA, 1, 0x80) }, .nr_acc = 2,
	  .check_flags = true,
	  .flags_out = F_FIXED | F_OF | F_SF | F_AF },
	{ "rep movsb RAM->MMIO", M32, { 0xf3, 0xa4 },
	  { R(RSI, RAM_GPA + 3), R(RDI, MMIO_GPA), R(RCX, 5) },
	  .rip_stays = true, .acc = { WR(MMIO_GPA, 1, 0x03) }, .nr_acc = 1,
	  .out = { R(RSI, RAM_GPA + 4), R(RDI, MMIO_GPA + 1), R(RCX, 4) } },
	{ "refuse: arpl (63)", M32, { 0x63, 0x03 }, { R(RBX, MMIO_GPA) },
	  .ret = -EOPNOTSUPP },
	{ "refuse: inc eax (40)", M32, { 0x40, 0x89, 0x03 },
	  { R(RBX, MMIO_GPA) }, .ret = -EOPNOTSUPP },

	/* ---- real mode: ds=es=MMIO_GPA, ss=MMIO_GPA+0x100, fs=RAM ---- */
	{ "mov [bx],ax", M16, { 0x89, 0x07 },
	  { R(RBX, 0x10), R(RAX, 0x11223344) }, .len = 2,
	  .acc = { WR(MMIO_GPA + 0x10, 2, 0x3344) }, .nr_acc = 1 },
	{ "mov [bx],eax (66)", M16, { 0x66, 0x89, 0x07 },
	  { R(RBX, 0x10), R(RAX, 0x11223344) }, .len = 3,
	  .acc = { WR(MMIO_GPA + 0x10, 4, 0x11223344) }, .nr_acc = 1 },
	{ "mov ax,[bp+4] uses SS", M16, { 0x8b, 0x46, 0x04 },
	  { R(RBP, 0), R(RAX, 0) }, .mmio_value = 0x1234, .len = 3,
	  .acc = { RD(MMIO_GPA + 0x104, 2) }, .nr_acc = 1,
	  .out = { R(RAX, 0x1234) } },
	{ "mov ax,ds:[bp+4]", M16, { 0x3e, 0x8b, 0x46, 0x04 },
	  { R(RBP, 0), R(RAX, 0) }, .mmio_value = 0x1234, .len = 4,
	  .acc = { RD(MMIO_GPA + 4, 2) }, .nr_acc = 1,
	  .out = { R(RAX, 0x1234) } },
	{ "mov ax,[bx+si] wraps at 64K", M16, { 0x8b, 0x00 },
	  { R(RBX, 0xfff0), R(RSI, 0x20), R(RAX, 0) }, .mmio_value = 0x55,
	  .len = 2,
	  .acc = { RD(MMIO_GPA + 0x10, 2) }, .nr_acc = 1,
	  .out = { R(RAX, 0x55) } },
	{ "mov ax,[0x1234]", M16, { 0xa1, 0x34, 0x12 },
	  { R(RAX, 0xffff0000) }, .mmio_value = 0x77, .len = 3,
	  .acc = { RD(MMIO_GPA + 0x1234, 2) }, .nr_acc = 1,
	  .out = { R(RAX, 0xffff0077) } },
	{ "mov ax,[ebx] (67)", M16, { 0x67, 0x8b, 0x03 },
	  { R(RBX, 0x10), R(RAX, 0) }, .mmio_value = 0x99, .len = 3,
	  .acc = { RD(MMIO_GPA + 0x10, 2) }, .nr_acc = 1,
	  .out = { R(RAX, 0x99) } },
	{ "mov word [0x100],0xabcd", M16,
	  { 0xc7, 0x06, 0x00, 0x01, 0xcd, 0xab }, .len = 6,
	  .acc = { WR(MMIO_GPA + 0x100, 2, 0xabcd) }, .nr_acc = 1 },
	{ "stosw", M16, { 0xab }, { R(RDI, 0x8), R(RAX, 0x4321) }, .len = 1,
	  .acc = { WR(MMIO_GPA + 8, 2, 0x4321) }, .nr_acc = 1,
	  .out = { R(RDI, 0xa) } },
	{ "stosb DF=1 wraps DI", M16, { 0xaa },
	  { R(RDI, 0x50000), R(RAX, 0x21) }, .rflags = F_FIXED | F_DF,
	  .len = 1, .acc = { WR(MMIO_GPA, 1, 0x21) }, .nr_acc = 1,
	  .out = { R(RDI, 0x5ffff) } },
	{ "rep movsw fs:si->es:di counts CX", M16, { 0x64, 0xf3, 0xa5 },
	  { R(RSI, 0), R(RDI, 0x20), R(RCX, 0x10002) }, .rip_stays = true,
	  .acc = { WR(MMIO_GPA + 0x20, 2, 0x0100) }, .nr_acc = 1,
	  .out = { R(RSI, 2), R(RDI, 0x22), R(RCX, 0x10001) } },
};

/* The fake guest is large: one static instance, reset per use. */
static struct fake_guest guest;

static void fill_ram_pattern(struct fake_guest *fg)
{
	u8 pattern[FG_PAGE_SIZE];
	unsigned int i;

	for (i = 0; i < FG_PAGE_SIZE; i++)
		pattern[i] = (u8)i;
	fg_write(fg, RAM_GPA, pattern, FG_PAGE_SIZE);
}

/* Guest memory and CPU state for one mode; code is at CODE_GPA. */
static void setup_mode(struct fake_guest *fg, struct hvm_emul_ctxt *ctxt,
		       u64 *gprs, enum test_mode mode)
{
	u64 cr3;

	fg_init(fg);
	fill_ram_pattern(fg);
	fg_page(fg, CODE_GPA, true);
	memset(ctxt, 0, sizeof(*ctxt));
	ctxt->gprs = gprs;
	ctxt->ops = &fg_ops;
	ctxt->opaque = fg;
	ctxt->rflags = F_FIXED;

	switch (mode) {
	case M16:
		ctxt->cs_base = CODE_GPA;
		ctxt->ds_base = MMIO_GPA;
		ctxt->es_base = MMIO_GPA;
		ctxt->ss_base = MMIO_GPA + 0x100;
		ctxt->fs_base = RAM_GPA;
		ctxt->rip = 0;
		break;
	case M32:
		fg_set_paging(ctxt, FG_PAGING_NONE, 0, false);
		ctxt->cs_d = true;
		ctxt->fs_base = MMIO_GPA;
		ctxt->rip = CODE_GPA;
		break;
	case M64:
		cr3 = fg_new_root(fg, FG_PAGING_4LEVEL);
		fg_set_paging(ctxt, FG_PAGING_4LEVEL, cr3, false);
		fg_map(fg, FG_PAGING_4LEVEL, cr3, CODE_VA64, CODE_GPA, 4096,
		       FG_PTE_RW);
		fg_map(fg, FG_PAGING_4LEVEL, cr3, RAM_VA64, RAM_GPA, 4096,
		       FG_PTE_RW);
		fg_map(fg, FG_PAGING_4LEVEL, cr3, MMIO_VA64, MMIO_GPA, 4096,
		       FG_PTE_RW);
		fg_map(fg, FG_PAGING_4LEVEL, cr3, MMIO2_VA64, MMIO_GPA, 4096,
		       FG_PTE_RW);
		ctxt->cs_l = true;
		ctxt->gs_base = MMIO_VA64;
		ctxt->rip = CODE_VA64;
		break;
	}
}

static bool access_equal(const struct fg_access *a, const struct fg_access *b)
{
	return a->gpa == b->gpa && a->size == b->size &&
	       a->write == b->write && (!a->write || a->value == b->value);
}

/* Run one table entry; on mismatch print why and return false. */
static bool run_case(const struct emu_case *c)
{
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16], expect[16], rflags_in, rip_in, ram = 0;
	unsigned int i;
	int ret;

	setup_mode(&guest, &ctxt, gprs, c->mode);
	fg_write(&guest, CODE_GPA, c->insn, sizeof(c->insn));
	for (i = 0; i < 16; i++)
		gprs[i] = 0x0101010101010101ull * (i + 1);
	for (i = 0; i < 4 && c->set[i].reg; i++)
		gprs[c->set[i].reg - 1] = c->set[i].val;
	memcpy(expect, gprs, sizeof(expect));
	for (i = 0; i < 4 && c->out[i].reg; i++)
		expect[c->out[i].reg - 1] = c->out[i].val;
	rflags_in = c->rflags ? c->rflags : F_FIXED;
	ctxt.rflags = rflags_in;
	rip_in = ctxt.rip;
	guest.mmio_value = c->mmio_value;
	ctxt.fault_gpa = c->nr_acc ? c->acc[0].gpa : MMIO_GPA;

	ret = hvm_emulate_mmio(&ctxt);
	if (ret != c->ret) {
		fprintf(stderr, "# %s: returned %d, expected %d\n", c->name,
			ret, c->ret);
		return false;
	}
	if (ret) {
		/* Refused: nothing committed, nothing written to a device. */
		if (ctxt.rip != rip_in || memcmp(gprs, expect, sizeof(gprs)) ||
		    ctxt.rflags != rflags_in || guest.nr_phys_writes) {
			fprintf(stderr, "# %s: state changed on refusal\n",
				c->name);
			return false;
		}
		for (i = 0; i < guest.nr_log; i++) {
			if (guest.log[i].write) {
				fprintf(stderr, "# %s: device write on refusal\n",
					c->name);
				return false;
			}
		}
		if (ctxt.insn_len == 0 || memcmp(ctxt.insn, c->insn, 2)) {
			fprintf(stderr, "# %s: bytes not reported\n", c->name);
			return false;
		}
		return true;
	}
	if (guest.nr_log != c->nr_acc) {
		fprintf(stderr, "# %s: %u device accesses, expected %u\n",
			c->name, guest.nr_log, c->nr_acc);
		return false;
	}
	for (i = 0; i < c->nr_acc; i++) {
		if (!access_equal(&guest.log[i], &c->acc[i])) {
			fprintf(stderr,
				"# %s: access %u: gpa %llx size %u %s %llx\n",
				c->name, i,
				(unsigned long long)guest.log[i].gpa,
				guest.log[i].size,
				guest.log[i].write ? "write" : "read",
				(unsigned long long)guest.log[i].value);
			return false;
		}
	}
	for (i = 0; i < 16; i++) {
		if (gprs[i] != expect[i]) {
			fprintf(stderr, "# %s: reg %u = %llx, expected %llx\n",
				c->name, i, (unsigned long long)gprs[i],
				(unsigned long long)expect[i]);
			return false;
		}
	}
	if (ctxt.rip != rip_in + (c->rip_stays ? 0 : c->len)) {
		fprintf(stderr, "# %s: rip advanced by %lld, expected %u\n",
			c->name, (long long)(ctxt.rip - rip_in),
			c->rip_stays ? 0 : c->len);
		return false;
	}
	if (ctxt.rflags != (c->check_flags ? c->flags_out : rflags_in)) {
		fprintf(stderr, "# %s: rflags %llx, expected %llx\n", c->name,
			(unsigned long long)ctxt.rflags,
			(unsigned long long)(c->check_flags ? c->flags_out :
							      rflags_in));
		return false;
	}
	if (c->ram_size) {
		fg_read(&guest, RAM_GPA + c->ram_off, &ram, c->ram_size);
		if (ram != c->ram_val) {
			fprintf(stderr, "# %s: RAM holds %llx\n", c->name,
				(unsigned long long)ram);
			return false;
		}
	}
	return true;
}

static int run_cases(enum test_mode mode, unsigned int *count)
{
	unsigned int i;
	int failed = 0;

	*count = 0;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].mode != mode)
			continue;
		(*count)++;
		if (!run_case(&cases[i]))
			failed++;
	}
	return failed;
}

TEST(table_64bit)
{
	unsigned int count;

	EXPECT_EQ(0, run_cases(M64, &count));
	EXPECT_LT(40, count);
}

TEST(table_32bit)
{
	unsigned int count;

	EXPECT_EQ(0, run_cases(M32, &count));
	EXPECT_LT(5, count);
}

TEST(table_real_mode)
{
	unsigned int count;

	EXPECT_EQ(0, run_cases(M16, &count));
	EXPECT_LT(5, count);
}

/* Load one instruction in 64-bit mode with rbx at the device page. */
static void setup_restart(struct hvm_emul_ctxt *ctxt, u64 *gprs,
			  const u8 *insn, unsigned int len)
{
	unsigned int i;

	setup_mode(&guest, ctxt, gprs, M64);
	fg_write(&guest, CODE_GPA, insn, len);
	for (i = 0; i < 16; i++)
		gprs[i] = i;
	gprs[RBX] = MMIO_VA64 + 0x10;
	ctxt->fault_gpa = MMIO_GPA + 0x10;
	guest.defer_reads = true;
}

TEST(restart_load_after_eagain)
{
	static const u8 insn[] = { 0x8b, 0x03 };	/* mov eax,[rbx] */
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16];

	setup_restart(&ctxt, gprs, insn, sizeof(insn));
	guest.mmio_value = 0xfeedf00d;
	ASSERT_EQ(-EAGAIN, hvm_emulate_mmio(&ctxt));
	EXPECT_EQ(CODE_VA64, ctxt.rip);
	EXPECT_EQ(0, gprs[RAX]);
	EXPECT_EQ(1, guest.nr_log);

	ASSERT_EQ(0, hvm_emulate_mmio(&ctxt));
	EXPECT_EQ(CODE_VA64 + 2, ctxt.rip);
	EXPECT_EQ(0xfeedf00d, gprs[RAX]);
	EXPECT_EQ(2, guest.nr_log);
	EXPECT_FALSE(guest.log[1].write);
}

TEST(restart_rmw_writes_once)
{
	static const u8 insn[] = { 0x01, 0x03 };	/* add [rbx],eax */
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16];

	setup_restart(&ctxt, gprs, insn, sizeof(insn));
	gprs[RAX] = 5;
	guest.mmio_value = 10;
	ASSERT_EQ(-EAGAIN, hvm_emulate_mmio(&ctxt));
	ASSERT_EQ(1, guest.nr_log);
	EXPECT_FALSE(guest.log[0].write);
	EXPECT_EQ(F_FIXED, ctxt.rflags);

	ASSERT_EQ(0, hvm_emulate_mmio(&ctxt));
	ASSERT_EQ(3, guest.nr_log);
	EXPECT_TRUE(guest.log[2].write);
	EXPECT_EQ(15, guest.log[2].value);
	EXPECT_EQ(F_FIXED | F_PF, ctxt.rflags);
}

TEST(restart_movs_to_ram_writes_nothing_early)
{
	static const u8 insn[] = { 0xf3, 0xa5 };	/* rep movsd */
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16], ram = 0;

	setup_restart(&ctxt, gprs, insn, sizeof(insn));
	gprs[RSI] = MMIO_VA64 + 0x10;
	gprs[RDI] = RAM_VA64;
	gprs[RCX] = 2;
	guest.mmio_value = 0x11223344;
	ASSERT_EQ(-EAGAIN, hvm_emulate_mmio(&ctxt));
	EXPECT_EQ(0, guest.nr_phys_writes);
	EXPECT_EQ(2, gprs[RCX]);
	EXPECT_EQ(RAM_VA64, gprs[RDI]);

	ASSERT_EQ(0, hvm_emulate_mmio(&ctxt));
	fg_read(&guest, RAM_GPA, &ram, 4);
	EXPECT_EQ(0x11223344, ram);
	EXPECT_EQ(1, gprs[RCX]);
	EXPECT_EQ(CODE_VA64, ctxt.rip);	/* one element left */
}

TEST(device_error_commits_nothing)
{
	static const u8 insn[] = { 0x89, 0x03 };	/* mov [rbx],eax */
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16];

	setup_restart(&ctxt, gprs, insn, sizeof(insn));
	guest.mmio_error = -EIO;
	EXPECT_EQ(-EIO, hvm_emulate_mmio(&ctxt));
	EXPECT_EQ(CODE_VA64, ctxt.rip);
}

TEST(undecodable_reports_bytes)
{
	static const u8 insn[] = { 0x0f, 0x0b, 0xcc };	/* ud2 */
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16];

	setup_restart(&ctxt, gprs, insn, sizeof(insn));
	EXPECT_EQ(-EOPNOTSUPP, hvm_emulate_mmio(&ctxt));
	EXPECT_EQ(15, ctxt.insn_len);
	EXPECT_EQ(0, memcmp(ctxt.insn, insn, sizeof(insn)));
	EXPECT_EQ(0, guest.nr_log);
	EXPECT_EQ(CODE_VA64, ctxt.rip);
}

TEST(too_long_is_refused)
{
	u8 insn[16];
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16];

	/* 14 prefixes + 89 03 is 16 bytes: more than the CPU allows. */
	memset(insn, 0x66, sizeof(insn));
	insn[14] = 0x89;
	insn[15] = 0x03;
	setup_restart(&ctxt, gprs, insn, sizeof(insn));
	EXPECT_EQ(-EOPNOTSUPP, hvm_emulate_mmio(&ctxt));
	EXPECT_EQ(15, ctxt.insn_len);
}

/* Code at the last two bytes of one page, continuing on 'next_gpa'. */
static void setup_fetch_split(struct hvm_emul_ctxt *ctxt, u64 *gprs,
			      const u8 *insn, unsigned int len, bool map_next)
{
	u64 cr3;

	setup_restart(ctxt, gprs, insn, 0);
	cr3 = ctxt->cr3;
	fg_write(&guest, CODE_GPA + 0xffe, insn, 2);
	if (map_next) {
		fg_write(&guest, CODE2_GPA, insn + 2, len - 2);
		fg_map(&guest, FG_PAGING_4LEVEL, cr3, CODE_VA64 + 0x1000,
		       CODE2_GPA, 4096, FG_PTE_RW);
	}
	ctxt->rip = CODE_VA64 + 0xffe;
	guest.defer_reads = false;
}

TEST(fetch_across_page)
{
	static const u8 insn[] = { 0x48, 0x8b, 0x43, 0x08 };	/* mov rax,[rbx+8] */
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16];

	setup_fetch_split(&ctxt, gprs, insn, sizeof(insn), true);
	ctxt.fault_gpa = MMIO_GPA + 0x18;
	guest.mmio_value = 0x1234;
	ASSERT_EQ(0, hvm_emulate_mmio(&ctxt));
	EXPECT_EQ(4, ctxt.insn_len);
	EXPECT_EQ(0, memcmp(ctxt.insn, insn, sizeof(insn)));
	EXPECT_EQ(0x1234, gprs[RAX]);
	EXPECT_EQ(CODE_VA64 + 0xffe + 4, ctxt.rip);
	EXPECT_EQ(MMIO_GPA + 0x18, guest.log[0].gpa);
}

TEST(fetch_short_insn_before_unmapped_page)
{
	static const u8 insn[] = { 0x89, 0x03 };	/* mov [rbx],eax */
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16];

	setup_fetch_split(&ctxt, gprs, insn, sizeof(insn), false);
	EXPECT_EQ(0, hvm_emulate_mmio(&ctxt));
	EXPECT_EQ(CODE_VA64 + 0x1000, ctxt.rip);
}

TEST(fetch_into_unmapped_page_faults)
{
	static const u8 insn[] = { 0x48, 0x8b, 0x43, 0x08 };
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16];

	setup_fetch_split(&ctxt, gprs, insn, sizeof(insn), false);
	EXPECT_EQ(-EFAULT, hvm_emulate_mmio(&ctxt));
	EXPECT_EQ(CODE_VA64 + 0xffe, ctxt.rip);
	EXPECT_EQ(0, guest.nr_log);
}

TEST(fetch_unmapped_rip_faults)
{
	static const u8 insn[] = { 0x89, 0x03 };
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16];

	setup_restart(&ctxt, gprs, insn, sizeof(insn));
	ctxt.rip = 0x123456789000ull;
	EXPECT_EQ(-EFAULT, hvm_emulate_mmio(&ctxt));
}

/* Long mode with a 32-bit code segment: 32-bit decoding, 4-level walk. */
TEST(compatibility_mode)
{
	static const u8 store[] = { 0x89, 0x03 };		/* mov [ebx],eax */
	static const u8 rex_store[] = { 0x48, 0x89, 0x03 };	/* dec eax; ... */
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16];

	setup_restart(&ctxt, gprs, store, sizeof(store));
	guest.defer_reads = false;
	ctxt.cs_l = false;
	ctxt.cs_d = true;
	ctxt.ds_base = 0x100;
	gprs[RBX] = 0xffffffff00500010ull;	/* only EBX addresses */
	gprs[RAX] = 0x1122334455667788ull;
	ctxt.fault_gpa = MMIO_GPA + 0x110;
	ASSERT_EQ(0, hvm_emulate_mmio(&ctxt));
	ASSERT_EQ(1, guest.nr_log);
	EXPECT_EQ(MMIO_GPA + 0x110, guest.log[0].gpa);
	EXPECT_EQ(4, guest.log[0].size);
	EXPECT_EQ(0x55667788, guest.log[0].value);
	EXPECT_EQ(CODE_VA64 + 2, ctxt.rip);

	setup_restart(&ctxt, gprs, rex_store, sizeof(rex_store));
	ctxt.cs_l = false;
	ctxt.cs_d = true;
	EXPECT_EQ(-EOPNOTSUPP, hvm_emulate_mmio(&ctxt));
}

/* Virtual-8086 mode decodes as 16-bit whatever CS.D says. */
TEST(virtual_8086_mode)
{
	static const u8 store[] = { 0x89, 0x07 };		/* mov [bx],ax */
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16] = { 0 };

	setup_mode(&guest, &ctxt, gprs, M32);
	fg_write(&guest, CODE_GPA, store, sizeof(store));
	ctxt.rflags |= 0x20000;		/* VM */
	ctxt.cs_d = true;
	ctxt.cpl = 3;
	ctxt.ds_base = MMIO_GPA;
	gprs[RBX] = 0xabcd0010;
	gprs[RAX] = 0x12345678;
	ctxt.fault_gpa = MMIO_GPA + 0x10;
	ASSERT_EQ(0, hvm_emulate_mmio(&ctxt));
	ASSERT_EQ(1, guest.nr_log);
	EXPECT_EQ(MMIO_GPA + 0x10, guest.log[0].gpa);
	EXPECT_EQ(2, guest.log[0].size);
	EXPECT_EQ(0x5678, guest.log[0].value);
}

/* ---- Page walks ---- */

struct walk_env {
	struct hvm_emul_ctxt ctxt;
	u64 cr3;
	enum fg_paging paging;
};

static void walk_setup(struct walk_env *env, enum fg_paging paging, bool pse)
{
	fg_init(&guest);
	memset(&env->ctxt, 0, sizeof(env->ctxt));
	env->ctxt.ops = &fg_ops;
	env->ctxt.opaque = &guest;
	env->paging = paging;
	env->cr3 = paging == FG_PAGING_NONE ? 0 : fg_new_root(&guest, paging);
	fg_set_paging(&env->ctxt, paging, env->cr3, pse);
}

static int walk(struct walk_env *env, u64 gva, bool write, u64 *gpa)
{
	*gpa = 0xdeadbeef;
	return hvm_gva_to_gpa(&env->ctxt, gva, write, gpa);
}

TEST(walk_paging_off)
{
	struct walk_env env;
	u64 gpa;

	walk_setup(&env, FG_PAGING_NONE, false);
	ASSERT_EQ(0, walk(&env, 0x123456789abcull, true, &gpa));
	EXPECT_EQ(0x56789abcull, gpa);
	env.ctxt.cr0 = 0;	/* real mode */
	ASSERT_EQ(0, walk(&env, 0xb8010, false, &gpa));
	EXPECT_EQ(0xb8010, gpa);
}

TEST(walk_32bit)
{
	struct walk_env env;
	u64 gpa;

	walk_setup(&env, FG_PAGING_32, true);
	fg_map(&guest, env.paging, env.cr3, 0xc0001000, 0x7000, 4096,
	       FG_PTE_RW | FG_PTE_US);
	fg_map(&guest, env.paging, env.cr3, 0xc0002000, 0x5000, 4096,
	       FG_PTE_US);
	fg_map(&guest, env.paging, env.cr3, 0xd0000000, 0x6000, 4096,
	       FG_PTE_RW);
	/* A 4 MiB page with PSE-36 bits 20:13 = 0x12: address bit 33, 36. */
	fg_map(&guest, env.paging, env.cr3, 0x80000000,
	       0x00c00000 | (0x12ull << 13), 4 << 20, FG_PTE_RW | FG_PTE_US);

	ASSERT_EQ(0, walk(&env, 0xc0001234, true, &gpa));
	EXPECT_EQ(0x7234, gpa);
	/* Upper bits of the linear address are not part of a 32-bit walk. */
	ASSERT_EQ(0, walk(&env, 0xffffffffc0001234ull, false, &gpa));
	EXPECT_EQ(0x7234, gpa);
	ASSERT_EQ(0, walk(&env, 0x80123456, false, &gpa));
	EXPECT_EQ(0x1200000000ull | 0x00c00000 | 0x123456, gpa);
	EXPECT_EQ(-EFAULT, walk(&env, 0xc0003000, false, &gpa));
	EXPECT_EQ(-EFAULT, walk(&env, 0x00400000, false, &gpa));

	/* Read-only page: reads fine, writes fault under CR0.WP. */
	ASSERT_EQ(0, walk(&env, 0xc0002010, false, &gpa));
	EXPECT_EQ(0x5010, gpa);
	EXPECT_EQ(-EFAULT, walk(&env, 0xc0002010, true, &gpa));
	env.ctxt.cr0 &= ~0x10000ull;
	EXPECT_EQ(0, walk(&env, 0xc0002010, true, &gpa));
	ASSERT_EQ(0, walk(&env, 0xd0000004, true, &gpa));
	EXPECT_EQ(0x6004, gpa);
	/* CPL 3: read-only is read-only without WP, supervisor is off. */
	env.ctxt.cpl = 3;
	EXPECT_EQ(-EFAULT, walk(&env, 0xc0002010, true, &gpa));
	EXPECT_EQ(0, walk(&env, 0xc0002010, false, &gpa));
	EXPECT_EQ(-EFAULT, walk(&env, 0xd0000004, false, &gpa));
	EXPECT_EQ(0, walk(&env, 0x80000000, true, &gpa));

	/*
	 * Without CR4.PSE, PS is ignored: the PDE points to a "table" at
	 * 0xc24000, which is not RAM here.
	 */
	env.ctxt.cpl = 0;
	env.ctxt.cr4 = 0;
	EXPECT_EQ(-EFAULT, walk(&env, 0x80000000, false, &gpa));
}

TEST(walk_pae)
{
	struct walk_env env;
	u64 gpa;

	walk_setup(&env, FG_PAGING_PAE, false);
	fg_map(&guest, env.paging, env.cr3, 0xc0001000, 0x123456000ull, 4096,
	       FG_PTE_RW);
	fg_map(&guest, env.paging, env.cr3, 0x40200000, 0x80000000ull,
	       2 << 20, 0);

	ASSERT_EQ(0, walk(&env, 0xc0001abc, true, &gpa));
	EXPECT_EQ(0x123456abcull, gpa);
	ASSERT_EQ(0, walk(&env, 0x402fedcb, false, &gpa));
	EXPECT_EQ(0x800fedcbull, gpa);
	EXPECT_EQ(-EFAULT, walk(&env, 0x402fedcb, true, &gpa));
	EXPECT_EQ(-EFAULT, walk(&env, 0x40400000, false, &gpa));
	EXPECT_EQ(-EFAULT, walk(&env, 0xc0002000, false, &gpa));
}

TEST(walk_4level)
{
	struct walk_env env;
	u64 gpa;

	walk_setup(&env, FG_PAGING_4LEVEL, false);
	fg_map(&guest, env.paging, env.cr3, 0xffff888000001000ull, 0x9000,
	       4096, FG_PTE_RW);
	fg_map(&guest, env.paging, env.cr3, 0x00007f0000200000ull,
	       0x40000000ull, 2 << 20, FG_PTE_RW | FG_PTE_US);
	fg_map(&guest, env.paging, env.cr3, 0xffffc90000000000ull,
	       0x1c0000000ull, 1 << 30, FG_PTE_RW);

	ASSERT_EQ(0, walk(&env, 0xffff888000001008ull, true, &gpa));
	EXPECT_EQ(0x9008, gpa);
	ASSERT_EQ(0, walk(&env, 0x00007f00002abcdeull, true, &gpa));
	EXPECT_EQ(0x400abcdeull, gpa);
	ASSERT_EQ(0, walk(&env, 0xffffc9003fffffffull, false, &gpa));
	EXPECT_EQ(0x1ffffffffull, gpa);
	EXPECT_EQ(-EFAULT, walk(&env, 0xffff888000002000ull, false, &gpa));
	EXPECT_EQ(-EFAULT, walk(&env, 0x00007f0000400000ull, false, &gpa));
	env.ctxt.cpl = 3;
	EXPECT_EQ(0, walk(&env, 0x00007f0000200000ull, true, &gpa));
	EXPECT_EQ(-EFAULT, walk(&env, 0xffff888000001008ull, false, &gpa));
}

TEST(walk_5level)
{
	struct walk_env env;
	u64 gpa;

	walk_setup(&env, FG_PAGING_5LEVEL, false);
	fg_map(&guest, env.paging, env.cr3, 0x01ff000000003000ull, 0xa000,
	       4096, FG_PTE_RW);
	ASSERT_EQ(0, walk(&env, 0x01ff000000003010ull, false, &gpa));
	EXPECT_EQ(0xa010, gpa);
	/* Same low 48 bits, another PML5 slot: not mapped. */
	EXPECT_EQ(-EFAULT, walk(&env, 0x0000000000003010ull, false, &gpa));
}

TEST(walk_table_outside_ram_faults)
{
	struct walk_env env;
	u64 gpa;

	walk_setup(&env, FG_PAGING_4LEVEL, false);
	env.ctxt.cr3 = MMIO_GPA;	/* not RAM: read_phys fails */
	EXPECT_EQ(-EFAULT, walk(&env, 0x1000, false, &gpa));
}

/* Emulation through a 32-bit paged mapping, CPL 3, read-only page. */
TEST(emulate_under_32bit_paging_respects_rw)
{
	static const u8 insn[] = { 0x89, 0x03 };	/* mov [ebx],eax */
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16] = { 0 }, cr3;

	setup_mode(&guest, &ctxt, gprs, M32);
	cr3 = fg_new_root(&guest, FG_PAGING_32);
	fg_set_paging(&ctxt, FG_PAGING_32, cr3, false);
	fg_map(&guest, FG_PAGING_32, cr3, 0x08048000, CODE_GPA, 4096,
	       FG_PTE_US);
	/* The first map of a region sets the PDE's rights: writable. */
	fg_map(&guest, FG_PAGING_32, cr3, 0x10001000, RAM_GPA, 4096,
	       FG_PTE_US | FG_PTE_RW);
	fg_map(&guest, FG_PAGING_32, cr3, 0x10000000, MMIO_GPA, 4096,
	       FG_PTE_US);
	fg_write(&guest, CODE_GPA, insn, sizeof(insn));
	ctxt.rip = 0x08048000;
	ctxt.cpl = 3;
	gprs[RBX] = 0x10000020;
	gprs[RAX] = 0x99;
	ctxt.fault_gpa = MMIO_GPA + 0x20;
	EXPECT_EQ(-EOPNOTSUPP, hvm_emulate_mmio(&ctxt));
	EXPECT_EQ(0, guest.nr_log);

	fg_map(&guest, FG_PAGING_32, cr3, 0x10000000, MMIO_GPA, 4096,
	       FG_PTE_US | FG_PTE_RW);
	ASSERT_EQ(0, hvm_emulate_mmio(&ctxt));
	ASSERT_EQ(1, guest.nr_log);
	EXPECT_EQ(MMIO_GPA + 0x20, guest.log[0].gpa);
	EXPECT_EQ(0x99, guest.log[0].value);
}

/* ---- Arithmetic flags against the host CPU ---- */

/*
 * Run "op src, dst" on the host with rflags_in and return the result and
 * the flags.  The stack pointer steps over the red zone around push/popf;
 * lea leaves the flags alone.
 */
#define HOST_ALU(mnemonic, mod)						\
	do {								\
		__asm__ __volatile__("lea -128(%%rsp), %%rsp\n\t"	\
				     "push %[fl]\n\t"			\
				     "popf\n\t"				\
				     mnemonic " %" mod "[src], %"	\
				     mod "[dst]\n\t"			\
				     "pushf\n\t"			\
				     "pop %[fl]\n\t"			\
				     "lea 128(%%rsp), %%rsp"		\
				     : [dst] "+r" (dst),		\
				       [fl] "+r" (flags)		\
				     : [src] "r" (src)			\
				     : "cc", "memory");			\
	} while (0)

#define HOST_ALU_SIZES(mnemonic)					\
	do {								\
		if (size == 1)						\
			HOST_ALU(mnemonic "b", "b");			\
		else if (size == 2)					\
			HOST_ALU(mnemonic "w", "w");			\
		else if (size == 4)					\
			HOST_ALU(mnemonic "l", "k");			\
		else							\
			HOST_ALU(mnemonic "q", "q");			\
	} while (0)

static u64 host_alu(unsigned int op, unsigned int size, u64 dst, u64 src,
		    u64 *rflags)
{
	u64 flags = *rflags;

	switch (op) {
	case 0:
		HOST_ALU_SIZES("add");
		break;
	case 1:
		HOST_ALU_SIZES("or");
		break;
	case 2:
		HOST_ALU_SIZES("adc");
		break;
	case 3:
		HOST_ALU_SIZES("sbb");
		break;
	case 4:
		HOST_ALU_SIZES("and");
		break;
	case 5:
		HOST_ALU_SIZES("sub");
		break;
	case 6:
		HOST_ALU_SIZES("xor");
		break;
	default:
		HOST_ALU_SIZES("cmp");
		break;
	}
	*rflags = flags;
	return dst;
}

static u64 rng_state = 0x9e3779b97f4a7c15ull;

static u64 test_rand(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Operands with edge values often: 0, all ones, sign bit, near them. */
static u64 edge_operand(void)
{
	static const u64 edges[] = {
		0, 1, ~0ull, 0x7f, 0x80, 0x7fff, 0x8000, 0x7fffffff,
		0x80000000, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xf,
		0x10,
	};
	u64 r = test_rand();

	if (r & 1)
		return test_rand();
	return edges[(r >> 1) % ARRAY_SIZE(edges)] + ((r >> 8) & 1);
}

/*
 * op [rbx], rax in 64-bit mode for every ALU op and size, with random and
 * edge operands and random CF in: result and CF PF AF ZF SF OF must match
 * the host CPU executing the same operation.
 */
TEST(alu_flags_match_host_cpu)
{
	static const u64 arith = F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF;
	unsigned int i, op, size, len, failures = 0;
	struct hvm_emul_ctxt ctxt;
	u64 gprs[16], host_flags, host_res, mem, src;
	u8 insn[4];
	int ret;

	for (i = 0; i < 20000 && failures < 10; i++) {
		op = i % 8;
		size = 1u << ((i / 8) % 4);
		mem = edge_operand();
		src = edge_operand();
		len = 0;
		if (size == 2)
			insn[len++] = 0x66;
		if (size == 8)
			insn[len++] = 0x48;
		insn[len++] = (op << 3) | (size == 1 ? 0 : 1);
		insn[len++] = 0x03;	/* [rbx], rax/eax/ax/al */

		setup_mode(&guest, &ctxt, gprs, M64);
		fg_write(&guest, CODE_GPA, insn, len);
		memset(gprs, 0, sizeof(gprs));
		gprs[RBX] = MMIO_VA64 + 0x80;
		gprs[RAX] = src;
		ctxt.fault_gpa = MMIO_GPA + 0x80;
		ctxt.rflags = F_FIXED | (test_rand() & (arith | F_DF));
		guest.mmio_value = mem & (size == 8 ? ~0ull :
					  (1ull << (size * 8)) - 1);
		/* The host must keep DF clear (ABI): feed it arith bits only. */
		host_flags = ctxt.rflags & ~F_DF;
		host_res = host_alu(op, size, guest.mmio_value, src,
				    &host_flags);

		ret = hvm_emulate_mmio(&ctxt);
		if (ret) {
			TH_LOG("op %u size %u: returned %d", op, size, ret);
			failures++;
			continue;
		}
		/* AND/OR/XOR leave AF undefined: compare the rest. */
		if ((ctxt.rflags ^ host_flags) &
		    (op == 1 || op == 4 || op == 6 ? arith & ~F_AF : arith)) {
			TH_LOG("op %u size %u %llx,%llx: flags %llx, host %llx",
			       op, size, (unsigned long long)guest.mmio_value,
			       (unsigned long long)src,
			       (unsigned long long)ctxt.rflags,
			       (unsigned long long)host_flags);
			failures++;
			continue;
		}
		if (op == 7) {
			if (guest.nr_log != 1)
				failures++;
			continue;
		}
		if (guest.nr_log != 2 || guest.log[1].value !=
		    (host_res & (size == 8 ? ~0ull :
				 (1ull << (size * 8)) - 1))) {
			TH_LOG("op %u size %u: wrote %llx, host %llx", op, size,
			       (unsigned long long)guest.log[1].value,
			       (unsigned long long)host_res);
			failures++;
		}
	}
	EXPECT_EQ(0, failures);
}

/* ---- Differential fuzz against capstone ---- */

TEST(fuzz_against_capstone)
{
	struct fuzz_report report;
	unsigned long iterations = 200000;
	const char *env = getenv("DECODER_FUZZ_ITERATIONS");

	if (env)
		iterations = strtoul(env, NULL, 0);
	ASSERT_EQ(0, fuzz_run(0x5eed1234ull, iterations, &report));
	fprintf(stderr,
		"# fuzz: %lu iterations, %lu accepted by hvm and compared, %lu refused, %lu capstone-invalid, %lu capstone 66+F2/F3 quirks, %lu mismatches\n",
		report.iterations, report.compared, report.refused,
		report.capstone_invalid, report.capstone_quirks,
		report.mismatches);
	EXPECT_EQ(0, report.mismatches);
	EXPECT_EQ(iterations, report.iterations);
	/* The generated encodings must mostly be accepted and compared. */
	EXPECT_LT(iterations / 4, report.compared);
}

TEST_HARNESS_MAIN
