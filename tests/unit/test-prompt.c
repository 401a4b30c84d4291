/* test-prompt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "lp-error.h"
#include "lp-prompt.h"
#include "lp-tools.h"

#define CLOSING \
  "Write the assistant's reply to the latest user message, following the instructions and " \
  "staying consistent with the conversation above."
#define CONTINUE \
  "Continue with the next action block, or give the final answer if nothing else is needed."

static LpMessage *
add_message (LpChatRequest *request,
             LpRole         role,
             const char    *text)
{
  LpMessage *message = lp_message_new (role, text);

  g_ptr_array_add (request->messages, message);

  return message;
}

static void
add_bash (LpChatRequest *request)
{
  g_autoptr(JsonNode) schema =
    json_from_string ("{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}},"
                      "\"required\":[\"command\"]}", NULL);

  g_ptr_array_add (request->tools, lp_tool_def_new ("Bash", "Runs a shell command.", schema));
}

static void
set_system (LpChatRequest *request,
            const char    *system)
{
  g_free (request->system);
  request->system = g_strdup (system);
}

static char *
build (const LpChatRequest *request,
       LpPromptScope        scope)
{
  g_autoptr(GError) error = NULL;
  char *prompt = lp_prompt_build (request, scope, &error);

  g_assert_no_error (error);
  g_assert_nonnull (prompt);

  return prompt;
}

static void
test_bare (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autofree char *prompt = NULL;

  add_message (request, LP_ROLE_USER, "hi");
  prompt = build (request, LP_PROMPT_FULL);

  g_assert_cmpstr (prompt, ==, "hi");
}

static void
test_system (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autofree char *prompt = NULL;

  set_system (request, "S");
  add_message (request, LP_ROLE_USER, "Q");
  prompt = build (request, LP_PROMPT_FULL);

  g_assert_cmpstr (prompt, ==,
                   "System instructions:\n\nS\n\nConversation transcript:\n\nUser: Q\n\n" CLOSING);
}

static void
test_transcript (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  g_autofree char *prompt = NULL;

  add_message (request, LP_ROLE_USER, "a");
  add_message (request, LP_ROLE_ASSISTANT, "b");
  add_message (request, LP_ROLE_ASSISTANT, "");
  add_message (request, LP_ROLE_USER, "c");
  prompt = build (request, LP_PROMPT_FULL);

  g_assert_cmpstr (prompt, ==,
                   "Conversation transcript:\n\nUser: a\n\nAssistant: b\n\nUser: c\n\n" CLOSING);
}

static void
test_tools (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  g_autofree char *prompt = NULL;
  g_autofree char *contract = NULL;
  g_autofree char *expected = NULL;

  add_bash (request);
  add_message (request, LP_ROLE_USER, "Q");
  prompt = build (request, LP_PROMPT_FULL);
  contract = lp_tool_contract_build (request);
  expected = g_strdup_printf ("User: Q\n\n%s\n\nAssistant:", contract);

  g_assert_cmpstr (prompt, ==, expected);
}

static void
test_tools_with_system (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  g_autofree char *prompt = NULL;
  g_autofree char *contract = NULL;
  g_autofree char *expected = NULL;

  add_bash (request);
  set_system (request, "  You are terse.  ");
  add_message (request, LP_ROLE_USER, "Q");
  prompt = build (request, LP_PROMPT_FULL);
  contract = lp_tool_contract_build (request);
  expected = g_strdup_printf ("User: Q\n\nYou are terse.\n\n---\n\n%s\n\nAssistant:", contract);

  g_assert_cmpstr (prompt, ==, expected);
}

/* A full tool round trip: the call with its id, results that are normal,
 * empty and failed, all as turns the model can follow. */
static LpChatRequest *
history_request (void)
{
  LpChatRequest *request = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autoptr(JsonNode) arguments = json_from_string ("{\"command\":\"free -h\"}", NULL);
  LpMessage *assistant;
  LpMessage *result;

  add_bash (request);
  add_message (request, LP_ROLE_USER, "How much memory is free?");
  assistant = add_message (request, LP_ROLE_ASSISTANT, "Checking.");
  g_ptr_array_add (assistant->tool_calls, lp_tool_call_new ("call_a", "Bash", arguments));
  g_ptr_array_add (assistant->tool_calls, lp_tool_call_new ("call_b", "Bash", NULL));
  g_ptr_array_add (assistant->tool_calls, lp_tool_call_new ("call_c", "Bash", NULL));
  result = add_message (request, LP_ROLE_TOOL_RESULT, "Mem: 2.0Gi free");
  result->tool_call_id = g_strdup ("call_a");
  result = add_message (request, LP_ROLE_TOOL_RESULT, "");
  result->tool_call_id = g_strdup ("call_b");
  result = add_message (request, LP_ROLE_TOOL_RESULT, "command not found");
  result->tool_call_id = g_strdup ("call_c");
  result->tool_is_error = TRUE;

  return request;
}

