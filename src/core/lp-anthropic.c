/* lp-anthropic.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-anthropic"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "lp-anthropic.h"
#include "lp-error.h"
#include "lp-json.h"
#include "lp-tokens.h"

/* Request */

/* A block of a content array: an object with a string `type`. */
static JsonObject *
get_block (JsonArray   *blocks,
           guint        index,
           const char  *where,
           const char **type,
           GError     **error)
{
  JsonNode *node = json_array_get_element (blocks, index);
  JsonObject *block;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      lp_json_error (error, where, NULL, "expected an object");
      return NULL;
    }

  block = json_node_get_object (node);
  if (!lp_json_require_string (block, where, "type", type, error))
    return NULL;

  return block;
}

/* The top-level `system`, or the content of a system message: a string
 * or an array of text blocks (with cache_control, which means nothing here). */
static gboolean
parse_system_text (JsonObject  *object,
                   const char  *where,
                   const char  *member,
                   GString     *system,
                   GError     **error)
{
  JsonNode *node = lp_json_get_member (object, member);
  JsonArray *blocks;

  if (node == NULL)
    return TRUE;

  if (lp_json_node_is_string (node))
    {
      lp_json_join_text (system, json_node_get_string (node), "\n\n");
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      lp_json_error (error, where, member, "expected a string or an array of text blocks");
      return FALSE;
    }

  blocks = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      g_autofree char *block_where = lp_json_path_index (where, member, i);
      const char *type = NULL;
      const char *text = NULL;
      JsonObject *block = get_block (blocks, i, block_where, &type, error);

      if (block == NULL)
        return FALSE;

      if (!g_str_equal (type, "text"))
        continue;

      if (!lp_json_require_string (block, block_where, "text", &text, error))
        return FALSE;
      lp_json_join_text (system, text, "\n\n");
    }

  return TRUE;
}

static gboolean
parse_image (JsonObject  *block,
             const char  *where,
             GPtrArray   *images,
             GError     **error)
{
  g_autofree char *source_where = g_strdup_printf ("%s.source", where);
  JsonObject *source = NULL;
  const char *type = NULL;
  const char *media_type = NULL;
  const char *data = NULL;
  const char *url = NULL;

  if (!lp_json_get_object (block, where, "source", &source, error))
    return FALSE;
  if (source == NULL)
    {
      lp_json_error (error, where, "source", "field is required");
      return FALSE;
    }

  if (!lp_json_require_string (source, source_where, "type", &type, error))
    return FALSE;

  if (g_str_equal (type, "base64"))
    {
      if (!lp_json_get_string (source, source_where, "media_type", &media_type, error) ||
          !lp_json_require_string (source, source_where, "data", &data, error))
        return FALSE;
      if (*data == '\0')
        {
          lp_json_error (error, source_where, "data", "must not be empty");
          return FALSE;
        }
      g_ptr_array_add (images, lp_image_new (media_type, data, NULL));
    }
  else if (g_str_equal (type, "url"))
    {
      if (!lp_json_require_string (source, source_where, "url", &url, error))
        return FALSE;
      if (*url == '\0')
        {
          lp_json_error (error, source_where, "url", "must not be empty");
          return FALSE;
        }
      g_ptr_array_add (images, lp_image_new (NULL, NULL, url));
    }
  /* "file" refers to the Files API, which nothing here can serve. */

  return TRUE;
}

static gboolean
parse_tool_result (JsonObject  *block,
                   const char  *where,
                   GPtrArray   *results,
                   GError     **error)
{
  g_autoptr(LpMessage) message = lp_message_new (LP_ROLE_TOOL_RESULT, NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  const char *tool_use_id = NULL;
  JsonNode *content;

  if (!lp_json_get_string (block, where, "tool_use_id", &tool_use_id, error) ||
      !lp_json_get_boolean (block, where, "is_error", &message->tool_is_error, error))
    return FALSE;

  content = lp_json_get_member (block, "content");
  if (content == NULL)
    {
      /* An empty result is still the answer to a call. */
    }
  else if (lp_json_node_is_string (content))
    {
      lp_json_join_text (text, json_node_get_string (content), "\n");
    }
  else if (JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *blocks = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (blocks); i++)
        {
          g_autofree char *inner_where = lp_json_path_index (where, "content", i);
          const char *type = NULL;
          const char *inner_text = NULL;
          JsonObject *inner = get_block (blocks, i, inner_where, &type, error);

          if (inner == NULL)
            return FALSE;

          if (g_str_equal (type, "text"))
            {
              if (!lp_json_require_string (inner, inner_where, "text", &inner_text, error))
                return FALSE;
              lp_json_join_text (text, inner_text, "\n");
            }
          else if (g_str_equal (type, "image"))
            {
              if (!parse_image (inner, inner_where, message->images, error))
                return FALSE;
            }
        }
    }
  else
    {
      lp_json_error (error, where, "content", "expected a string or an array of content blocks");
      return FALSE;
    }

  message->tool_call_id = g_strdup (tool_use_id);
  g_free (message->text);
  message->text = g_string_free (g_steal_pointer (&text), FALSE);
  g_ptr_array_add (results, g_steal_pointer (&message));

  return TRUE;
}

