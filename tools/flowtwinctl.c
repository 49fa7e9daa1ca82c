/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowtwinctl: the control tool of flowtwin-vtep. Part of tools/, the top
 * layer; it links nothing of flowtwin: it speaks the daemon's control
 * protocol over a unix socket.
 *
 *   flowtwinctl [--ctl PATH] COMMAND...
 *
 * The socket is PATH, else $FLOWTWIN_CTL, else /run/flowtwin/vtep.sock.
 * The words of COMMAND are joined with single spaces into one line.
 *
 * The protocol (line-based, over SOCK_STREAM):
 *
 *   - the client connects and sends one command line, ended by '\n';
 *   - the daemon answers with zero or more output lines, then one final
 *     line: "OK", or "ERR <message>", and closes the connection;
 *   - except for "events": the daemon then sends one line per event as it
 *     happens (no final line) until the client closes the connection.
 *
 * Commands: every command of the text syntax (include/flowtwin/ctl.h and
 * vtep.h: table_add ..., table_dump ..., fdb ..., neigh ..., port ...,
 * vtep set|show, nexthop ...), each one transaction that applies whole or
 * not at all, and:
 *
 *   dump-flows             every table's entries and default action as
 *                          table_dump prints them, each followed by where it
 *                          runs (nic, software, nic+software) and why
 *   stats                  per port: rx, tx, drops by reason; with
 *                          --offload sim, packets the NIC finished and
 *                          packets software handled
 *   trace HEX [--in-port N]  one packet through the live pipeline (its
 *                          output is not sent)
 *   events                 l2miss, l3miss, learned, aged and mac move
 *                          events, one line each, as they happen
 *
 * Exit status: 0 after "OK" (or when the daemon closes an events stream,
 * or on SIGINT while streaming events), 1 after "ERR" (the message goes to
 * stderr) or when the daemon cannot be reached, 2 for bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define PROG        "flowtwinctl"
#define CTL_DEFAULT "/run/flowtwin/vtep.sock"

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " [--ctl PATH] COMMAND...\n"
	        "  COMMAND: a text-syntax command (fdb, neigh, port, vtep, nexthop,\n"
	        "           table_add, table_dump, ...), or dump-flows, stats,\n"
	        "           trace HEX [--in-port N], events\n"
	        "  --ctl PATH  the daemon's socket (default $FLOWTWIN_CTL or " CTL_DEFAULT ")\n");
}

/* One line to stdout, or the final line: 0 OK, 1 ERR, -1 neither. */
static int
line_out(const char *line, bool events)
{
	if (!events && strcmp(line, "OK") == 0)
		return 0;
	if (!events && strncmp(line, "ERR", 3) == 0 && (line[3] == ' ' || line[3] == '\0')) {
		fprintf(stderr, PROG ": %s\n", line[3] ? line + 4 : "error");
		return 1;
	}
	printf("%s\n", line);
	if (events)
		fflush(stdout);
	return -1;
}

int
main(int argc, char **argv)
{
	const char *path = getenv("FLOWTWIN_CTL");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sigaction sig = {0};
	char *cmd, *line = NULL;
	size_t len = 0, cap = 0, used = 0;
	bool events;
	int i = 1, fd, rc = -1;

	if (path == NULL || *path == '\0')
		path = CTL_DEFAULT;
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "--ctl") == 0) {
		path = argv[2];
		i = 3;
	} else if (argc > 1 && strncmp(argv[1], "--ctl=", 6) == 0) {
		path = argv[1] + 6;
		i = 2;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, PROG ": %s: path too long\n", path);
		return 2;
	}
	for (int k = i; k < argc; k++) {
		if (strchr(argv[k], '\n') != NULL) {
			fprintf(stderr, PROG ": a command is one line\n");
			return 2;
		}
		len += strlen(argv[k]) + 1;
	}
	cmd = malloc(len + 1);
	if (cmd == NULL)
		return 1;
	cmd[0] = '\0';
	for (int k = i; k < argc; k++) {
		strcat(cmd, argv[k]);
		strcat(cmd, k + 1 < argc ? " " : "\n");
	}
	events = strcmp(cmd, "events\n") == 0;

	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, PROG ": %s: %s (is flowtwin-vtep running?)\n", path,
		        strerror(errno));
		return 1;
	}
	if (send(fd, cmd, len, MSG_NOSIGNAL) != (ssize_t)len) {
		fprintf(stderr, PROG ": %s: send: %s\n", path, strerror(errno));
		return 1;
	}
	free(cmd);
	if (events) {
		/* No SA_RESTART: SIGINT interrupts recv(). */
		sig.sa_handler = on_sigint;
		sigaction(SIGINT, &sig, NULL);
		sigaction(SIGTERM, &sig, NULL);
	}

	for (;;) {
		char buf[65536];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		size_t start = 0;

		if (n < 0 && errno == EINTR && !interrupted)
			continue;
		if (n <= 0) {
			if (interrupted || (events && n == 0)) {
				rc = 0;
				break;
			}
			fprintf(stderr, PROG ": %s: connection closed before the reply ended%s%s\n",
			        path, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			rc = 1;
			break;
		}
		if (used + (size_t)n + 1 > cap) {
			cap = (used + (size_t)n + 1) * 2;
			line = realloc(line, cap);
			if (line == NULL)
				return 1;
		}
		memcpy(line + used, buf, (size_t)n);
		used += (size_t)n;
		for (size_t k = 0; k < used; k++) {
			if (line[k] != '\n')
				continue;
			line[k] = '\0';
			rc = line_out(line + start, events);
			start = k + 1;
			if (rc >= 0)
				break;
		}
		if (rc >= 0)
			break;
		memmove(line, line + start, used - start);
		used -= start;
	}
	free(line);
	close(fd);
	return rc;
}
