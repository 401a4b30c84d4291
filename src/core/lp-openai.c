/* lp-openai.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-openai"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "lp-error.h"
#include "lp-json.h"
#include "lp-openai.h"

/* Request */

static gboolean
parse_data_url (const char  *url,
                const char  *where,
                LpImage    **out,
                GError     **error)
{
  const char *comma = strchr (url, ',');
  g_autofree char *header = NULL;
  g_auto(GStrv) params = NULL;
  g_autofree char *data = NULL;
  gboolean base64 = FALSE;

  if (comma == NULL)
    {
      lp_json_error (error, where, "url", "malformed data URL (no comma)");
      return FALSE;
    }

  header = g_strndup (url + strlen ("data:"), comma - url - strlen ("data:"));
  /* "data:,…" has no media type: g_strsplit () then returns no fields. */
  params = g_strsplit (header, ";", -1);
  for (guint i = 1; params[0] != NULL && params[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (g_strstrip (params[i]), "base64") == 0)
        base64 = TRUE;
    }

  if (base64)
    {
      data = g_strdup (comma + 1);
    }
  else
    {
      /* Plain data URLs are percent-encoded bytes; the image wants base64. */
      g_autoptr(GBytes) bytes = g_uri_unescape_bytes (comma + 1, -1, NULL, NULL);

      if (bytes == NULL)
        {
          lp_json_error (error, where, "url", "malformed data URL (bad percent-encoding)");
          return FALSE;
        }
      data = g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }

  if (*data == '\0')
    {
      lp_json_error (error, where, "url", "data URL carries no data");
      return FALSE;
    }

  *out = lp_image_new (params[0] != NULL ? g_strstrip (params[0]) : NULL, data, NULL);
  return TRUE;
}

/* An image_url part: {"image_url": {"url": …}} or {"image_url": "…"}.
 * Other URLs (http, file, paths) are resolved later, by policy. */
static gboolean
parse_image_part (JsonObject  *part,
                  const char  *where,
                  LpImage    **out,
                  GError     **error)
{
  g_autofree char *image_where = g_strdup_printf ("%s.image_url", where);
  JsonNode *node = lp_json_get_member (part, "image_url");
  const char *url = NULL;

  if (node == NULL)
    {
      lp_json_error (error, where, "image_url", "field is required");
      return FALSE;
    }

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      if (!lp_json_require_string (json_node_get_object (node), image_where, "url", &url, error))
        return FALSE;
    }
  else if (lp_json_node_is_string (node))
    {
      url = json_node_get_string (node);
    }
  else
    {
      lp_json_error (error, where, "image_url", "expected an object with a url, or a string");
      return FALSE;
    }

  if (*url == '\0')
    {
      lp_json_error (error, image_where, "url", "must not be empty");
      return FALSE;
    }

  if (g_ascii_strncasecmp (url, "data:", strlen ("data:")) == 0)
    return parse_data_url (url, image_where, out, error);

  *out = lp_image_new (NULL, NULL, url);
  return TRUE;
}

/* The text of a message's content (a string or an array of content
 * parts) joined into @text, and its images into @images unless that is
 * NULL (only user turns carry images). */
static gboolean
parse_content (JsonObject  *message,
               const char  *where,
               GString     *text,
               GPtrArray   *images,
               GError     **error)
{
  JsonNode *content = lp_json_get_member (message, "content");
  JsonArray *parts;

  if (content == NULL)
    return TRUE;

  if (lp_json_node_is_string (content))
    {
      lp_json_join_text (text, json_node_get_string (content), "\n");
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (content))
    {
      lp_json_error (error, where, "content", "expected a string or an array of content parts");
      return FALSE;
    }

  parts = json_node_get_array (content);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      g_autofree char *part_where = lp_json_path_index (where, "content", i);
      JsonNode *node = json_array_get_element (parts, i);
      JsonObject *part;
      const char *type = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          lp_json_error (error, part_where, NULL, "expected an object");
          return FALSE;
        }

      part = json_node_get_object (node);
      if (!lp_json_require_string (part, part_where, "type", &type, error))
        return FALSE;

      if (g_str_equal (type, "text"))
        {
          const char *part_text = NULL;

          if (!lp_json_require_string (part, part_where, "text", &part_text, error))
            return FALSE;
          lp_json_join_text (text, part_text, "\n");
        }
      else if (g_str_equal (type, "image_url") && images != NULL)
        {
          LpImage *image = NULL;

          if (!parse_image_part (part, part_where, &image, error))
            return FALSE;
          g_ptr_array_add (images, image);
        }
      /* refusal, input_audio, file: nothing Lingma can take */
    }

  return TRUE;
}

