// SPDX-License-Identifier: GPL-2.0
/*
 * misc_fail: a test module for unload_test.  While it is loaded,
 * misc_register() of a device named "hvm" fails with EBUSY and does
 * nothing else, so that loading hvm.ko fails after its backend's probe
 * (the way it fails when no misc minor is free).  A kprobe on
 * misc_register() makes that call return at once; every other device
 * registers as usual.
 */
#define pr_fmt(fmt) "misc_fail: " fmt

#include <linux/kprobes.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/string.h>

#include "misc_fail.h"

#define TARGET_NAME "hvm"

static unsigned int refused;
module_param(refused, uint, 0444);
MODULE_PARM_DESC(refused, "misc_register() calls refused so far (read only)");

/* At the entry of misc_register(struct miscdevice *misc). */
static int misc_fail_pre(struct kprobe *kp, struct pt_regs *regs)
{
	const struct miscdevice *misc = (const void *)regs->di;

	if (!misc->name || strcmp(misc->name, TARGET_NAME))
		return 0;
	WRITE_ONCE(refused, refused + 1);
	regs->ax = (unsigned long)-EBUSY;
	regs->ip = (unsigned long)misc_fail_return;
	/* Resume at regs->ip instead of the probed instruction. */
	return 1;
}

static struct kprobe misc_fail_probe = {
	.symbol_name	= "misc_register",
	.pre_handler	= misc_fail_pre,
};

static int __init misc_fail_init(void)
{
	int ret = register_kprobe(&misc_fail_probe);

	if (ret)
		pr_err("cannot probe misc_register: %d\n", ret);
	return ret;
}

static void __exit misc_fail_exit(void)
{
	unregister_kprobe(&misc_fail_probe);
}

module_init(misc_fail_init);
module_exit(misc_fail_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("test module: misc_register() of \"hvm\" fails");
