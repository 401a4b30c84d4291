/* lp-prompt.h
 *
 * Lingma takes one text prompt per turn, so a whole chat request (system
 * text, turns, tool history, the tool contract) is laid out as a single
 * transcript.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-chat-request.h"

G_BEGIN_DECLS

typedef enum
{
  /* A session that holds nothing yet: the instructions (system text, tool
   * contract, output format) and every turn. A session's first prompt is
   * always a full one. */
  LP_PROMPT_FULL,
  /* A reused session that already holds the earlier turns and the
   * instructions: only the turns after the last assistant turn, with the
   * output format and a short reminder of this turn's tool constraints
   * (tool_choice may change from one request to the next). */
  LP_PROMPT_LATEST,
} LpPromptScope;

/* NULL with LP_ERROR_INVALID_REQUEST when the request has no user
 * message (an image-only one counts). */
char      *lp_prompt_build          (const LpChatRequest  *request,
                                     LpPromptScope         scope,
                                     GError              **error);

/* (element-type LpImage) (transfer full): copies of the images of the
 * last user turn, so they may outlive @request. */
GPtrArray *lp_prompt_collect_images (const LpChatRequest  *request);

G_END_DECLS
