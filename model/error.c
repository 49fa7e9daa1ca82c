/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Errors, drop-reason names and logging: the conventions every layer uses
 * (include/flowtwin/error.h, drop.h). Part of model/, the bottom layer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <flowtwin/drop.h>
#include <flowtwin/error.h>

int
ft_error_set(struct ft_error *err, int code, enum ft_error_kind kind, uint32_t index,
	     const char *object, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->kind = kind;
	err->code = code;
	err->index = index;
	snprintf(err->object, sizeof(err->object), "%s", object ? object : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void
ft_error_clear(struct ft_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

const char *
ft_error_kind_name(enum ft_error_kind kind)
{
	static const char *const names[] = {
		[FT_ERR_NONE] = "none",	       [FT_ERR_UNSPEC] = "error",
		[FT_ERR_PROGRAM] = "program",  [FT_ERR_HEADER] = "header",
		[FT_ERR_FIELD] = "field",      [FT_ERR_ACTION] = "action",
		[FT_ERR_TABLE] = "table",      [FT_ERR_CONTROL] = "control",
		[FT_ERR_ENTRY] = "entry",      [FT_ERR_KEY] = "key",
		[FT_ERR_PARAM] = "parameter",  [FT_ERR_GROUP] = "group",
		[FT_ERR_TXN] = "transaction",  [FT_ERR_PACKET] = "packet",
		[FT_ERR_SOURCE] = "source",    [FT_ERR_RULE] = "rule",
		[FT_ERR_RESOURCE] = "resource",
	};

	if ((unsigned int)kind < sizeof(names) / sizeof(names[0]) && names[kind] != NULL)
		return names[kind];
	return "error";
}

int
ft_error_format(const struct ft_error *err, char *buf, uint32_t size)
{
	const char *why = strerror(err->code < 0 ? -err->code : err->code);

	if (err->object[0] != '\0')
		return snprintf(buf, size, "%s '%s': %s (%s)", ft_error_kind_name(err->kind),
				err->object, err->message, why);
	if (err->index != UINT32_MAX && err->kind != FT_ERR_UNSPEC && err->kind != FT_ERR_NONE)
		return snprintf(buf, size, "%s %u: %s (%s)", ft_error_kind_name(err->kind),
				err->index, err->message, why);
	return snprintf(buf, size, "%s (%s)", err->message, why);
}

static const char *const drop_names[] = {
#define DROP_NAME(e, n, s) n,
	FT_DROP_REASONS(DROP_NAME)
#undef DROP_NAME
};

static const char *const drop_sentences[] = {
#define DROP_SENTENCE(e, n, s) s,
	FT_DROP_REASONS(DROP_SENTENCE)
#undef DROP_SENTENCE
};

const char *
ft_drop_name(unsigned int reason)
{
	return reason < FT_DROP_COUNT ? drop_names[reason] : "?";
}

const char *
ft_drop_sentence(unsigned int reason)
{
	return reason < FT_DROP_COUNT ? drop_sentences[reason] : "?";
}

static ft_log_fn log_fn;
static void *log_arg;
static enum ft_log_level log_level = FT_LOG_INFO;

void
ft_log_set_sink(ft_log_fn fn, void *arg)
{
	log_fn = fn;
	log_arg = arg;
}

void
ft_log_set_level(enum ft_log_level level)
{
	log_level = level;
}

void
ft_log(enum ft_log_level level, const char *module, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (log_fn == NULL || level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(level, module, msg, log_arg);
}
