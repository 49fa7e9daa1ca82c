/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Errors.
 *
 * Every flowtwin function that can fail returns 0 (or a non-negative count)
 * on success and a negative errno on failure. A function that can reject
 * input (a pipeline, an entry, a rule, a packet, a P4 program) also takes an
 * optional 'struct ft_error *' that, on failure, says what kind of object was
 * at fault, which one, and why: the way 'struct rte_flow_error' does.
 *
 * -EINVAL means the input is invalid; -ENOTSUP means it is valid but not
 * supported here; -ENOSPC means a table or pool is full; -EEXIST and -ENOENT
 * mean an entry that should not, or should, already exist.
 *
 * The message is a static string or is copied into the error; an error never
 * points into the caller's input. ft_error_set() is the one way to fill one.
 */
#ifndef FLOWTWIN_ERROR_H
#define FLOWTWIN_ERROR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What kind of object an error is about. */
enum ft_error_kind {
	FT_ERR_NONE = 0,
	FT_ERR_UNSPEC,	   /* no particular object */
	FT_ERR_PROGRAM,	   /* the pipeline as a whole */
	FT_ERR_HEADER,	   /* a header type or instance */
	FT_ERR_FIELD,	   /* a header or metadata field */
	FT_ERR_ACTION,	   /* an action or one of its operations */
	FT_ERR_TABLE,	   /* a table declaration */
	FT_ERR_CONTROL,	   /* a control-flow node */
	FT_ERR_ENTRY,	   /* a table entry */
	FT_ERR_KEY,	   /* a key field of an entry */
	FT_ERR_PARAM,	   /* an action parameter of an entry */
	FT_ERR_GROUP,	   /* a replication group */
	FT_ERR_TXN,	   /* a transaction */
	FT_ERR_PACKET,	   /* a packet */
	FT_ERR_SOURCE,	   /* a P4 source position (file:line:col) */
	FT_ERR_RULE,	   /* an rte_flow rule */
	FT_ERR_RESOURCE,   /* memory, a pool, a port */
};

#define FT_ERROR_NAME_MAX 64
#define FT_ERROR_MSG_MAX 192

struct ft_error {
	enum ft_error_kind kind;
	int code;			  /* the negative errno also returned */
	uint32_t index;			  /* index of the object, or UINT32_MAX */
	char object[FT_ERROR_NAME_MAX];	  /* its name, or "" */
	char message[FT_ERROR_MSG_MAX];	  /* what is wrong */
};

/*
 * Fills 'err' (if not NULL) and returns 'code' (a negative errno), so that
 * callers can write: return ft_error_set(err, -EINVAL, FT_ERR_TABLE, i, name,
 * "table has no key"). 'object' may be NULL. 'fmt' is printf-style.
 */
int ft_error_set(struct ft_error *err, int code, enum ft_error_kind kind, uint32_t index,
		 const char *object, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Clears 'err' (if not NULL). */
void ft_error_clear(struct ft_error *err);

/* The name of an error kind: "table", "entry", ... */
const char *ft_error_kind_name(enum ft_error_kind kind);

/*
 * Renders 'err' as one line: "table 'fdb': table has no key (Invalid
 * argument)". Returns the number of characters that the full text needs, as
 * snprintf() does.
 */
int ft_error_format(const struct ft_error *err, char *buf, uint32_t size);

/*
 * Logging. Libraries never print; they hand messages to one sink, which the
 * application may replace. Until one is set, messages are discarded: the
 * tools decide what to show.
 */
enum ft_log_level { FT_LOG_ERR, FT_LOG_WARNING, FT_LOG_INFO, FT_LOG_DEBUG };

typedef void (*ft_log_fn)(enum ft_log_level level, const char *module, const char *msg,
			  void *arg);

/* Replaces the log sink; NULL restores the default. Not thread-safe. */
void ft_log_set_sink(ft_log_fn fn, void *arg);

/* Sets the most verbose level that reaches the sink. */
void ft_log_set_level(enum ft_log_level level);

void ft_log(enum ft_log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif
