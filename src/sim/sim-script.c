/* sim-script.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <string.h>

#include "sim-script.h"
#include "sim-tools.h"
#include "sim-transcript.h"

#define QUOTE_CHARS   200
#define THOUGHT_CHARS 80

static const char refusal_text[] =
  "I'm sorry, but I can't execute commands or access your computer: "
  "I don't have tools in this environment. You could run the command yourself "
  "and paste the output here.";

/* A rough token estimate: a third of the code points. */
static guint
estimate_tokens (const char *text)
{
  return MAX (1, (g_utf8_strlen (text, -1) + 2) / 3);
}

static char *
truncate_chars (const char *text,
                glong       max_chars)
{
  g_autofree char *head = NULL;

  if (g_utf8_strlen (text, -1) <= max_chars)
    return g_strdup (text);

  head = g_utf8_substring (text, 0, max_chars);

  return g_strconcat (head, "…", NULL);
}

static char *
describe_images (GPtrArray *images)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, " You sent %u image%s: ", images->len, images->len == 1 ? "" : "s");
  for (guint i = 0; i < images->len; i++)
    {
      const SimImage *image = g_ptr_array_index (images, i);

      if (i > 0)
        g_string_append (out, ", ");
      if (image->problem != NULL)
        g_string_append_printf (out, "%s (%s)", image->mime_type, image->problem);
      else if (image->url != NULL)
        g_string_append_printf (out, "%s (remote URL %s, not fetched)", image->mime_type, image->url);
      else
        g_string_append_printf (out, "%s (%" G_GSIZE_FORMAT " bytes)", image->mime_type, image->size);
    }
  g_string_append_c (out, '.');

  return g_string_free (out, FALSE);
}

static char *
default_text (const char      *model_id,
              const char      *request,
              const SimPrompt *prompt)
{
  g_autofree char *quote = truncate_chars (request, QUOTE_CHARS);
  g_autofree char *images = prompt->images->len > 0 ? describe_images (prompt->images) : NULL;

  return g_strdup_printf ("Hello from the Lingma simulator (model %s). You said: %s%s",
                          model_id, quote, images != NULL ? images : "");
}

static char *
large_text (gsize bytes)
{
  GString *out = g_string_sized_new (bytes + 64);

  for (guint line = 1; out->len < bytes; line++)
    g_string_append_printf (out, "Lingma simulator large reply, line %06u.\n", line);
  g_string_truncate (out, bytes);

  return g_string_free (out, FALSE);
}

static char *
insert_in_middle (const char *text,
                  const char *insert)
{
  const char *middle = g_utf8_offset_to_pointer (text, g_utf8_strlen (text, -1) / 2);
  g_autofree char *head = g_strndup (text, middle - text);

  return g_strconcat (head, insert, middle, NULL);
}

static char *
compose_text (const SimBehaviour *behaviour,
              const SimPrompt    *prompt,
              const char         *model_id,
              guint               prompt_index)
{
  g_autoptr(SimContract) contract = sim_contract_parse (prompt->text);
  g_autofree char *turn = NULL;
  g_autofree char *paragraph = NULL;
  g_autofree char *request = NULL;
  g_autofree char *tool_reply = NULL;
  char *answer;

  if (behaviour->echo)
    return g_strdup (prompt->text);

  if (behaviour->large_bytes > 0)
    return large_text (behaviour->large_bytes);

  if (prompt_index < behaviour->refuse_prompts)
    return g_strdup (refusal_text);

  turn = sim_transcript_latest_user_turn (prompt->text,
                                          contract != NULL ? sim_contract_get_offset (contract) : G_MAXSIZE);
  /* A tool result gets an answer, unless the rules require another call. */
  tool_reply = sim_tool_result_reply (turn);
  if (tool_reply != NULL && (contract == NULL || behaviour->plain || !sim_contract_requires_call (contract)))
    return g_steal_pointer (&tool_reply);

  paragraph = sim_transcript_first_paragraph (turn);
  request = sim_behaviour_strip_markers (paragraph);

  if (contract != NULL && !behaviour->plain)
    {
      if (behaviour->unknown_tool)
        return sim_contract_answer_undeclared (contract);
      if (behaviour->badjson)
        return sim_contract_answer_broken (contract, request);
      if ((answer = sim_contract_answer (contract, request, behaviour->two_calls ? 2 : 1)) != NULL)
        return answer;
    }

  return default_text (model_id, request, prompt);
}

/**
 * sim_reply_new:
 * @defaults: the behaviours given on the command line
 * @prompt_index: how many prompts the session ran before this one
 *
 * Returns: the reply, or %NULL with @error set when a marker is invalid.
 */
SimReply *
sim_reply_new (const SimBehaviour  *defaults,
               const SimPrompt     *prompt,
               const char          *model_id,
               guint                prompt_index,
               GError             **error)
{
  g_autoptr(SimBehaviour) behaviour = NULL;
  g_autoptr(SimReply) self = NULL;

  g_return_val_if_fail (defaults != NULL, NULL);
  g_return_val_if_fail (prompt != NULL, NULL);
  g_return_val_if_fail (model_id != NULL, NULL);

  behaviour = sim_behaviour_copy (defaults);
  if (!sim_behaviour_apply_markers (behaviour, prompt->text, error))
    return NULL;

  self = g_new0 (SimReply, 1);
  self->silent_ms = behaviour->silent_ms;
  self->chunk_delay_ms = behaviour->slow_ms;
  self->fail = behaviour->fail;
  self->drop = behaviour->drop;
  if (self->fail)
    return g_steal_pointer (&self);

  self->text = compose_text (behaviour, prompt, model_id, prompt_index);
  if (behaviour->stop_text != NULL)
    {
      char *with_stop = insert_in_middle (self->text, behaviour->stop_text);

      g_free (self->text);
      self->text = with_stop;
    }

  if (behaviour->think)
    {
      g_autofree char *stripped = sim_behaviour_strip_markers (prompt->text);
      g_autofree char *quote = truncate_chars (stripped, THOUGHT_CHARS);

      self->thought = g_strdup_printf ("The prompt begins with \"%s\". I am the Lingma simulator, "
                                       "so I think in scripts and answer deterministically.",
                                       quote);
    }

  self->used_tokens = estimate_tokens (prompt->text) + estimate_tokens (self->text);

  return g_steal_pointer (&self);
}

void
sim_reply_free (SimReply *self)
{
  if (self == NULL)
    return;

  g_free (self->thought);
  g_free (self->text);
  g_free (self);
}
