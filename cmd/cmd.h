#ifndef GR_CMD_H
#define GR_CMD_H

/* The subcommands of the gramota binary: each takes argv from its own name on. */

#include <stdbool.h>
#include <stdint.h>

#include <gramota/buf.h>

int cmd_keygen(int argc, char **argv);
int cmd_credential(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_offer(int argc, char **argv);
int cmd_credential_lifecycle(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_key(int argc, char **argv);

/* Print "gramota: WHAT: <desc>" (and the cause) to stderr; returns the exit status 1. */
int cmd_fail(const char *what, const struct gr_err *err);
/* Read a file, or standard input for "-", of at most `max` bytes. Codes: IO, TOO_LARGE. */
int cmd_read(const char *path, size_t max, struct gr_buf *out, struct gr_err *err);
/* Write a file with `mode`; refuse to replace one unless `force`; "-" is stdout. Code: IO. */
int cmd_write(const char *path, struct gr_str data, int mode, bool force, struct gr_err *err);

/* Read a number option; on junk or out of range say so on stderr and return false. */
bool cmd_int(const char *opt, const char *text, int64_t min, int64_t max, int64_t *out);

#endif
