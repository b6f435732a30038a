// SPDX-License-Identifier: GPL-2.0
/*
 * pause_test's guest, on two vCPUs that pass a token back and forth: vCPU
 * n owns the token when it holds a value of n's parity, and waits for it
 * in a PAUSE loop, the way a spin lock waits for its holder.  On one host
 * CPU, the waiter's sibling can only pass the token back once the waiter
 * gives the CPU up.
 */
#include "rt.h"
#include "pause_test.h"

void guest_main(unsigned int cpu)
{
	volatile uint64_t *token = (volatile uint64_t *)GUEST_RESULT(PAUSE_R_TOKEN);
	uint64_t rounds = rt_param(PAUSE_P_ROUNDS);
	uint64_t turn;

	/* The test starts the race once both vCPU threads have run. */
	rt_sync();
	for (turn = cpu; turn < 2 * rounds; turn += 2) {
		while (*token != turn)
			cpu_relax();
		*token = turn + 1;
	}
	rt_report(PAUSE_R_DONE(cpu), 1);
}
