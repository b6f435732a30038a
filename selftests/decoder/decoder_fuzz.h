/* SPDX-License-Identifier: GPL-2.0 */
/* Differential fuzz of the MMIO emulator's decoder against capstone. */
#ifndef DECODER_FUZZ_H
#define DECODER_FUZZ_H

struct fuzz_report {
	unsigned long iterations;
	unsigned long compared;		/* accepted by hvm, checked vs capstone */
	unsigned long refused;		/* -EOPNOTSUPP from hvm */
	unsigned long capstone_invalid;	/* capstone could not decode */
	/*
	 * Disagreements explained by a capstone 4 bug: after 66, an F2/F3
	 * prefix makes it drop the operand-size override for the memory
	 * operand (66 F3 87 03 is "xchg dword ptr [ebx], ax"), or reject
	 * the instruction.  The CPU applies 66 either way.
	 */
	unsigned long capstone_quirks;
	unsigned long mismatches;
};

/*
 * Run 'iterations' random instructions (half random bytes, half
 * encodings of the accepted forms) across 16-, 32- and 64-bit code.
 * 0, or -1 if capstone could not be set up.
 */
int fuzz_run(unsigned long long seed, unsigned long iterations,
	     struct fuzz_report *report);

#endif /* DECODER_FUZZ_H */