static gboolean
parse_tool_use (JsonObject  *block,
                const char  *where,
                GPtrArray   *calls,
                GError     **error)
{
  g_autofree char *name = NULL;
  g_autoptr(JsonNode) arguments = NULL;
  const char *id = NULL;

  if (!lp_json_get_string (block, where, "id", &id, error) ||
      !lp_json_require_name (block, where, "name", &name, error))
    return FALSE;

  arguments = lp_json_get_arguments (block, where, "input", "an object", error);
  if (arguments == NULL)
    return FALSE;

  g_ptr_array_add (calls, lp_tool_call_new (id, name, arguments));
  return TRUE;
}

/* One user or assistant turn. A user turn's tool results become
 * messages of their own, placed before the turn's text and images:
 * they answer the calls that came before it. */
static gboolean
parse_turn (LpChatRequest  *request,
            JsonObject     *object,
            const char     *where,
            LpRole          role,
            GError        **error)
{
  g_autoptr(LpMessage) message = lp_message_new (role, NULL);
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_message_free);
  g_autoptr(GString) text = g_string_new (NULL);
  JsonNode *content = lp_json_get_member (object, "content");

  if (content == NULL)
    {
      /* dropped below as empty */
    }
  else if (lp_json_node_is_string (content))
    {
      lp_json_join_text (text, json_node_get_string (content), "\n");
    }
  else if (JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *blocks = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (blocks); i++)
        {
          g_autofree char *block_where = lp_json_path_index (where, "content", i);
          const char *type = NULL;
          const char *block_text = NULL;
          JsonObject *block = get_block (blocks, i, block_where, &type, error);
          gboolean ok = TRUE;

          if (block == NULL)
            return FALSE;

          if (g_str_equal (type, "text"))
            {
              ok = lp_json_require_string (block, block_where, "text", &block_text, error);
              if (ok)
                lp_json_join_text (text, block_text, "\n");
            }
          else if (g_str_equal (type, "image") && role == LP_ROLE_USER)
            ok = parse_image (block, block_where, message->images, error);
          else if (g_str_equal (type, "tool_result") && role == LP_ROLE_USER)
            ok = parse_tool_result (block, block_where, results, error);
          else if (g_str_equal (type, "tool_use") && role == LP_ROLE_ASSISTANT)
            ok = parse_tool_use (block, block_where, message->tool_calls, error);
          /* thinking, redacted_thinking, document, server tool blocks: not forwarded */

          if (!ok)
            return FALSE;
        }
    }
  else
    {
      lp_json_error (error, where, "content", "expected a string or an array of content blocks");
      return FALSE;
    }

  g_ptr_array_extend_and_steal (request->messages, g_steal_pointer (&results));

  /* Blocks were trimmed as they were joined. */
  g_free (message->text);
  message->text = g_string_free (g_steal_pointer (&text), FALSE);

  if (*message->text != '\0' || message->images->len > 0 || message->tool_calls->len > 0)
    g_ptr_array_add (request->messages, g_steal_pointer (&message));

  return TRUE;
}

