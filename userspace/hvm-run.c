// SPDX-License-Identifier: GPL-2.0
/*
 * hvm-run: run a guest image under hvm.  Loads a flat binary or an ELF
 * file into guest RAM, starts hvm-helper (the device model) on the VM's
 * I/O ring, runs every vCPU on its own thread and exits with the guest's
 * debug-exit code.  See usage() for the defaults.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "devices/devices.h"
#include "devices/pci.h"
#include "hvm_run.h"
#include "libhvm.h"
#include "linux_boot.h"

#define KIB			1024ULL
#define MIB			(1024 * KIB)
#define GIB			(1024 * MIB)
#define GUEST_PAGE		4096ULL

#define DEFAULT_MEM		(16 * MIB)
#define DEFAULT_LOAD_REAL	0x7c00ULL
#define DEFAULT_LOAD		0x100000ULL
/* long64 page tables: libhvm needs 6 pages. */
#define PAGE_TABLE_BYTES	(6 * GUEST_PAGE)
#define STACK_BYTES		(16 * KIB)
#define REAL_STACK_TOP		0x7c00ULL
#define REAL_STACK_BYTES	0x100ULL
#define REAL_MODE_LIMIT		0x10000ULL

#define DEFAULT_LINUX_MEM	(256 * MIB)
/* What keeps a Linux guest's exits low (linux-guest notes, testing.rst). */
/*
 * reboot=acpi: on a hardware-reduced ACPI platform Linux otherwise
 * reboots through EFI, then the BIOS (the reset vector, which hvm-run
 * also fills), never trying the FADT's reset register.
 */
#define LINUX_CMDLINE_BASE	"console=ttyS0 quiet tsc=reliable 8250.nr_uarts=1 io_delay=none no_timer_check panic=-1 reboot=acpi"
/* Without PCI devices the guest need not probe for them. */
#define LINUX_CMDLINE_NO_PCI	" pci=off"

static const char *const mode_names[] = {
	[MODE_DEFAULT] = "default",
	[MODE_REAL] = "real",
	[MODE_PROT32] = "prot32",
	[MODE_LONG64] = "long64",
};

/* One piece of the guest image: file bytes plus zero fill up to memsz. */
struct segment {
	uint64_t gpa;
	uint64_t memsz;
	const uint8_t *data;
	uint64_t filesz;
};

#define MAX_SEGMENTS	64

struct guest_image {
	uint8_t *file;
	size_t file_size;
	bool is_elf;
	enum cpu_mode elf_mode;
	uint64_t entry;
	unsigned int nr_segments;
	struct segment segments[MAX_SEGMENTS];
};

/* Where hvm-run puts the page tables and stacks for a mode. */
struct layout {
	enum cpu_mode mode;
	uint64_t reserved_start, reserved_end;
	uint64_t page_tables;		/* long64 only */
	uint64_t stack_top;		/* vCPU n: stack_top - n * stack_bytes */
	uint64_t stack_bytes;
};

