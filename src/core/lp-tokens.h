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

G_END_DECLS