static gboolean
parse_messages (LpChatRequest  *request,
                JsonObject     *root,
                GString        *system,
                GError        **error)
{
  JsonArray *messages = NULL;
  guint n_turns = 0;

  if (!lp_json_get_array (root, NULL, "messages", &messages, error))
    return FALSE;
  if (messages == NULL)
    {
      lp_json_error (error, NULL, "messages", "field is required");
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      g_autofree char *where = lp_json_path_index (NULL, "messages", i);
      g_autofree char *role = NULL;
      JsonNode *node = json_array_get_element (messages, i);
      JsonObject *object;
      const char *raw_role = NULL;
      gboolean ok = TRUE;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          lp_json_error (error, where, NULL, "expected an object");
          return FALSE;
        }

      object = json_node_get_object (node);
      if (!lp_json_require_string (object, where, "role", &raw_role, error))
        return FALSE;
      role = g_strstrip (g_ascii_strdown (raw_role, -1));

      if (g_str_equal (role, "system"))
        ok = parse_system_text (object, where, "content", system, error);
      else if (g_str_equal (role, "user"))
        ok = parse_turn (request, object, where, LP_ROLE_USER, error);
      else if (g_str_equal (role, "assistant"))
        ok = parse_turn (request, object, where, LP_ROLE_ASSISTANT, error);
      /* other roles carry nothing a conversation can use */

      if (!ok)
        return FALSE;
    }

  for (guint i = 0; i < request->messages->len; i++)
    {
      const LpMessage *message = g_ptr_array_index (request->messages, i);

      if (message->role != LP_ROLE_TOOL_RESULT)
        n_turns++;
    }

  if (n_turns == 0)
    {
      lp_json_error (error, NULL, "messages", "at least one user or assistant message is required");
      return FALSE;
    }

  return TRUE;
}

static gboolean
parse_tools (LpChatRequest  *request,
             JsonObject     *root,
             GError        **error)
{
  JsonArray *tools = NULL;

  if (!lp_json_get_array (root, NULL, "tools", &tools, error))
    return FALSE;
  if (tools == NULL)
    return TRUE;

  for (guint i = 0; i < json_array_get_length (tools); i++)
    {
      g_autofree char *where = lp_json_path_index (NULL, "tools", i);
      g_autofree char *name = NULL;
      JsonNode *node = json_array_get_element (tools, i);
      JsonObject *tool;
      JsonObject *schema = NULL;
      const char *type = NULL;
      const char *description = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          lp_json_error (error, where, NULL, "expected an object");
          return FALSE;
        }

      tool = json_node_get_object (node);
      if (!lp_json_get_string (tool, where, "type", &type, error) ||
          !lp_json_require_name (tool, where, "name", &name, error) ||
          !lp_json_get_string (tool, where, "description", &description, error))
        return FALSE;

      /* Server tools (web_search_20250305, …) have a type and no schema;
       * they stay tools the model may ask for. */
      if (type != NULL && !g_str_equal (type, "custom"))
        {
          g_ptr_array_add (request->tools, lp_tool_def_new (name, description, NULL));
          continue;
        }

      if (!lp_json_get_object (tool, where, "input_schema", &schema, error))
        return FALSE;

      g_ptr_array_add (request->tools,
                       lp_tool_def_new (name, description,
                                        lp_json_get_member (tool, "input_schema")));
    }

  return TRUE;
}

static gboolean
parse_tool_choice (LpChatRequest  *request,
                   JsonObject     *root,
                   GError        **error)
{
  JsonObject *choice = NULL;
  const char *type = NULL;
  gboolean disable_parallel = FALSE;

  if (!lp_json_get_object (root, NULL, "tool_choice", &choice, error))
    return FALSE;
  if (choice == NULL)
    return TRUE;

  if (!lp_json_require_string (choice, "tool_choice", "type", &type, error) ||
      !lp_json_get_boolean (choice, "tool_choice", "disable_parallel_tool_use",
                            &disable_parallel, error))
    return FALSE;

  if (g_str_equal (type, "auto"))
    request->tool_choice = LP_TOOL_CHOICE_AUTO;
  else if (g_str_equal (type, "any"))
    request->tool_choice = LP_TOOL_CHOICE_ANY;
  else if (g_str_equal (type, "none"))
    request->tool_choice = LP_TOOL_CHOICE_NONE;
  else if (g_str_equal (type, "tool"))
    {
      if (!lp_json_require_name (choice, "tool_choice", "name", &request->tool_choice_name, error))
        return FALSE;
      if (lp_chat_request_find_tool (request, request->tool_choice_name) == NULL)
        {
          lp_json_error (error, "tool_choice", "name", "no tool named \"%s\" in tools",
                         request->tool_choice_name);
          return FALSE;
        }
      request->tool_choice = LP_TOOL_CHOICE_TOOL;
    }
  else
    {
      lp_json_error (error, "tool_choice", "type", "expected \"auto\", \"any\", \"tool\" or \"none\"");
      return FALSE;
    }

  if (disable_parallel)
    request->parallel_tool_calls = FALSE;

  return TRUE;
}