struct vcpu_thread {
	const struct run_backend *backend;
	unsigned int id;
	pthread_t thread;
	bool started;
	atomic_bool exited;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_bool done;
	bool have_status;
	int status;
	char message[512];
	unsigned int nr_halted;
	unsigned int nr_vcpus;
	bool verbose;
	bool linux_guest;
	bool irqchip;
} run_state = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("hvm-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(STATUS_SETUP_ERROR);
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: hvm-run [options] GUEST\n"
"       hvm-run [options] --kernel FILE [--initrd FILE] [--cmdline STR]\n"
"\n"
"Run GUEST under hvm.  GUEST is an ELF file (ELF64 or ELF32: PT_LOAD\n"
"segments go to their physical addresses, execution starts at the entry\n"
"point) or else a flat binary (loaded at --load, started at its first\n"
"byte).  Guest RAM is one slot at guest-physical address 0, a memfd\n"
"that the device helper maps too.  The helper (hvm-helper, next to this\n"
"program) serves a 16550 UART on COM1, whose output appears on stdout,\n"
"and the debug-exit port 0xf4.\n"
"\n"
"Options:\n"
"  --mem SIZE       guest RAM, a multiple of 4K; suffixes K, M, G\n"
"                   (default 16M)\n"
"  --hugetlb        back guest RAM with 2 MiB hugetlb pages (--mem a\n"
"                   multiple of 2M; the host must have them reserved:\n"
"                   /proc/sys/vm/nr_hugepages)\n"
"  --mode MODE      real | prot32 | long64: the CPU mode at the entry.\n"
"                   Default: long64 for ELF64 and flat binaries, prot32\n"
"                   for ELF32\n"
"  --load ADDR      where a flat binary goes (default 0x7c00 in real\n"
"                   mode, 0x100000 otherwise)\n"
"  --entry ADDR     start address (default: ELF entry point, or --load)\n"
"  --vcpus N        number of vCPUs, 1-%u (default 1).  Every vCPU starts\n"
"                   at the entry with rdi = its number (0, 1, ...);\n"
"                   a Linux guest starts its other vCPUs by INIT/SIPI\n"
"  --cpus N         the same as --vcpus\n"
"\n"
"Linux guests (instead of GUEST):\n"
"  --kernel FILE    boot FILE, a bzImage or an uncompressed vmlinux, through\n"
"                   the x86 64-bit boot protocol with ACPI tables (MADT with\n"
"                   every vCPU) and the helper's PC devices (default --mem\n"
"                   256M; more than one vCPU needs the in-kernel APIC)\n"
"  --initrd FILE    initramfs for the kernel\n"
"  --cmdline STR    the kernel command line instead of the default:\n"
"                   " LINUX_CMDLINE_BASE "\n"
"                   plus tsc_early_khz=<the guest TSC's kHz>, plus\n"
"                   pci=off when there is no --disk or --net\n"
"  --append STR     add STR to the command line\n"
"  --reboot         a guest reboot restarts the guest instead of ending\n"
"  --stats          at the end print the VM's exits by kind and the ports\n"
"                   the guest used most (on stderr)\n"
"\n"
"Both:\n"
"  --disk FILE[,ro][,serial=SERIAL]\n"
"                   a virtio-blk disk (virtio-pci on the helper's PCI bus)\n"
"                   on FILE, a raw image; ro: read-only; the serial number\n"
"                   (/dev/disk/by-id/virtio-SERIAL) defaults to the file's\n"
"                   name.  Repeatable, up to %u; the guest's first is vda\n"
"  --net tap=NAME[,mac=MAC]\n"
"                   a virtio-net interface (virtio-pci) on the host's tap\n"
"                   NAME, created if missing (as root); repeatable, up to\n"
"                   %u.  Without mac= the MAC is made from --name (or the\n"
"                   tap's name) and the interface's index: locally\n"
"                   administered, the same every run\n"
"  --name NAME      the VM's name (generated MACs)\n"
"  --helper PATH    device helper to run (default: hvm-helper in the\n"
"                   directory of hvm-run)\n"
"  --backend NAME   hvm (default) or kvm: the same guest, RAM, devices\n"
"                   and exit statuses over /dev/kvm, the devices in\n"
"                   hvm-run itself (for comparing the two; no --reboot)\n"
"  --verbose        report unhandled exits and device accesses\n"
"  --help           this text\n"
"  --version        print the version of hvm-run and of the hvm API\n"
"\n"
"When standard input is a terminal it is COM1's input, in raw mode (Ctrl-C\n"
"goes to the guest); Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
"\n"
"Machine state at the entry, per mode:\n"
"  real    CS = DS = SS = 0, IP = entry (must be below 0x10000),\n"
"          SP = 0x7c00 - 256 * n for vCPU n\n"
"  prot32  flat 4 GiB segments, no paging; ESP = top of RAM (at most\n"
"          4 GiB) - 16K * n\n"
"  long64  identity-mapped first 4 GiB; the page tables and GDT take the\n"
"          top 24K of RAM below 4 GiB, RSP = just below them - 16K * n\n"
"The guest image must not overlap those stacks and tables.\n"
"\n"
"Exit status:\n"
"  V   the guest wrote V to port 0xf4 (low 8 bits)\n"
"  0   every vCPU executed HLT (there are no interrupts to wake it);\n"
"      a Linux guest powered off (ACPI S5)\n"
"  1   bad arguments or set-up failure (hvm-run prints why)\n"
"  2   the guest failed: triple fault, VM entry refused, an exit hvm\n"
"      does not handle, an undecodable MMIO instruction, or the device\n"
"      helper died (hvm-run prints one line with the details)\n"
"  3   a Linux guest reset the machine (reboot, without --reboot)\n"
"  4   Ctrl-A x on the console\n"
"  5   every vCPU of a Linux guest halted with interrupts off\n",
		HVM_MAX_VCPUS, MAX_DISKS, HVM_RUN_MAX_NETS);
}

/* ---- argument parsing ---------------------------------------------------- */

