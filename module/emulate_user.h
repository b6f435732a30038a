/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the few kernel types and helpers emulate.c uses,
 * so that the same file builds into selftests/decoder unchanged.
 */
#ifndef HVM_EMULATE_USER_H
#define HVM_EMULATE_USER_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

/* The kernel's widths on x86-64 (asm-generic/int-ll64.h). */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

#ifndef BIT_ULL
#define BIT_ULL(nr) (1ULL << (nr))
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif

#ifndef fallthrough
#define fallthrough __attribute__((__fallthrough__))
#endif

#endif /* HVM_EMULATE_USER_H */
