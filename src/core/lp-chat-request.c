/* lp-chat-request.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-chat-request"

#include "config.h"

#include <string.h>

#include "lp-chat-request.h"
#include "lp-json.h"
#include "lp-tokens.h"

LpImage *
lp_image_new (const char *media_type,
              const char *data_base64,
              const char *url)
{
  LpImage *image = g_new0 (LpImage, 1);

  image->media_type = g_strdup (media_type && *media_type ? media_type : "image/jpeg");
  image->data_base64 = g_strdup (data_base64);
  image->url = g_strdup (url);

  return image;
}

void
lp_image_free (LpImage *image)
{
  if (image == NULL)
    return;

  g_free (image->media_type);
  g_free (image->data_base64);
  g_free (image->url);
  g_free (image);
}

LpToolCall *
lp_tool_call_new (const char *id,
                  const char *name,
                  JsonNode   *arguments)
{
  LpToolCall *call;

  g_return_val_if_fail (name != NULL, NULL);

  call = g_new0 (LpToolCall, 1);
  call->id = g_strdup (id);
  call->name = g_strdup (name);

  if (arguments != NULL && JSON_NODE_HOLDS_OBJECT (arguments))
    call->arguments = json_node_copy (arguments);
  else
    {
      g_autoptr(JsonObject) empty = json_object_new ();
      call->arguments = json_node_init_object (json_node_alloc (), empty);
    }

  return call;
}

LpToolCall *
lp_tool_call_copy (const LpToolCall *call)
{
  g_return_val_if_fail (call != NULL, NULL);

  return lp_tool_call_new (call->id, call->name, call->arguments);
}

void
lp_tool_call_free (LpToolCall *call)
{
  if (call == NULL)
    return;

  g_free (call->id);
  g_free (call->name);
  g_clear_pointer (&call->arguments, json_node_unref);
  g_free (call);
}

char *
lp_tool_call_dup_arguments_json (const LpToolCall *call)
{
  g_return_val_if_fail (call != NULL, NULL);

  return lp_json_to_string (call->arguments);
}

LpMessage *
lp_message_new (LpRole      role,
                const char *text)
{
  LpMessage *message = g_new0 (LpMessage, 1);

  message->role = role;
  message->text = g_strstrip (g_strdup (text ? text : ""));
  message->images = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_image_free);
  message->tool_calls = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_tool_call_free);

  return message;
}

void
lp_message_free (LpMessage *message)
{
  if (message == NULL)
    return;

  g_free (message->text);
  g_ptr_array_unref (message->images);
  g_ptr_array_unref (message->tool_calls);
  g_free (message->tool_call_id);
  g_free (message);
}

LpToolDef *
lp_tool_def_new (const char *name,
                 const char *description,
                 JsonNode   *input_schema)
{
  LpToolDef *tool;

  g_return_val_if_fail (name != NULL, NULL);

  tool = g_new0 (LpToolDef, 1);
  tool->name = g_strstrip (g_strdup (name));
  tool->description = g_strstrip (g_strdup (description ? description : ""));
  if (input_schema != NULL && JSON_NODE_HOLDS_OBJECT (input_schema))
    tool->input_schema = json_node_copy (input_schema);

  return tool;
}

void
lp_tool_def_free (LpToolDef *tool)
{
  if (tool == NULL)
    return;

  g_free (tool->name);
  g_free (tool->description);
  g_clear_pointer (&tool->input_schema, json_node_unref);
  g_free (tool);
}

LpChatRequest *
lp_chat_request_new (LpDialect dialect)
{
  LpChatRequest *request = g_new0 (LpChatRequest, 1);

  request->dialect = dialect;
  request->model = g_strdup ("");
  request->system = g_strdup ("");
  request->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_message_free);
  request->tools = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_tool_def_free);
  request->tool_choice = LP_TOOL_CHOICE_AUTO;
  request->parallel_tool_calls = TRUE;

  return request;
}

void
lp_chat_request_free (LpChatRequest *request)
{
  if (request == NULL)
    return;

  g_free (request->model);
  g_free (request->system);
  g_ptr_array_unref (request->messages);
  g_ptr_array_unref (request->tools);
  g_free (request->tool_choice_name);
  g_strfreev (request->stop);
  g_free (request->output_format);
  g_free (request);
}

/* Emulation must stay active on a turn that omits `tools` but continues
 * a tool conversation (upstream weakness W27). */
gboolean
lp_chat_request_has_tool_history (const LpChatRequest *request)
{
  g_return_val_if_fail (request != NULL, FALSE);

  for (guint i = 0; i < request->messages->len; i++)
    {
      const LpMessage *message = g_ptr_array_index (request->messages, i);

      if (message->role == LP_ROLE_TOOL_RESULT || message->tool_calls->len > 0)
        return TRUE;
    }

  return FALSE;
}

const LpToolDef *
lp_chat_request_find_tool (const LpChatRequest *request,
                           const char          *name)
{
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < request->tools->len; i++)
    {
      const LpToolDef *tool = g_ptr_array_index (request->tools, i);

      if (g_strcmp0 (tool->name, name) == 0)
        return tool;
    }

  return NULL;
}

/* Rough per-image cost; images reach Lingma as files, not text. */
#define IMAGE_TOKEN_ESTIMATE 1600

/* One estimate per request, so a stream's message_start and its final
 * usage agree. It counts the tool schemas whole, which errs high. */
gint64
lp_chat_request_estimate_tokens (const LpChatRequest *request)
{
  gint64 total;

  g_return_val_if_fail (request != NULL, 0);

  total = lp_estimate_tokens (request->system) + lp_estimate_tokens (request->output_format);

  for (guint i = 0; i < request->messages->len; i++)
    {
      const LpMessage *message = g_ptr_array_index (request->messages, i);

      /* A few tokens of role and framing per turn. */
      total += lp_estimate_tokens (message->text) + 4;
      total += (gint64) message->images->len * IMAGE_TOKEN_ESTIMATE;
      for (guint j = 0; j < message->tool_calls->len; j++)
        {
          g_autofree char *arguments = lp_tool_call_dup_arguments_json (g_ptr_array_index (message->tool_calls, j));
          total += lp_estimate_tokens (arguments);
        }
    }

  for (guint i = 0; i < request->tools->len; i++)
    {
      const LpToolDef *tool = g_ptr_array_index (request->tools, i);
      g_autofree char *schema = tool->input_schema ? lp_json_to_string (tool->input_schema) : NULL;

      total += lp_estimate_tokens (tool->name) + lp_estimate_tokens (tool->description) +
               lp_estimate_tokens (schema);
    }

  return total;
}

LpChatResult *
lp_chat_result_new (void)
{
  LpChatResult *result = g_new0 (LpChatResult, 1);

  result->text = g_strdup ("");
  result->thinking = g_strdup ("");
  result->tool_calls = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_tool_call_free);
  result->finish = LP_FINISH_STOP;

  return result;
}

void
lp_chat_result_free (LpChatResult *result)
{
  if (result == NULL)
    return;

  g_free (result->text);
  g_free (result->thinking);
  g_ptr_array_unref (result->tool_calls);
  g_free (result->stop_sequence);
  g_free (result);
}

/* Random ids are unique across restarts, unlike a per-process counter
 * (upstream weakness W23). */
char *
lp_new_id (const char *prefix)
{
  g_return_val_if_fail (prefix != NULL, NULL);

  return g_strdup_printf ("%s%08x%08x%08x", prefix,
                          g_random_int (), g_random_int (), g_random_int ());
}