static bool parse_u64(const char *arg, uint64_t *value, char **rest)
{
	char *end;

	if (!*arg || *arg == '-' || *arg == '+')
		return false;
	errno = 0;
	*value = strtoull(arg, &end, 0);
	if (errno || end == arg)
		return false;
	*rest = end;
	return true;
}

static bool parse_size(const char *arg, uint64_t *size)
{
	uint64_t value, unit = 1;
	char *rest;

	if (!parse_u64(arg, &value, &rest))
		return false;
	switch (*rest) {
	case '\0':
		break;
	case 'k': case 'K':
		unit = KIB;
		rest++;
		break;
	case 'm': case 'M':
		unit = MIB;
		rest++;
		break;
	case 'g': case 'G':
		unit = GIB;
		rest++;
		break;
	default:
		return false;
	}
	if (*rest || value == 0 || value > HVM_MAX_GPA / unit)
		return false;
	*size = value * unit;
	return *size % GUEST_PAGE == 0;
}

static bool parse_addr(const char *arg, uint64_t *addr)
{
	char *rest;

	return parse_u64(arg, addr, &rest) && !*rest && *addr < HVM_MAX_GPA;
}

static void parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option options[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "mode", required_argument, NULL, 'M' },
		{ "load", required_argument, NULL, 'l' },
		{ "entry", required_argument, NULL, 'e' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'C' },
		{ "append", required_argument, NULL, 'A' },
		{ "reboot", no_argument, NULL, 'r' },
		{ "stats", no_argument, NULL, 'S' },
		{ "helper", required_argument, NULL, 'H' },
		{ "disk", required_argument, NULL, 'D' },
		{ "net", required_argument, NULL, 'n' },
		{ "name", required_argument, NULL, 'N' },
		{ "hugetlb", no_argument, NULL, 'g' },
		{ "backend", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct virtio_net_spec nets[HVM_RUN_MAX_NETS];
	uint64_t value;
	unsigned int i;
	char *rest;
	int opt;

	memset(opts, 0, sizeof(*opts));
	opts->mem_size = DEFAULT_MEM;
	opts->nr_vcpus = 1;
	opts->backend = &run_backend_hvm;

	/* Our own one-line messages instead of getopt's. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (!parse_size(optarg, &opts->mem_size))
				die("invalid memory size '%s' (a positive multiple of 4K, with an optional K, M or G suffix)",
				    optarg);
			opts->mem_given = true;
			break;
		case 'k':
			opts->kernel_path = optarg;
			break;
		case 'i':
			opts->initrd_path = optarg;
			break;
		case 'C':
			opts->cmdline = optarg;
			break;
		case 'A':
			opts->append = optarg;
			break;
		case 'r':
			opts->reboot = true;
			break;
		case 'S':
			opts->stats = true;
			break;
		case 'M':
			if (!strcmp(optarg, "real"))
				opts->mode = MODE_REAL;
			else if (!strcmp(optarg, "prot32"))
				opts->mode = MODE_PROT32;
			else if (!strcmp(optarg, "long64"))
				opts->mode = MODE_LONG64;
			else
				die("invalid mode '%s' (real, prot32 or long64)",
				    optarg);
			break;
		case 'l':
			if (!parse_addr(optarg, &opts->load_addr))
				die("invalid load address '%s'", optarg);
			opts->load_given = true;
			break;
		case 'e':
			if (!parse_addr(optarg, &opts->entry))
				die("invalid entry address '%s'", optarg);
			opts->entry_given = true;
			break;
		case 'c':
			if (!parse_u64(optarg, &value, &rest) || *rest ||
			    value < 1 || value > HVM_MAX_VCPUS)
				die("invalid vCPU count '%s' (1-%u)", optarg,
				    HVM_MAX_VCPUS);
			opts->nr_vcpus = (unsigned int)value;
			break;
		case 'H':
			opts->helper_path = optarg;
			break;
		case 'D':
			if (opts->nr_disks == MAX_DISKS)
				die("more than %u --disk", MAX_DISKS);
			opts->disks[opts->nr_disks++] = optarg;
			break;
		case 'n':
			if (opts->nr_nets == HVM_RUN_MAX_NETS)
				die("at most %u --net", HVM_RUN_MAX_NETS);
			if (virtio_net_parse_spec(optarg,
						  &nets[opts->nr_nets++]))
				die("invalid --net '%s' (tap=NAME[,mac=MAC], a unicast MAC)",
				    optarg);
			break;
		case 'N':
			if (!*optarg)
				die("--name needs a non-empty name");
			opts->name = optarg;
			break;
		case 'g':
			opts->hugetlb = true;
			break;
		case 'b':
			if (!strcmp(optarg, "hvm"))
				opts->backend = &run_backend_hvm;
			else if (!strcmp(optarg, "kvm"))
				opts->backend = &run_backend_kvm;
			else
				die("invalid backend '%s' (hvm or kvm)", optarg);
			break;
		case 'v':
			opts->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("hvm-run %s (hvm API version %d)\n", HVM_VERSION,
			       HVM_API_VERSION);
			exit(0);
		case ':':
			die("option '%s' needs a value (see --help)",
			    argv[optind - 1]);
		default:
			die("unknown option '%s' (see --help)",
			    argv[optind - 1]);
		}
	}
	if (opts->hugetlb && opts->mem_size % HVM_HUGE_PAGE_SIZE)
		die("--hugetlb needs --mem in whole 2 MiB pages, not %" PRIu64 " bytes",
		    opts->mem_size);
	for (i = 0; i < opts->nr_nets; i++) {
		if (!nets[i].mac_given)
			virtio_net_mac_from_name(opts->name ? opts->name :
						 nets[i].tap, i, nets[i].mac);
		virtio_net_format_spec(&nets[i], opts->nets[i],
				       sizeof(opts->nets[i]));
	}
	/* Guest RAM is one slot from 0: it must end below the PCI window. */
	if ((opts->nr_disks || opts->nr_nets) && opts->mem_size > PCI_MMIO_BASE)
		die("--disk and --net need --mem of at most %llu MiB (the PCI memory window starts at %#llx)",
		    PCI_MMIO_BASE >> 20, PCI_MMIO_BASE);
	if (opts->backend == &run_backend_kvm && opts->reboot)
		die("--reboot needs --backend hvm");
	if (opts->kernel_path) {
		if (optind != argc)
			die("--kernel boots a Linux kernel: no GUEST file too ('%s')",
			    argv[optind]);
		if (opts->mode != MODE_DEFAULT || opts->load_given ||
		    opts->entry_given)
			die("--mode, --load and --entry are for GUEST files, not --kernel");
		if (!opts->mem_given)
			opts->mem_size = DEFAULT_LINUX_MEM;
		if (opts->hugetlb && opts->mem_size % HVM_HUGE_PAGE_SIZE)
			die("--hugetlb needs --mem in whole 2 MiB pages");
		return;
	}
	if (opts->initrd_path || opts->cmdline || opts->append || opts->reboot)
		die("--initrd, --cmdline, --append and --reboot need --kernel");
	if (optind == argc)
		die("no guest file given (see --help)");
	if (optind + 1 != argc)
		die("one guest file only, got '%s' too (see --help)",
		    argv[optind + 1]);
	opts->guest_path = argv[optind];
}

