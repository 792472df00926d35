/* QR codes of offer URLs (libqrencode): SVG for the admin API, block characters for a terminal. */
#include "qr.h"

#include <errno.h>
#include <stdlib.h>

#include <qrencode.h>

#include <gramota/err.h>

#include "cmd.h"

#define QUIET_ZONE 4 /* modules of white around the code (ISO/IEC 18004) */

static QRcode *encode(struct gr_str text, struct gr_err *err)
{
    char *s = cmd_xstrndup(text.p, text.len);
    QRcode *qr = QRcode_encodeString(s, 0, QR_ECLEVEL_M, QR_MODE_8, 1);

    free(s);
    if (qr == NULL)
        gr_fail(err, errno == ERANGE ? GR_ERR_REQUEST_TOO_LARGE : GR_ERR_SERVER_ERROR,
                "The offer URL is too long for a QR code; make the offer by reference.");
    return qr;
}

static bool dark(const QRcode *qr, int x, int y)
{
    if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
        return false;
    return qr->data[y * qr->width + x] & 1;
}

/* see qr.h */
int qr_svg(struct gr_str text, struct gr_buf *out, struct gr_err *err)
{
    QRcode *qr = encode(text, err);
    int size;

    if (qr == NULL)
        return -1;
    size = qr->width + 2 * QUIET_ZONE;
    gr_buf_printf(out,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                  "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
                  "<path fill=\"#000\" d=\"",
                  size, size, size, size);
    for (int y = 0; y < qr->width; y++) {
        for (int x = 0; x < qr->width; x++) {
            if (dark(qr, x, y))
                gr_buf_printf(out, "M%d %dh1v1h-1z", x + QUIET_ZONE, y + QUIET_ZONE);
        }
    }
    gr_buf_adds(out, "\"/></svg>\n");
    QRcode_free(qr);
    return gr_buf_check(out, err);
}

/* see qr.h */
int qr_terminal(struct gr_str text, FILE *f, struct gr_err *err)
{
    /* Two rows per line with half blocks; light on dark terminals reads either way with the border.
     */
    static const char *const cell[4] = { "\xe2\x96\x88", "\xe2\x96\x80", "\xe2\x96\x84", " " };
    QRcode *qr = encode(text, err);

    if (qr == NULL)
        return -1;
    for (int y = -QUIET_ZONE / 2 * 2; y < qr->width + QUIET_ZONE; y += 2) {
        for (int x = -QUIET_ZONE; x < qr->width + QUIET_ZONE; x++) {
            bool top = dark(qr, x, y), bottom = dark(qr, x, y + 1);

            /* White modules are drawn as block, dark ones as blank: scanners read inverted codes
             * poorly, so the quiet zone and light modules are the solid part, as on paper. */
            fputs(cell[(top ? 2 : 0) | (bottom ? 1 : 0)], f);
        }
        fputc('\n', f);
    }
    QRcode_free(qr);
    return 0;
}
