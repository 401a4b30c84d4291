/* lp-anthropic.h
 *
 * The Anthropic Messages dialect (POST /v1/messages and
 * /v1/messages/count_tokens). lp_dialect_anthropic () returns these
 * functions as an LpDialectCodec.
 *
 * Choices where the wire format leaves room:
 * - `{"role": "system"}` entries inside `messages` (Claude Code sends
 *   them) are folded into the system prompt in order, never dropped.
 * - thinking and redacted_thinking blocks in history are dropped: they
 *   are the model's own scratch work, and their signatures mean nothing
 *   to Lingma.
 * - Images inside a tool_result go to that tool-result message's
 *   `images` (Claude Code's Read tool returns screenshots that way).
 * - tool_use `input` sent as a string is parsed; see lp_json_parse_arguments ().
 * - Synthesized thinking is signed with base64 (SHA-256 (thinking text)):
 *   opaque, never empty, and the same for the same text.
 * - Thinking is only ever emitted when the request enabled it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-dialect.h"

G_BEGIN_DECLS

LpChatRequest *lp_anthropic_parse_request (JsonNode            *root,
                                           GError             **error);
char          *lp_anthropic_render_result (const LpChatRequest *request,
                                           const LpChatResult  *result,
                                           const char          *model);
char          *lp_anthropic_render_error  (guint                status,
                                           const char          *message,
                                           const char          *param);
LpStream      *lp_anthropic_stream_new    (const LpChatRequest *request,
                                           const char          *model,
                                           gint64               input_tokens);

/* POST /v1/messages/count_tokens: a fast local estimate over system,
 * tools and messages that errs high. Lenient about fields it does not
 * know; fails only when @root is not an object with a `messages` array. */
gint64         lp_anthropic_count_tokens  (JsonNode            *root,
                                           GError             **error);

G_END_DECLS