/* ---- the guest image ----------------------------------------------------- */

static void read_guest(const char *path, uint64_t mem_size,
		       struct guest_image *img)
{
	struct stat st;
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open guest file '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		die("cannot stat guest file '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("guest file '%s' is not a regular file", path);
	if (st.st_size == 0)
		die("guest file '%s' is empty", path);
	/* An ELF file may be larger than what it loads; allow some slack. */
	if ((uint64_t)st.st_size > mem_size + 64 * MIB)
		die("guest '%s' (%lld bytes) does not fit in guest memory (%" PRIu64 " bytes)",
		    path, (long long)st.st_size, mem_size);

	img->file_size = st.st_size;
	img->file = malloc(img->file_size);
	if (!img->file)
		die("out of memory reading '%s'", path);
	while (done < img->file_size) {
		n = read(fd, img->file + done, img->file_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("cannot read guest file '%s': %s", path,
			    n < 0 ? strerror(errno) : "file shrank");
		done += n;
	}
	close(fd);
}

static void add_segment(struct guest_image *img, const char *path,
			uint64_t gpa, uint64_t memsz, uint64_t offset,
			uint64_t filesz)
{
	struct segment *seg;

	if (filesz > memsz || offset > img->file_size ||
	    filesz > img->file_size - offset)
		die("guest '%s': a PT_LOAD segment lies outside the file",
		    path);
	if (img->nr_segments == MAX_SEGMENTS)
		die("guest '%s': more than %d PT_LOAD segments", path,
		    MAX_SEGMENTS);
	seg = &img->segments[img->nr_segments++];
	seg->gpa = gpa;
	seg->memsz = memsz;
	seg->data = img->file + offset;
	seg->filesz = filesz;
}

/*
 * ELF32 and ELF64 headers differ in field widths only; read either into
 * 64-bit values.
 */
static void parse_elf(struct guest_image *img, const char *path)
{
	const unsigned char *ident = img->file;
	bool is64 = ident[EI_CLASS] == ELFCLASS64;
	uint64_t phoff, phentsize, phnum, i;
	uint16_t machine, type;

	if (img->file_size < EI_NIDENT ||
	    (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) ||
	    ident[EI_DATA] != ELFDATA2LSB)
		die("guest '%s': not a little-endian ELF32/ELF64 file", path);
	if (img->file_size < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		die("guest '%s': truncated ELF header", path);

	if (is64) {
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->file;

		machine = eh->e_machine;
		type = eh->e_type;
		img->entry = eh->e_entry;
		phoff = eh->e_phoff;
		phentsize = eh->e_phentsize;
		phnum = eh->e_phnum;
	} else {
		const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img->file;

		machine = eh->e_machine;
		type = eh->e_type;
		img->entry = eh->e_entry;
		phoff = eh->e_phoff;
		phentsize = eh->e_phentsize;
		phnum = eh->e_phnum;
	}
	if (machine != (is64 ? EM_X86_64 : EM_386))
		die("guest '%s': ELF file for machine %u, not x86", path,
		    machine);
	if (type != ET_EXEC)
		die("guest '%s': not an executable ELF file (type %u)", path,
		    type);
	if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) ||
	    phoff > img->file_size ||
	    phnum > (img->file_size - phoff) / phentsize)
		die("guest '%s': bad ELF program header table", path);

	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = img->file + phoff + i * phentsize;

