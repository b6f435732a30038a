// SPDX-License-Identifier: GPL-2.0
/*
 * `make bench`'s program works: one short round of hvm-bench (shipped next
 * to the tests), on hvm and on KVM.  Times are never compared with
 * anything; only that each row got a value that can be one.
 *
 * one_round: hvm-bench --rounds 1 --touch-mib 4 --exits 50 --lifecycles 2
 *   --max-vms 8 --no-linux (linux_boot_test boots the same guest on both
 *   backends) exits 0 (every
 *   VM ran its guest to the end: the guest wrote every page of the area,
 *   read the VMM's value from each IN, and each OUT and IN reached the VMM
 *   exactly once), and its table has every row with a value for each
 *   backend: times positive, the memory cgroup's figure at least the
 *   touched guest RAM (the VM's owner is charged for it, so the cgroup is
 *   the right one) and its kernel part positive and below it; on a kernel
 *   without a memory cgroup controller (the debug kernel) both memcg rows
 *   must be "-" instead; the vms32 and vms64 rows, beyond --max-vms, are "-"
 *   too.  KVM is left
 *   out under the debug kernel (as in kvm_conflict_test) and when the lab
 *   has no KVM modules.
 *
 * hvm-bench unloads hvm.ko for KVM's run and loads /hvm/hvm.ko again
 * after it; this test therefore runs before unload_test and
 * kvm_conflict_test, which find hvm.ko loaded as always.
 */
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

#define TOUCH_MIB	4

static const char *const rows[] = {
	"first_touch", "first_touch_thp", "first_touch_memfd", "kmem_per_vm",
	"kmem_per_vm_thp", "memcg_kernel", "memcg_current", "exit_cpuid",
	"exit_pio_out", "exit_pio_in", "exit_mmio_out", "exit_mmio_in",
	"posted_mmio_same", "lifecycle", "vcpu_kmem", "vcpu_memcg",
	"vms1_kmem", "vms8_kmem",
	"vms1_memcg", "vms8_memcg",
};

enum { ROW_MEMCG_KERNEL = 5, ROW_MEMCG_CURRENT = 6 };

/* Rows in memory cgroup terms: "-" on a kernel without the controller. */
static bool memcg_row(unsigned int i)
{
	return i == ROW_MEMCG_KERNEL || i == ROW_MEMCG_CURRENT ||
	       strstr(rows[i], "_memcg");
}

/* Differences of /proc/meminfo figures: any sign is a value. */
static bool difference_row(unsigned int i)
{
	return !strncmp(rows[i], "kmem_per_vm", 11) || strstr(rows[i], "_kmem");
}

/* Beyond --max-vms: these rows must stay without a value. */
static const char *const rows_left_out[] = {
	"vms32_kmem", "vms64_kmem", "vms32_memcg", "vms64_memcg",
};

struct row {
	bool seen;
	double v[2];		/* hvm, kvm */
};

static double parse_value(const char *s)
{
	char *end;
	double v;

	if (!strcmp(s, "-"))
		return NAN;
	v = strtod(s, &end);
	return *end ? NAN : v;
}

/*
 * A fixture only for TEST_F_TIMEOUT: the default 30 s is tight under the
 * debug kernel, where every measurement also drops the caches.
 */
FIXTURE(bench) {
	int unused;
};

FIXTURE_SETUP(bench)
{
}

FIXTURE_TEARDOWN(bench)
{
}

TEST_F_TIMEOUT(bench, one_round, 110)
{
	struct row seen[ARRAY_SIZE(rows)] = { 0 };
	char exe[PATH_MAX], cmd[PATH_MAX + 128], line[512];
	char name[32], unit[16], h[32], k[32], r[32], rmin[32];
	const char *backends = "hvm,kvm";
	bool kvm = true, memcg;
	int status, b;
	ssize_t n;
	size_t i;
	FILE *out;

	if (access("/proc/lockdep_stats", F_OK) == 0 || !have_kvm_modules()) {
		backends = "hvm";
		kvm = false;
		ksft_print_msg("KVM left out: %s\n",
			       have_kvm_modules() ? "debug kernel" :
			       "no KVM modules");
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	snprintf(cmd, sizeof(cmd),
		 "%s/hvm-bench --rounds 1 --touch-mib %d --exits 50 "
		 "--lifecycles 2 --max-vms 8 --no-linux --backends %s 2>&1",
		 dirname(exe), TOUCH_MIB, backends);
	out = popen(cmd, "r");
	ASSERT_NE(NULL, out) TH_LOG("%s: %s", cmd, strerror(errno));
	while (fgets(line, sizeof(line), out)) {
		/* Its output, kept as KTAP diagnostics. */
		printf("# %s", line);
		if (line[0] == '#' ||
		    sscanf(line, "%31s %15s %31s %31s %31s %31s", name, unit,
			   h, k, r, rmin) != 6)
			continue;
		for (i = 0; i < ARRAY_SIZE(rows); i++) {
			if (strcmp(name, rows[i]))
				continue;
			seen[i].seen = true;
			seen[i].v[0] = parse_value(h);
			seen[i].v[1] = parse_value(k);
		}
		for (i = 0; i < ARRAY_SIZE(rows_left_out); i++)
			if (!strcmp(name, rows_left_out[i]))
				EXPECT_TRUE(isnan(parse_value(h)) &&
					    isnan(parse_value(k)))
					TH_LOG("%s: measured beyond --max-vms",
					       name);
	}
	status = pclose(out);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("hvm-bench status %#x", status);
	ASSERT_EQ(0, WEXITSTATUS(status));

	memcg = !memcg_available();
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		ASSERT_TRUE(seen[i].seen) TH_LOG("no row %s", rows[i]);
		if (!memcg && memcg_row(i)) {
			EXPECT_TRUE(isnan(seen[i].v[0]) && isnan(seen[i].v[1]))
				TH_LOG("%s: a value without a memory cgroup",
				       rows[i]);
			continue;
		}
		for (b = 0; b < (kvm ? 2 : 1); b++) {
			double v = seen[i].v[b];
			const char *who = b ? "kvm" : "hvm";

			ASSERT_FALSE(isnan(v)) TH_LOG("%s: no %s value",
						      rows[i], who);
			if (difference_row(i))
				continue;
			EXPECT_LT(0, v) TH_LOG("%s %s: %g", rows[i], who, v);
		}
		if (!kvm)
			EXPECT_TRUE(isnan(seen[i].v[1]))
				TH_LOG("%s: a KVM value without KVM", rows[i]);
	}
	for (b = 0; memcg && b < (kvm ? 2 : 1); b++) {
		double cur = seen[ROW_MEMCG_CURRENT].v[b];
		double kern = seen[ROW_MEMCG_KERNEL].v[b];

		EXPECT_LE(TOUCH_MIB * 1024, cur)
			TH_LOG("%s: memcg_current %g kB < the guest's RAM",
			       b ? "kvm" : "hvm", cur);
		EXPECT_LT(kern, cur) TH_LOG("%s: memcg_kernel %g >= current %g",
					    b ? "kvm" : "hvm", kern, cur);
	}
}

TEST_HARNESS_MAIN
