/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet view (include/flowtwin/packet.h) and a simple fixed pool of
 * packet buffers for tools and tests. Part of model/; a DPDK application
 * uses mbufs instead (driver/dpdk).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/packet.h>

int
ft_pkt_init(struct ft_pkt *p, uint8_t *buf, uint32_t buf_len, uint16_t data_off, uint16_t len,
	    uint32_t in_port)
{
	if (p == NULL || buf == NULL || (uint32_t)data_off + len > buf_len)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->buf_len = buf_len;
	p->data_off = data_off;
	p->len = len;
	p->nb_segs = 1;
	p->in_port = in_port;
	return 0;
}

struct ft_pkt_pool_simple {
	uint32_t n, buf_len, avail;
	struct ft_pkt *pkts;
	struct ft_pkt **free;
	uint8_t *mem;
};

static struct ft_pkt *
simple_alloc(void *arg, uint32_t min_len)
{
	struct ft_pkt_pool_simple *sp = arg;
	struct ft_pkt *p;

	if (sp->avail == 0 || min_len > sp->buf_len)
		return NULL;
	p = sp->free[--sp->avail];
	p->data_off = 0;
	p->len = 0;
	p->nb_segs = 1;
	p->flags = 0;
	return p;
}

static void
simple_free(void *arg, struct ft_pkt *p)
{
	struct ft_pkt_pool_simple *sp = arg;

	if (p != NULL && sp->avail < sp->n)
		sp->free[sp->avail++] = p;
}

struct ft_pkt_pool_simple *
ft_pkt_pool_simple_create(uint32_t n, uint32_t buf_len, struct ft_pkt_pool *pool)
{
	struct ft_pkt_pool_simple *sp = calloc(1, sizeof(*sp));

	if (sp == NULL)
		return NULL;
	sp->n = n;
	sp->buf_len = buf_len;
	sp->pkts = calloc(n ? n : 1, sizeof(*sp->pkts));
	sp->free = calloc(n ? n : 1, sizeof(*sp->free));
	sp->mem = calloc(n ? n : 1, buf_len);
	if (sp->pkts == NULL || sp->free == NULL || sp->mem == NULL) {
		ft_pkt_pool_simple_destroy(sp);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		sp->pkts[i].buf = sp->mem + (size_t)i * buf_len;
		sp->pkts[i].buf_len = buf_len;
		sp->pkts[i].nb_segs = 1;
		sp->free[i] = &sp->pkts[n - 1 - i];
	}
	sp->avail = n;
	if (pool) {
		pool->alloc = simple_alloc;
		pool->free = simple_free;
		pool->arg = sp;
	}
	return sp;
}

void
ft_pkt_pool_simple_destroy(struct ft_pkt_pool_simple *sp)
{
	if (sp == NULL)
		return;
	free(sp->pkts);
	free(sp->free);
	free(sp->mem);
	free(sp);
}

uint32_t
ft_pkt_pool_simple_avail(const struct ft_pkt_pool_simple *sp)
{
	return sp->avail;
}

int
ft_hex_decode(const char *text, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *text; text++) {
		int v;

		if (*text == ' ' || *text == ':' || *text == '\n')
			continue;
		if (*text >= '0' && *text <= '9')
			v = *text - '0';
		else if ((*text | 0x20) >= 'a' && (*text | 0x20) <= 'f')
			v = (*text | 0x20) - 'a' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}
