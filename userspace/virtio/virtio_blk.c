// SPDX-License-Identifier: GPL-2.0
/* virtio-blk requests on a raw image: see virtio_blk.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* fallocate() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "virtio_blk.h"

struct blk_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk_segment {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

/* Data moves through this much host memory at a time. */
#define BOUNCE_BYTES	(64 * 1024)

int virtio_blk_open(struct virtio_blk *blk, const char *path, bool read_only,
		    const char *serial)
{
	struct stat st;

	memset(blk, 0, sizeof(*blk));
	blk->fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0)
		return -errno;
	if (fstat(blk->fd, &st)) {
		int ret = -errno;

		close(blk->fd);
		return ret;
	}
	blk->read_only = read_only;
	blk->sectors = (uint64_t)st.st_size / VIRTIO_BLK_SECTOR;
	/* Up to 20 bytes, NUL-padded, not terminated when 20 (5.2.6). */
	if (serial)
		memcpy(blk->serial, serial,
		       strnlen(serial, sizeof(blk->serial)));
	return 0;
}

void virtio_blk_close(struct virtio_blk *blk)
{
	if (blk->fd >= 0)
		close(blk->fd);
	blk->fd = -1;
}

static bool in_range(const struct virtio_blk *blk, uint64_t sector,
		     uint64_t bytes)
{
	uint64_t n = bytes / VIRTIO_BLK_SECTOR;

	return !(bytes % VIRTIO_BLK_SECTOR) && sector <= blk->sectors &&
	       n <= blk->sectors - sector;
}

/* Moves len bytes between the image at off and the chain at chain_off. */
static int blk_transfer(struct virtio_blk *blk, const struct hvm_guest_ram *ram,
			const struct virtq_chain *c, uint64_t chain_off,
			uint64_t off, uint64_t len, bool to_guest)
{
	static __thread uint8_t bounce[BOUNCE_BYTES];
	ssize_t n;

	while (len) {
		size_t chunk = len < BOUNCE_BYTES ? len : BOUNCE_BYTES;

		if (to_guest) {
			n = pread(blk->fd, bounce, chunk, off);
			if (n != (ssize_t)chunk)
				return -EIO;
			if (virtq_chain_write(ram, c, chain_off, bounce, chunk))
				return -EIO;
		} else {
			if (virtq_chain_read(ram, c, chain_off, bounce, chunk))
				return -EIO;
			n = pwrite(blk->fd, bounce, chunk, off);
			if (n != (ssize_t)chunk)
				return -EIO;
		}
		off += chunk;
		chain_off += chunk;
		len -= chunk;
	}
	return 0;
}

static uint8_t blk_segments(struct virtio_blk *blk,
			    const struct hvm_guest_ram *ram,
			    const struct virtq_chain *c, uint32_t type)
{
	struct blk_segment seg[VIRTIO_BLK_MAX_SEGMENTS];
	uint64_t bytes = c->readable - sizeof(struct blk_header);
	unsigned int i, n = bytes / sizeof(seg[0]);
	int mode;

	if (bytes % sizeof(seg[0]) || !n || n > VIRTIO_BLK_MAX_SEGMENTS ||
	    virtq_chain_read(ram, c, sizeof(struct blk_header), seg, bytes))
		return VIRTIO_BLK_S_IOERR;
	if (blk->read_only)
		return VIRTIO_BLK_S_IOERR;
	for (i = 0; i < n; i++) {
		uint64_t len = (uint64_t)seg[i].num_sectors * VIRTIO_BLK_SECTOR;

		if (!in_range(blk, seg[i].sector, len) ||
		    seg[i].flags & ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_UNMAP ||
		    (type == VIRTIO_BLK_T_DISCARD && seg[i].flags))
			return VIRTIO_BLK_S_IOERR;
	}
	for (i = 0; i < n; i++) {
		uint64_t off = seg[i].sector * VIRTIO_BLK_SECTOR;
		uint64_t len = (uint64_t)seg[i].num_sectors * VIRTIO_BLK_SECTOR;

		/* Both leave zeroes behind; a hole frees the space too. */
		mode = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;
		if (type == VIRTIO_BLK_T_WRITE_ZEROES &&
		    !(seg[i].flags & VIRTIO_BLK_WRITE_ZEROES_UNMAP))
			mode = FALLOC_FL_KEEP_SIZE | FALLOC_FL_ZERO_RANGE;
		if (!len)
			continue;
		/* tmpfs and others have no ZERO_RANGE: a hole reads as zeroes. */
		if (fallocate(blk->fd, mode, off, len) &&
		    (errno != EOPNOTSUPP || !(mode & FALLOC_FL_ZERO_RANGE) ||
		     fallocate(blk->fd, FALLOC_FL_KEEP_SIZE |
			       FALLOC_FL_PUNCH_HOLE, off, len)))
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

int virtio_blk_request(struct virtio_blk *blk, const struct hvm_guest_ram *ram,
		       const struct virtq_chain *c)
{
	struct blk_header hdr;
	uint64_t data_in = c->writable ? c->writable - 1 : 0;
	uint64_t data_out;
	uint8_t status = VIRTIO_BLK_S_OK;
	uint32_t written = 1;

	if (c->readable < sizeof(hdr) || !c->writable ||
	    virtq_chain_read(ram, c, 0, &hdr, sizeof(hdr)))
		return -EPROTO;
	data_out = c->readable - sizeof(hdr);

	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		if (data_out || !in_range(blk, hdr.sector, data_in) ||
		    blk_transfer(blk, ram, c, 0, hdr.sector * VIRTIO_BLK_SECTOR,
				 data_in, true))
			status = VIRTIO_BLK_S_IOERR;
		else
			written += data_in;
		break;
	case VIRTIO_BLK_T_OUT:
		if (blk->read_only || data_in ||
		    !in_range(blk, hdr.sector, data_out) ||
		    blk_transfer(blk, ram, c, sizeof(hdr),
				 hdr.sector * VIRTIO_BLK_SECTOR, data_out,
				 false))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (fdatasync(blk->fd))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (data_in < VIRTIO_BLK_ID_BYTES ||
		    virtq_chain_write(ram, c, 0, blk->serial,
				      VIRTIO_BLK_ID_BYTES))
			status = VIRTIO_BLK_S_IOERR;
		else
			written += VIRTIO_BLK_ID_BYTES;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = blk_segments(blk, ram, c, hdr.type);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (virtq_chain_write(ram, c, c->writable - 1, &status, 1))
		return -EPROTO;
	return written;
}