		if (is64) {
			const Elf64_Phdr *p = (const Elf64_Phdr *)ph;

			if (p->p_type == PT_LOAD && p->p_memsz)
				add_segment(img, path, p->p_paddr, p->p_memsz,
					    p->p_offset, p->p_filesz);
		} else {
			const Elf32_Phdr *p = (const Elf32_Phdr *)ph;

			if (p->p_type == PT_LOAD && p->p_memsz)
				add_segment(img, path, p->p_paddr, p->p_memsz,
					    p->p_offset, p->p_filesz);
		}
	}
	if (!img->nr_segments)
		die("guest '%s': no PT_LOAD segment", path);
	img->is_elf = true;
	img->elf_mode = is64 ? MODE_LONG64 : MODE_PROT32;
}

static void load_image(struct options *opts, struct guest_image *img)
{
	read_guest(opts->guest_path, opts->mem_size, img);

	if (img->file_size >= SELFMAG && !memcmp(img->file, ELFMAG, SELFMAG)) {
		parse_elf(img, opts->guest_path);
		if (opts->load_given)
			die("--load is for flat binaries; '%s' is an ELF file",
			    opts->guest_path);
		if (opts->mode == MODE_DEFAULT)
			opts->mode = img->elf_mode;
	} else {
		if (opts->mode == MODE_DEFAULT)
			opts->mode = MODE_LONG64;
		if (!opts->load_given)
			opts->load_addr = opts->mode == MODE_REAL ?
					  DEFAULT_LOAD_REAL : DEFAULT_LOAD;
		img->entry = opts->load_addr;
		img->nr_segments = 1;
		img->segments[0] = (struct segment){
			.gpa = opts->load_addr,
			.memsz = img->file_size,
			.data = img->file,
			.filesz = img->file_size,
		};
	}
	if (opts->entry_given)
		img->entry = opts->entry;
}

static void plan_layout(const struct options *opts, struct layout *lay)
{
	uint64_t top = opts->mem_size < 4 * GIB ? opts->mem_size : 4 * GIB;
	uint64_t stacks;

	memset(lay, 0, sizeof(*lay));
	lay->mode = opts->mode;
	switch (opts->mode) {
	case MODE_REAL:
		lay->stack_top = REAL_STACK_TOP;
		lay->stack_bytes = REAL_STACK_BYTES;
		lay->reserved_end = REAL_STACK_TOP;
		break;
	case MODE_PROT32:
		lay->stack_top = top;
		lay->stack_bytes = STACK_BYTES;
		lay->reserved_end = top;
		break;
	default:
		if (top < PAGE_TABLE_BYTES)
			die("guest memory (%" PRIu64 " bytes) is too small for the long mode page tables",
			    opts->mem_size);
		lay->page_tables = top - PAGE_TABLE_BYTES;
		lay->stack_top = lay->page_tables;
		lay->stack_bytes = STACK_BYTES;
		lay->reserved_end = top;
		break;
	}
	stacks = lay->stack_bytes * opts->nr_vcpus;
	if (lay->stack_top < stacks || lay->reserved_end > opts->mem_size)
		die("guest memory (%" PRIu64 " bytes) is too small for %u vCPU stacks in %s mode",
		    opts->mem_size, opts->nr_vcpus, mode_names[opts->mode]);
	lay->reserved_start = lay->stack_top - stacks;
}

