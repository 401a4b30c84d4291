/* lp-lingma-turn.h
 *
 * One session/prompt exchange with Lingma: send the prompt as a tracked
 * request, collect the session/update notifications routed to its
 * correlation id, and end exactly once — finished, failed or cancelled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-ipc-client.h"

G_BEGIN_DECLS

#define LP_TYPE_LINGMA_TURN (lp_lingma_turn_get_type ())
G_DECLARE_FINAL_TYPE (LpLingmaTurn, lp_lingma_turn, LP, LINGMA_TURN, GObject)

LpLingmaTurn *lp_lingma_turn_new               (LpIpcClient  *client,
                                                const char   *session_id,
                                                JsonObject   *meta,
                                                const char   *prompt_text,
                                                JsonArray    *image_items,
                                                const char   *image_url,
                                                guint         timeout_ms);
void          lp_lingma_turn_start             (LpLingmaTurn *self);
void          lp_lingma_turn_cancel            (LpLingmaTurn *self);
gboolean      lp_lingma_turn_is_running        (LpLingmaTurn *self);
const char   *lp_lingma_turn_get_text          (LpLingmaTurn *self);
const char   *lp_lingma_turn_get_thinking      (LpLingmaTurn *self);
const char   *lp_lingma_turn_get_finish_reason (LpLingmaTurn *self);
const char   *lp_lingma_turn_get_request_id    (LpLingmaTurn *self);

char         *lp_lingma_correlation_id         (const char   *prefix);

G_END_DECLS