static gboolean
parse_thinking (LpChatRequest  *request,
                JsonObject     *root,
                GError        **error)
{
  JsonObject *thinking = NULL;
  const char *type = NULL;
  gint64 budget = 0;

  if (!lp_json_get_object (root, NULL, "thinking", &thinking, error))
    return FALSE;
  if (thinking == NULL)
    return TRUE;

  if (!lp_json_require_string (thinking, "thinking", "type", &type, error) ||
      !lp_json_get_int (thinking, "thinking", "budget_tokens", &budget, error))
    return FALSE;

  /* "enabled", "adaptive" and whatever mode comes next all ask for thinking. */
  request->thinking = !g_str_equal (type, "disabled");
  return TRUE;
}

/* Claude Code's output_config: {effort} always, and for its title
 * request {format: {type: "json_schema", schema}}. */
static gboolean
parse_output_config (LpChatRequest  *request,
                     JsonObject     *root,
                     GError        **error)
{
  JsonObject *config = NULL;
  JsonObject *format = NULL;
  JsonObject *schema = NULL;
  const char *effort = NULL;
  const char *type = NULL;

  if (!lp_json_get_object (root, NULL, "output_config", &config, error))
    return FALSE;
  if (config == NULL)
    return TRUE;

  if (!lp_json_get_string (config, "output_config", "effort", &effort, error) ||
      !lp_json_get_object (config, "output_config", "format", &format, error))
    return FALSE;
  if (format == NULL)
    return TRUE;

  if (!lp_json_require_string (format, "output_config.format", "type", &type, error))
    return FALSE;
  if (!g_str_equal (type, "json_schema"))
    {
      lp_json_error (error, "output_config.format", "type", "expected \"json_schema\"");
      return FALSE;
    }
  if (!lp_json_get_object (format, "output_config.format", "schema", &schema, error))
    return FALSE;

  request->output_format = lp_json_output_instruction (lp_json_get_member (format, "schema"));
  return TRUE;
}

static gboolean
parse_stop_sequences (LpChatRequest  *request,
                      JsonObject     *root,
                      GError        **error)
{
  g_autoptr(GPtrArray) stop = NULL;
  JsonArray *array = NULL;

  if (!lp_json_get_array (root, NULL, "stop_sequences", &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  stop = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!lp_json_node_is_string (element))
        {
          g_autofree char *where = lp_json_path_index (NULL, "stop_sequences", i);

          lp_json_error (error, where, NULL, "expected a string");
          return FALSE;
        }

      /* An empty stop sequence would end every reply before it starts. */
      if (*json_node_get_string (element) != '\0')
        g_ptr_array_add (stop, g_strdup (json_node_get_string (element)));
    }

  if (stop->len > 0)
    {
      g_ptr_array_add (stop, NULL);
      request->stop = (GStrv) g_ptr_array_steal (stop, NULL);
    }

  return TRUE;
}

LpChatRequest *
lp_anthropic_parse_request (JsonNode  *root,
                            GError   **error)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  g_autoptr(GString) system = g_string_new (NULL);
  JsonObject *object;
  JsonObject *metadata = NULL;
  const char *model = NULL;
  double number;
  gint64 top_k;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      lp_json_error (error, NULL, "request body", "expected a JSON object");
      return NULL;
    }
  object = json_node_get_object (root);

  /* metadata.user_id is a string holding JSON in Claude Code 2.1; nothing
   * reads it, so only the object itself is checked. */
  if (!lp_json_get_string (object, NULL, "model", &model, error) ||
      !lp_json_get_int (object, NULL, "max_tokens", &request->max_tokens, error) ||
      !lp_json_get_boolean (object, NULL, "stream", &request->stream, error) ||
      !lp_json_get_double (object, NULL, "temperature", &number, error) ||
      !lp_json_get_double (object, NULL, "top_p", &number, error) ||
      !lp_json_get_int (object, NULL, "top_k", &top_k, error) ||
      !lp_json_get_object (object, NULL, "metadata", &metadata, error) ||
      !parse_stop_sequences (request, object, error) ||
      !parse_thinking (request, object, error) ||
      !parse_output_config (request, object, error) ||
      !parse_system_text (object, NULL, "system", system, error) ||
      !parse_tools (request, object, error) ||
      !parse_tool_choice (request, object, error) ||
      !parse_messages (request, object, system, error))
    return NULL;

  if (request->max_tokens < 0)
    {
      lp_json_error (error, NULL, "max_tokens", "must not be negative");
      return NULL;
    }

  if (model != NULL)
    {
      g_free (request->model);
      request->model = g_strstrip (g_strdup (model));
    }

  g_free (request->system);
  request->system = g_string_free (g_steal_pointer (&system), FALSE);

  return g_steal_pointer (&request);
}