static void check_fit(const struct options *opts, const struct guest_image *img,
		      const struct layout *lay)
{
	const char *path = opts->guest_path;
	unsigned int i;

	for (i = 0; i < img->nr_segments; i++) {
		const struct segment *seg = &img->segments[i];

		if (seg->gpa >= opts->mem_size ||
		    seg->memsz > opts->mem_size - seg->gpa)
			die("guest '%s' does not fit in guest memory: it needs [%#" PRIx64 ", %#" PRIx64 ") but RAM is [0, %#" PRIx64 ") (--mem)",
			    path, seg->gpa, seg->gpa + seg->memsz,
			    opts->mem_size);
		if (seg->gpa < lay->reserved_end &&
		    seg->gpa + seg->memsz > lay->reserved_start)
			die("guest '%s' at [%#" PRIx64 ", %#" PRIx64 ") overlaps the stacks%s hvm-run puts at [%#" PRIx64 ", %#" PRIx64 ")",
			    path, seg->gpa, seg->gpa + seg->memsz,
			    lay->mode == MODE_LONG64 ? " and page tables" : "",
			    lay->reserved_start, lay->reserved_end);
	}
	if (lay->mode == MODE_REAL && img->entry >= REAL_MODE_LIMIT)
		die("entry point %#" PRIx64 " is not reachable in real mode (must be below 0x10000)",
		    img->entry);
	if (lay->mode != MODE_REAL && img->entry >= 4 * GIB)
		die("entry point %#" PRIx64 " is above 4 GiB", img->entry);
}

/* ---- running the vCPUs --------------------------------------------------- */

void finish(int status, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&run_state.lock);
	if (!run_state.have_status) {
		run_state.have_status = true;
		run_state.status = status;
		if (fmt) {
			va_start(ap, fmt);
			vsnprintf(run_state.message, sizeof(run_state.message),
				  fmt, ap);
			va_end(ap);
		}
	}
	atomic_store(&run_state.done, true);
	pthread_cond_broadcast(&run_state.cond);
	pthread_mutex_unlock(&run_state.lock);
}

bool run_done(void)
{
	return atomic_load(&run_state.done);
}

void run_stop(uint64_t code)
{
	switch (code) {
	case HVM_STOP_POWEROFF:
		finish(0, NULL);
		break;
	case HVM_STOP_RESET:
		finish(STATUS_REBOOT, NULL);
		break;
	case HVM_STOP_QUIT:
		finish(STATUS_QUIT, NULL);
		break;
	default:
		finish((int)(code & 0xff), NULL);
		break;
	}
}

bool run_vcpu_halted(unsigned int id, uint64_t rip)
{
	bool all_halted;

	/*
	 * Without the in-kernel APIC nothing would wake a halted Linux
	 * vCPU: run it on (a busy idle loop).  With it, HLT only comes here
	 * with interrupts off: halted for good.
	 */
	if (run_state.linux_guest && !run_state.irqchip)
		return true;
	if (run_state.verbose)
		fprintf(stderr, "hvm-run: vCPU %u halted at rip %#" PRIx64 "\n",
			id, rip);
	pthread_mutex_lock(&run_state.lock);
	all_halted = ++run_state.nr_halted == run_state.nr_vcpus;
	pthread_mutex_unlock(&run_state.lock);
	if (all_halted)
		finish(run_state.linux_guest ? STATUS_HALTED : 0,
		       run_state.linux_guest ?
		       "every vCPU halted with interrupts off" : NULL);
	return false;
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *t = arg;

	t->backend->run_vcpu(t->id);
	atomic_store(&t->exited, true);
	return NULL;
}

static void wake_signal(int sig)
{
	(void)sig;
}

/*
 * Get every vCPU thread out of the hypervisor: a signal makes its run
 * ioctl return.
 * It is resent, since one that lands between the done check and the ioctl
 * is lost.  Returns false if some thread would not stop.
 */
