/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL start-up and ethdev ports (include/flowtwin/dpdk.h). Part of
 * driver/dpdk, the layer of flowtwin that touches NICs (shared/DESIGN.md,
 * Layers): this file configures, starts, stops and closes ports for the
 * control thread, and is the one place where a DPDK error code becomes a
 * 'struct ft_error' (dpdk_error()).
 *
 * A port is configured with n_rxq rx queues fed by RSS (when there is more
 * than one) and n_txq tx queues, each queue with the same number of
 * descriptors, adjusted to what the device accepts; rx buffers come from
 * one mempool. No rx offload is asked for: in particular no scatter, so
 * PMDs deliver single-segment mbufs, the only kind the model reads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <flowtwin/dpdk.h>

#include "dpdk_private.h"

#define NB_DESC_DEFAULT 1024

/* The device name of 'port' ("net_ring0"), or "port N" when it has none. */
static const char *
port_name(uint32_t port, char name[RTE_ETH_NAME_MAX_LEN])
{
	if (port > UINT16_MAX || rte_eth_dev_get_name_by_port((uint16_t)port, name) != 0)
		snprintf(name, RTE_ETH_NAME_MAX_LEN, "port %u", port);
	return name;
}

int
dpdk_error(struct ft_error *err, int rc, uint32_t port, const char *call)
{
	char name[RTE_ETH_NAME_MAX_LEN] = "eal";

	if (port != DPDK_NO_PORT)
		port_name(port, name);
	DPDK_LOG(ERR, "%s: %s: %s", name, call, rte_strerror(-rc));
	return ft_error_set(err, rc, FT_ERR_RESOURCE, port, name, "%s: %s", call,
	                    rte_strerror(-rc));
}

int
ft_dpdk_eal_init(int argc, char **argv, struct ft_error *err)
{
	int rc = rte_eal_init(argc, argv);

	if (rc < 0)
		return dpdk_error(err, rte_errno > 0 ? -rte_errno : -EINVAL, DPDK_NO_PORT,
		                  "rte_eal_init");
	return rc;
}

int
ft_dpdk_eal_cleanup(void)
{
	return rte_eal_cleanup();
}

/* The RSS hash fields we want, as far as the device hashes them; 0: no RSS. */
static uint64_t
rss_fields(const struct rte_eth_dev_info *info)
{
	return (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info->flow_type_rss_offloads;
}

int
ft_dpdk_port_open(uint16_t port_id, const struct ft_dpdk_port_params *params, struct ft_error *err)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nb_rxd, nb_txd, q;
	int socket, rc;

	if (!rte_eth_dev_is_valid_port(port_id))
		return ft_error_set(err, -ENODEV, FT_ERR_RESOURCE, port_id, NULL,
		                    "no ethdev port %u", port_id);
	port_name(port_id, name);
	if (params == NULL || params->n_rxq == 0 || params->n_txq == 0 || params->mempool == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, port_id, name,
		                    "port parameters need n_rxq >= 1, n_txq >= 1 and a mempool");
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0)
		return dpdk_error(err, rc, port_id, "rte_eth_dev_info_get");
	if (params->n_rxq > info.max_rx_queues || params->n_txq > info.max_tx_queues)
		return ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, port_id, name,
		                    "%u rx / %u tx queues asked, the device has %u / %u",
		                    params->n_rxq, params->n_txq, info.max_rx_queues,
		                    info.max_tx_queues);
	if (params->n_rxq > 1) {
		conf.rx_adv_conf.rss_conf.rss_hf = rss_fields(&info);
		if (conf.rx_adv_conf.rss_conf.rss_hf == 0 && !params->rss_optional)
			return ft_error_set(err, -ENOTSUP, FT_ERR_RESOURCE, port_id, name,
			                    "%u rx queues need RSS, which the device lacks",
			                    params->n_rxq);
		if (conf.rx_adv_conf.rss_conf.rss_hf != 0)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	}

	rc = rte_eth_dev_configure(port_id, params->n_rxq, params->n_txq, &conf);
	if (rc != 0)
		return dpdk_error(err, rc, port_id, "rte_eth_dev_configure");
	nb_rxd = nb_txd = params->nb_desc ? params->nb_desc : NB_DESC_DEFAULT;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		return dpdk_error(err, rc, port_id, "rte_eth_dev_adjust_nb_rx_tx_desc");
	/* SOCKET_ID_ANY when the device's node is unknown, which queue setup accepts. */
	socket = rte_eth_dev_socket_id(port_id);
	for (q = 0; q < params->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, (unsigned int)socket, NULL,
		                            params->mempool);
		if (rc != 0)
			return dpdk_error(err, rc, port_id, "rte_eth_rx_queue_setup");
	}
	for (q = 0; q < params->n_txq; q++) {
		rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, (unsigned int)socket, NULL);
		if (rc != 0)
			return dpdk_error(err, rc, port_id, "rte_eth_tx_queue_setup");
	}
	rc = rte_eth_dev_start(port_id);
	if (rc != 0)
		return dpdk_error(err, rc, port_id, "rte_eth_dev_start");
	if (params->promiscuous && (rc = rte_eth_promiscuous_enable(port_id)) != 0) {
		dpdk_error(err, rc, port_id, "rte_eth_promiscuous_enable");
		goto stop_port;
	}
	DPDK_LOG(INFO, "port %u: started, %u rx / %u tx queues of %u / %u descriptors%s", port_id,
	         params->n_rxq, params->n_txq, nb_rxd, nb_txd,
	         conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS ? ", RSS" : "");
	return 0;

stop_port:
	rte_eth_dev_stop(port_id);
	return rc;
}

int
ft_dpdk_port_mac(uint16_t port_id, uint8_t mac[6], struct ft_error *err)
{
	struct rte_ether_addr addr;
	int rc;

	if (!rte_eth_dev_is_valid_port(port_id))
		return ft_error_set(err, -ENODEV, FT_ERR_RESOURCE, port_id, NULL,
		                    "no ethdev port %u", port_id);
	rc = rte_eth_macaddr_get(port_id, &addr);
	if (rc != 0)
		return dpdk_error(err, rc, port_id, "rte_eth_macaddr_get");
	memcpy(mac, addr.addr_bytes, RTE_ETHER_ADDR_LEN);
	return 0;
}

int
ft_dpdk_port_stop(uint16_t port_id, struct ft_error *err)
{
	int rc;

	if (!rte_eth_dev_is_valid_port(port_id))
		return ft_error_set(err, -ENODEV, FT_ERR_RESOURCE, port_id, NULL,
		                    "no ethdev port %u", port_id);
	rc = rte_eth_dev_stop(port_id);
	if (rc != 0)
		return dpdk_error(err, rc, port_id, "rte_eth_dev_stop");
	return 0;
}

int
ft_dpdk_port_close(uint16_t port_id, struct ft_error *err)
{
	int rc;

	if (!rte_eth_dev_is_valid_port(port_id))
		return ft_error_set(err, -ENODEV, FT_ERR_RESOURCE, port_id, NULL,
		                    "no ethdev port %u", port_id);
	rc = rte_eth_dev_stop(port_id); /* 0 for a port that is already stopped */
	if (rc != 0)
		return dpdk_error(err, rc, port_id, "rte_eth_dev_stop");
	rc = rte_eth_dev_close(port_id);
	if (rc != 0)
		return dpdk_error(err, rc, port_id, "rte_eth_dev_close");
	return 0;
}
