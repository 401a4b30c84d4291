/* lp-tokens.h
 *
 * Lingma reports no token counts for prompts, so every number the proxy
 * gives is a local estimate. It errs high on purpose: clients compact
 * their context from these numbers, and compacting late is worse than
 * compacting early.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gint64 lp_estimate_tokens (const char *text);
/* The length of the longest prefix of @text, ending on a character
 * boundary, whose estimate stays within @budget tokens. */
gsize  lp_tokens_prefix_len (const char *text,
                             gint64      budget);

G_END_DECLS
