// SPDX-License-Identifier: GPL-2.0
/*
 * hvm's tracepoints, read through tracefs the way a user would: a private
 * trace instance with events/hvm enabled while trace_guest runs.
 *
 * format: every hvm event exists and its format file names its fields.
 * exits: without a ring, the trace shows the first entry at the guest's
 *   first instruction, a CPUID exit at the CPUID's address, the MMIO
 *   store's nested page fault (write, result -ENOENT), the #GP injected
 *   after the test refused the RDMSR, and the HLT exit at the handler.
 * ring: with a ring helper, a synchronous PIO write request, a posted one,
 *   and the completion of the synchronous request with its sequence
 *   number and result 0.
 *
 * Skips when the lab kernel has no tracefs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(trace_guest);

#define TRACE_UNKNOWN_MSR	0x4b564dfe
#define TRACE_BUF_MAX		(1 << 20)

static const char *const hvm_events[] = {
	"hvm_entry", "hvm_exit", "hvm_npf", "hvm_ring_request",
	"hvm_ring_complete", "hvm_inject",
};

/* tracefs's mount point, or NULL. */
static const char *tracefs_root(void)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", roots[i]);
		if (access(path, F_OK) == 0)
			return roots[i];
	}
	return NULL;
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -EIO;
}

/* The whole file, NUL-terminated, in a malloc'd buffer (or NULL). */
static char *read_file(const char *path)
{
	char *buf = malloc(TRACE_BUF_MAX);
	size_t len = 0;
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while (len < TRACE_BUF_MAX - 1 &&
	       (n = read(fd, buf + len, TRACE_BUF_MAX - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Lines of the trace that contain every one of the strings given. */
static unsigned int count_lines(const char *trace, const char *a,
				const char *b)
{
	unsigned int n = 0;
	const char *line = trace;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[512];

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			if (strstr(buf, a) && (!b || strstr(buf, b)))
				n++;
		}
		line += len + (end ? 1 : 0);
	}
	return n;
}

FIXTURE(trace) {
	struct test_vm t;
	char inst[160];		/* our trace instance */
	bool made;
	char *text;
};

FIXTURE_SETUP(trace)
{
	const char *root = tracefs_root();
	char path[256];

	if (!root) {
		/* The lab's /init mounts it; a kernel without it cannot. */
		mkdir("/sys/kernel/tracing", 0755);
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
		root = tracefs_root();
	}
	if (!root)
		SKIP(return, "no tracefs in this kernel");
	snprintf(self->inst, sizeof(self->inst), "%s/instances/hvm-trace-%d",
		 root, (int)getpid());
	ASSERT_EQ(0, mkdir(self->inst, 0755))
		TH_LOG("mkdir %s: %s", self->inst, strerror(errno));
	self->made = true;
	snprintf(path, sizeof(path), "%s/events/hvm", self->inst);
	ASSERT_EQ(0, access(path, F_OK))
		TH_LOG("%s: %s (hvm.ko's events missing)", path,
		       strerror(errno));
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(trace_guest),
				    GUEST_MODE_LONG64));
}

FIXTURE_TEARDOWN(trace)
{
	char path[256];

	if (self->made) {
		snprintf(path, sizeof(path), "%s/events/hvm/enable", self->inst);
		write_file(path, "0");
		rmdir(self->inst);
	}
	free(self->text);
	test_vm_destroy(&self->t);
}

static int set_enabled(const char *inst, bool on)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/hvm/enable", inst);
	return write_file(path, on ? "1" : "0");
}

static char *collect(const char *inst)
{
	char path[256];

	set_enabled(inst, false);
	snprintf(path, sizeof(path), "%s/trace", inst);
	return read_file(path);
}

TEST_F(trace, format)
{
	static const char *const fields[][3] = {
		{ "vcpu_id", "rip", NULL },
		{ "vcpu_id", "reason", "hw_code" },
		{ "gpa", "write", "result" },
		{ "seq", "addr", "posted" },
		{ "seq", "result", "data" },
		{ "vector", "has_error", "error_code" },
	};
	char path[256], want[64];
	unsigned int i, j;

	for (i = 0; i < 6; i++) {
		char *fmt;

		snprintf(path, sizeof(path), "%s/events/hvm/%s/format",
			 self->inst, hvm_events[i]);
		fmt = read_file(path);
		ASSERT_NE(NULL, fmt) TH_LOG("%s: %s", path, strerror(errno));
		for (j = 0; j < 3 && fields[i][j]; j++) {
			snprintf(want, sizeof(want), " %s;", fields[i][j]);
			EXPECT_NE(NULL, strstr(fmt, want))
				TH_LOG("%s: no field %s", hvm_events[i],
				       fields[i][j]);
		}
		free(fmt);
	}
}

