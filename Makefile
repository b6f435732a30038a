# SPDX-License-Identifier: GPL-2.0
#
# hvm top-level build.  `make` builds the module, the userspace programs and
# the selftests; `make check` and `make demo` run them in the nested lab
# (selftests/lab/, Documentation/testing.rst); `make lint` runs checkpatch,
# sparse and a W=1 build; `make install` installs on this host (README.md,
# "Install").  `make help` lists the targets.

# Kernel to build against: Debian's linux-headers-amd64 (6.1) by default.
# Recursively expanded on purpose: on a fresh machine the headers appear only
# after `deps` has run, and every later use looks again.
KVER ?= $(shell ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n1 | sed 's|.*/linux-headers-||')
# A series (`make check KVER=6.12`) means its newest Debian release: the
# installed one, else the newest apt offers (deps then installs it).
ifneq ($(shell echo '$(KVER)' | grep -Ex '[0-9]+\.[0-9]+'),)
override KVER := $(shell bash selftests/lab/install-deps.sh release $(KVER))
endif
KDIR ?= /usr/src/linux-headers-$(KVER)
BUILD := $(CURDIR)/build
HVM_TOP := $(CURDIR)
include userspace/version.mk

# `make install` / `make uninstall`.  The module goes to
# /lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/module/hvm.ko (kbuild's default
# directory for external modules is extra/ on 6.1 and updates/ on 6.12:
# one name for both; depmod prefers updates/ over the kernel's own), the
# rest under PREFIX.  DESTDIR stages everything into a directory instead
# and skips what changes the running system (depmod, ldconfig, the group).
DESTDIR ?=
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
UDEVRULESDIR ?= /lib/udev/rules.d
DKMS_SRCDIR ?= /usr/src/hvm-$(HVM_VERSION)
INSTALL_MOD_DIR ?= updates
# Manual pages: Documentation/man/NAME.SECTION.rst becomes NAME.SECTION.
MAN_PAGES := $(patsubst Documentation/man/%.rst,$(BUILD)/man/%,\
	$(wildcard Documentation/man/*.rst))
# The module sources DKMS builds from: what kbuild reads, nothing else.
DKMS_SOURCES := Kbuild module/Kbuild uapi/linux/hvm.h \
	$(filter-out %.mod.c,$(wildcard module/*.[chS] module/*/*.[chS]))

# Lab inputs; override them to run the lab on other artefacts
# (e.g. `make lab-check HVM_KO=/tmp/x/hvm.ko LAB_ROOT=/tmp/x/root`).
# `make check` runs every vendor's lab unless VENDOR names one.
CHECK_VENDOR := $(if $(filter command line environment,$(origin VENDOR)),$(VENDOR),all)
VENDOR ?= svm
HVM_KO ?= $(CURDIR)/module/hvm.ko
LAB_ROOT ?= $(BUILD)/lab-root
# The demo, run with the staging dir (/hvm in the lab) as the current
# directory and its bin/ first on PATH: Debian's kernel as a 2-vCPU guest
# with the lab's Linux guest initramfs (make linux-guest), its console on
# the terminal.  DEMO_CMD='hvm-run --mem 16M guests/demo.bin' runs the
# small demo guest instead.
DEMO_CMD ?= hvm-run --kernel guests/linux/vmlinuz --initrd guests/linux/initramfs.cpio.gz --cpus 2
HOST ?= 0

export KVER KDIR BUILD VENDOR HVM_KO LAB_ROOT DEMO_CMD

LAB := selftests/lab

.PHONY: all deps deps-lab deps-lint deps-debug deps-install deps-package \
	module userspace selftests man clean check check-debug demo lab-check \
	lab-demo lint help bench lab-bench install uninstall install-module \
	linux-guest \
	uninstall-module install-tools uninstall-tools install-dkms \
	uninstall-dkms

all: module userspace selftests

deps:
	@bash $(LAB)/install-deps.sh build

deps-lab:
	@bash $(LAB)/install-deps.sh lab-$(VENDOR)

deps-lint:
	@bash $(LAB)/install-deps.sh lint

deps-debug:
	@bash $(LAB)/install-deps.sh debug

deps-install:
	@bash $(LAB)/install-deps.sh install

deps-package:
	@bash $(LAB)/install-deps.sh package

module: deps
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace: deps
	$(MAKE) -C userspace

selftests: deps userspace
	$(MAKE) -C selftests

# The Linux guest of the demo and linux_boot_test: Debian's kernel for
# KVER and a tiny initramfs, in build/lab-root/guests/linux/.
linux-guest: deps
	$(MAKE) -C selftests linux-guest

# Build everything, run every selftest in the lab, judge the KTAP output.
# A failed build still ends with the summary line that CI looks for.
check: deps-lab
	@$(MAKE) --no-print-directory all || \
		{ echo 'not ok - build: make all failed'; echo '0 passed, 1 failed'; exit 1; }
	@VENDOR=$(CHECK_VENDOR) bash $(LAB)/check.sh

# The selftests again, under a kernel built with KASAN, lockdep, UBSAN,
# kmemleak and friends (built once, cached in ~/.cache/hvm; see
# Documentation/testing.rst), in the QEMU SVM lab and then in the Bochs VMX
# lab (VENDOR=svm or vmx for one).  hvm.ko is rebuilt for that kernel in
# build/debug/; module/hvm.ko is left alone.
check-debug: deps-debug
	@$(MAKE) --no-print-directory userspace selftests || \
		{ echo 'not ok - build: make userspace selftests failed'; echo '0 passed, 1 failed'; exit 1; }
	@VENDOR=$(CHECK_VENDOR) bash $(LAB)/debug-lab.sh

