// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the Linux guest that hvm-run boots in the lab (make demo,
 * linux_boot_test): mounts what it reads, prints one line the tests parse
 *
 *   @@hvm-guest: up cpus=N hypervisor=0|1 uptime=SECONDS
 *
 * and powers the machine off (ACPI S5: hvm-run exits 0), or reboots it
 * when the kernel command line has hvm_guest=reboot (the kernel hands it
 * to init's environment; hvm-run exits 3).  Kept static and small: the
 * initramfs holds this program and nothing else.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* CPUs in /sys/devices/system/cpu/online ("0-1", "0,2-3"...). */
static int online_cpus(void)
{
	char buf[256], *p;
	int n = 0, lo, hi, used;
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");

	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	for (p = buf; *p && *p != '\n'; p += used) {
		if (*p == ',') {
			used = 1;
			continue;
		}
		if (sscanf(p, "%d-%d%n", &lo, &hi, &used) == 2)
			n += hi - lo + 1;
		else if (sscanf(p, "%d%n", &lo, &used) == 1)
			n++;
		else
			break;
	}
	return n;
}

static int hypervisor_flag(void)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " hypervisor")) {
			found = 1;
			break;
		}
	fclose(f);
	return found;
}

int main(void)
{
	const char *action = getenv("hvm_guest");
	bool reboot_wanted = action && !strcmp(action, "reboot");
	char uptime[64] = "?";
	FILE *f;
	int fd;

	mkdir("/dev", 0755);
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	f = fopen("/proc/uptime", "r");
	if (f) {
		if (fscanf(f, "%63s", uptime) != 1)
			strcpy(uptime, "?");
		fclose(f);
	}
	printf("\n@@hvm-guest: up cpus=%d hypervisor=%d uptime=%s\n",
	       online_cpus(), hypervisor_flag(), uptime);
	fflush(stdout);
	/* tcdrain: the 8250 driver sends from a buffer under interrupts. */
	tcdrain(1);
	sync();
	reboot(reboot_wanted ? RB_AUTOBOOT : RB_POWER_OFF);
	return 1;
}
