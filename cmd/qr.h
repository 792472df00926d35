#ifndef GR_CMD_QR_H
#define GR_CMD_QR_H

#include <stdio.h>

#include <gramota/buf.h>

/* Append an SVG QR code of `text`. Codes: REQUEST_TOO_LARGE (too long for a QR code), SERVER_ERROR.
 */
int qr_svg(struct gr_str text, struct gr_buf *out, struct gr_err *err);
/* Print a QR code of `text` to a terminal with block characters. Codes as qr_svg. */
int qr_terminal(struct gr_str text, FILE *f, struct gr_err *err);

#endif
