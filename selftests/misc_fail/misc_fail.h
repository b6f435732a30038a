/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MISC_FAIL_H
#define MISC_FAIL_H

#ifndef __ASSEMBLY__
/* return.S: returns to the caller of the function it replaces. */
void misc_fail_return(void);
#endif

#endif /* MISC_FAIL_H */
