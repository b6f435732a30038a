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
 *   it and pings the lab host; hvm-run ends with status 0.
 *
 * two_guests: guests A (10.77.0.2) and B (10.77.0.3) on hvmbr0 ping the
 *   lab host and each other and move 64 MiB of random bytes each way:
 *   what one sent (its SHA-256) is what the other received.  Guest C
 *   (10.77.0.4 and 10.78.0.4) on another bridge, hvmbr1 (10.78.0.1/24),
 *   reaches the lab host there but neither A nor B, on their subnet, while
 *   both are up.  The guests wait for the test at TCP ports of the lab
 *   host (their "hold" jobs): A and B tell it they are up (5998), C pings
 *   them only then (5997), A and B power off only after C is done (5999).
 *   All three run at once (256, 256 and 128 MiB), about 95 s in the SVM
 *   lab: the test's lab limit is 300 s (TEST_TIMEOUTS in the Makefile).
 *
 * Neither case runs under the debug kernel (make check-debug): it is built
 * without INET and TUN (selftests/lab/debug-kernel.config), and
 * virtio_blk_test's root_on_disk takes the same hvm.ko paths (MSI from
 * the helper, notify writes, a Linux guest's exits) there.
 *
 * The lab host needs tun and bridge: the test loads them (shipped beside
 * it, like KVM's modules).  SVM lab only for now; SKIP without the
 * in-kernel APIC, without the guest files, or when the helper has no
 * virtio-net (hvm-run --help does not list --net).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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
#include "kmem_check.h"

#define GUEST_KERNEL	"../guests/linux/vmlinuz"
#define GUEST_INITRD	"../guests/linux-net/initramfs.cpio.gz"
#define BRIDGE		"hvmbr0"
#define HOST_IP		"10.77.0.1"
#define TAP		"hvmtap0"
#define BRIDGE2		"hvmbr1"
#define HOST_IP2	"10.78.0.1"
#define NR_TAPS		3
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

static const char *const taps[NR_TAPS] = { "hvmtap0", "hvmtap1", "hvmtap2" };

FIXTURE_SETUP(net)
{
	char *help[] = { "hvm-run", "--help", NULL };
	struct hvm_vm_handle vm;
	unsigned int i;
	long irqchip;
	int ret;

	if (!cpu_is_amd())
		SKIP(return, "SVM lab only (the Bochs lab's time goes elsewhere)");
	if (kmem_debug_kernel())
		SKIP(return, "debug kernel: built without INET and TUN");
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
	unsigned int i;

	if (!self->made)
		return;
	for (i = 0; i < NR_TAPS; i++)
		tap_create(taps[i], BRIDGE, false);
	bridge_delete(BRIDGE);
	bridge_delete(BRIDGE2);
}

TEST_F_TIMEOUT(net, ping_host, BOOT_TIMEOUT + 60)
{
	char *argv[] = {
		"hvm-run", "--kernel", GUEST_KERNEL, "--initrd", GUEST_INITRD,
		"--mem", "128M", "--net", "tap=" TAP ",mac=02:00:00:77:00:02",
		"--append", "hvm_ip=10.77.0.2/24 hvm_net=ping:" HOST_IP, NULL,
	};
	double start = now_seconds();

	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
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

/* One guest of two_guests, run by a thread of its own. */
struct guest {
	const char *tap, *mac, *append, *mem;
	pthread_t thread;
	int ret;
	bool done;		/* atomic */
	struct cmd_result r;
};

static void *guest_thread(void *arg)
{
	struct guest *g = arg;
	char net[64];
	char *argv[] = {
		"hvm-run", "--kernel", GUEST_KERNEL, "--initrd", GUEST_INITRD,
		"--mem", (char *)g->mem, "--net", net,
		"--append", (char *)g->append, NULL,
	};

	snprintf(net, sizeof(net), "tap=%s,mac=%s", g->tap, g->mac);
	g->ret = run_cmd(argv, BOOT_TIMEOUT, &g->r);
	__atomic_store_n(&g->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* A TCP listener on every address of the lab host: fd or -errno. */
static int listen_on(unsigned int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(port),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 8)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * Accepts (and closes) connections on fd until want came or, with want 0,
 * until every guest in gs[0..n) is done; false when the time ran out.
 */
static bool accept_until(int fd, unsigned int want, struct guest *gs,
			 unsigned int n, double deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned int got = 0, i, done;
	int c;

	while (now_seconds() < deadline) {
		if (poll(&pfd, 1, 500) == 1) {
			c = accept(fd, NULL, NULL);
			if (c >= 0) {
				close(c);
				got++;
			}
		}
		if (want && got == want)
			return true;
		for (i = 0, done = 0; i < n; i++)
			done += __atomic_load_n(&gs[i].done, __ATOMIC_ACQUIRE);
		if (done == n)
			return !want;
	}
	return false;
}

/* The value after "@@hvm-net: WHAT " in out (64 hex digits), or "". */
static void reported_sum(const char *out, const char *what, char sum[65])
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "@@hvm-net: %s ", what);
	sum[0] = '\0';
	p = strstr(out, key);
	if (p && sscanf(p + strlen(key), "%64[0-9a-f]", sum) != 1)
		sum[0] = '\0';
}

/* The guest's report lines (with its uptime): where the time went. */
static void log_reports(struct __test_metadata *_metadata,
			const struct guest *g)
{
	const char *p = g->r.out, *end;

	while ((p = strstr(p, "@@hvm-net: "))) {
		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		TH_LOG("%s: %.*s", g->tap, (int)(end - p), p);
		p = end;
	}
}

static void expect_line(struct __test_metadata *_metadata,
			const struct guest *g, const char *line)
{
	EXPECT_NE(NULL, strstr(g->r.out, line))
		TH_LOG("guest on %s: no '%s'; output:\n%s\nhvm-run:\n%s",
		       g->tap, line, g->r.out, g->r.err);
}

TEST_F_TIMEOUT(net, two_guests, 3 * BOOT_TIMEOUT)
{
	static struct guest gs[NR_TAPS] = {
		{ .tap = "hvmtap0", .mac = "02:00:00:77:00:02", .mem = "256M",
		  .append = "hvm_ip=10.77.0.2/24 hvm_net=hold:10.77.0.1:5998,"
			    "ping:10.77.0.1,ping:10.77.0.3,xfer:10.77.0.3,"
			    "hold:10.77.0.1:5999" },
		{ .tap = "hvmtap1", .mac = "02:00:00:77:00:03", .mem = "256M",
		  .append = "hvm_ip=10.77.0.3/24 hvm_net=hold:10.77.0.1:5998,"
			    "ping:10.77.0.1,ping:10.77.0.2,xfer:10.77.0.2,"
			    "hold:10.77.0.1:5999" },
		{ .tap = "hvmtap2", .mac = "02:00:00:78:00:04", .mem = "128M",
		  .append = "hvm_ip=10.77.0.4/24 hvm_ip2=10.78.0.4/24 "
			    "hvm_net=ping:10.78.0.1,hold:10.78.0.1:5997,"
			    "noping:10.77.0.2,noping:10.77.0.3" },
	};
	double start = now_seconds(), deadline = start + 2 * BOOT_TIMEOUT;
	char sent[2][65], received[2][65];
	int up, c_gate, release;
	unsigned int i;

	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;

	ASSERT_EQ(0, tap_create(taps[1], BRIDGE, true));
	ASSERT_EQ(0, bridge_create(BRIDGE2, HOST_IP2));
	ASSERT_EQ(0, tap_create(taps[2], BRIDGE2, true));
	up = listen_on(5998);
	c_gate = listen_on(5997);
	release = listen_on(5999);
	ASSERT_LE(0, up);
	ASSERT_LE(0, c_gate);
	ASSERT_LE(0, release);
	/* Listening from the start: only accepting releases a guest. */
	for (i = 0; i < NR_TAPS; i++)
		ASSERT_EQ(0, pthread_create(&gs[i].thread, NULL, guest_thread,
					    &gs[i]));
	/* Progress on the console: the lab stops a test that is silent. */
	EXPECT_TRUE(accept_until(up, 2, gs, 2, deadline))
		TH_LOG("A and B did not both come up");
	TH_LOG("A and B up: %.1f s", now_seconds() - start);
	close(up);
	EXPECT_TRUE(accept_until(c_gate, 1, &gs[2], 1, deadline))
		TH_LOG("C did not reach the lab host");
	close(c_gate);
	pthread_join(gs[2].thread, NULL);
	TH_LOG("C done: %.1f s", now_seconds() - start);
	EXPECT_TRUE(accept_until(release, 0, gs, 2, deadline));
	close(release);
	for (i = 0; i < 2; i++)
		pthread_join(gs[i].thread, NULL);
	TH_LOG("three guests: %.1f s", now_seconds() - start);
	for (i = 0; i < NR_TAPS; i++)
		log_reports(_metadata, &gs[i]);

	for (i = 0; i < NR_TAPS; i++) {
		EXPECT_EQ(0, gs[i].ret);
		EXPECT_FALSE(gs[i].r.timed_out);
		EXPECT_EQ(0, gs[i].r.status)
			TH_LOG("guest on %s:\n%s\nhvm-run:\n%s", gs[i].tap,
			       gs[i].r.out, gs[i].r.err);
	}
	expect_line(_metadata, &gs[0], "@@hvm-net: up 02:00:00:77:00:02");
	expect_line(_metadata, &gs[0], "@@hvm-net: ping ok 10.77.0.1");
	expect_line(_metadata, &gs[0], "@@hvm-net: ping ok 10.77.0.3");
	expect_line(_metadata, &gs[1], "@@hvm-net: ping ok 10.77.0.1");
	expect_line(_metadata, &gs[1], "@@hvm-net: ping ok 10.77.0.2");
	expect_line(_metadata, &gs[2], "@@hvm-net: ping ok 10.78.0.1");
	expect_line(_metadata, &gs[2], "@@hvm-net: unreachable ok 10.77.0.2");
	expect_line(_metadata, &gs[2], "@@hvm-net: unreachable ok 10.77.0.3");
	for (i = 0; i < 2; i++) {
		reported_sum(gs[i].r.out, "sent", sent[i]);
		reported_sum(gs[i].r.out, "received", received[i]);
		EXPECT_EQ(64U, strlen(sent[i]))
			TH_LOG("guest on %s:\n%s", gs[i].tap, gs[i].r.out);
	}
	EXPECT_STREQ(sent[0], received[1]);
	EXPECT_STREQ(sent[1], received[0]);
	/* The data differ (random): a transfer of nothing would match too. */
	EXPECT_STRNE(sent[0], sent[1]);
}

TEST_HARNESS_MAIN