static bool stop_vcpu_threads(struct vcpu_thread *threads, unsigned int n)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	unsigned int i, running;
	int round;

	for (round = 0; round < 300; round++) {
		running = 0;
		for (i = 0; i < n; i++) {
			if (!threads[i].started || atomic_load(&threads[i].exited))
				continue;
			running++;
			pthread_kill(threads[i].thread, SIGUSR1);
		}
		if (!running)
			break;
		nanosleep(&tick, NULL);
	}
	if (round == 300)
		return false;
	for (i = 0; i < n; i++)
		if (threads[i].started)
			pthread_join(threads[i].thread, NULL);
	return true;
}

/* A test guest's vCPU id at the entry: every vCPU starts there. */
static void guest_entry(unsigned int id, const struct layout *lay,
			uint64_t entry, void *ram, struct vcpu_entry *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	switch (lay->mode) {
	case MODE_REAL:
		ret = hvm_entry_state_real(entry, &e->sregs, &e->regs);
		break;
	case MODE_PROT32:
		ret = hvm_entry_state_prot32(entry, &e->sregs, &e->regs);
		break;
	default:
		ret = hvm_entry_state_long64(entry, ram, 0, lay->page_tables,
					     &e->sregs, &e->regs);
		break;
	}
	if (ret)
		die("cannot set up vCPU %u in %s mode: %s", id,
		    mode_names[lay->mode], strerror(-ret));
	e->regs.rsp = lay->stack_top - (uint64_t)id * lay->stack_bytes;
	e->regs.rdi = id;
}

/* ---- the console terminal ------------------------------------------------ */

static struct termios saved_termios;
static volatile sig_atomic_t termios_saved;

static void restore_terminal(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

static void fatal_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * A Linux guest's console is interactive on a terminal: raw input (no
 * echo, no line editing, no signals: Ctrl-C goes to the guest), output
 * processing left as it is.  The terminal is restored on every way out:
 * return, exit() (die()), and the signals that end a process.
 */
static bool console_raw_mode(void)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGQUIT, SIGINT,
				    SIGABRT, SIGSEGV, SIGBUS, SIGPIPE };
	struct termios raw;
	unsigned int i;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios))
		return false;
	termios_saved = 1;
	atexit(restore_terminal);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], fatal_signal);
	raw = saved_termios;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
			 ICRNL | IXON);
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	return true;
}

/* ---- Linux guests --------------------------------------------------------- */

static char *linux_cmdline(const struct options *opts)
{
	static char line[LINUX_CMDLINE_MAX];
	long tsc_khz = opts->backend->tsc_khz();
	int n;

	if (opts->cmdline)
		n = snprintf(line, sizeof(line), "%s", opts->cmdline);
	else if (tsc_khz > 0)
		n = snprintf(line, sizeof(line), "%s tsc_early_khz=%ld",
			     LINUX_CMDLINE_BASE, tsc_khz);
	else
		n = snprintf(line, sizeof(line), "%s", LINUX_CMDLINE_BASE);
	if (n >= 0 && (size_t)n < sizeof(line) && !opts->cmdline &&
	    !opts->nr_disks && !opts->nr_nets)
		n += snprintf(line + n, sizeof(line) - n, "%s",
			      LINUX_CMDLINE_NO_PCI);
	if (n >= 0 && (size_t)n < sizeof(line) && opts->append)
		n += snprintf(line + n, sizeof(line) - n, " %s", opts->append);
	if (n < 0 || (size_t)n >= sizeof(line))
		die("the kernel command line is longer than %d bytes",
		    LINUX_CMDLINE_MAX - 1);
	return line;
}