/* Result */

static const char *
stop_reason (LpFinishReason finish)
{
  switch (finish)
    {
    case LP_FINISH_LENGTH:
      return "max_tokens";
    case LP_FINISH_STOP_SEQUENCE:
      return "stop_sequence";
    case LP_FINISH_TOOL_CALLS:
      return "tool_use";
    case LP_FINISH_STOP:
    default:
      return "end_turn";
    }
}

static const char *
matched_stop_sequence (const LpChatResult *result)
{
  return result->finish == LP_FINISH_STOP_SEQUENCE ? result->stop_sequence : NULL;
}

static const char *
tool_use_id (const LpToolCall  *call,
             char             **fallback)
{
  if (call->id != NULL && *call->id != '\0')
    return call->id;

  *fallback = lp_new_id ("toolu_");
  return *fallback;
}

/* Strict clients reject thinking blocks whose signature is empty. */
static char *
checksum_signature (GChecksum *checksum)
{
  guint8 digest[32];
  gsize length = sizeof digest;

  g_checksum_get_digest (checksum, digest, &length);
  return g_base64_encode (digest, length);
}

char *
lp_anthropic_render_result (const LpChatRequest *request,
                            const LpChatResult  *result,
                            const char          *model)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *id = NULL;
  JsonObject *object;
  JsonObject *usage;
  JsonArray *content;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (result != NULL, NULL);

  id = lp_new_id ("msg_");
  object = json_object_new ();
  usage = json_object_new ();
  content = json_array_new ();
  root = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (root, object);

  if (request->thinking && *result->thinking != '\0')
    {
      g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
      g_autofree char *signature = NULL;
      JsonObject *block = json_object_new ();

      g_checksum_update (checksum, (const guchar *) result->thinking, -1);
      signature = checksum_signature (checksum);
      json_object_set_string_member (block, "type", "thinking");
      json_object_set_string_member (block, "thinking", result->thinking);
      json_object_set_string_member (block, "signature", signature);
      json_array_add_object_element (content, block);
    }

  if (*result->text != '\0' ||
      (json_array_get_length (content) == 0 && result->tool_calls->len == 0))
    {
      JsonObject *block = json_object_new ();

      json_object_set_string_member (block, "type", "text");
      json_object_set_string_member (block, "text", result->text);
      json_array_add_object_element (content, block);
    }

  for (guint i = 0; i < result->tool_calls->len; i++)
    {
      const LpToolCall *call = g_ptr_array_index (result->tool_calls, i);
      g_autofree char *fallback_id = NULL;
      JsonObject *block = json_object_new ();

      json_object_set_string_member (block, "type", "tool_use");
      json_object_set_string_member (block, "id", tool_use_id (call, &fallback_id));
      json_object_set_string_member (block, "name", call->name);
      json_object_set_member (block, "input", json_node_copy (call->arguments));
      json_array_add_object_element (content, block);
    }

  json_object_set_int_member (usage, "input_tokens", result->input_tokens);
  json_object_set_int_member (usage, "output_tokens", result->output_tokens);

  json_object_set_string_member (object, "id", id);
  json_object_set_string_member (object, "type", "message");
  json_object_set_string_member (object, "role", "assistant");
  json_object_set_string_member (object, "model", model ? model : request->model);
  json_object_set_array_member (object, "content", content);
  json_object_set_string_member (object, "stop_reason", stop_reason (result->finish));
  json_object_set_string_member (object, "stop_sequence", matched_stop_sequence (result));
  json_object_set_object_member (object, "usage", usage);

  return lp_json_to_string (root);
}

/* Error */

