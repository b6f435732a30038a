// SPDX-License-Identifier: GPL-2.0
/*
 * hvm-run's and hvm-helper's --net option and MAC addresses: see
 * virtio_net.h.  Apart from the device so that hvm-run links only this.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "virtio_net.h"

void virtio_net_mac_from_name(const char *name, unsigned int index,
			      uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	const char *p;
	unsigned int i;

	for (p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h = (h ^ index) * 0x100000001b3ULL;
	for (i = 0; i < 6; i++)
		mac[i] = h >> (8 * i);
	/* Locally administered, unicast. */
	mac[0] = (mac[0] & ~1) | 2;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int virtio_net_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int i;
	int hi, lo;

	for (i = 0; i < 6; i++, s += 3) {
		hi = hex_digit(s[0]);
		lo = hi < 0 ? -1 : hex_digit(s[1]);
		if (lo < 0 || s[2] != (i < 5 ? ':' : '\0'))
			return -EINVAL;
		mac[i] = hi << 4 | lo;
	}
	if (mac[0] & 1 || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -EINVAL;
	return 0;
}

int virtio_net_parse_spec(const char *arg, struct virtio_net_spec *spec)
{
	const char *p = arg, *end;
	size_t len;

	memset(spec, 0, sizeof(*spec));
	while (*p) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > 4 && !strncmp(p, "tap=", 4) && !spec->tap[0] &&
		    len - 4 < sizeof(spec->tap)) {
			memcpy(spec->tap, p + 4, len - 4);
		} else if (len == 21 && !strncmp(p, "mac=", 4) &&
			   !spec->mac_given) {
			char mac[18];

			memcpy(mac, p + 4, 17);
			mac[17] = '\0';
			if (virtio_net_parse_mac(mac, spec->mac))
				return -EINVAL;
			spec->mac_given = true;
		} else {
			return -EINVAL;
		}
		p += len;
		if (*p && !*++p)
			return -EINVAL;		/* a trailing comma */
	}
	/* A name the kernel takes: no '/', no whitespace, not "." or "..". */
	if (!spec->tap[0] || strpbrk(spec->tap, "/ \t\n:") ||
	    !strcmp(spec->tap, ".") || !strcmp(spec->tap, ".."))
		return -EINVAL;
	return 0;
}

void virtio_net_format_spec(const struct virtio_net_spec *spec, char *buf,
			    size_t len)
{
	const uint8_t *m = spec->mac;

	snprintf(buf, len, "tap=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x",
		 spec->tap, m[0], m[1], m[2], m[3], m[4], m[5]);
}
