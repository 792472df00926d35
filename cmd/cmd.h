#ifndef GR_CMD_H
#define GR_CMD_H

/* The subcommands of the gramota binary: each takes argv from its own name on. */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

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

/*
 * What the daemon keeps to itself rather than take from the library's insides
 * (src/): allocation that never returns NULL (running out of memory logs and
 * aborts, STYLE §2.4), reading a file whole, dumping jansson values.
 */
void *cmd_xmalloc(size_t size);
void *cmd_xcalloc(size_t n, size_t size);
/* A NUL-terminated copy of `len` bytes of `s`; free() it. */
char *cmd_xstrndup(const char *s, size_t len);
/* Read a whole file of at most `max` bytes into `out`. Codes: IO, TOO_LARGE. */
int cmd_read_file(const char *path, size_t max, struct gr_buf *out, struct gr_err *err);
/* Append `v` as compact JSON (",", ":"), UTF-8 unescaped, members in insertion order. */
void cmd_json_dump(const json_t *v, struct gr_buf *out);

/* Read a number option; on junk or out of range say so on stderr and return false. */
bool cmd_int(const char *opt, const char *text, int64_t min, int64_t max, int64_t *out);

#endif
