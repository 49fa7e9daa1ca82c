/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared internals of driver/dpdk: private, not installed.
 */
#ifndef FT_DPDK_PRIVATE_H
#define FT_DPDK_PRIVATE_H

#include <stdint.h>

#include <flowtwin/error.h>

#define DPDK_LOG(level, ...) ft_log(FT_LOG_##level, "driver", __VA_ARGS__)

/* The 'index' of an error that is about no port (the EAL). */
#define DPDK_NO_PORT UINT32_MAX

/*
 * The one place where a DPDK error becomes a 'struct ft_error' (port.c):
 * fills 'err' with 'rc' (a negative errno), kind FT_ERR_RESOURCE, 'port' as
 * index and the device's name as object (DPDK_NO_PORT: "eal"), and the
 * message "<call>: <rte_strerror text>"; logs it; returns 'rc'.
 */
int dpdk_error(struct ft_error *err, int rc, uint32_t port, const char *call);

#endif
