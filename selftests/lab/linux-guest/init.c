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
 * initramfs holds this program and the modules of a virtio-blk root.
 *
 * With hvm_root=DEVICE (virtio_blk_test) it loads the modules listed in
 * /modules/order (Debian's virtio_pci, virtio_blk, ext4 and what they
 * need), mounts DEVICE (ext4) as the new root, read-write or else
 * read-only, and runs /sbin/init there: this same program, as "disk".
 * Before, it prints each virtio disk it has (vda, vdb, ...) as it sees
 * it (the serial number through GET_ID, the read-only flag):
 *
 *   @@hvm-guest: disk vda serial=SERIAL ro=0|1
 *
 * That one writes hvm_token's value into /written.txt, syncs, trims the
 * file system (FITRIM: the disk's DISCARD) and prints
 *
 *   @@hvm-guest: disk write=ok|ERRNO-NAME
 *   @@hvm-guest: trim=ok|ERRNO-NAME bytes=N
 *
 * before it powers off.  With hvm_disk=writer it prints
 *
 *   @@hvm-guest: flushed
 *
 * once the token is in /flushed.txt and fsync()ed, then writes to
 * /junk.bin without end, for the host to kill the helper mid-write.
 *
 * With hvm_disk_bench=DEVICE (by hand, testing.rst) it loads the modules,
 * reads DEVICE from start to end and writes it back in 1 MiB O_DIRECT
 * requests, fsync()s, and prints the rates:
 *
 *   @@hvm-guest: disk-bench bytes=N read_mib_s=R write_mib_s=W
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
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

static void power_off(bool reboot_wanted)
{
	fflush(stdout);
	/* tcdrain: the 8250 driver sends from a buffer under interrupts. */
	tcdrain(1);
	sync();
	reboot(reboot_wanted ? RB_AUTOBOOT : RB_POWER_OFF);
}

static void load_modules(void)
{
	char name[256], path[300];
	FILE *order = fopen("/modules/order", "r");
	int fd;

	if (!order) {
		printf("@@hvm-guest: no /modules/order\n");
		return;
	}
	while (fgets(name, sizeof(name), order)) {
		name[strcspn(name, "\n")] = '\0';
		snprintf(path, sizeof(path), "/modules/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
			printf("@@hvm-guest: module %s: %s\n", name,
			       strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	fclose(order);
}

/* The first line of a sysfs file, or "?". */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "?");
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static void list_disks(void)
{
	char path[64], serial[64], ro[8];
	char name[] = "vda";

	for (; name[2] <= 'h'; name[2]++) {
		snprintf(path, sizeof(path), "/sys/block/%s/serial", name);
		if (access(path, F_OK))
			continue;
		read_line(path, serial, sizeof(serial));
		snprintf(path, sizeof(path), "/sys/block/%s/ro", name);
		read_line(path, ro, sizeof(ro));
		printf("@@hvm-guest: disk %s serial=%s ro=%s\n", name, serial,
		       ro);
	}
}

/* Mounts dev as the root and runs its /sbin/init; returns on failure. */
static void switch_to_disk(const char *dev)
{
	unsigned int tries;

	load_modules();
	/* The disk appears once virtio_blk has probed it. */
	for (tries = 0; access(dev, F_OK) && tries < 500; tries++)
		usleep(10000);
	list_disks();
	mkdir("/newroot", 0755);
	if (mount(dev, "/newroot", "ext4", 0, NULL) &&
	    mount(dev, "/newroot", "ext4", MS_RDONLY, NULL)) {
		printf("@@hvm-guest: cannot mount %s: %s\n", dev,
		       strerror(errno));
		return;
	}
	if (chdir("/newroot") || mount(".", "/", NULL, MS_MOVE, NULL) ||
	    chroot(".") || chdir("/")) {
		printf("@@hvm-guest: cannot switch to %s: %s\n", dev,
		       strerror(errno));
		return;
	}
	fflush(stdout);
	execl("/sbin/init", "init", "disk", (char *)NULL);
	printf("@@hvm-guest: cannot run /sbin/init on %s: %s\n", dev,
	       strerror(errno));
}

/* On the disk root: leave the token there for the host to read. */
static void write_token(const char *file)
{
	const char *token = getenv("hvm_token");
	int fd, err = 0;

	if (!token)
		token = "none";
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, token, strlen(token)) != (ssize_t)strlen(token) ||
	    fsync(fd))
		err = errno;
	if (fd >= 0)
		close(fd);
	sync();
	printf("\n@@hvm-guest: disk write=%s\n",
	       err ? strerrorname_np(err) : "ok");
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void disk_bench(const char *dev)
{
	static char buf[1 << 20] __attribute__((aligned(4096)));
	double start, read_s, write_s;
	unsigned int tries;
	long long total = 0;
	ssize_t n;
	int fd;

	load_modules();
	for (tries = 0; access(dev, F_OK) && tries < 500; tries++)
		usleep(10000);
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		printf("@@hvm-guest: disk-bench %s: %s\n", dev, strerror(errno));
		return;
	}
	start = seconds();
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	read_s = seconds() - start;
	lseek(fd, 0, SEEK_SET);
	start = seconds();
	while (lseek(fd, 0, SEEK_CUR) < total &&
	       write(fd, buf, sizeof(buf)) == sizeof(buf))
		;
	fsync(fd);
	write_s = seconds() - start;
	close(fd);
	printf("\n@@hvm-guest: disk-bench bytes=%lld read_mib_s=%.1f write_mib_s=%.1f\n",
	       total, total / 1048576.0 / read_s, total / 1048576.0 / write_s);
}

/* FITRIM on the root: the disk's DISCARD, end to end. */
static void trim_root(void)
{
	struct fstrim_range range = { .len = UINT64_MAX };
	int fd = open("/", O_RDONLY | O_DIRECTORY), err = 0;

	if (fd < 0 || ioctl(fd, FITRIM, &range))
		err = errno;
	if (fd >= 0)
		close(fd);
	printf("@@hvm-guest: trim=%s bytes=%llu\n",
	       err ? strerrorname_np(err) : "ok",
	       err ? 0ULL : (unsigned long long)range.len);
}

/* Never returns: writes and fsync()s until the machine goes away. */
static void write_forever(void)
{
	static char chunk[65536];
	unsigned int n = 0;
	int fd = open("/junk.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	memset(chunk, 0x5a, sizeof(chunk));
	for (;;) {
		if (fd < 0 || write(fd, chunk, sizeof(chunk)) != sizeof(chunk))
			lseek(fd, 0, SEEK_SET);
		if (++n % 16 == 0)
			fsync(fd);
	}
}

int main(int argc, char **argv)
{
	const char *action = getenv("hvm_guest");
	const char *root = getenv("hvm_root");
	bool reboot_wanted = action && !strcmp(action, "reboot");
	bool on_disk = argc > 1 && !strcmp(argv[1], "disk");
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
	if (on_disk) {
		const char *mode = getenv("hvm_disk");

		if (mode && !strcmp(mode, "writer")) {
			write_token("/flushed.txt");
			printf("@@hvm-guest: flushed\n");
			fflush(stdout);
			tcdrain(1);
			write_forever();
		}
		write_token("/written.txt");
		trim_root();
		power_off(false);
		return 1;
	}
	printf("\n@@hvm-guest: up cpus=%d hypervisor=%d uptime=%s\n",
	       online_cpus(), hypervisor_flag(), uptime);
	if (getenv("hvm_disk_bench"))
		disk_bench(getenv("hvm_disk_bench"));
	if (root) {
		fflush(stdout);
		switch_to_disk(root);
	}
	power_off(reboot_wanted);
	return 1;
}
