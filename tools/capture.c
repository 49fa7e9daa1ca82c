/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a capture for `flowtwin verify`: every packet's bytes and the
 * port it arrived on. A classic pcap file is read with libpcap; a pcapng
 * file is walked here, because libpcap does not say which interface a
 * packet was captured on, and that is the port: interface id N (the Nth
 * Interface Description Block of the section) is port N. Enhanced and
 * Simple Packet Blocks are read (a Simple one belongs to interface 0);
 * other blocks are skipped. Every length is checked against the file.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define SHB_TYPE 0x0a0d0d0aU
#define IDB_TYPE 1U
#define SPB_TYPE 3U
#define EPB_TYPE 6U
#define BYTE_ORDER_MAGIC 0x1a2b3c4dU

static int
push(struct capture *c, uint32_t port, const uint8_t *data, uint32_t len)
{
	struct capture_pkt *p;

	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 256;

		if ((p = realloc(c->pkt, cap * sizeof(*p))) == NULL)
			return -ENOMEM;
		c->pkt = p;
		c->cap = cap;
	}
	p = &c->pkt[c->n];
	if ((p->data = malloc(len ? len : 1)) == NULL)
		return -ENOMEM;
	memcpy(p->data, data, len);
	p->len = len;
	p->port = port;
	c->n++;
	return 0;
}

static uint32_t
rd32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static int
read_pcapng(struct capture *c, const uint8_t *f, size_t size, char *err, size_t errsize)
{
	size_t off = 0;
	bool swap = false;

	while (off < size) {
		uint32_t type, len;

		if (size - off < 12) {
			snprintf(err, errsize, "truncated block at byte %zu", off);
			return -EINVAL;
		}
		if (rd32(f + off, false) == SHB_TYPE) {
			uint32_t magic = rd32(f + off + 8, false);

			if (magic != BYTE_ORDER_MAGIC && magic != __builtin_bswap32(BYTE_ORDER_MAGIC)) {
				snprintf(err, errsize, "bad byte-order magic at byte %zu", off);
				return -EINVAL;
			}
			swap = magic != BYTE_ORDER_MAGIC;
		}
		type = rd32(f + off, swap);
		len = rd32(f + off + 4, swap);
		if (len < 12 || len % 4 != 0 || len > size - off) {
			snprintf(err, errsize, "bad block length %u at byte %zu", len, off);
			return -EINVAL;
		}
		if (type == EPB_TYPE || type == SPB_TYPE) {
			const uint8_t *b = f + off + 8;
			uint32_t port = 0, caplen, room;
			int rc;

			if (type == EPB_TYPE) {
				if (len < 32)
					goto bad;
				port = rd32(b, swap);
				caplen = rd32(b + 12, swap);
				b += 20;
				room = len - 32;
			} else {
				if (len < 16)
					goto bad;
				caplen = rd32(b, swap); /* the original length; captured: min with room */
				b += 4;
				room = len - 16;
				if (caplen > room)
					caplen = room;
			}
			if (caplen > room)
				goto bad;
			if ((rc = push(c, port, b, caplen)) < 0)
				return rc;
		}
		off += len;
		continue;
bad:
		snprintf(err, errsize, "bad packet block at byte %zu", off);
		return -EINVAL;
	}
	return 0;
}

static int
read_pcap(struct capture *c, const char *path, char *err, size_t errsize)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, perr);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (pc == NULL) {
		snprintf(err, errsize, "%s", perr);
		return -EINVAL;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1)
		if ((rc = push(c, 0, data, h->caplen)) < 0)
			break;
	if (rc == PCAP_ERROR)
		snprintf(err, errsize, "%s", pcap_geterr(pc));
	pcap_close(pc);
	return rc == PCAP_ERROR ? -EINVAL : rc < 0 && rc != PCAP_ERROR_BREAK ? rc : 0;
}

int
capture_read(const char *path, struct capture *c, char *err, size_t errsize)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *f = NULL;
	long size;
	int rc;

	memset(c, 0, sizeof(*c));
	if (fp == NULL) {
		snprintf(err, errsize, "%s", strerror(errno));
		return -errno;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
	    (f = malloc((size_t)size + 1)) == NULL || fread(f, 1, (size_t)size, fp) != (size_t)size) {
		snprintf(err, errsize, "cannot read it");
		fclose(fp);
		free(f);
		return -EIO;
	}
	fclose(fp);
	if (size >= 4 && rd32(f, false) == SHB_TYPE)
		rc = read_pcapng(c, f, (size_t)size, err, errsize);
	else
		rc = read_pcap(c, path, err, errsize);
	free(f);
	if (rc < 0)
		capture_free(c);
	return rc;
}

void
capture_free(struct capture *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		free(c->pkt[i].data);
	free(c->pkt);
	memset(c, 0, sizeof(*c));
}