static gboolean
parse_tool_calls (JsonObject  *message,
                  const char  *where,
                  GPtrArray   *calls,
                  GError     **error)
{
  JsonArray *array = NULL;

  if (!lp_json_get_array (message, where, "tool_calls", &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *call_where = lp_json_path_index (where, "tool_calls", i);
      g_autofree char *function_where = NULL;
      g_autofree char *name = NULL;
      g_autoptr(JsonNode) arguments = NULL;
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *call;
      JsonObject *function = NULL;
      const char *id = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          lp_json_error (error, call_where, NULL, "expected an object");
          return FALSE;
        }

      call = json_node_get_object (node);
      if (!lp_json_get_string (call, call_where, "id", &id, error) ||
          !lp_json_get_object (call, call_where, "function", &function, error))
        return FALSE;

      if (function == NULL)
        {
          lp_json_error (error, call_where, "function", "field is required");
          return FALSE;
        }

      function_where = g_strdup_printf ("%s.function", call_where);
      if (!lp_json_require_name (function, function_where, "name", &name, error))
        return FALSE;

      /* The spec says a string; some clients send the object itself. */
      arguments = lp_json_get_arguments (function, function_where, "arguments", "a string", error);
      if (arguments == NULL)
        return FALSE;

      g_ptr_array_add (calls, lp_tool_call_new (id, name, arguments));
    }

  return TRUE;
}

/* Adds the message at @where to @request, or folds it into @system.
 * Returns FALSE only on a malformed message. */
static gboolean
parse_message (LpChatRequest  *request,
               JsonNode       *node,
               const char     *where,
               GString        *system,
               GError        **error)
{
  g_autoptr(LpMessage) message = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *role = NULL;
  JsonObject *object;
  const char *raw_role = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      lp_json_error (error, where, NULL, "expected an object");
      return FALSE;
    }

  object = json_node_get_object (node);
  if (!lp_json_require_string (object, where, "role", &raw_role, error))
    return FALSE;
  role = g_strstrip (g_ascii_strdown (raw_role, -1));

  if (g_str_equal (role, "system") || g_str_equal (role, "developer"))
    {
      if (!parse_content (object, where, text, NULL, error))
        return FALSE;
      lp_json_join_text (system, text->str, "\n\n");
      return TRUE;
    }

  if (g_str_equal (role, "user"))
    {
      message = lp_message_new (LP_ROLE_USER, NULL);
      if (!parse_content (object, where, text, message->images, error))
        return FALSE;
    }
  else if (g_str_equal (role, "assistant"))
    {
      message = lp_message_new (LP_ROLE_ASSISTANT, NULL);
      if (!parse_content (object, where, text, NULL, error) ||
          !parse_tool_calls (object, where, message->tool_calls, error))
        return FALSE;
    }
  else if (g_str_equal (role, "tool"))
    {
      const char *tool_call_id = NULL;

      message = lp_message_new (LP_ROLE_TOOL_RESULT, NULL);
      if (!lp_json_get_string (object, where, "tool_call_id", &tool_call_id, error) ||
          !parse_content (object, where, text, NULL, error))
        return FALSE;
      message->tool_call_id = g_strdup (tool_call_id);
    }
  else
    {
      /* "function" and whatever comes next: nothing to map it to. */
      return TRUE;
    }

  /* Parts were trimmed as they were joined. */
  g_free (message->text);
  message->text = g_string_free (g_steal_pointer (&text), FALSE);

  /* An empty tool result is still an answer the model has to see. */
  if (message->role != LP_ROLE_TOOL_RESULT &&
      *message->text == '\0' && message->images->len == 0 && message->tool_calls->len == 0)
    return TRUE;

  g_ptr_array_add (request->messages, g_steal_pointer (&message));
  return TRUE;
}

