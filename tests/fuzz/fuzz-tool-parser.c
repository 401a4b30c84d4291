/* fuzz-tool-parser.c
 *
 * lp_tool_parse_reply() on arbitrary model replies. Input layout: byte 0
 * picks the request options (bit 0 the dialect, bits 1–2 tool_choice,
 * bit 3 disables parallel calls), the rest is the reply. Every call must
 * name a declared tool with arguments that fit its schema, and survive
 * the trip through the history projection unchanged.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "lp-tools.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static LpChatRequest *
make_request (guint8 options)
{
  static const LpToolChoice choices[] = {
    LP_TOOL_CHOICE_AUTO, LP_TOOL_CHOICE_NONE, LP_TOOL_CHOICE_ANY, LP_TOOL_CHOICE_TOOL,
  };
  LpChatRequest *request = lp_chat_request_new (options & 1 ? LP_DIALECT_ANTHROPIC : LP_DIALECT_OPENAI);
  g_autoptr(JsonNode) bash =
    json_from_string ("{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"},"
                      "\"timeout\":{\"type\":\"number\"},\"background\":{\"type\":\"boolean\"}},"
                      "\"required\":[\"command\"]}", NULL);
  g_autoptr(JsonNode) read =
    json_from_string ("{\"type\":\"object\",\"properties\":{\"file_path\":{\"type\":\"string\"},"
                      "\"limit\":{\"type\":\"integer\"},\"pages\":{\"type\":\"array\"}},"
                      "\"required\":[\"file_path\"],\"additionalProperties\":false}", NULL);

  g_ptr_array_add (request->tools, lp_tool_def_new ("Bash", "Runs a command.", bash));
  g_ptr_array_add (request->tools, lp_tool_def_new ("Read", "Reads a file.", read));
  g_ptr_array_add (request->messages, lp_message_new (LP_ROLE_USER, "look around"));
  request->tool_choice = choices[(options >> 1) & 3];
  if (request->tool_choice == LP_TOOL_CHOICE_TOOL)
    request->tool_choice_name = g_strdup ("Read");
  request->parallel_tool_calls = (options & 8) == 0;

  return request;
}

static void
check_call (const LpChatRequest *request,
            const LpToolCall    *call)
{
  const char *prefix = request->dialect == LP_DIALECT_OPENAI ? "call_" : "toolu_";
  JsonObject *arguments;

  g_assert_true (g_str_has_prefix (call->id, prefix));
  g_assert_cmpuint (strlen (call->id), ==, strlen (prefix) + 24);
  g_assert_true (g_strcmp0 (call->name, "Bash") == 0 || g_strcmp0 (call->name, "Read") == 0);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (call->arguments));

  arguments = json_node_get_object (call->arguments);
  if (g_strcmp0 (call->name, "Read") == 0)
    {
      JsonObjectIter iter;
      const char *member;

      g_assert_true (json_object_has_member (arguments, "file_path"));
      json_object_iter_init (&iter, arguments);
      while (json_object_iter_next (&iter, &member, NULL))
        g_assert_true (strcmp (member, "file_path") == 0 || strcmp (member, "limit") == 0 ||
                       strcmp (member, "pages") == 0);
    }
  else
    g_assert_true (json_object_has_member (arguments, "command"));
}

/* Projected into history and parsed again, the calls come back alike. */
static void
check_round_trip (const LpChatRequest *request,
                  const LpToolParse   *parse)
{
  g_autoptr(LpMessage) turn = lp_message_new (LP_ROLE_ASSISTANT, "");
  g_autoptr(LpToolParse) again = NULL;
  g_autofree char *projected = NULL;

  for (guint i = 0; i < parse->calls->len; i++)
    g_ptr_array_add (turn->tool_calls, lp_tool_call_copy (g_ptr_array_index (parse->calls, i)));
  projected = lp_tool_project_assistant_turn (turn);
  again = lp_tool_parse_reply (request, projected);

  g_assert_cmpuint (again->calls->len, ==, parse->calls->len);
  g_assert_cmpstr (again->text, ==, "");
  for (guint i = 0; i < parse->calls->len; i++)
    {
      const LpToolCall *before = g_ptr_array_index (parse->calls, i);
      const LpToolCall *after = g_ptr_array_index (again->calls, i);
      g_autofree char *before_json = lp_tool_call_dup_arguments_json (before);
      g_autofree char *after_json = lp_tool_call_dup_arguments_json (after);

      g_assert_cmpstr (before->name, ==, after->name);
      g_assert_cmpstr (before_json, ==, after_json);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(LpChatRequest) request = NULL;
  g_autoptr(LpToolParse) parse = NULL;
  g_autofree char *reply = NULL;
  LpToolRetryReason reason;

  if (size < 1)
    return 0;

  request = make_request (data[0]);
  reply = g_strndup ((const char *) data + 1, size - 1);
  parse = lp_tool_parse_reply (request, reply);

  g_assert_nonnull (parse->text);
  g_assert_true (g_utf8_validate (parse->text, -1, NULL));
  g_assert_true (parse->problem == NULL || g_utf8_validate (parse->problem, -1, NULL));

  if (request->tool_choice == LP_TOOL_CHOICE_NONE)
    {
      g_assert_cmpuint (parse->calls->len, ==, 0);
      g_assert_null (parse->problem);
    }
  if (!request->parallel_tool_calls)
    g_assert_cmpuint (parse->calls->len, <=, 1);

  for (guint i = 0; i < parse->calls->len; i++)
    check_call (request, g_ptr_array_index (parse->calls, i));

  if (request->tool_choice != LP_TOOL_CHOICE_NONE && request->parallel_tool_calls)
    check_round_trip (request, parse);

  reason = lp_tool_retry_reason (request, parse);
  if (parse->calls->len > 0)
    {
      gboolean forced_elsewhere = request->tool_choice == LP_TOOL_CHOICE_TOOL;

      for (guint i = 0; i < parse->calls->len; i++)
        if (g_strcmp0 (((LpToolCall *) g_ptr_array_index (parse->calls, i))->name,
                       request->tool_choice_name) == 0)
          forced_elsewhere = FALSE;

      /* Calls end the retries, unless none of them is the forced tool. */
      g_assert_cmpint (reason, ==, forced_elsewhere ? LP_TOOL_RETRY_FORCED : LP_TOOL_RETRY_NONE);
    }
  if (reason == LP_TOOL_RETRY_REFUSAL || reason == LP_TOOL_RETRY_MISSED)
    g_assert_nonnull (lp_tool_retry_matched_needle (request, parse));
  else
    g_assert_null (lp_tool_retry_matched_needle (request, parse));

  if (reason != LP_TOOL_RETRY_NONE)
    {
      for (guint attempt = 1; attempt <= 2; attempt++)
        {
          g_autofree char *instruction = lp_tool_retry_instruction_for_parse (request, parse, attempt);

          g_assert_true (g_str_has_suffix (instruction, LP_TOOL_BLOCK_CLOSE));
        }
    }

  return 0;
}
