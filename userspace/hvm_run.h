/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvm-run's parts that its hypervisor backends share: the options, the
 * exit statuses, the end of a run (finish()), the vCPU entry state and the
 * backend verbs.  hvm-run.c has the hvm backend (/dev/hvm, hvm-helper on
 * the ring), kvm_vm.c the KVM one (/dev/kvm, the board in this process).
 */
#ifndef HVM_RUN_H
#define HVM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "libhvm.h"
#include "virtio/virtio_net.h"

/* Exit statuses of our own; a guest's debug-exit code is passed through. */
#define STATUS_SETUP_ERROR	1
#define STATUS_GUEST_ERROR	2
/* Linux guests (--kernel): */
#define STATUS_REBOOT		3	/* the guest reset the machine */
#define STATUS_QUIT		4	/* Ctrl-A x on the console */
#define STATUS_HALTED		5	/* every vCPU halted, interrupts off */

#define MAX_DISKS		8
/* Network interfaces a VM may have (--net). */
#define HVM_RUN_MAX_NETS	4

enum cpu_mode { MODE_DEFAULT, MODE_REAL, MODE_PROT32, MODE_LONG64 };

struct run_backend;

struct options {
	const struct run_backend *backend;
	const char *guest_path;
	const char *helper_path;
	uint64_t mem_size;
	uint64_t load_addr;
	bool load_given;
	uint64_t entry;
	bool entry_given;
	enum cpu_mode mode;
	unsigned int nr_vcpus;
	bool hugetlb;
	bool verbose;
	bool mem_given;
	/* Linux guests */
	const char *kernel_path;
	const char *initrd_path;
	const char *cmdline;
	const char *append;
	bool reboot;
	bool stats;
	/* Both */
	const char *disks[MAX_DISKS];
	unsigned int nr_disks;
	/* Devices: each --net as hvm-helper gets it (with its MAC). */
	const char *name;
	unsigned int nr_nets;
	char nets[HVM_RUN_MAX_NETS][VIRTIO_NET_SPEC_LEN];
};

/* A vCPU's state before its first run. */
struct vcpu_entry {
	/* An application processor of a Linux guest: it waits for a SIPI. */
	bool wait_sipi;
	struct hvm_sregs sregs;
	struct hvm_regs regs;
};

/*
 * A hypervisor as hvm-run uses it: one VM at a time, its state private
 * to the backend.  Every verb but run_vcpu() and destroy() dies with a
 * message on failure.
 */
struct run_backend {
	const char *name;
	/*
	 * Opens the hypervisor and creates the VM with opts->mem_size bytes
	 * of guest RAM from gpa 0 (a memfd); returns the RAM's address.
	 * Returns NULL after printing why when the hypervisor is missing.
	 */
	void *(*create)(const struct options *opts);
	/* Whether the local APICs are in the kernel (Linux guests need it). */
	bool (*has_irqchip)(void);
	void (*create_vcpu)(unsigned int id);
	/* The guest's TSC rate in kHz, or <= 0 when unknown. */
	long (*tsc_khz)(void);
	void (*set_entry)(unsigned int id, const struct vcpu_entry *entry);
	/* Starts the device model (the console on stdin with console_input). */
	void (*start_devices)(const struct options *opts, bool console_input);
	/*
	 * A vCPU thread: runs the vCPU until finish() was called (a signal
	 * gets it out of the hypervisor) or it ends the run itself.
	 */
	void (*run_vcpu)(unsigned int id);
	/* After every vCPU thread returned: --stats, then everything goes. */
	void (*destroy)(const struct options *opts, double seconds);
};

extern const struct run_backend run_backend_hvm;
extern const struct run_backend run_backend_kvm;

void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);
/* Ends the run with status (the first caller wins) and a message. */
void __attribute__((format(printf, 2, 3)))
finish(int status, const char *fmt, ...);
/* Whether the run has ended: vCPU threads leave. */
bool run_done(void);
/* A stop code from a device (HVM_STOP_* or the debug-exit byte). */
void run_stop(uint64_t code);
/*
 * vCPU id halted where nothing can wake it; the run ends when every vCPU
 * did.  Returns false when the vCPU must not run again.
 */
bool run_vcpu_halted(unsigned int id, uint64_t rip);

#endif /* HVM_RUN_H */