static gboolean
parse_messages (LpChatRequest  *request,
                JsonObject     *root,
                GError        **error)
{
  g_autoptr(GString) system = g_string_new (NULL);
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

      if (!parse_message (request, json_array_get_element (messages, i), where, system, error))
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

  g_free (request->system);
  request->system = g_string_free (g_steal_pointer (&system), FALSE);
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
      g_autofree char *function_where = g_strdup_printf ("%s.function", where);
      g_autofree char *name = NULL;
      JsonNode *node = json_array_get_element (tools, i);
      JsonObject *tool;
      JsonObject *function = NULL;
      JsonObject *parameters = NULL;
      const char *type = NULL;
      const char *description = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          lp_json_error (error, where, NULL, "expected an object");
          return FALSE;
        }

      tool = json_node_get_object (node);
      if (!lp_json_get_string (tool, where, "type", &type, error))
        return FALSE;

      /* Custom (grammar) tools cannot be emulated; skip them, not the request. */
      if (type != NULL && !g_str_equal (type, "function"))
        continue;

      if (!lp_json_get_object (tool, where, "function", &function, error))
        return FALSE;
      if (function == NULL)
        {
          lp_json_error (error, where, "function", "field is required");
          return FALSE;
        }

      if (!lp_json_require_name (function, function_where, "name", &name, error) ||
          !lp_json_get_string (function, function_where, "description", &description, error) ||
          !lp_json_get_object (function, function_where, "parameters", &parameters, error))
        return FALSE;

      g_ptr_array_add (request->tools,
                       lp_tool_def_new (name, description,
                                        lp_json_get_member (function, "parameters")));
    }

  return TRUE;
}

static gboolean
parse_tool_choice (LpChatRequest  *request,
                   JsonObject     *root,
                   GError        **error)
{
  JsonNode *node = lp_json_get_member (root, "tool_choice");
  const char *mode = NULL;

  if (node == NULL)
    return TRUE;

  if (lp_json_node_is_string (node))
    {
      mode = json_node_get_string (node);
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);

      if (!lp_json_require_string (object, "tool_choice", "type", &mode, error))
        return FALSE;

      if (g_str_equal (mode, "function"))
        {
          JsonObject *function = NULL;

          if (!lp_json_get_object (object, "tool_choice", "function", &function, error))
            return FALSE;
          if (function == NULL)
            {
              lp_json_error (error, "tool_choice", "function", "field is required");
              return FALSE;
            }
          if (!lp_json_require_name (function, "tool_choice.function", "name",
                                     &request->tool_choice_name, error))
            return FALSE;

          if (lp_chat_request_find_tool (request, request->tool_choice_name) == NULL)
            {
              lp_json_error (error, "tool_choice.function", "name",
                             "no tool named \"%s\" in tools", request->tool_choice_name);
              return FALSE;
            }

          request->tool_choice = LP_TOOL_CHOICE_TOOL;
          return TRUE;
        }
    }

  if (mode != NULL && g_str_equal (mode, "auto"))
    request->tool_choice = LP_TOOL_CHOICE_AUTO;
  else if (mode != NULL && g_str_equal (mode, "none"))
    request->tool_choice = LP_TOOL_CHOICE_NONE;
  else if (mode != NULL && (g_str_equal (mode, "required") || g_str_equal (mode, "any")))
    request->tool_choice = LP_TOOL_CHOICE_ANY;
  else
    {
      lp_json_error (error, NULL, "tool_choice",
                     "expected \"auto\", \"none\", \"required\" or "
                     "{\"type\": \"function\", \"function\": {\"name\": …}}");
      return FALSE;
    }

  return TRUE;
}

