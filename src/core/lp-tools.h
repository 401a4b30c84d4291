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

/* An action block is the opening line, one JSON object
 * {"tool":NAME,"parameters":{…}} and the closing line. */
#define LP_TOOL_BLOCK_OPEN  "```json action"
#define LP_TOOL_BLOCK_CLOSE "```"

typedef enum
{
  LP_TOOL_RETRY_NONE,
  LP_TOOL_RETRY_REFUSAL,       /* the model said it cannot use tools */
  LP_TOOL_RETRY_MISSED,        /* the model described a tool call instead of making it */
  LP_TOOL_RETRY_FORCED,        /* tool_choice any / named tool, but no call */
  LP_TOOL_RETRY_INVALID,       /* an action block was rejected: bad JSON, unknown tool, arguments unfit for the schema */
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
 * applies (emulation inactive, or tool_choice none). On a turn that omits
 * `tools` but carries tool history, the contract still teaches the block
 * format and names the tools called so far. */
char             *lp_tool_contract_build         (const LpChatRequest *request);
/* For a session that already holds the contract: a pointer back to the
 * block format and this turn's constraints (tool_choice and parallel calls
 * may change between requests). NULL exactly when the contract is. */
char             *lp_tool_contract_reminder      (const LpChatRequest *request);

/* History re-projected as text the model can follow: the assistant text,
 * then one action block per call with its id
 * ({"tool":…,"id":…,"parameters":…}, compact JSON); a tool result as
 * "Tool result for ID:\nOUTPUT" ("Tool error" when the tool failed,
 * "(no output)" when empty, no " for ID" without an id), a blank line and
 * a sentence asking for the next block or the final answer. */
char             *lp_tool_project_assistant_turn (const LpMessage     *message);
char             *lp_tool_project_result         (const LpMessage     *message);

/* Plain ```json blocks count only when they name a known tool; explicit
 * action blocks that fail (bad JSON, unknown tool, arguments that do not
 * fit the schema) stay in the text and are described in ->problem. */
LpToolParse      *lp_tool_parse_reply            (const LpChatRequest *request,
                                                  const char          *reply);
void              lp_tool_parse_free             (LpToolParse         *parse);

/* Whether a reply without calls deserves another attempt. INVALID wins over
 * FORCED (its instruction quotes the problem and keeps the constraint). */
LpToolRetryReason lp_tool_retry_reason           (const LpChatRequest *request,
                                                  const LpToolParse   *parse);
/* The phrase behind a REFUSAL or MISSED answer, for the request record;
 * NULL for every other reason. */
const char       *lp_tool_retry_matched_needle   (const LpChatRequest *request,
                                                  const LpToolParse   *parse);
const char       *lp_tool_retry_reason_to_string (LpToolRetryReason    reason);
/* The instruction appended for retry @attempt (1 or 2, firmer the second
 * time): a self-contained paragraph to put after the prompt, or to send
 * alone on a session that already holds the failed reply. */
char             *lp_tool_retry_instruction      (const LpChatRequest *request,
                                                  LpToolRetryReason    reason,
                                                  guint                attempt);
/* The same for lp_tool_retry_reason (@request, @parse), which must not be
 * NONE; an INVALID instruction quotes parse->problem. */
char             *lp_tool_retry_instruction_for_parse (const LpChatRequest *request,
                                                       const LpToolParse   *parse,
                                                       guint                attempt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpToolParse, lp_tool_parse_free)

G_END_DECLS