#define HISTORY_TURNS \
  "User: How much memory is free?\n\n" \
  "Assistant: Checking.\n\n" \
  "```json action\n{\"tool\":\"Bash\",\"id\":\"call_a\",\"parameters\":{\"command\":\"free -h\"}}\n```\n\n" \
  "```json action\n{\"tool\":\"Bash\",\"id\":\"call_b\",\"parameters\":{}}\n```\n\n" \
  "```json action\n{\"tool\":\"Bash\",\"id\":\"call_c\",\"parameters\":{}}\n```\n\n" \
  "User: Tool result for call_a:\nMem: 2.0Gi free\n\n" CONTINUE "\n\n" \
  "User: Tool result for call_b:\n(no output)\n\n" CONTINUE "\n\n" \
  "User: Tool error for call_c:\ncommand not found\n\n" CONTINUE

static void
test_tool_history (void)
{
  g_autoptr(LpChatRequest) request = history_request ();
  g_autofree char *prompt = build (request, LP_PROMPT_FULL);
  g_autofree char *contract = lp_tool_contract_build (request);
  g_autofree char *expected = g_strdup_printf (HISTORY_TURNS "\n\n%s\n\nAssistant:", contract);

  g_assert_cmpstr (prompt, ==, expected);
}

/* A later turn without `tools` still gets the tools layout (W27). */
static void
test_tool_history_without_tools (void)
{
  g_autoptr(LpChatRequest) request = history_request ();
  g_autofree char *prompt = NULL;
  g_autofree char *contract = NULL;
  g_autofree char *expected = NULL;

  g_ptr_array_set_size (request->tools, 0);
  prompt = build (request, LP_PROMPT_FULL);
  contract = lp_tool_contract_build (request);
  expected = g_strdup_printf (HISTORY_TURNS "\n\n%s\n\nAssistant:", contract);

  g_assert_nonnull (strstr (contract, "Tools called so far: Bash."));
  g_assert_cmpstr (prompt, ==, expected);
}

/* tool_choice none: no contract, the plain layout, and a word against
 * imitating the action blocks in the history. */
static void
test_choice_none (void)
{
  g_autoptr(LpChatRequest) request = history_request ();
  g_autofree char *prompt = NULL;

  request->tool_choice = LP_TOOL_CHOICE_NONE;
  set_system (request, "S");
  prompt = build (request, LP_PROMPT_FULL);

  g_assert_cmpstr (prompt, ==,
                   "System instructions:\n\nS\n\n"
                   "Do not call any tool in this reply: answer in plain text, without action blocks.\n\n"
                   "Conversation transcript:\n\n" HISTORY_TURNS "\n\n" CLOSING);
}

static void
test_output_format (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autoptr(LpChatRequest) tools = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autofree char *prompt = NULL;
  g_autofree char *tools_prompt = NULL;
  g_autofree char *contract = NULL;
  g_autofree char *expected = NULL;

  add_message (request, LP_ROLE_USER, "Q");
  request->output_format = g_strdup ("Reply with one JSON object.");
  prompt = build (request, LP_PROMPT_FULL);
  g_assert_cmpstr (prompt, ==,
                   "System instructions:\n\nReply with one JSON object.\n\n"
                   "Conversation transcript:\n\nUser: Q\n\n" CLOSING);

  add_bash (tools);
  set_system (tools, "S");
  add_message (tools, LP_ROLE_USER, "Q");
  tools->output_format = g_strdup ("Reply with one JSON object.");
  tools_prompt = build (tools, LP_PROMPT_FULL);
  contract = lp_tool_contract_build (tools);
  expected = g_strdup_printf ("User: Q\n\nS\n\nReply with one JSON object.\n\n---\n\n%s\n\nAssistant:", contract);
  g_assert_cmpstr (tools_prompt, ==, expected);
}

static void
test_images (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpChatRequest) single = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  g_autoptr(GPtrArray) images = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *single_prompt = NULL;
  LpMessage *message;
  LpImage *image;

  message = add_message (request, LP_ROLE_USER, "");
  g_ptr_array_add (message->images, lp_image_new ("image/png", "AAAA", NULL));
  g_ptr_array_add (message->images, lp_image_new ("image/png", "BBBB", NULL));
  add_message (request, LP_ROLE_ASSISTANT, "Two screenshots.");
  message = add_message (request, LP_ROLE_USER, "");
  g_ptr_array_add (message->images, lp_image_new ("image/jpeg", NULL, "https://example.com/c.jpg"));
  prompt = build (request, LP_PROMPT_FULL);

  g_assert_cmpstr (prompt, ==,
                   "Conversation transcript:\n\nUser: (2 images attached)\n\n"
                   "Assistant: Two screenshots.\n\nUser: (image attached)\n\n" CLOSING);

  /* Only the last user turn's images, as copies. */
  images = lp_prompt_collect_images (request);
  g_assert_cmpuint (images->len, ==, 1);
  image = g_ptr_array_index (images, 0);
  g_assert_true (image != g_ptr_array_index (message->images, 0));
  g_assert_cmpstr (image->media_type, ==, "image/jpeg");
  g_assert_null (image->data_base64);
  g_assert_cmpstr (image->url, ==, "https://example.com/c.jpg");

  add_message (request, LP_ROLE_USER, "And now?");
  none = lp_prompt_collect_images (request);
  g_assert_cmpuint (none->len, ==, 0);

  message = add_message (single, LP_ROLE_USER, "");
  g_ptr_array_add (message->images, lp_image_new ("image/png", "AAAA", NULL));
  single_prompt = build (single, LP_PROMPT_FULL);
  g_assert_cmpstr (single_prompt, ==, "(image attached)");
}