static gboolean
parse_response_format (LpChatRequest  *request,
                       JsonObject     *root,
                       GError        **error)
{
  JsonObject *format = NULL;
  JsonObject *spec = NULL;
  JsonObject *schema = NULL;
  const char *type = NULL;

  if (!lp_json_get_object (root, NULL, "response_format", &format, error))
    return FALSE;
  if (format == NULL)
    return TRUE;

  if (!lp_json_require_string (format, "response_format", "type", &type, error))
    return FALSE;

  if (g_str_equal (type, "text"))
    return TRUE;

  if (g_str_equal (type, "json_object"))
    {
      request->output_format = lp_json_output_instruction (NULL);
      return TRUE;
    }

  if (!g_str_equal (type, "json_schema"))
    {
      lp_json_error (error, "response_format", "type",
                     "expected \"text\", \"json_object\" or \"json_schema\"");
      return FALSE;
    }

  if (!lp_json_get_object (format, "response_format", "json_schema", &spec, error))
    return FALSE;
  if (spec == NULL)
    {
      lp_json_error (error, "response_format", "json_schema", "field is required");
      return FALSE;
    }
  if (!lp_json_get_object (spec, "response_format.json_schema", "schema", &schema, error))
    return FALSE;

  request->output_format = lp_json_output_instruction (lp_json_get_member (spec, "schema"));
  return TRUE;
}

static gboolean
parse_stop (LpChatRequest  *request,
            JsonObject     *root,
            GError        **error)
{
  JsonNode *node = lp_json_get_member (root, "stop");
  g_autoptr(GPtrArray) stop = NULL;
  JsonArray *array;

  if (node == NULL)
    return TRUE;

  stop = g_ptr_array_new_with_free_func (g_free);

  if (lp_json_node_is_string (node))
    {
      g_ptr_array_add (stop, g_strdup (json_node_get_string (node)));
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (!lp_json_node_is_string (element))
            {
              g_autofree char *where = lp_json_path_index (NULL, "stop", i);

              lp_json_error (error, where, NULL, "expected a string");
              return FALSE;
            }
          g_ptr_array_add (stop, g_strdup (json_node_get_string (element)));
        }
    }
  else
    {
      lp_json_error (error, NULL, "stop", "expected a string or an array of strings");
      return FALSE;
    }

  /* An empty stop string would end every reply before it starts. */
  for (guint i = stop->len; i > 0; i--)
    {
      if (*(const char *) g_ptr_array_index (stop, i - 1) == '\0')
        g_ptr_array_remove_index (stop, i - 1);
    }

  if (stop->len > 0)
    {
      g_ptr_array_add (stop, NULL);
      request->stop = (GStrv) g_ptr_array_steal (stop, NULL);
    }

  return TRUE;
}

/* The fields that only need a type check: they change nothing Lingma
 * can do, but a wrong type is still the client's bug to hear about. */
static gboolean
check_ignored_fields (JsonObject  *root,
                      GError     **error)
{
  static const char * const numbers[] = {
    "temperature", "top_p", "presence_penalty", "frequency_penalty",
  };
  static const char * const integers[] = { "seed", "top_logprobs" };
  static const char * const strings[] = { "user", "reasoning_effort" };
  double number;
  gint64 integer;
  gboolean boolean;
  const char *string;

  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      if (!lp_json_get_double (root, NULL, numbers[i], &number, error))
        return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (integers); i++)
    {
      if (!lp_json_get_int (root, NULL, integers[i], &integer, error))
        return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    {
      if (!lp_json_get_string (root, NULL, strings[i], &string, error))
        return FALSE;
    }

  return lp_json_get_boolean (root, NULL, "logprobs", &boolean, error);
}

static gboolean
parse_max_tokens (LpChatRequest  *request,
                  JsonObject     *root,
                  GError        **error)
{
  gint64 max_tokens = 0;
  gint64 max_completion_tokens = 0;

  if (!lp_json_get_int (root, NULL, "max_tokens", &max_tokens, error) ||
      !lp_json_get_int (root, NULL, "max_completion_tokens", &max_completion_tokens, error))
    return FALSE;

  if (max_tokens < 0)
    {
      lp_json_error (error, NULL, "max_tokens", "must not be negative");
      return FALSE;
    }
  if (max_completion_tokens < 0)
    {
      lp_json_error (error, NULL, "max_completion_tokens", "must not be negative");
      return FALSE;
    }

  request->max_tokens = max_completion_tokens > 0 ? max_completion_tokens : max_tokens;
  return TRUE;
}

