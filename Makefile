# SPDX-License-Identifier: GPL-2.0
#
# hvm top-level build.  `make` builds the module, the userspace programs and
# the selftests; `make check` and `make demo` run them in the nested lab
# (selftests/lab/, Documentation/testing.rst); `make lint` runs checkpatch,
# sparse and a W=1 build.  `make help` lists the targets.

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

# Lab inputs; override them to run the lab on other artefacts
# (e.g. `make lab-check HVM_KO=/tmp/x/hvm.ko LAB_ROOT=/tmp/x/root`).
# `make check` runs every vendor's lab unless VENDOR names one.
CHECK_VENDOR := $(if $(filter command line environment,$(origin VENDOR)),$(VENDOR),all)
VENDOR ?= svm
HVM_KO ?= $(CURDIR)/module/hvm.ko
LAB_ROOT ?= $(BUILD)/lab-root
# The demo, run with the staging dir (/hvm in the lab) as the current
# directory and its bin/ first on PATH.
DEMO_CMD ?= hvm-run --mem 16M guests/demo.bin
HOST ?= 0

export KVER KDIR BUILD VENDOR HVM_KO LAB_ROOT DEMO_CMD

LAB := selftests/lab

.PHONY: all deps deps-lab deps-lint deps-debug module userspace selftests \
	clean check check-debug demo lab-check lab-demo lint help bench \
	lab-bench

all: module userspace selftests

deps:
	@bash $(LAB)/install-deps.sh build

deps-lab:
	@bash $(LAB)/install-deps.sh lab-$(VENDOR)

deps-lint:
	@bash $(LAB)/install-deps.sh lint

deps-debug:
	@bash $(LAB)/install-deps.sh debug

module: deps
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace: deps
	$(MAKE) -C userspace

selftests: deps userspace
	$(MAKE) -C selftests

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
demo: deps module userspace
	@bash $(LAB)/host-demo.sh
else
demo: deps-lab all
	@bash $(LAB)/lab.sh demo
endif

lab-demo: deps-lab
	@bash $(LAB)/lab.sh demo

lint: deps-lint
	@bash $(LAB)/lint.sh

help:
	@echo 'make                 build module/hvm.ko, userspace/ and selftests/'
	@echo 'make check           build, run every selftest in the SVM (QEMU) and VMX'
	@echo '                     (Bochs) labs; VENDOR=svm or vmx for one'
	@echo 'make check-debug     the same under a KASAN/lockdep/UBSAN/kmemleak kernel'
	@echo '                     (kernel built once into ~/.cache/hvm: 15 min idle),'
	@echo '                     in both labs (Bochs: about 30 min); VENDOR= for one'
	@echo 'make check KVER=6.12 build for and boot another Debian kernel series'
	@echo 'make demo            build, run $$DEMO_CMD in the lab (HOST=1: on this host)'
	@echo 'make lint            checkpatch --strict, sparse and W=1 on module/ and uapi/'
	@echo 'make bench           hvm against KVM in both labs, build/bench/results.json'
	@echo '                     (VENDOR= for one lab, HVM_KO= for another module)'
	@echo 'make lab-check       the lab run of `check` alone (HVM_KO=, LAB_ROOT= to override)'
	@echo 'make lab-demo        the lab run of `demo` alone'
	@echo 'make lab-bench       the lab runs of `bench` alone'
	@echo 'make deps            install missing build packages (deps-lab, deps-lint,'
	@echo '                     deps-debug)'
	@echo 'make clean           remove build products and build/'

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C userspace clean
	-$(MAKE) -C selftests clean
	rm -rf $(BUILD)
