// SPDX-License-Identifier: GPL-2.0
/*
 * The hvm-run / hvm-helper command line, as a user meets it (both are on
 * PATH in the lab; the demo guest is ../guests/demo.bin from the test's
 * working directory /hvm/selftests).
 *
 * help: `hvm-run --help` and `hvm-helper --help` exit 0 and print usage
 *   on stdout, nothing on stderr.
 * version: `--version` on both exits 0 and prints one line on stdout, the
 *   program's name, the release version of this build (debian/changelog)
 *   and the hvm API version; nothing on stderr.
 * bad_invocations: a missing guest file, a malformed --mem size, a guest
 *   larger than guest memory, no guest at all, hvm-helper without a ring
 *   fd, with --mem-map but no --mem-fd, and given a file that is not a
 *   sealed memfd as guest RAM each exit non-zero with exactly one line on
 *   stderr.
 * demo: the demo guest runs to completion with exit status 0 and its
 *   greeting, sent through the helper's UART, appears on stdout.
 * hvm_stat: with a VM of this process that took 3 HLT exits,
 *   `hvm-stat --once --pid PID` shows it with its counters as a table and
 *   `--json` as JSON; --help and --version exit 0; a process without VMs
 *   exits 3 and a bad option 2, each with one line on stderr.
 * hugetlb: with two 2 MiB hugetlb pages reserved for the test (skipped if
 *   the host cannot reserve them; the pool is given back after), the
 *   demo runs from `hvm-run --hugetlb --mem 4M`; --hugetlb with a --mem
 *   that is not whole 2 MiB pages, or with one page more than the pool
 *   has free, fails with one line that says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

#define DEMO_GUEST	"../guests/demo.bin"
#define DEMO_GREETING	"hello from a guest under hvm"
static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define RUN(r, ...) do {						\
	char *const __argv[] = { __VA_ARGS__, NULL };			\
	ASSERT_EQ(0, run_cmd(__argv, 60, (r)));				\
	ASSERT_FALSE((r)->timed_out) TH_LOG("%s timed out", __argv[0]); \
} while (0)

/* Non-zero exit, one non-empty line on stderr. */
#define EXPECT_ONE_LINE_FAILURE(r, what) do {				\
	EXPECT_NE(0, (r)->status) TH_LOG("%s: exit 0", what);		\
	EXPECT_GT(128, (r)->status)					\
		TH_LOG("%s: killed by signal %d", what,			\
		       (r)->status - 128);				\
	EXPECT_EQ(1ULL, count_lines((r)->err))				\
		TH_LOG("%s: stderr is '%s'", what, (r)->err);		\
	EXPECT_LT(1ULL, (r)->err_len) TH_LOG("%s: empty message", what);	\
} while (0)

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

