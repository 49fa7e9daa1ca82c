/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading pcap and pcapng captures with each packet's port (tools/capture.c). */
#ifndef FLOWTWIN_TOOLS_CAPTURE_H
#define FLOWTWIN_TOOLS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture_pkt {
	uint32_t port; /* pcapng: the interface id; pcap: 0 */
	uint32_t len;
	uint8_t *data;
};

struct capture {
	struct capture_pkt *pkt;
	uint32_t n, cap;
};

/* Reads every packet of 'path' into 'c' (freed with capture_free()): 0 or a negative errno. */
int capture_read(const char *path, struct capture *c, char *err, size_t errsize);
void capture_free(struct capture *c);

#endif
