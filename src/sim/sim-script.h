/* sim-script.h
 *
 * What the simulator answers to one prompt: the reply text (or a
 * failure), thoughts, and how it is paced.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sim-behaviour.h"
#include "sim-prompt.h"

G_BEGIN_DECLS

typedef struct
{
  char     *thought;         /* streamed as agent_thought_chunk first, or NULL */
  char     *text;            /* NULL when @fail */
  guint     silent_ms;
  gint      chunk_delay_ms;  /* -1: the configured delay */
  guint     used_tokens;     /* context_usage.usedTokens */
  gboolean  fail;
  gboolean  drop;
} SimReply;

SimReply *sim_reply_new  (const SimBehaviour  *defaults,
                          const SimPrompt     *prompt,
                          const char          *model_id,
                          guint                prompt_index,
                          GError             **error);
void      sim_reply_free (SimReply            *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimReply, sim_reply_free)

G_END_DECLS
