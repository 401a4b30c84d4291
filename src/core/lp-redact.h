/* lp-redact.h
 *
 * What the request history may keep of a request: credentials never,
 * large base64 payloads (images, documents) only as a short descriptor
 * that still says what was there and how big it was.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Base64 payloads longer than this many characters are replaced. */
#define LP_REDACT_BASE64_THRESHOLD (16 * 1024)

char *lp_redact_header_value (const char *name,
                              const char *value);
char *lp_redact_body         (const char *body,
                              gsize       len,
                              gsize       base64_threshold);

G_END_DECLS