LpChatRequest *
lp_openai_parse_request (JsonNode  *root,
                         GError   **error)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_OPENAI);
  JsonObject *object;
  JsonObject *stream_options = NULL;
  const char *model = NULL;
  gint64 n = 1;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      lp_json_error (error, NULL, "request body", "expected a JSON object");
      return NULL;
    }
  object = json_node_get_object (root);

  if (!lp_json_get_string (object, NULL, "model", &model, error) ||
      !lp_json_get_boolean (object, NULL, "stream", &request->stream, error) ||
      !lp_json_get_boolean (object, NULL, "parallel_tool_calls", &request->parallel_tool_calls, error) ||
      !lp_json_get_object (object, NULL, "stream_options", &stream_options, error) ||
      !lp_json_get_int (object, NULL, "n", &n, error) ||
      !check_ignored_fields (object, error) ||
      !parse_max_tokens (request, object, error) ||
      !parse_stop (request, object, error) ||
      !parse_response_format (request, object, error) ||
      !parse_tools (request, object, error) ||
      !parse_tool_choice (request, object, error) ||
      !parse_messages (request, object, error))
    return NULL;

  if (stream_options != NULL &&
      !lp_json_get_boolean (stream_options, "stream_options", "include_usage",
                            &request->include_usage, error))
    return NULL;

  if (n != 1)
    {
      lp_json_error (error, NULL, "n", "only 1 choice per request is supported");
      return NULL;
    }

  if (model != NULL)
    {
      g_free (request->model);
      request->model = g_strstrip (g_strdup (model));
    }

  return g_steal_pointer (&request);
}

/* Result */

static const char *
finish_reason (LpFinishReason finish)
{
  switch (finish)
    {
    case LP_FINISH_LENGTH:
      return "length";
    case LP_FINISH_TOOL_CALLS:
      return "tool_calls";
    case LP_FINISH_STOP:
    case LP_FINISH_STOP_SEQUENCE:
    default:
      return "stop";
    }
}

static const char *
call_id (const LpToolCall  *call,
         char             **fallback)
{
  if (call->id != NULL && *call->id != '\0')
    return call->id;

  *fallback = lp_new_id ("call_");
  return *fallback;
}

static JsonNode *
new_object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

char *
lp_openai_render_result (const LpChatRequest *request,
                         const LpChatResult  *result,
                         const char          *model)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *id = NULL;
  JsonObject *object;
  JsonObject *message;
  JsonObject *choice;
  JsonObject *usage;
  JsonArray *choices;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (result != NULL, NULL);

  id = lp_new_id ("chatcmpl-");
  object = json_object_new ();
  message = json_object_new ();
  choice = json_object_new ();
  usage = json_object_new ();
  choices = json_array_new ();
  root = new_object_node (object);

  json_object_set_string_member (message, "role", "assistant");
  if (*result->text == '\0' && result->tool_calls->len > 0)
    json_object_set_null_member (message, "content");
  else
    json_object_set_string_member (message, "content", result->text);

  if (*result->thinking != '\0')
    json_object_set_string_member (message, "reasoning_content", result->thinking);

  if (result->tool_calls->len > 0)
    {
      JsonArray *calls = json_array_new ();

      for (guint i = 0; i < result->tool_calls->len; i++)
        {
          const LpToolCall *call = g_ptr_array_index (result->tool_calls, i);
          g_autofree char *fallback_id = NULL;
          g_autofree char *arguments = lp_json_to_string (call->arguments);
          JsonObject *entry = json_object_new ();
          JsonObject *function = json_object_new ();

          json_object_set_string_member (entry, "id", call_id (call, &fallback_id));
          json_object_set_string_member (entry, "type", "function");
          json_object_set_string_member (function, "name", call->name);
          json_object_set_string_member (function, "arguments", arguments);
          json_object_set_object_member (entry, "function", function);
          json_array_add_object_element (calls, entry);
        }

      json_object_set_array_member (message, "tool_calls", calls);
    }

  json_object_set_int_member (choice, "index", 0);
  json_object_set_object_member (choice, "message", message);
  json_object_set_null_member (choice, "logprobs");
  json_object_set_string_member (choice, "finish_reason", finish_reason (result->finish));
  json_array_add_object_element (choices, choice);

  json_object_set_int_member (usage, "prompt_tokens", result->input_tokens);
  json_object_set_int_member (usage, "completion_tokens", result->output_tokens);
  json_object_set_int_member (usage, "total_tokens", result->input_tokens + result->output_tokens);

  json_object_set_string_member (object, "id", id);
  json_object_set_string_member (object, "object", "chat.completion");
  json_object_set_int_member (object, "created", g_get_real_time () / G_USEC_PER_SEC);
  json_object_set_string_member (object, "model", model ? model : request->model);
  json_object_set_array_member (object, "choices", choices);
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
    case 429: return "rate_limit_error";
    case 504: return "timeout_error";
    default:  return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

