// SPDX-License-Identifier: GPL-2.0
/*
 * hvm-stat: what the VMs on this host are doing, like kvm_stat.
 *
 * It finds the VMs the way a user would list them: every /proc/PID/fd
 * link that reads "anon_inode:hvm-vm" is a VM fd.  It copies that fd with
 * pidfd_getfd(2) (the rights of ptrace: root, or the VM's own user where
 * ptrace allows it) and asks it for a statistics fd, so nothing beyond
 * the documented stats fd is needed in the kernel.  Rates are the
 * difference of two samples over the interval.
 *
 * Exit status: 0 success, 1 a VM's statistics could not be read,
 * 2 usage error, 3 no VM found (--once).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "hvm_stats.h"

#define MAX_VMS			256

enum { EXIT_OK = 0, EXIT_READ = 1, EXIT_USAGE = 2, EXIT_NO_VM = 3 };

struct vm_entry {
	pid_t pid;
	int fd;			/* the VM fd's number in its process */
	char comm[32];
	struct hvm_stats st;
	uint64_t *prev;		/* values of the previous sample */
	bool seen;		/* found again by this scan */
};

static struct vm_entry vms[MAX_VMS];
static unsigned int nr_vms;
static volatile sig_atomic_t stop;

static struct {
	double interval;
	bool once, json, all;
	pid_t pid;		/* 0: every process */
} opt = { .interval = 1.0 };

static void usage(FILE *f)
{
	fprintf(f,
"Usage: hvm-stat [OPTIONS]\n"
"Shows the counters of every hvm VM on this host and their rates.\n"
"\n"
"  -1, --once         sample twice, INTERVAL apart, print once and exit\n"
"  -j, --json         print JSON (one object per sample) instead of a table\n"
"  -i, --interval S   seconds between samples (default 1, >= 0.01)\n"
"  -p, --pid PID      only the VMs of process PID\n"
"  -a, --all          show counters that are zero too\n"
"  -h, --help         this text\n"
"  -V, --version      version\n"
"\n"
"Without --once it refreshes the table every INTERVAL until interrupted.\n"
"Needs the right to ptrace the VMs' processes (root sees every VM).\n"
"\n"
"Exit status: 0 success, 1 a VM's statistics could not be read,\n"
"2 usage error, 3 no VM found (with --once).\n");
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int get_vm_stats_fd(pid_t pid, int fd)
{
	int pidfd, vmfd, sfd, err;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	vmfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	err = errno;
	close(pidfd);
	if (vmfd < 0)
		return -err;
	sfd = ioctl(vmfd, HVM_GET_STATS_FD, 0);
	err = errno;
	/* A copy of the VM fd: closing it does not close the VM. */
	close(vmfd);
	return sfd < 0 ? -err : sfd;
}

static void read_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static struct vm_entry *find_vm(pid_t pid, int fd)
{
	unsigned int i;

	for (i = 0; i < nr_vms; i++)
		if (vms[i].pid == pid && vms[i].fd == fd)
			return &vms[i];
	return NULL;
}

static void add_vm(pid_t pid, int fd)
{
	struct vm_entry *vm = find_vm(pid, fd);
	int sfd;

	if (vm) {
		vm->seen = true;
		return;
	}
	if (nr_vms == MAX_VMS)
		return;
	sfd = get_vm_stats_fd(pid, fd);
	if (sfd < 0)
		return;		/* gone meanwhile, or not ours to see */
	vm = &vms[nr_vms];
	memset(vm, 0, sizeof(*vm));
	if (hvm_stats_open(sfd, &vm->st))
		return;
	vm->prev = calloc(vm->st.hdr.data_size / sizeof(uint64_t),
			  sizeof(uint64_t));
	if (!vm->prev) {
		hvm_stats_close(&vm->st);
		return;
	}
	/* The first sample: rates start from here. */
	hvm_stats_read(&vm->st);
	vm->pid = pid;
	vm->fd = fd;
	vm->seen = true;
	read_comm(pid, vm->comm, sizeof(vm->comm));
	nr_vms++;
}

static void scan_pid(pid_t pid)
{
	char path[64], link[64];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char lpath[PATH_MAX];
		ssize_t n;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(lpath, sizeof(lpath), "%s/%s", path, de->d_name);
		n = readlink(lpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:hvm-vm"))
			add_vm(pid, atoi(de->d_name));
	}
	closedir(dir);
}

/* Finds VMs; forgets those whose fd is gone. */
static void scan(void)
{
	struct dirent *de;
	unsigned int i, j;
	DIR *proc;

	for (i = 0; i < nr_vms; i++)
		vms[i].seen = false;
	if (opt.pid) {
		scan_pid(opt.pid);
	} else {
		proc = opendir("/proc");
		if (proc) {
			while ((de = readdir(proc)))
				if (isdigit((unsigned char)de->d_name[0]) &&
				    atoi(de->d_name) != getpid())
					scan_pid(atoi(de->d_name));
			closedir(proc);
		}
	}
	/* The stats fd keeps a closed VM readable: drop it here. */
	for (i = j = 0; i < nr_vms; i++) {
		if (!vms[i].seen) {
			hvm_stats_close(&vms[i].st);
			free(vms[i].prev);
			continue;
		}
		vms[j++] = vms[i];
	}
	nr_vms = j;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_for(double seconds)
{
	struct timespec ts = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (time_t)seconds) * 1e9),
	};

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* New samples; 0, or the number of VMs that could not be read. */
static int sample_all(bool keep_prev)
{
	unsigned int i;
	int failed = 0;

	for (i = 0; i < nr_vms; i++) {
		struct vm_entry *vm = &vms[i];

		if (keep_prev)
			memcpy(vm->prev, vm->st.values, vm->st.hdr.data_size);
		if (hvm_stats_read(&vm->st))
			failed++;
	}
	return failed;
}

