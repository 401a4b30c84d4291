/* lp-chat-run.h
 *
 * One chat request carried out against Lingma: model resolution, images,
 * a session, the prompt turn (and up to two tool-emulation retries), stop
 * sequences and max_tokens, and the final LpChatResult. It knows nothing
 * of HTTP; the chat handler turns its signals into a dialect's wire format.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-backend.h"
#include "lp-chat-request.h"

G_BEGIN_DECLS

#define LP_TYPE_CHAT_RUN (lp_chat_run_get_type ())
G_DECLARE_FINAL_TYPE (LpChatRun, lp_chat_run, LP, CHAT_RUN, GObject)

LpChatRun          *lp_chat_run_new              (LpBackend     *backend,
                                                  LpChatRequest *request);
void                lp_chat_run_start            (LpChatRun     *self);
void                lp_chat_run_cancel           (LpChatRun     *self);
gboolean            lp_chat_run_is_alive         (LpChatRun     *self);
const LpChatRequest *lp_chat_run_get_request     (LpChatRun     *self);
const LpChatResult *lp_chat_run_get_result       (LpChatRun     *self);
const char         *lp_chat_run_get_model        (LpChatRun     *self);
gint64              lp_chat_run_get_input_tokens (LpChatRun     *self);
const char         *lp_chat_run_get_retry_reason (LpChatRun     *self);
gboolean            lp_chat_run_streams_live     (LpChatRun     *self);

G_END_DECLS