static const char *
error_code (guint status)
{
  switch (status)
    {
    case 413: return "request_too_large";
    case 429: return "rate_limit_exceeded";
    case 502: return "upstream_error";
    case 503: return "upstream_unavailable";
    case 504: return "upstream_timeout";
    default:  return NULL;
    }
}

char *
lp_openai_render_error (guint       status,
                        const char *message,
                        const char *param)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object = json_object_new ();
  JsonObject *error = json_object_new ();

  root = new_object_node (object);

  if (message == NULL || *message == '\0')
    message = soup_status_get_phrase (status);

  json_object_set_string_member (error, "message", message);
  json_object_set_string_member (error, "type", error_type (status));
  json_object_set_string_member (error, "param", param);
  json_object_set_string_member (error, "code", error_code (status));
  json_object_set_object_member (object, "error", error);

  return lp_json_to_string (root);
}

/* Stream
 *
 * Chunks are written from templates: every chunk repeats the same id,
 * created and model, which are escaped once into @prefix. */

typedef struct
{
  LpStream  parent;
  char     *prefix;        /* `data: {"id":…,"object":…,"created":…,"model":…,"choices":` */
  gboolean  include_usage;
  gboolean  begun;
  gboolean  closed;        /* after finish or error nothing more may follow */
  guint     n_tool_calls;
} LpOpenaiStream;

static const LpStreamClass stream_class;

/* The checked downcast every stream callback starts with. */
static LpOpenaiStream *
openai_stream (LpStream *stream)
{
  g_assert (stream != NULL && stream->klass == &stream_class);
  return (LpOpenaiStream *) stream;
}

static void
chunk_open (LpOpenaiStream *self,
            GString        *out)
{
  g_string_append (out, self->prefix);
  g_string_append (out, "[{\"index\":0,\"delta\":");
}

static void
chunk_close (GString    *out,
             const char *finish)
{
  if (finish != NULL)
    g_string_append_printf (out, ",\"finish_reason\":\"%s\"}]}\n\n", finish);
  else
    g_string_append (out, ",\"finish_reason\":null}]}\n\n");
}

static void
stream_begin (LpStream *stream,
              GString  *out)
{
  LpOpenaiStream *self = openai_stream (stream);

  if (self->begun || self->closed)
    return;

  self->begun = TRUE;
  chunk_open (self, out);
  g_string_append (out, "{\"role\":\"assistant\",\"content\":\"\"}");
  chunk_close (out, NULL);
}

static void
append_delta (LpOpenaiStream *self,
              const char     *field,
              const char     *delta,
              GString        *out)
{
  if (self->closed || delta == NULL || *delta == '\0')
    return;

  stream_begin (&self->parent, out);
  chunk_open (self, out);
  g_string_append_printf (out, "{\"%s\":", field);
  lp_json_append_string (out, delta);
  g_string_append_c (out, '}');
  chunk_close (out, NULL);
}

static void
stream_text (LpStream   *stream,
             const char *delta,
             GString    *out)
{
  append_delta (openai_stream (stream), "content", delta, out);
}

static void
stream_thinking (LpStream   *stream,
                 const char *delta,
                 GString    *out)
{
  append_delta (openai_stream (stream), "reasoning_content", delta, out);
}