/* The kernel and its tables in RAM; the vCPUs exist already. */
static void setup_linux(const struct options *opts, void *ram)
{
	const struct run_backend *be = opts->backend;
	struct linux_boot lb = {
		.kernel_path = opts->kernel_path,
		.initrd_path = opts->initrd_path,
		.nr_vcpus = opts->nr_vcpus,
		.mem_size = opts->mem_size,
	};
	struct vcpu_entry entry;
	char err[512];
	unsigned int i;

	if (opts->nr_vcpus > 1 && !run_state.irqchip)
		die("%u vCPUs need the in-kernel APIC (HVM_EXT_IRQCHIP), which this hvm.ko lacks: use --cpus 1",
		    opts->nr_vcpus);
	if (opts->mem_size > LINUX_IOAPIC_GPA)
		die("a Linux guest's RAM must end below %#llx (--mem)",
		    (unsigned long long)LINUX_IOAPIC_GPA);
	lb.cmdline = linux_cmdline(opts);
	if (linux_boot_load(&lb, ram, err, sizeof(err)))
		die("%s", err);
	if (run_state.verbose)
		fprintf(stderr, "hvm-run: %s at %#llx, entry %#llx, initrd %#llx+%#llx, command line: %s\n",
			lb.is_bzimage ? "bzImage" : "vmlinux",
			(unsigned long long)lb.kernel_start,
			(unsigned long long)lb.entry,
			(unsigned long long)lb.initrd_start,
			(unsigned long long)lb.initrd_size, lb.cmdline);
	memset(&entry, 0, sizeof(entry));
	linux_boot_entry_state(&lb, &entry.sregs, &entry.regs);
	be->set_entry(0, &entry);
	entry.wait_sipi = true;
	for (i = 1; i < opts->nr_vcpus; i++)
		be->set_entry(i, &entry);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One life of the VM, from creation to its end: the exit status. */
static int run_vm(struct options *opts, struct guest_image *img,
		  const struct layout *lay, bool console_input)
{
	static struct vcpu_thread threads[HVM_MAX_VCPUS];
	const struct run_backend *be = opts->backend;
	double started = now_seconds();
	struct vcpu_entry entry;
	unsigned int i;
	void *ram;
	int ret;

	memset(threads, 0, sizeof(threads));
	run_state.have_status = false;
	run_state.status = 0;
	run_state.message[0] = '\0';
	run_state.nr_halted = 0;
	atomic_store(&run_state.done, false);

	ram = be->create(opts);
	if (!ram)
		return STATUS_SETUP_ERROR;
	run_state.irqchip = be->has_irqchip();
	for (i = 0; i < opts->nr_vcpus; i++)
		be->create_vcpu(i);
	if (opts->kernel_path) {
		setup_linux(opts, ram);
	} else {
		for (i = 0; i < img->nr_segments; i++) {
			const struct segment *seg = &img->segments[i];

			memcpy((uint8_t *)ram + seg->gpa, seg->data,
			       seg->filesz);
		}
		for (i = 0; i < opts->nr_vcpus; i++) {
			guest_entry(i, lay, img->entry, ram, &entry);
			be->set_entry(i, &entry);
		}
	}
	be->start_devices(opts, console_input);

	pthread_mutex_lock(&run_state.lock);
	for (i = 0; i < opts->nr_vcpus; i++) {
		threads[i].backend = be;
		threads[i].id = i;
		ret = pthread_create(&threads[i].thread, NULL, vcpu_main,
				     &threads[i]);
		if (ret) {
			pthread_mutex_unlock(&run_state.lock);
			finish(STATUS_SETUP_ERROR,
			       "cannot start a thread for vCPU %u: %s", i,
			       strerror(ret));
			pthread_mutex_lock(&run_state.lock);
			break;
		}
		threads[i].started = true;
	}
	while (!run_state.have_status)
		pthread_cond_wait(&run_state.cond, &run_state.lock);
	pthread_mutex_unlock(&run_state.lock);

	if (stop_vcpu_threads(threads, opts->nr_vcpus)) {
		be->destroy(opts, now_seconds() - started);
	} else {
		fprintf(stderr, "hvm-run: a vCPU thread does not leave its hypervisor's run call\n");
		if (run_state.message[0])
			fprintf(stderr, "hvm-run: %s\n", run_state.message);
		restore_terminal();
		_exit(run_state.status ? run_state.status : STATUS_GUEST_ERROR);
	}

	if (run_state.message[0])
		fprintf(stderr, "hvm-run: %s\n", run_state.message);
	return run_state.status;
}

int main(int argc, char **argv)
{
	struct guest_image img;
	struct sigaction sa;
	struct options opts;
	struct layout lay;
	bool console_input = false;
	int status;

	parse_options(argc, argv, &opts);
	memset(&img, 0, sizeof(img));
	memset(&lay, 0, sizeof(lay));
	if (!opts.kernel_path) {
		load_image(&opts, &img);
		plan_layout(&opts, &lay);
		check_fit(&opts, &img, &lay);
	}
	run_state.nr_vcpus = opts.nr_vcpus;
	run_state.verbose = opts.verbose;
	run_state.linux_guest = opts.kernel_path != NULL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	console_input = console_raw_mode();

	do {
		status = run_vm(&opts, &img, &lay, console_input);
	} while (opts.reboot && status == STATUS_REBOOT);
	free(img.file);
	restore_terminal();
	return status;
}
