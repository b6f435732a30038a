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
 * console: hvm-run on a pseudo-terminal makes it COM1's input in raw
 *   mode: a byte typed there reaches the guest (which exits with it),
 *   Ctrl-A x ends hvm-run with status 4, and either way the terminal's
 *   settings are back as they were when hvm-run is gone.
 */
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(platform_guest);
DECLARE_GUEST(platform_guest_reset);
DECLARE_GUEST(platform_guest_kbd);
DECLARE_GUEST(platform_guest_echo);

#define STATUS_REBOOT	3
#define STATUS_QUIT	4

/* The guest in a temporary file: path must hold "/tmp/...XXXXXX". */
static int write_guest(struct guest_blob guest, char *path)
{
	size_t size = guest.end - guest.start;
	int fd = mkstemp(path);

	if (fd < 0)
		return -errno;
	if (write(fd, guest.start, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	return 0;
}

static int run_guest(struct guest_blob guest, struct cmd_result *r)
{
	char path[] = "/tmp/platform_guest.XXXXXX";
	char *argv[] = {
		"hvm-run", "--mem", "16M", "--load", "0x1000", path, NULL,
	};
	int ret = write_guest(guest, path);

	if (ret)
		return ret;
	ret = run_cmd(argv, 60, r);
	unlink(path);
	return ret;
}

/*
 * hvm-run with a pseudo-terminal as its terminal: types input after a
 * moment and returns hvm-run's exit status (-1 on a set-up failure or a
 * timeout); *restored tells whether the terminal's settings were as
 * before once hvm-run was gone.
 */
static int run_on_pty(const char *guest_path, const char *input,
		      bool *restored)
{
	struct termios before, after;
	struct timespec pause = { 0, 300 * 1000 * 1000 };
	double deadline = now_seconds() + 60;
	char buf[256];
	int master, slave, status;
	pid_t pid;

	if (openpty(&master, &slave, NULL, NULL, NULL))
		return -1;
	tcgetattr(slave, &before);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		execlp("hvm-run", "hvm-run", "--mem", "16M", "--load", "0x1000",
		       guest_path, (char *)NULL);
		_exit(127);
	}
	/* Let hvm-run put the terminal in raw mode before typing. */
	nanosleep(&pause, NULL);
	nanosleep(&pause, NULL);
	if (write(master, input, strlen(input)) < 0)
		return -1;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };

		if (now_seconds() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		/* Keep the output flowing so hvm-run never blocks on it. */
		if (poll(&pfd, 1, 100) > 0 && read(master, buf, sizeof(buf)) < 0)
			nanosleep(&pause, NULL);
	}
	tcgetattr(slave, &after);
	*restored = before.c_lflag == after.c_lflag &&
		    before.c_iflag == after.c_iflag &&
		    before.c_oflag == after.c_oflag;
	close(master);
	close(slave);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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

/* The lab's /init mounts devtmpfs only: pseudo-terminals need devpts. */
static bool have_ptys(void)
{
	int master, slave;

	if (openpty(&master, &slave, NULL, NULL, NULL)) {
		mkdir("/dev/pts", 0755);
		mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666");
		if (openpty(&master, &slave, NULL, NULL, NULL))
			return false;
	}
	close(master);
	close(slave);
	return true;
}

TEST(console)
{
	char path[] = "/tmp/platform_guest.XXXXXX";
	bool restored = false;

	if (!have_ptys())
		SKIP(return, "no pseudo-terminals (devpts)");
	ASSERT_EQ(0, write_guest(GUEST(platform_guest_echo), path));
	EXPECT_EQ('A', run_on_pty(path, "A", &restored));
	EXPECT_TRUE(restored);
	restored = false;
	/* Ctrl-A x: the guest still waits for a byte; hvm-run quits. */
	EXPECT_EQ(STATUS_QUIT, run_on_pty(path, "\001x", &restored));
	EXPECT_TRUE(restored);
	unlink(path);
}

TEST_HARNESS_MAIN