static long read_nr_hugepages(void)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(NR_HUGEPAGES, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int write_nr_hugepages(long value)
{
	char buf[32];
	int fd, len, ret = 0;

	fd = open(NR_HUGEPAGES, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%ld\n", value);
	if (write(fd, buf, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE(cli) {
	struct cmd_result r;
	char big_guest[64];
	long saved_hugepages;	/* -1: the pool was not changed */
};

FIXTURE_SETUP(cli)
{
	strcpy(self->big_guest, "/tmp/hvm-cli-test-big.XXXXXX");
	self->saved_hugepages = -1;
}

FIXTURE_TEARDOWN(cli)
{
	if (!strchr(self->big_guest, 'X'))
		unlink(self->big_guest);
	if (self->saved_hugepages >= 0)
		write_nr_hugepages(self->saved_hugepages);
}

TEST_F(cli, help)
{
	RUN(&self->r, "hvm-run", "--help");
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Usage"));
	EXPECT_EQ(0ULL, self->r.err_len) TH_LOG("stderr: %s", self->r.err);

	RUN(&self->r, "hvm-helper", "--help");
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Usage"));
	EXPECT_EQ(0ULL, self->r.err_len) TH_LOG("stderr: %s", self->r.err);
}

TEST_F(cli, version)
{
	static const char *const progs[] = { "hvm-run", "hvm-helper" };
	char want[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(progs); i++) {
		RUN(&self->r, (char *)progs[i], "--version");
		EXPECT_EQ(0, self->r.status);
		snprintf(want, sizeof(want), "%s %s (hvm API version %d)\n",
			 progs[i], HVM_VERSION, HVM_API_VERSION);
		EXPECT_STREQ(want, self->r.out);
		EXPECT_EQ(0ULL, self->r.err_len)
			TH_LOG("stderr: %s", self->r.err);
	}
}

TEST_F(cli, bad_invocations)
{
	static char zeros[4096];
	int fd, i;

	RUN(&self->r, "hvm-run", "/nonexistent/guest.bin");
	EXPECT_ONE_LINE_FAILURE(&self->r, "missing guest");

	RUN(&self->r, "hvm-run", "--mem", "12Q", DEMO_GUEST);
	EXPECT_ONE_LINE_FAILURE(&self->r, "--mem 12Q");
	RUN(&self->r, "hvm-run", "--mem", "0", DEMO_GUEST);
	EXPECT_ONE_LINE_FAILURE(&self->r, "--mem 0");
	RUN(&self->r, "hvm-run", "--mem", "1000", DEMO_GUEST);
	EXPECT_ONE_LINE_FAILURE(&self->r, "--mem 1000 (not page sized)");

	fd = mkstemp(self->big_guest);
	ASSERT_LE(0, fd);
	/* 2 MiB of guest image for 1 MiB of guest memory. */
	for (i = 0; i < 512; i++)
		ASSERT_EQ((ssize_t)sizeof(zeros), write(fd, zeros, sizeof(zeros)));
	close(fd);
	RUN(&self->r, "hvm-run", "--mem", "1M", self->big_guest);
	EXPECT_ONE_LINE_FAILURE(&self->r, "guest larger than memory");

	RUN(&self->r, "hvm-run");
	EXPECT_ONE_LINE_FAILURE(&self->r, "no guest");

	RUN(&self->r, "hvm-helper");
	EXPECT_ONE_LINE_FAILURE(&self->r, "helper without a ring");

	RUN(&self->r, "hvm-helper", "--ring-fd", "0", "--mem-map", "0,4096,0");
	EXPECT_ONE_LINE_FAILURE(&self->r, "helper --mem-map without --mem-fd");
	/* Its stdin, /dev/null, cannot be sealed: never mapped as RAM. */
	RUN(&self->r, "hvm-helper", "--ring-fd", "0", "--mem-fd", "0",
	    "--mem-map", "0,4096,0");
	EXPECT_ONE_LINE_FAILURE(&self->r, "helper given an unsealed file");
	EXPECT_NE(NULL, strstr(self->r.err, "sealed"))
		TH_LOG("stderr: %s", self->r.err);
}

TEST_F_TIMEOUT(cli, demo, 120)
{
	struct stat st;

	ASSERT_EQ(0, stat(DEMO_GUEST, &st))
		TH_LOG("%s: %s", DEMO_GUEST, strerror(errno));
	RUN(&self->r, "hvm-run", "--mem", "16M", DEMO_GUEST);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, DEMO_GREETING))
		TH_LOG("stdout: %s", self->r.out);
}

DECLARE_GUEST(cli_guest);

TEST_F(cli, hvm_stat)
{
	struct test_vm t = {};
	char pid[16], want[64];
	int i;

	RUN(&self->r, "hvm-stat", "--help");
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Usage"));
	EXPECT_EQ(0ULL, self->r.err_len) TH_LOG("stderr: %s", self->r.err);
	RUN(&self->r, "hvm-stat", "--version");
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "hvm-stat "));
	RUN(&self->r, "hvm-stat", "--bogus");
	EXPECT_EQ(2, self->r.status);
	EXPECT_ONE_LINE_FAILURE(&self->r, "hvm-stat --bogus");
	/* init holds no VM. */
	RUN(&self->r, "hvm-stat", "--once", "--pid", "1");
	EXPECT_EQ(3, self->r.status);
	EXPECT_ONE_LINE_FAILURE(&self->r, "hvm-stat --pid 1");

	ASSERT_EQ(0, test_vm_create(&t, GUEST(cli_guest), GUEST_MODE_LONG64));
	for (i = 0; i < 3; i++)
		RUN_EXPECT(&t.vcpus[0], HVM_EXIT_HLT);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());

	RUN(&self->r, "hvm-stat", "--once", "--interval", "0.05", "--pid", pid);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	snprintf(want, sizeof(want), "VM hvm-%s  pid %s (cli_test)", pid, pid);
	EXPECT_NE(NULL, strstr(self->r.out, want))
		TH_LOG("no '%s' in: %s", want, self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out, "  halts  "))
		TH_LOG("stdout: %s", self->r.out);
	/* Counter, total 3, rate 0.0: the guest did nothing since. */
	EXPECT_NE(NULL, strstr(self->r.out, "exits_hlt                                   3            0.0"))
		TH_LOG("stdout: %s", self->r.out);

	RUN(&self->r, "hvm-stat", "--once", "--json", "--interval", "0.05",
	    "--pid", pid);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	snprintf(want, sizeof(want), "\"id\": \"hvm-%s\", \"pid\": %s,", pid,
		 pid);
	EXPECT_NE(NULL, strstr(self->r.out, want))
		TH_LOG("no '%s' in: %s", want, self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out,
			       "\"exits_hlt\": {\"total\": 3, \"rate\": 0.000}"))
		TH_LOG("stdout: %s", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out, "\"user_exits\": {\"total\": 3,"))
		TH_LOG("stdout: %s", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out, "\"unit\": \"ns\""))
		TH_LOG("stdout: %s", self->r.out);
	test_vm_destroy(&t);
}

TEST_F_TIMEOUT(cli, hugetlb, 120)
{
	char short_mem[32];
	long free_pages, total;

	free_pages = hvm_hugetlb_free_pages();
	total = read_nr_hugepages();
	if (free_pages < 0 || total < 0)
		SKIP(return, "no 2 MiB hugetlb pages on this kernel");
	if (free_pages < 2) {
		self->saved_hugepages = total;
		if (write_nr_hugepages(total + 2 - free_pages) < 0)
			SKIP(return, "cannot reserve hugetlb pages: %s",
			     strerror(errno));
		free_pages = hvm_hugetlb_free_pages();
		if (free_pages < 2)
			SKIP(return, "the host gave %ld free 2 MiB pages, not 2",
			     free_pages);
	}

	RUN(&self->r, "hvm-run", "--hugetlb", "--mem", "4M", DEMO_GUEST);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, DEMO_GREETING))
		TH_LOG("stdout: %s", self->r.out);

	RUN(&self->r, "hvm-run", "--hugetlb", "--mem", "3M", DEMO_GUEST);
	EXPECT_ONE_LINE_FAILURE(&self->r, "--hugetlb --mem 3M");

	snprintf(short_mem, sizeof(short_mem), "%ldM", 2 * (free_pages + 1));
	RUN(&self->r, "hvm-run", "--hugetlb", "--mem", short_mem, DEMO_GUEST);
	EXPECT_ONE_LINE_FAILURE(&self->r, "--hugetlb, pool too small");
	EXPECT_NE(NULL, strstr(self->r.err, "huge pages"))
		TH_LOG("stderr: %s", self->r.err);
}

TEST_HARNESS_MAIN