static const char *
error_type (guint status)
{
  switch (status)
    {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503: return "overloaded_error";
    default:  return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

static char *
error_body (guint       status,
            const char *message)
{
  GString *out = g_string_new ("{\"type\":\"error\",\"error\":{\"type\":\"");

  /* Without a message the status phrase ("Gateway Timeout") says what happened. */
  if (message == NULL || *message == '\0')
    message = soup_status_get_phrase (status);

  g_string_append (out, error_type (status));
  g_string_append (out, "\",\"message\":");
  lp_json_append_string (out, message);
  g_string_append (out, "}}");

  return g_string_free (out, FALSE);
}

char *
lp_anthropic_render_error (guint       status,
                           const char *message,
                           const char *param)
{
  /* The Anthropic envelope has no param; the message names the field. */
  return error_body (status, message);
}

/* Stream */

typedef enum
{
  BLOCK_NONE,
  BLOCK_TEXT,
  BLOCK_THINKING,
} BlockKind;

typedef struct
{
  LpStream    parent;
  char       *id;
  char       *model;
  gint64      input_tokens;
  gboolean    thinking_allowed;
  gboolean    begun;
  gboolean    closed;         /* after finish or error nothing more may follow */
  BlockKind   open_block;
  guint       next_index;     /* index of the next content block */
  GChecksum  *thinking_sum;   /* over the open thinking block, for its signature */
} LpAnthropicStream;

static const LpStreamClass stream_class;

/* The checked downcast every stream callback starts with. */
static LpAnthropicStream *
anthropic_stream (LpStream *stream)
{
  g_assert (stream != NULL && stream->klass == &stream_class);
  return (LpAnthropicStream *) stream;
}

static void
event_open (GString    *out,
            const char *name)
{
  g_string_append_printf (out, "event: %s\ndata: ", name);
}

static void
event_close (GString *out)
{
  g_string_append (out, "\n\n");
}

static void
stream_begin (LpStream *stream,
              GString  *out)
{
  LpAnthropicStream *self = anthropic_stream (stream);

  if (self->begun || self->closed)
    return;

  self->begun = TRUE;
  event_open (out, "message_start");
  g_string_append (out, "{\"type\":\"message_start\",\"message\":{\"id\":");
  lp_json_append_string (out, self->id);
  g_string_append (out, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
  lp_json_append_string (out, self->model);
  g_string_append_printf (out,
                          ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                          "\"usage\":{\"input_tokens\":%" G_GINT64_FORMAT ","
                          "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
                          "\"output_tokens\":0}}}",
                          self->input_tokens);
  event_close (out);
}

static void
block_delta_open (LpAnthropicStream *self,
                  GString           *out,
                  const char        *delta_type)
{
  event_open (out, "content_block_delta");
  g_string_append_printf (out,
                          "{\"type\":\"content_block_delta\",\"index\":%u,"
                          "\"delta\":{\"type\":\"%s\",",
                          self->next_index - 1, delta_type);
}

static void
block_delta_close (GString *out)
{
  g_string_append (out, "}}");
  event_close (out);
}

static void
block_start (LpAnthropicStream *self,
             GString           *out,
             const char        *content_block)
{
  event_open (out, "content_block_start");
  g_string_append_printf (out, "{\"type\":\"content_block_start\",\"index\":%u,\"content_block\":%s}",
                          self->next_index++, content_block);
  event_close (out);
}

static void
block_stop (LpAnthropicStream *self,
            GString           *out)
{
  if (self->open_block == BLOCK_THINKING)
    {
      g_autofree char *signature = checksum_signature (self->thinking_sum);

      block_delta_open (self, out, "signature_delta");
      g_string_append (out, "\"signature\":");
      lp_json_append_string (out, signature);
      block_delta_close (out);
      g_checksum_reset (self->thinking_sum);
    }

  self->open_block = BLOCK_NONE;
  event_open (out, "content_block_stop");
  g_string_append_printf (out, "{\"type\":\"content_block_stop\",\"index\":%u}", self->next_index - 1);
  event_close (out);
}

/* Opens a block of @kind unless one is open already, closing any other. */
static void
ensure_block (LpAnthropicStream *self,
              BlockKind          kind,
              GString           *out)
{
  if (self->open_block == kind)
    return;

  if (self->open_block != BLOCK_NONE)
    block_stop (self, out);

  if (kind == BLOCK_TEXT)
    block_start (self, out, "{\"type\":\"text\",\"text\":\"\"}");
  else
    block_start (self, out, "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}");

  self->open_block = kind;
}

static void
stream_text (LpStream   *stream,
             const char *delta,
             GString    *out)
{
  LpAnthropicStream *self = anthropic_stream (stream);

  /* An empty delta must not open an empty text block. */
  if (self->closed || delta == NULL || *delta == '\0')
    return;

  stream_begin (stream, out);
  ensure_block (self, BLOCK_TEXT, out);
  block_delta_open (self, out, "text_delta");
  g_string_append (out, "\"text\":");
  lp_json_append_string (out, delta);
  block_delta_close (out);
}

static void
stream_thinking (LpStream   *stream,
                 const char *delta,
                 GString    *out)
{
  LpAnthropicStream *self = anthropic_stream (stream);

  /* The API never sends thinking the request did not enable. */
  if (self->closed || !self->thinking_allowed || delta == NULL || *delta == '\0')
    return;

  stream_begin (stream, out);
  ensure_block (self, BLOCK_THINKING, out);
  g_checksum_update (self->thinking_sum, (const guchar *) delta, -1);
  block_delta_open (self, out, "thinking_delta");
  g_string_append (out, "\"thinking\":");
  lp_json_append_string (out, delta);
  block_delta_close (out);
}

static void
stream_tool_call (LpStream         *stream,
                  const LpToolCall *call,
                  GString          *out)
{
  LpAnthropicStream *self = anthropic_stream (stream);
  g_autofree char *fallback_id = NULL;
  g_autofree char *arguments = NULL;
  g_auto(GStrv) pieces = NULL;
  GString *start;

  if (self->closed)
    return;

  stream_begin (stream, out);
  if (self->open_block != BLOCK_NONE)
    block_stop (self, out);

  /* `input` must be present and empty: clients build it from the deltas. */
  start = g_string_new ("{\"type\":\"tool_use\",\"id\":");
  lp_json_append_string (start, tool_use_id (call, &fallback_id));
  g_string_append (start, ",\"name\":");
  lp_json_append_string (start, call->name);
  g_string_append (start, ",\"input\":{}}");
  block_start (self, out, start->str);
  g_string_free (start, TRUE);

  arguments = lp_json_to_string (call->arguments);
  pieces = lp_json_split_pieces (arguments, LP_JSON_STREAM_PIECES);
  for (guint i = 0; pieces[i] != NULL; i++)
    {
      block_delta_open (self, out, "input_json_delta");
      g_string_append (out, "\"partial_json\":");
      lp_json_append_string (out, pieces[i]);
      block_delta_close (out);
    }

  block_stop (self, out);
}

static void
stream_finish (LpStream           *stream,
               const LpChatResult *result,
               GString            *out)
{
  LpAnthropicStream *self = anthropic_stream (stream);

  if (self->closed)
    return;

  stream_begin (stream, out);
  if (self->open_block != BLOCK_NONE)
    block_stop (self, out);
  self->closed = TRUE;

  event_open (out, "message_delta");
  g_string_append_printf (out, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"%s\",\"stop_sequence\":",
                          stop_reason (result->finish));
  if (matched_stop_sequence (result) != NULL)
    lp_json_append_string (out, matched_stop_sequence (result));
  else
    g_string_append (out, "null");
  g_string_append_printf (out, "},\"usage\":{\"output_tokens\":%" G_GINT64_FORMAT "}}",
                          result->output_tokens);
  event_close (out);

  event_open (out, "message_stop");
  g_string_append (out, "{\"type\":\"message_stop\"}");
  event_close (out);
}

static void
stream_error (LpStream   *stream,
              guint       status,
              const char *message,
              GString    *out)
{
  LpAnthropicStream *self = anthropic_stream (stream);
  g_autofree char *body = NULL;

  if (self->closed)
    return;

  /* The stream ends here: no block stop, no message_stop, as the API does. */
  self->closed = TRUE;
  body = error_body (status, message);
  event_open (out, "error");
  g_string_append (out, body);
  event_close (out);
}

static void
stream_keepalive (LpStream *stream,
                  GString  *out)
{
  LpAnthropicStream *self = anthropic_stream (stream);

  if (!self->closed)
    g_string_append (out, "event: ping\ndata: {\"type\": \"ping\"}\n\n");
}

static void
stream_free (LpStream *stream)
{
  LpAnthropicStream *self = anthropic_stream (stream);

  g_free (self->id);
  g_free (self->model);
  g_checksum_free (self->thinking_sum);
  g_free (self);
}

static const LpStreamClass stream_class = {
  .begin = stream_begin,
  .text = stream_text,
  .thinking = stream_thinking,
  .tool_call = stream_tool_call,
  .finish = stream_finish,
  .error = stream_error,
  .keepalive = stream_keepalive,
  .free = stream_free,
};

LpStream *
lp_anthropic_stream_new (const LpChatRequest *request,
                         const char          *model,
                         gint64               input_tokens)
{
  LpAnthropicStream *self;

  g_return_val_if_fail (request != NULL, NULL);

  self = g_new0 (LpAnthropicStream, 1);
  self->parent.klass = &stream_class;
  self->id = lp_new_id ("msg_");
  self->model = g_strdup (model ? model : request->model);
  self->input_tokens = input_tokens;
  self->thinking_allowed = request->thinking;
  self->thinking_sum = g_checksum_new (G_CHECKSUM_SHA256);

  return &self->parent;
}

static const LpDialectCodec codec = {
  .dialect = LP_DIALECT_ANTHROPIC,
  .name = "anthropic",
  .parse_request = lp_anthropic_parse_request,
  .render_result = lp_anthropic_render_result,
  .render_error = lp_anthropic_render_error,
  .stream_new = lp_anthropic_stream_new,
};

const LpDialectCodec *
lp_dialect_anthropic (void)
{
  return &codec;
}

/* count_tokens
 *
 * Claude Code calls this dozens of times a second at startup and
 * compacts its context from the answer, so it is a cheap walk that
 * never fails on a field it does not know and always errs high. */

/* What Claude charges for a 1092×1092 image (w × h / 750). */
#define IMAGE_TOKENS 1600
/* Role markers and separators around each message in the prompt. */
#define MESSAGE_TOKENS 8
/* A tool's entry in the contract besides its name, description and schema. */
#define TOOL_TOKENS 24
/* The fixed part of the tool-call contract, sent once when there are tools. */
#define TOOL_CONTRACT_TOKENS 800

static gint64
count_json (JsonNode *node)
{
  g_autofree char *json = lp_json_to_string (node);

  return lp_estimate_tokens (json);
}

static gint64
count_content (JsonNode *node)
{
  JsonObject *block;
  JsonNode *member;
  gint64 total = 0;

  if (node == NULL)
    return 0;

  if (lp_json_node_is_string (node))
    return lp_estimate_tokens (json_node_get_string (node));

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        total += count_content (json_array_get_element (array, i));
      return total;
    }

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return 0;

  block = json_node_get_object (node);

  /* Images and documents: a fixed price, not the size of their base64. */
  if (json_object_has_member (block, "source"))
    return IMAGE_TOKENS;

  if ((member = lp_json_get_member (block, "name")) != NULL)
    total += count_content (member);
  if ((member = lp_json_get_member (block, "input")) != NULL)
    total += count_json (member);

  /* text, thinking, tool_result content, redacted_thinking data */
  if ((member = lp_json_get_member (block, "text")) != NULL)
    total += count_content (member);
  if ((member = lp_json_get_member (block, "thinking")) != NULL)
    total += count_content (member);
  if ((member = lp_json_get_member (block, "content")) != NULL)
    total += count_content (member);
  if ((member = lp_json_get_member (block, "data")) != NULL)
    total += count_content (member);

  return total;
}

gint64
lp_anthropic_count_tokens (JsonNode  *root,
                           GError   **error)
{
  JsonObject *object;
  JsonArray *messages = NULL;
  JsonNode *tools;
  gint64 total;

  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      lp_json_error (error, NULL, "request body", "expected a JSON object");
      return -1;
    }
  object = json_node_get_object (root);

  if (!lp_json_get_array (object, NULL, "messages", &messages, error))
    return -1;
  if (messages == NULL)
    {
      lp_json_error (error, NULL, "messages", "field is required");
      return -1;
    }

  total = count_content (lp_json_get_member (object, "system"));

  for (guint i = 0; i < json_array_get_length (messages); i++)
    total += MESSAGE_TOKENS + count_content (json_array_get_element (messages, i));

  /* A wrongly typed `tools` counts as none rather than failing. */
  tools = lp_json_get_member (object, "tools");
  if (tools != NULL && JSON_NODE_HOLDS_ARRAY (tools))
    {
      JsonArray *array = json_node_get_array (tools);

      if (json_array_get_length (array) > 0)
        total += TOOL_CONTRACT_TOKENS;
      for (guint i = 0; i < json_array_get_length (array); i++)
        total += TOOL_TOKENS + count_json (json_array_get_element (array, i));
    }

  return total;
}