# hvm against KVM in each lab (VENDOR=svm or vmx for one): results in
# build/bench/results.json, the tables printed (Documentation/
# performance.rst).  HVM_KO= measures another module, BENCH_ARGS= passes
# options to hvm-bench.
bench: deps-lab
	@$(MAKE) --no-print-directory all
	@VENDOR=$(CHECK_VENDOR) bash $(LAB)/bench.sh

lab-bench: deps-lab
	@VENDOR=$(CHECK_VENDOR) bash $(LAB)/bench.sh

# The same lab, without building first: for artefacts built elsewhere.
lab-check: deps-lab
	@bash $(LAB)/lab.sh check

ifeq ($(HOST),1)
demo: deps module userspace linux-guest
	@bash $(LAB)/host-demo.sh
else
demo: deps-lab all
	@bash $(LAB)/lab.sh demo
endif

lab-demo: deps-lab
	@bash $(LAB)/lab.sh demo

lint: deps-lint
	@bash $(LAB)/lint.sh

# ---- installing on a host ---------------------------------------------------
#
# The install-* parts install nothing missing from Debian and build only
# what they install: debian/rules calls them (with LINK=shared) inside a
# package build, where apt is not ours to run.

man: $(MAN_PAGES)

# --halt=warning: a markup slip fails the build instead of reaching the page.
$(BUILD)/man/%: Documentation/man/%.rst userspace/version.mk
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(HVM_VERSION)/' $< | \
		rst2man --halt=warning --no-generator >$@.tmp
	mv $@.tmp $@

install: deps-install
	@$(MAKE) --no-print-directory install-module install-tools

uninstall: uninstall-module uninstall-tools

# Debian's kernels sign every module at build time (MODULE_SIG_ALL) with a
# key their headers do not ship: modules_install would try and only print
# errors.  hvm.ko is installed unsigned (DKMS signs with its own key).
install-module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) CONFIG_MODULE_SIG_ALL= \
		modules_install
	$(if $(DESTDIR),,depmod -a $(KVER))

# Every compression modules_install may have used for this kernel.
uninstall-module:
	rm -f $(foreach c,ko ko.gz ko.xz ko.zst,\
		$(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/module/hvm.$(c))
	-rmdir $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/module
	$(if $(DESTDIR),,depmod -a $(KVER))

# The programs, the library and headers (userspace/Makefile), the manual
# pages, the udev rule and its group.
install-tools: man
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	install -d $(DESTDIR)$(UDEVRULESDIR)
	install -m 644 userspace/60-hvm.rules $(DESTDIR)$(UDEVRULESDIR)/
	set -e; for page in $(MAN_PAGES); do \
		section=$${page##*.}; \
		install -d $(DESTDIR)$(MANDIR)/man$$section; \
		install -m 644 $$page $(DESTDIR)$(MANDIR)/man$$section/; \
	done
	$(if $(DESTDIR),,getent group hvm >/dev/null || groupadd --system hvm)

# The group stays: files and users outside hvm may name it.
uninstall-tools:
	$(MAKE) -C userspace uninstall DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-hvm.rules
	rm -f $(foreach p,$(notdir $(MAN_PAGES)),\
		$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(p))

# The module's sources and dkms.conf in /usr/src/hvm-VERSION for
# `dkms install hvm/VERSION` (hvm-dkms ships the same tree).
install-dkms:
	install -d $(DESTDIR)$(DKMS_SRCDIR)
	set -e; for f in $(DKMS_SOURCES); do \
		install -D -m 644 $$f $(DESTDIR)$(DKMS_SRCDIR)/$$f; \
	done
	sed 's/#MODULE_VERSION#/$(HVM_VERSION)/' userspace/dkms.conf \
		>$(DESTDIR)$(DKMS_SRCDIR)/dkms.conf

uninstall-dkms:
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)

help:
	@echo 'make                 build module/hvm.ko, userspace/ and selftests/'
	@echo 'make check           build, run every selftest in the SVM (QEMU) and VMX'
	@echo '                     (Bochs) labs; VENDOR=svm or vmx for one'
	@echo 'make check-debug     the same under a KASAN/lockdep/UBSAN/kmemleak kernel'
	@echo '                     (kernel built once into ~/.cache/hvm: 15 min idle),'
	@echo '                     in both labs (Bochs: about 30 min); VENDOR= for one'
	@echo 'make check KVER=6.12 build for and boot another Debian kernel series'
	@echo 'make demo            build, run $$DEMO_CMD in the lab (HOST=1: on this host)'
	@echo 'make linux-guest     the Linux guest (kernel + initramfs) of the demo'
	@echo 'make lint            checkpatch --strict, sparse and W=1 on module/ and uapi/'
	@echo 'make bench           hvm against KVM in both labs, build/bench/results.json'
	@echo '                     (VENDOR= for one lab, HVM_KO= for another module)'
	@echo 'make lab-check       the lab run of `check` alone (HVM_KO=, LAB_ROOT= to override)'
	@echo 'make lab-demo        the lab run of `demo` alone'
	@echo 'make lab-bench       the lab runs of `bench` alone'
	@echo 'make deps            install missing build packages (deps-lab, deps-lint,'
	@echo '                     deps-debug, deps-install, deps-package)'
	@echo 'make install         build, install hvm.ko (modules_install, depmod), the'
	@echo '                     programs, libhvm, headers, libhvm.pc, man pages, the udev'
	@echo '                     rule and the hvm group; DESTDIR=, PREFIX= (/usr/local)'
	@echo 'make uninstall       remove what make install installed (not the group)'
	@echo 'make install-dkms    the module sources and dkms.conf into $(DKMS_SRCDIR)'
	@echo 'make man             the manual pages into build/man/'
	@echo 'make clean           remove build products and build/'

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C userspace clean
	-$(MAKE) -C selftests clean
	rm -rf $(BUILD)
