#ifndef GR_CMD_H
#define GR_CMD_H

/* The subcommands of the gramota binary: each takes argv from its own name on. */

int cmd_keygen(int argc, char **argv);
int cmd_credential(int argc, char **argv);

#endif