/* A reused session holds the earlier turns and the contract: only what
 * came after the last assistant turn, with this turn's constraints. */
static void
test_latest_tools (void)
{
  g_autoptr(LpChatRequest) request = history_request ();
  g_autofree char *prompt = NULL;
  g_autofree char *reminder = NULL;
  g_autofree char *expected = NULL;

  request->tool_choice = LP_TOOL_CHOICE_ANY;
  prompt = build (request, LP_PROMPT_LATEST);
  reminder = lp_tool_contract_reminder (request);
  expected = g_strdup_printf ("User: Tool result for call_a:\nMem: 2.0Gi free\n\n" CONTINUE "\n\n"
                              "User: Tool result for call_b:\n(no output)\n\n" CONTINUE "\n\n"
                              "User: Tool error for call_c:\ncommand not found\n\n" CONTINUE "\n\n"
                              "%s\n\nAssistant:", reminder);

  g_assert_nonnull (strstr (reminder, "at least one action block"));
  g_assert_cmpstr (prompt, ==, expected);
}

static void
test_latest_plain (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autofree char *prompt = NULL;
  g_autofree char *two = NULL;
  g_autofree char *formatted = NULL;
  g_autofree char *prefilled = NULL;

  set_system (request, "S");
  add_message (request, LP_ROLE_USER, "a");
  add_message (request, LP_ROLE_ASSISTANT, "b");
  add_message (request, LP_ROLE_USER, "c");
  prompt = build (request, LP_PROMPT_LATEST);
  g_assert_cmpstr (prompt, ==, "c");

  add_message (request, LP_ROLE_USER, "d");
  two = build (request, LP_PROMPT_LATEST);
  g_assert_cmpstr (two, ==, "Conversation transcript:\n\nUser: c\n\nUser: d\n\n" CLOSING);

  request->output_format = g_strdup ("Answer in JSON.");
  formatted = build (request, LP_PROMPT_LATEST);
  g_assert_cmpstr (formatted, ==,
                   "System instructions:\n\nAnswer in JSON.\n\n"
                   "Conversation transcript:\n\nUser: c\n\nUser: d\n\n" CLOSING);

  /* A trailing assistant prefill stays with the latest turn. */
  g_clear_pointer (&request->output_format, g_free);
  add_message (request, LP_ROLE_ASSISTANT, "{");
  prefilled = build (request, LP_PROMPT_LATEST);
  g_assert_cmpstr (prefilled, ==,
                   "Conversation transcript:\n\nUser: c\n\nUser: d\n\nAssistant: {\n\n" CLOSING);
}

static void
test_no_user_message (void)
{
  g_autoptr(LpChatRequest) empty = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autoptr(LpChatRequest) assistant_only = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autoptr(LpChatRequest) blank = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autoptr(LpChatRequest) results_only = lp_chat_request_new (LP_DIALECT_OPENAI);
  LpChatRequest *requests[] = { empty, assistant_only, blank, results_only };

  set_system (empty, "S");
  add_message (assistant_only, LP_ROLE_ASSISTANT, "hello");
  add_message (blank, LP_ROLE_USER, "   ");
  add_message (results_only, LP_ROLE_TOOL_RESULT, "ignored");

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      for (LpPromptScope scope = LP_PROMPT_FULL; scope <= LP_PROMPT_LATEST; scope++)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *prompt = lp_prompt_build (requests[i], scope, &error);

          g_assert_null (prompt);
          g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
          g_assert_cmpstr (error->message, ==, "no user message found in request");
          g_assert_cmpuint (lp_error_http_status (error), ==, 400);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/prompt/bare", test_bare);
  g_test_add_func ("/prompt/system", test_system);
  g_test_add_func ("/prompt/transcript", test_transcript);
  g_test_add_func ("/prompt/tools", test_tools);
  g_test_add_func ("/prompt/tools-with-system", test_tools_with_system);
  g_test_add_func ("/prompt/tool-history", test_tool_history);
  g_test_add_func ("/prompt/tool-history-without-tools", test_tool_history_without_tools);
  g_test_add_func ("/prompt/choice-none", test_choice_none);
  g_test_add_func ("/prompt/output-format", test_output_format);
  g_test_add_func ("/prompt/images", test_images);
  g_test_add_func ("/prompt/latest-tools", test_latest_tools);
  g_test_add_func ("/prompt/latest-plain", test_latest_plain);
  g_test_add_func ("/prompt/no-user-message", test_no_user_message);

  return g_test_run ();
}