static uint64_t value_at(const struct vm_entry *vm, const uint64_t *values,
			 unsigned int i)
{
	return values[vm->st.desc[i].offset / sizeof(uint64_t)];
}

/* Per second; a level (instant) has no rate. */
static bool rate_of(const struct vm_entry *vm, unsigned int i, double dt,
		    double *rate)
{
	if ((vm->st.desc[i].flags & HVM_STATS_TYPE_MASK) !=
	    HVM_STATS_TYPE_CUMULATIVE || dt <= 0)
		return false;
	*rate = (double)(value_at(vm, vm->st.values, i) -
			 value_at(vm, vm->prev, i)) / dt;
	return true;
}

static bool known_desc(const struct hvm_stats_desc *d)
{
	unsigned int type = d->flags & HVM_STATS_TYPE_MASK;
	unsigned int unit = d->flags & HVM_STATS_UNIT_MASK;

	return d->size == 1 && type <= HVM_STATS_TYPE_INSTANT &&
	       unit <= HVM_STATS_UNIT_PAGES;
}

static const char *unit_name(uint32_t flags)
{
	switch (flags & HVM_STATS_UNIT_MASK) {
	case HVM_STATS_UNIT_NANOSECONDS:
		return "ns";
	case HVM_STATS_UNIT_PAGES:
		return "pages";
	default:
		return "";
	}
}

static void print_table(double dt)
{
	unsigned int v, i;

	for (v = 0; v < nr_vms; v++) {
		struct vm_entry *vm = &vms[v];

		printf("VM %s  pid %d (%s)  fd %d\n", vm->st.id, (int)vm->pid,
		       vm->comm, vm->fd);
		printf("  %-24s %20s %14s\n", "counter", "total", "per second");
		for (i = 0; i < vm->st.hdr.num_desc; i++) {
			const struct hvm_stats_desc *d = &vm->st.desc[i];
			uint64_t total = value_at(vm, vm->st.values, i);
			char rate_buf[32] = "";
			double rate;

			if (!known_desc(d) || (!total && !opt.all))
				continue;
			if (rate_of(vm, i, dt, &rate))
				snprintf(rate_buf, sizeof(rate_buf), "%.1f",
					 rate);
			printf("  %-24s %20llu %14s %s\n", d->name,
			       (unsigned long long)total, rate_buf,
			       unit_name(d->flags));
		}
		printf("\n");
	}
	if (!nr_vms)
		printf("no hvm VM found\n");
}

