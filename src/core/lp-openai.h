/* lp-openai.h
 *
 * The OpenAI Chat Completions dialect (POST /v1/chat/completions).
 * lp_dialect_openai () returns these functions as an LpDialectCodec.
 *
 * Choices where the wire format leaves room:
 * - A tool call's `arguments` string that is not a JSON object is kept
 *   as {"_raw": "<the string>"} (an empty string becomes {}), so the
 *   model still sees what it sent last time instead of an empty call.
 * - A `tool` message keeps an empty result and a missing tool_call_id:
 *   both are still the answer to a call the model made.
 * - OpenAI has no thinking blocks: request->thinking stays FALSE even
 *   with `reasoning_effort`. Reasoning the backend does produce goes out
 *   as `reasoning_content` (the DeepSeek convention most OpenAI clients
 *   read and the others ignore), in stream deltas and in the message.
 * - `n` other than 1 is rejected rather than silently answered once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-dialect.h"

G_BEGIN_DECLS

LpChatRequest *lp_openai_parse_request (JsonNode            *root,
                                        GError             **error);
char          *lp_openai_render_result (const LpChatRequest *request,
                                        const LpChatResult  *result,
                                        const char          *model);
char          *lp_openai_render_error  (guint                status,
                                        const char          *message,
                                        const char          *param);
LpStream      *lp_openai_stream_new    (const LpChatRequest *request,
                                        const char          *model,
                                        gint64               input_tokens);

G_END_DECLS
