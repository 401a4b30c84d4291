/* lp-prompt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-prompt"

#include "config.h"

#include <string.h>

#include "lp-error.h"
#include "lp-prompt.h"
#include "lp-tools.h"

#define INSTRUCTIONS_SEPARATOR "\n\n---\n\n"

/* The body of one turn and its label, or NULL for a turn with nothing to
 * show. Tool results are shown as user turns: the model reads them as
 * the caller speaking. */
static char *
turn_body (const LpMessage  *message,
           const char      **label)
{
  switch (message->role)
    {
    case LP_ROLE_USER:
      *label = "User";
      if (*message->text)
        return g_strdup (message->text);
      if (message->images->len == 1)
        return g_strdup ("(image attached)");
      if (message->images->len > 1)
        return g_strdup_printf ("(%u images attached)", message->images->len);
      return NULL;

    case LP_ROLE_ASSISTANT:
      {
        char *body = lp_tool_project_assistant_turn (message);

        *label = "Assistant";
        if (*body == '\0')
          g_clear_pointer (&body, g_free);
        return body;
      }

    case LP_ROLE_TOOL_RESULT:
      *label = "User";
      return lp_tool_project_result (message);

    default:
      g_return_val_if_reached (NULL);
    }
}

/* Where the turns a reused session has not seen start: after the last
 * assistant turn that precedes the latest user or tool-result turn (a
 * trailing assistant prefill stays in). */
static guint
latest_start (const LpChatRequest *request)
{
  gint last_other = -1;

  for (guint i = 0; i < request->messages->len; i++)
    {
      const LpMessage *message = g_ptr_array_index (request->messages, i);

      if (message->role != LP_ROLE_ASSISTANT)
        last_other = i;
    }

  for (gint i = last_other - 1; i >= 0; i--)
    {
      const LpMessage *message = g_ptr_array_index (request->messages, i);

      if (message->role == LP_ROLE_ASSISTANT)
        return i + 1;
    }

  return 0;
}

static gboolean
has_user_message (const LpChatRequest *request)
{
  for (guint i = 0; i < request->messages->len; i++)
    {
      const LpMessage *message = g_ptr_array_index (request->messages, i);

      if (message->role == LP_ROLE_USER && (*message->text || message->images->len > 0))
        return TRUE;
    }

  return FALSE;
}

static void
append_paragraph (GString    *out,
                  const char *separator,
                  const char *text)
{
  if (text == NULL || *text == '\0')
    return;

  if (out->len > 0)
    g_string_append (out, separator);
  g_string_append (out, text);
}

/* System text, output format and, last of all so it is what the model
 * reads just before answering, the tool contract. A reused session
 * already holds the system text and the contract; it gets the parts that
 * may differ per request. */
static char *
build_instructions (const LpChatRequest *request,
                    LpPromptScope        scope)
{
  g_autofree char *system = g_strstrip (g_strdup (request->system));
  g_autofree char *output_format = g_strstrip (g_strdup (request->output_format ? request->output_format : ""));
  g_autofree char *tools = NULL;
  GString *out = g_string_new (NULL);

  if (scope == LP_PROMPT_FULL)
    {
      append_paragraph (out, "\n\n", system);
      tools = lp_tool_contract_build (request);
    }
  else
    tools = lp_tool_contract_reminder (request);

  append_paragraph (out, "\n\n", output_format);

  /* The history may hold action blocks; without this the model would
   * write more, and they would reach the client as text. */
  if (request->tool_choice == LP_TOOL_CHOICE_NONE && lp_tools_active (request))
    append_paragraph (out, "\n\n", "Do not call any tool in this reply: answer in plain text, "
                                   "without action blocks.");

  append_paragraph (out, INSTRUCTIONS_SEPARATOR, tools);

  return g_string_free (out, FALSE);
}

char *
lp_prompt_build (const LpChatRequest  *request,
                 LpPromptScope         scope,
                 GError              **error)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *instructions = NULL;
  gboolean tools_layout;
  gboolean user_turn = FALSE;
  GString *out;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (scope == LP_PROMPT_FULL || scope == LP_PROMPT_LATEST, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (guint i = scope == LP_PROMPT_LATEST ? latest_start (request) : 0; i < request->messages->len; i++)
    {
      const char *label = NULL;
      char *body = turn_body (g_ptr_array_index (request->messages, i), &label);

      if (body == NULL)
        continue;

      user_turn |= strcmp (label, "User") == 0;
      g_ptr_array_add (labels, (gpointer) label);
      g_ptr_array_add (bodies, body);
    }

  if (!has_user_message (request) || !user_turn)
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                           "no user message found in request");
      return NULL;
    }

  instructions = build_instructions (request, scope);

  if (*instructions == '\0' && bodies->len == 1)
    return g_strdup (g_ptr_array_index (bodies, 0));

  out = g_string_new (NULL);
  tools_layout = lp_tools_active (request) && request->tool_choice != LP_TOOL_CHOICE_NONE;

  if (!tools_layout)
    {
      if (*instructions)
        g_string_append_printf (out, "System instructions:\n\n%s\n\n", instructions);
      g_string_append (out, "Conversation transcript:");
    }

  for (guint i = 0; i < bodies->len; i++)
    {
      if (out->len > 0)
        g_string_append (out, "\n\n");
      g_string_append_printf (out, "%s: %s",
                              (const char *) g_ptr_array_index (labels, i),
                              (const char *) g_ptr_array_index (bodies, i));
    }

  if (tools_layout)
    {
      /* The instructions come after the transcript, so the contract is the
       * last thing the model reads before its cue. */
      append_paragraph (out, "\n\n", instructions);
      g_string_append (out, "\n\nAssistant:");
    }
  else
    g_string_append (out,
                     "\n\nWrite the assistant's reply to the latest user message, following the "
                     "instructions and staying consistent with the conversation above.");

  return g_string_free (out, FALSE);
}

GPtrArray *
lp_prompt_collect_images (const LpChatRequest *request)
{
  GPtrArray *images;

  g_return_val_if_fail (request != NULL, NULL);

  images = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_image_free);

  for (guint i = request->messages->len; i > 0; i--)
    {
      const LpMessage *message = g_ptr_array_index (request->messages, i - 1);

      if (message->role != LP_ROLE_USER)
        continue;

      for (guint j = 0; j < message->images->len; j++)
        {
          const LpImage *image = g_ptr_array_index (message->images, j);

          g_ptr_array_add (images, lp_image_new (image->media_type, image->data_base64, image->url));
        }
      break;
    }

  return images;
}