static void print_json(double dt)
{
	unsigned int v, i;

	printf("{\"version\": 1, \"interval\": %.3f, \"vms\": [", dt);
	for (v = 0; v < nr_vms; v++) {
		struct vm_entry *vm = &vms[v];
		bool first = true;

		printf("%s\n  {\"id\": \"%s\", \"pid\": %d, \"fd\": %d, \"comm\": \"",
		       v ? "," : "", vm->st.id, (int)vm->pid, vm->fd);
		/* comm is the process's to choose: escape what JSON needs. */
		for (i = 0; vm->comm[i]; i++) {
			unsigned char c = (unsigned char)vm->comm[i];

			if (c == '"' || c == '\\')
				printf("\\%c", c);
			else if (c < 0x20)
				printf("\\u%04x", c);
			else
				putchar(c);
		}
		printf("\",\n   \"counters\": {");
		for (i = 0; i < vm->st.hdr.num_desc; i++) {
			const struct hvm_stats_desc *d = &vm->st.desc[i];
			double rate;

			if (!known_desc(d))
				continue;
			printf("%s\n    \"%s\": {\"total\": %llu", first ? "" : ",",
			       d->name,
			       (unsigned long long)value_at(vm, vm->st.values, i));
			if (rate_of(vm, i, dt, &rate))
				printf(", \"rate\": %.3f", rate);
			if (*unit_name(d->flags))
				printf(", \"unit\": \"%s\"", unit_name(d->flags));
			printf("}");
			first = false;
		}
		printf("}}");
	}
	printf("]}\n");
}

static int parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(EXIT_OK);
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("hvm-stat %s (stats format %d)\n",
			       HVM_VERSION, HVM_STATS_VERSION);
			exit(EXIT_OK);
		} else if (!strcmp(a, "-1") || !strcmp(a, "--once")) {
			opt.once = true;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			opt.json = true;
		} else if (!strcmp(a, "-a") || !strcmp(a, "--all")) {
			opt.all = true;
		} else if (!strcmp(a, "-i") || !strcmp(a, "--interval")) {
			if (++i == argc)
				goto missing;
			errno = 0;
			opt.interval = strtod(argv[i], &end);
			if (errno || *end || end == argv[i] ||
			    !(opt.interval >= 0.01 && opt.interval <= 3600)) {
				fprintf(stderr, "hvm-stat: bad interval '%s' (see --help)\n",
					argv[i]);
				return -1;
			}
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pid")) {
			long pid;

			if (++i == argc)
				goto missing;
			errno = 0;
			pid = strtol(argv[i], &end, 10);
			if (errno || *end || end == argv[i] || pid <= 0 ||
			    pid > INT_MAX) {
				fprintf(stderr, "hvm-stat: bad pid '%s' (see --help)\n",
					argv[i]);
				return -1;
			}
			opt.pid = (pid_t)pid;
		} else {
			fprintf(stderr, "hvm-stat: unknown option '%s' (see --help)\n",
				a);
			return -1;
		}
	}
	return 0;
missing:
	fprintf(stderr, "hvm-stat: option '%s' needs a value (see --help)\n",
		argv[i - 1]);
	return -1;
}

int main(int argc, char **argv)
{
	bool tty = isatty(STDOUT_FILENO);
	struct sigaction sa = { .sa_handler = on_signal };
	double t0, t1;
	int failed;

	if (parse_args(argc, argv))
		return EXIT_USAGE;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	scan();
	if (opt.once && !nr_vms) {
		fprintf(stderr, "hvm-stat: no hvm VM found%s\n",
			geteuid() ? " (not root: only VMs you may ptrace)" : "");
		return EXIT_NO_VM;
	}
	failed = 0;
	t0 = now();
	while (!stop) {
		sleep_for(opt.interval);
		if (stop && !opt.once)
			break;
		failed = sample_all(true);
		t1 = now();
		if (!opt.json && tty && !opt.once)
			printf("\033[H\033[2J");
		if (opt.json)
			print_json(t1 - t0);
		else
			print_table(t1 - t0);
		fflush(stdout);
		t0 = t1;
		if (opt.once)
			break;
		scan();
	}
	return failed ? EXIT_READ : EXIT_OK;
}