TEST_F(trace, exits)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	const char *first;
	char want[96];

	ASSERT_EQ(0, set_enabled(self->inst, true));
	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	RUN_EXPECT(vcpu, HVM_EXIT_MSR);
	EXPECT_EQ(TRACE_UNKNOWN_MSR, (int)vcpu->run->msr.index);
	vcpu->run->msr.error = 1;
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	self->text = collect(self->inst);
	ASSERT_NE(NULL, self->text);

	/* The first entry: at the first instruction (faults re-enter there). */
	snprintf(want, sizeof(want), "hvm_entry: vcpu 0 rip 0x%llx\n",
		 (unsigned long long)GUEST_CODE_GPA);
	first = strstr(self->text, "hvm_entry: ");
	ASSERT_NE(NULL, first) TH_LOG("no entry in:\n%s", self->text);
	EXPECT_EQ(0, strncmp(first, want, strlen(want)))
		TH_LOG("first entry is not '%s' in:\n%s", want, self->text);
	snprintf(want, sizeof(want), "rip 0x%llx",
		 (unsigned long long)guest_result(&self->t, 0));
	EXPECT_EQ(1U, count_lines(self->text, "hvm_exit: vcpu 0 reason cpuid",
				  want)) TH_LOG("%s", self->text);
	EXPECT_EQ(2U, count_lines(self->text, "hvm_exit: vcpu 0 reason io",
				  NULL));
	EXPECT_EQ(1U, count_lines(self->text, "hvm_exit: vcpu 0 reason rdmsr",
				  NULL));
	snprintf(want, sizeof(want), "rip 0x%llx",
		 (unsigned long long)guest_result(&self->t, 1));
	EXPECT_EQ(1U, count_lines(self->text, "hvm_exit: vcpu 0 reason hlt",
				  want)) TH_LOG("%s", self->text);
	snprintf(want, sizeof(want), "gpa 0x%llx write result %d",
		 (unsigned long long)GUEST_MMIO_GPA, -ENOENT);
	EXPECT_EQ(1U, count_lines(self->text, "hvm_npf: vcpu 0", want))
		TH_LOG("%s", self->text);
	/* Faults that mapped guest RAM: at least the code page. */
	EXPECT_LE(1U, count_lines(self->text, "hvm_npf: vcpu 0", "result 0"));
	EXPECT_EQ(1U, count_lines(self->text,
				  "hvm_inject: vcpu 0 vector 13 error_code 0x0",
				  NULL)) TH_LOG("%s", self->text);
	EXPECT_EQ(0U, count_lines(self->text, "hvm_ring_", NULL));
	/* Every exit follows an entry. */
	EXPECT_EQ(count_lines(self->text, "hvm_entry:", NULL),
		  count_lines(self->text, "hvm_exit:", NULL));
}

static int sync_serve(void *opaque, struct hvm_ring_slot *slot)
{
	return 0;
}

static void posted_seen(void *opaque, const struct hvm_posted_entry *entry)
{
}

TEST_F(trace, ring)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct ring_helper helper = {};
	char want[96];

	ASSERT_EQ(0, ring_helper_start(&helper, &self->t.vm, posted_seen,
				       sync_serve, NULL));
	ASSERT_EQ(0, hvm_ring_add_posted(&helper.map, HVM_IO_PIO,
					 GUEST_PORT_POSTED, 1));
	ASSERT_EQ(0, set_enabled(self->inst, true));
	RUN_EXPECT(vcpu, HVM_EXIT_MSR);
	vcpu->run->msr.error = 1;
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	ASSERT_EQ(0, ring_helper_stop(&helper));
	self->text = collect(self->inst);
	ASSERT_NE(NULL, self->text);

	snprintf(want, sizeof(want), "pio write 0x%llx size 1 data 0x5a",
		 (unsigned long long)GUEST_PORT_DATA);
	EXPECT_EQ(1U, count_lines(self->text, "hvm_ring_request: vcpu 0 seq 1 ",
				  want)) TH_LOG("%s", self->text);
	snprintf(want, sizeof(want), "pio write 0x%llx size 1 data 0x5a posted",
		 (unsigned long long)GUEST_PORT_POSTED);
	EXPECT_EQ(1U, count_lines(self->text, "hvm_ring_request: vcpu 0 seq 0 ",
				  want)) TH_LOG("%s", self->text);
	/* The MMIO store is the second synchronous request. */
	snprintf(want, sizeof(want), "mmio write 0x%llx size 4 data 0x12345678",
		 (unsigned long long)GUEST_MMIO_GPA);
	EXPECT_EQ(1U, count_lines(self->text, "hvm_ring_request: vcpu 0 seq 2 ",
				  want)) TH_LOG("%s", self->text);
	EXPECT_EQ(1U, count_lines(self->text,
				  "hvm_ring_complete: vcpu 0 seq 1 result 0",
				  NULL)) TH_LOG("%s", self->text);
	EXPECT_EQ(1U, count_lines(self->text,
				  "hvm_ring_complete: vcpu 0 seq 2 result 0",
				  NULL)) TH_LOG("%s", self->text);
	/* Both OUTs still exit, served in the kernel. */
	EXPECT_EQ(2U, count_lines(self->text, "hvm_exit: vcpu 0 reason io",
				  NULL));
}

TEST_HARNESS_MAIN
