/* lp-tools.h
 *
 * Tool-call emulation: Lingma has no native tool protocol, so tool
 * definitions become a prompt contract, and fenced action blocks in the
 * reply are parsed back into tool calls.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-chat-request.h"

G_BEGIN_DECLS

typedef enum
{
  LP_TOOL_RETRY_NONE,
  LP_TOOL_RETRY_REFUSAL,       /* the model said it cannot use tools */
  LP_TOOL_RETRY_MISSED,        /* the model described a tool call instead of making it */
  LP_TOOL_RETRY_FORCED,        /* tool_choice any / named tool, but no call */
  LP_TOOL_RETRY_INVALID,       /* an action block named a tool but its arguments did not fit the schema */
} LpToolRetryReason;

typedef struct
{
  GPtrArray *calls;   /* (element-type LpToolCall) with fresh ids: call_… (OpenAI) / toolu_… (Anthropic) */
  char      *text;    /* the reply without the parsed blocks, trimmed; never NULL */
  char      *problem; /* why a block that looked like a call was rejected, or NULL */
} LpToolParse;

/* TRUE when the request declares tools or continues a tool conversation. */
gboolean          lp_tools_active                (const LpChatRequest *request);

/* The contract text to merge into the instructions, or NULL when none
 * applies (no tools, or tool_choice none). */
char             *lp_tool_contract_build         (const LpChatRequest *request);

/* History re-projected as text the model can follow. */
char             *lp_tool_project_assistant_turn (const LpMessage     *message);
char             *lp_tool_project_result         (const LpMessage     *message);

LpToolParse      *lp_tool_parse_reply            (const LpChatRequest *request,
                                                  const char          *reply);
void              lp_tool_parse_free             (LpToolParse         *parse);

LpToolRetryReason lp_tool_retry_reason           (const LpChatRequest *request,
                                                  const LpToolParse   *parse);
const char       *lp_tool_retry_reason_to_string (LpToolRetryReason    reason);
/* The instruction appended for retry @attempt (1 or 2, firmer the second time). */
char             *lp_tool_retry_instruction      (const LpChatRequest *request,
                                                  LpToolRetryReason    reason,
                                                  guint                attempt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpToolParse, lp_tool_parse_free)

G_END_DECLS
