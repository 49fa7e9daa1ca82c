/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared internals of model/: private, not installed.
 */
#ifndef FT_MODEL_PRIVATE_H
#define FT_MODEL_PRIVATE_H

#include <flowtwin/error.h>

#define MODEL_LOG(level, ...) ft_log(FT_LOG_##level, "model", __VA_ARGS__)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
