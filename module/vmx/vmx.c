// SPDX-License-Identifier: GPL-2.0
/*
 * hvm Intel VMX backend: not built yet (see the VMX issue).  Loading hvm on
 * an Intel host is refused cleanly through this entry.
 */
#define pr_fmt(fmt) "hvm: vmx: " fmt

#include <linux/printk.h>
#include "../hvm.h"

static int vmx_probe(struct hvm_caps *caps)
{
	pr_err("the Intel VMX backend is not built yet\n");
	return -EOPNOTSUPP;
}

const struct hvm_backend_ops hvm_vmx_ops = {
	.name	= "Intel VMX",
	.vendor	= HVM_VENDOR_INTEL,
	.probe	= vmx_probe,
};
