// SPDX-License-Identifier: GPL-2.0
/*
 * The device helper's PC platform, through hvm-run and the real
 * hvm-helper as a Linux guest meets it: the ports Linux polls during boot
 * answer without making it spin, and the power-off and reset registers
 * end hvm-run with their documented statuses.  The guests are flat
 * binaries written to a temporary file and run with
 * `hvm-run --mem 16M --load 0x1000 FILE`.
 *
 * ports: platform_guest.S checks the RTC's update-in-progress and valid
 *   bits and its BCD seconds, PIT channel 2 counting down with its gate on
 *   port 0x61, port 0x61's refresh toggle, the i8042 status (all-ones: no
 *   controller), the ACPI sleep status, the UART's THR-empty interrupt
 *   identification and the I/O APIC's version register, then powers off
 *   through the ACPI sleep control register: status 0 (a failed check
 *   exits with its number instead).
 * acpi_reset: a write of 6 to the FADT's reset register (0xcf9) ends
 *   hvm-run with the reboot status, 3.
 * kbd_reset: the i8042 pulse-reset command 0xfe does the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(platform_guest);
DECLARE_GUEST(platform_guest_reset);
DECLARE_GUEST(platform_guest_kbd);

#define STATUS_REBOOT	3

static int run_guest(struct guest_blob guest, struct cmd_result *r)
{
	char path[] = "/tmp/platform_guest.XXXXXX";
	size_t size = guest.end - guest.start;
	char *argv[] = {
		"hvm-run", "--mem", "16M", "--load", "0x1000", path, NULL,
	};
	int fd, ret;

	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if (write(fd, guest.start, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	ret = run_cmd(argv, 60, r);
	unlink(path);
	return ret;
}

FIXTURE(platform) {
	struct cmd_result r;
};

FIXTURE_SETUP(platform)
{
}

FIXTURE_TEARDOWN(platform)
{
}

TEST_F(platform, ports)
{
	ASSERT_EQ(0, run_guest(GUEST(platform_guest), &self->r));
	ASSERT_FALSE(self->r.timed_out);
	EXPECT_EQ(0, self->r.status) {
		TH_LOG("check %d failed (platform_guest.S); stderr: %s",
		       self->r.status, self->r.err);
	}
}

TEST_F(platform, acpi_reset)
{
	ASSERT_EQ(0, run_guest(GUEST(platform_guest_reset), &self->r));
	ASSERT_FALSE(self->r.timed_out);
	EXPECT_EQ(STATUS_REBOOT, self->r.status) {
		TH_LOG("stderr: %s", self->r.err);
	}
}

TEST_F(platform, kbd_reset)
{
	ASSERT_EQ(0, run_guest(GUEST(platform_guest_kbd), &self->r));
	ASSERT_FALSE(self->r.timed_out);
	EXPECT_EQ(STATUS_REBOOT, self->r.status) {
		TH_LOG("stderr: %s", self->r.err);
	}
}

TEST_HARNESS_MAIN
