# SPDX-License-Identifier: GPL-2.0
#
# hvm top-level build.  `make` builds the module, the userspace programs and
# the selftests; `make demo` and `make check` run them in the nested lab
# (selftests/lab/).  See README.md.

# Kernel to build against: Debian's linux-headers-amd64 (6.1) by default.
KVER ?= $(shell ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n1 | sed 's|.*/linux-headers-||')
KDIR ?= /usr/src/linux-headers-$(KVER)
BUILD := $(CURDIR)/build

export KVER KDIR BUILD

.PHONY: all deps module userspace selftests clean

all: module userspace selftests

deps:
	@bash selftests/lab/install-deps.sh build

module: deps
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace: deps
	$(MAKE) -C userspace

selftests: deps userspace
	$(MAKE) -C selftests

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C userspace clean
	-$(MAKE) -C selftests clean
	rm -rf $(BUILD)