static void
stream_tool_call (LpStream         *stream,
                  const LpToolCall *call,
                  GString          *out)
{
  LpOpenaiStream *self = openai_stream (stream);
  g_autofree char *fallback_id = NULL;
  g_autofree char *arguments = NULL;
  g_auto(GStrv) pieces = NULL;
  guint index;

  if (self->closed)
    return;

  stream_begin (stream, out);
  index = self->n_tool_calls++;

  chunk_open (self, out);
  g_string_append_printf (out, "{\"tool_calls\":[{\"index\":%u,\"id\":", index);
  lp_json_append_string (out, call_id (call, &fallback_id));
  g_string_append (out, ",\"type\":\"function\",\"function\":{\"name\":");
  lp_json_append_string (out, call->name);
  g_string_append (out, ",\"arguments\":\"\"}}]}");
  chunk_close (out, NULL);

  arguments = lp_json_to_string (call->arguments);
  pieces = lp_json_split_pieces (arguments, LP_JSON_STREAM_PIECES);
  for (guint i = 0; pieces[i] != NULL; i++)
    {
      chunk_open (self, out);
      g_string_append_printf (out, "{\"tool_calls\":[{\"index\":%u,\"function\":{\"arguments\":", index);
      lp_json_append_string (out, pieces[i]);
      g_string_append (out, "}}]}");
      chunk_close (out, NULL);
    }
}

static void
stream_finish (LpStream           *stream,
               const LpChatResult *result,
               GString            *out)
{
  LpOpenaiStream *self = openai_stream (stream);

  if (self->closed)
    return;

  stream_begin (stream, out);
  self->closed = TRUE;

  chunk_open (self, out);
  g_string_append (out, "{}");
  chunk_close (out, finish_reason (result->finish));

  if (self->include_usage)
    {
      g_string_append (out, self->prefix);
      g_string_append_printf (out,
                              "[],\"usage\":{\"prompt_tokens\":%" G_GINT64_FORMAT
                              ",\"completion_tokens\":%" G_GINT64_FORMAT
                              ",\"total_tokens\":%" G_GINT64_FORMAT "}}\n\n",
                              result->input_tokens, result->output_tokens,
                              result->input_tokens + result->output_tokens);
    }

  g_string_append (out, "data: [DONE]\n\n");
}

static void
stream_error (LpStream   *stream,
              guint       status,
              const char *message,
              GString    *out)
{
  LpOpenaiStream *self = openai_stream (stream);
  g_autofree char *body = NULL;

  if (self->closed)
    return;

  /* No [DONE]: the SDK raises on the error object, and [DONE] after it
   * would read as a clean end to clients that skip unknown chunks. */
  self->closed = TRUE;
  body = lp_openai_render_error (status, message, NULL);
  g_string_append_printf (out, "data: %s\n\n", body);
}

static void
stream_keepalive (LpStream *stream,
                  GString  *out)
{
  LpOpenaiStream *self = openai_stream (stream);

  if (!self->closed)
    g_string_append (out, ": keep-alive\n\n");
}

static void
stream_free (LpStream *stream)
{
  LpOpenaiStream *self = openai_stream (stream);

  g_free (self->prefix);
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
lp_openai_stream_new (const LpChatRequest *request,
                      const char          *model,
                      gint64               input_tokens)
{
  LpOpenaiStream *self;
  g_autofree char *id = lp_new_id ("chatcmpl-");
  GString *prefix = g_string_new ("data: {\"id\":");

  g_return_val_if_fail (request != NULL, NULL);

  lp_json_append_string (prefix, id);
  g_string_append_printf (prefix, ",\"object\":\"chat.completion.chunk\",\"created\":%" G_GINT64_FORMAT ",\"model\":",
                          g_get_real_time () / G_USEC_PER_SEC);
  lp_json_append_string (prefix, model ? model : request->model);
  g_string_append (prefix, ",\"choices\":");

  self = g_new0 (LpOpenaiStream, 1);
  self->parent.klass = &stream_class;
  self->prefix = g_string_free (prefix, FALSE);
  self->include_usage = request->include_usage;

  return &self->parent;
}

static const LpDialectCodec codec = {
  .dialect = LP_DIALECT_OPENAI,
  .name = "openai",
  .parse_request = lp_openai_parse_request,
  .render_result = lp_openai_render_result,
  .render_error = lp_openai_render_error,
  .stream_new = lp_openai_stream_new,
};

const LpDialectCodec *
lp_dialect_openai (void)
{
  return &codec;
}
