// SPDX-License-Identifier: GPL-2.0
/*
 * Linux guests on the network: hvm-run --net tap=NAME,mac=MAC gives
 * Debian's kernel a virtio-net interface (virtio-pci in the helper) on a
 * tap of the lab, which sits on a bridge the test makes.  The guest's
 * initramfs (selftests/lab/linux-net-guest) loads Debian's virtio_net,
 * sets eth0's address from the command line, runs one job and powers off.
 *
 * ping_host: bridge hvmbr0 (10.77.0.1/24) with the persistent tap
 *   hvmtap0 on it; the guest (10.77.0.2) comes up with the MAC --net gave
 *   it and pings the lab host three times; hvm-run ends with status 0.
 *
 * The lab host needs tun and bridge: the test loads them (shipped beside
 * it, like KVM's modules).  SVM lab only for now; SKIP without the
 * in-kernel APIC, without the guest files, or when the helper has no
 * virtio-net (hvm-run --help does not list --net).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

#define GUEST_KERNEL	"../guests/linux/vmlinuz"
#define GUEST_INITRD	"../guests/linux-net/initramfs.cpio.gz"
#define BRIDGE		"hvmbr0"
#define HOST_IP		"10.77.0.1"
#define TAP		"hvmtap0"
#define BOOT_TIMEOUT	600

static const struct kmod net_modules[] = {
	{ "tun", "drivers/net", true },
	{ "llc", "net/llc", true },
	{ "stp", "net/802", true },
	{ "bridge", "net/bridge", true },
};

static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (sock < 0)
		return -errno;
	ret = ioctl(sock, req, ifr) ? -errno : 0;
	close(sock);
	return ret;
}

static int if_set_up(const char *name)
{
	struct ifreq ifr;
	int ret;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ret = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (ret)
		return ret;
	ifr.ifr_flags |= IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

static int if_set_addr(const char *name, const char *ip, const char *mask)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	int ret;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	ret = if_ioctl(SIOCSIFADDR, &ifr);
	if (ret)
		return ret;
	inet_pton(AF_INET, mask, &sin->sin_addr);
	return if_ioctl(SIOCSIFNETMASK, &ifr);
}

/* A bridge with an address, up: 0 or -errno. */
static int bridge_create(const char *name, const char *ip)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (sock < 0)
		return -errno;
	ret = ioctl(sock, SIOCBRADDBR, name) && errno != EEXIST ? -errno : 0;
	close(sock);
	if (!ret)
		ret = if_set_addr(name, ip, "255.255.255.0");
	return ret ? ret : if_set_up(name);
}

static void bridge_delete(const char *name)
{
	struct ifreq ifr;
	int sock;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (!if_ioctl(SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags &= ~IFF_UP;
		if_ioctl(SIOCSIFFLAGS, &ifr);
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock >= 0) {
		ioctl(sock, SIOCBRDELBR, name);
		close(sock);
	}
}

/* A tap that outlives its fd (hvm-helper opens it again), on bridge. */
static int tap_create(const char *name, const char *bridge, bool persist)
{
	struct ifreq ifr;
	int fd, ret = 0;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETPERSIST, persist))
		ret = -errno;
	close(fd);
	if (ret || !persist)
		return ret;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, bridge, IFNAMSIZ - 1);
	ifr.ifr_ifindex = if_nametoindex(name);
	ret = if_ioctl(SIOCBRADDIF, &ifr);
	return ret ? ret : if_set_up(name);
}

FIXTURE(net) {
	struct cmd_result r;
	bool made;
};

FIXTURE_SETUP(net)
{
	char *help[] = { "hvm-run", "--help", NULL };
	struct hvm_vm_handle vm;
	unsigned int i;
	long irqchip;
	int ret;

	if (!cpu_is_amd())
		SKIP(return, "SVM lab only (the Bochs lab's time goes elsewhere)");
	if (access(GUEST_KERNEL, R_OK) || access(GUEST_INITRD, R_OK))
		SKIP(return, "the network guest was not built");
	ASSERT_EQ(0, run_cmd(help, 30, &self->r));
	if (!strstr(self->r.out, "--net"))
		SKIP(return, "hvm-run has no --net");
	ASSERT_EQ(0, hvm_vm_create(&vm));
	irqchip = hvm_vm_check_extension(&vm, HVM_EXT_IRQCHIP);
	hvm_vm_close(&vm);
	if (irqchip <= 0)
		SKIP(return, "no in-kernel APIC: a Linux guest has no timer");
	for (i = 0; i < ARRAY_SIZE(net_modules); i++) {
		ret = kmod_load(&net_modules[i]);
		ASSERT_TRUE(ret == 0 || ret == -EEXIST)
			TH_LOG("loading %s: %s", net_modules[i].name,
			       strerror(-ret));
	}
	self->made = true;
	ASSERT_EQ(0, bridge_create(BRIDGE, HOST_IP));
	ASSERT_EQ(0, tap_create(TAP, BRIDGE, true));
}

FIXTURE_TEARDOWN(net)
{
	if (!self->made)
		return;
	tap_create(TAP, BRIDGE, false);
	bridge_delete(BRIDGE);
}

TEST_F_TIMEOUT(net, ping_host, BOOT_TIMEOUT + 60)
{
	char *argv[] = {
		"hvm-run", "--kernel", GUEST_KERNEL, "--initrd", GUEST_INITRD,
		"--mem", "128M", "--net", "tap=" TAP ",mac=02:00:00:77:00:02",
		"--append", "hvm_ip=10.77.0.2/24 hvm_net=ping:" HOST_IP, NULL,
	};
	double start = now_seconds();

	ASSERT_EQ(0, run_cmd(argv, BOOT_TIMEOUT, &self->r));
	TH_LOG("guest run: %.1f s, status %d", now_seconds() - start,
	       self->r.status);
	EXPECT_FALSE(self->r.timed_out);
	EXPECT_NE(NULL, strstr(self->r.out, "@@hvm-net: up 02:00:00:77:00:02"))
		TH_LOG("guest output:\n%s\nhvm-run:\n%s", self->r.out,
		       self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "@@hvm-net: ping ok " HOST_IP))
		TH_LOG("guest output:\n%s", self->r.out);
	EXPECT_EQ(0, self->r.status) TH_LOG("hvm-run:\n%s", self->r.err);
}

TEST_HARNESS_MAIN
