/* test-tool-retry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "lp-tools.h"

static LpChatRequest *
tool_request (void)
{
  LpChatRequest *request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  g_autoptr(JsonNode) schema =
    json_from_string ("{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}},"
                      "\"required\":[\"command\"]}", NULL);

  g_ptr_array_add (request->tools, lp_tool_def_new ("Bash", "Runs a command.", schema));
  g_ptr_array_add (request->tools, lp_tool_def_new ("Read", "Reads a file.", NULL));
  g_ptr_array_add (request->messages, lp_message_new (LP_ROLE_USER, "How much memory is free?"));

  return request;
}

static LpToolParse *
parse_of (const LpChatRequest *request,
          const char          *reply)
{
  return lp_tool_parse_reply (request, reply);
}

static void
assert_reason (const LpChatRequest *request,
               const char          *reply,
               LpToolRetryReason    reason,
               const char          *needle)
{
  g_autoptr(LpToolParse) parse = parse_of (request, reply);

  if (lp_tool_retry_reason (request, parse) != reason)
    g_error ("%s: expected %s, got %s (needle %s)", reply,
             lp_tool_retry_reason_to_string (reason),
             lp_tool_retry_reason_to_string (lp_tool_retry_reason (request, parse)),
             lp_tool_retry_matched_needle (request, parse));
  g_assert_cmpstr (lp_tool_retry_matched_needle (request, parse), ==, needle);
}

/* Upstream's missed-tool-use and refusal sentences, restated. */
static void
test_needles_hit (void)
{
  g_autoptr(LpChatRequest) request = tool_request ();
  struct {
    const char        *reply;
    LpToolRetryReason  reason;
    const char        *needle;
  } cases[] = {
    { "我需要使用终端工具来查看内存使用情况。", LP_TOOL_RETRY_MISSED, "我需要使用" },
    { "由于环境限制，请手动运行 top 命令查看内存。", LP_TOOL_RETRY_MISSED, "请手动运行" },
    { "由于当前环境的限制，我无法直接执行系统命令来查看你的内存。", LP_TOOL_RETRY_REFUSAL, "我无法直接执行" },
    { "你可以在终端中运行 `top -l 1 | grep PhysMem` 查看内存。", LP_TOOL_RETRY_MISSED, "你可以在终端中运行" },
    { "I need to read the file first.", LP_TOOL_RETRY_MISSED, "i need to read" },
    { "Let me use the web search tool.", LP_TOOL_RETRY_MISSED, "let me use the" },
    { "You can run the following command in your terminal.", LP_TOOL_RETRY_MISSED, "you can run the following command" },
    { "现在我需要切换到计划模式。", LP_TOOL_RETRY_MISSED, "切换到计划模式" },
    { "我无法访问你的电脑或本地文件。", LP_TOOL_RETRY_REFUSAL, "我无法访问你的" },
    { "I cannot execute commands in your local machine.", LP_TOOL_RETRY_REFUSAL, "i cannot execute" },
    { "I can’t access your computer directly.", LP_TOOL_RETRY_REFUSAL, "i can't access your computer" },
    { "I don't have access to tools in this environment, but top shows memory.", LP_TOOL_RETRY_REFUSAL,
      "i don't have access to tools" },
    { "I'll read the file first to see how the routes are set up.", LP_TOOL_RETRY_MISSED, "i'll read the file" },
    { "Let me run the test suite to confirm.", LP_TOOL_RETRY_MISSED, "let me run the" },
    { "Could you paste the output of `free -h`?", LP_TOOL_RETRY_MISSED, "paste the output" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_reason (request, cases[i].reply, cases[i].reason, cases[i].needle);
}

/* Ordinary answers must not cost another round trip (W25). */
static void
test_needles_miss (void)
{
  g_autoptr(LpChatRequest) request = tool_request ();
  const char *replies[] = {
    "这个文件负责 HTTP API 路由和 OpenAI 兼容的响应。",
    "This file implements the HTTP routing layer and returns OpenAI-compatible responses.",
    /* Advice after the work is done is an answer, not a missed call. */
    "I've fixed the off-by-one in the parser and all tests pass. You can run the tests with `make check`.",
    "The function reads the file, executes the command and returns its output.",
    "我已经读取文件并修复了问题，执行命令 make check 可以验证。",
    "查看文件后发现，读取文件的逻辑在 parse() 中。",
    "Let me know if you want me to run anything else.",
    "To start the server you can run `./proxy --port 8080`.",
    "I cannot stress enough how important it is to pin versions.",
    "If you'd like, I can run the benchmarks next.",
    "Done: the build passes and the new test covers the empty-input case.",
  };

  for (guint i = 0; i < G_N_ELEMENTS (replies); i++)
    assert_reason (request, replies[i], LP_TOOL_RETRY_NONE, NULL);
}

/* An announced call is short; inside a long answer the same words are
 * prose. Inability stays inability at any length. */
static void
test_long_replies (void)
{
  g_autoptr(LpChatRequest) request = tool_request ();
  g_autoptr(GString) answer = g_string_new ("The parser works in three passes. ");
  g_autoptr(GString) refusal = NULL;

  for (guint i = 0; i < 20; i++)
    g_string_append (answer, "Each pass keeps the offsets of what it has seen so far. ");
  g_string_append (answer, "Let me run through the last pass: it joins the pieces.");
  g_assert_cmpuint (g_utf8_strlen (answer->str, -1), >, 800);
  assert_reason (request, answer->str, LP_TOOL_RETRY_NONE, NULL);

  refusal = g_string_new (answer->str);
  g_string_append (refusal, " I cannot execute it for you, though.");
  assert_reason (request, refusal->str, LP_TOOL_RETRY_REFUSAL, "i cannot execute");
}

static void
test_reason_rules (void)
{
  g_autoptr(LpChatRequest) request = tool_request ();
  g_autoptr(LpChatRequest) plain = lp_chat_request_new (LP_DIALECT_OPENAI);
  const char *call = "Let me run the command.\n```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"free\"}}\n```";
  const char *broken = "```json action\n{\"tool\":\"Bash\",\"parameters\":{}}\n```";

  /* A call was made: nothing to retry, whatever the words. */
  assert_reason (request, call, LP_TOOL_RETRY_NONE, NULL);

  request->tool_choice = LP_TOOL_CHOICE_ANY;
  assert_reason (request, "Memory looks fine.", LP_TOOL_RETRY_FORCED, NULL);
  assert_reason (request, call, LP_TOOL_RETRY_NONE, NULL);
  /* INVALID wins over FORCED: its instruction says what was wrong. */
  assert_reason (request, broken, LP_TOOL_RETRY_INVALID, NULL);

  request->tool_choice = LP_TOOL_CHOICE_TOOL;
  request->tool_choice_name = g_strdup ("Bash");
  assert_reason (request, "Memory looks fine.", LP_TOOL_RETRY_FORCED, NULL);
  assert_reason (request, call, LP_TOOL_RETRY_NONE, NULL);
  /* Calling another declared tool is not what was forced. */
  assert_reason (request, "```json action\n{\"tool\":\"Read\",\"parameters\":{\"path\":\"/a\"}}\n```",
                 LP_TOOL_RETRY_FORCED, NULL);

  request->tool_choice = LP_TOOL_CHOICE_AUTO;
  assert_reason (request, broken, LP_TOOL_RETRY_INVALID, NULL);
  assert_reason (request, "Memory looks fine.", LP_TOOL_RETRY_NONE, NULL);

  request->tool_choice = LP_TOOL_CHOICE_NONE;
  assert_reason (request, "I cannot execute commands.", LP_TOOL_RETRY_NONE, NULL);
  assert_reason (request, broken, LP_TOOL_RETRY_NONE, NULL);

  /* No tools at all: a refusal is just an answer. */
  g_ptr_array_add (plain->messages, lp_message_new (LP_ROLE_USER, "run ls"));
  assert_reason (plain, "I cannot execute commands.", LP_TOOL_RETRY_NONE, NULL);
}

static void
test_reason_names (void)
{
  g_assert_cmpstr (lp_tool_retry_reason_to_string (LP_TOOL_RETRY_NONE), ==, "none");
  g_assert_cmpstr (lp_tool_retry_reason_to_string (LP_TOOL_RETRY_REFUSAL), ==, "refusal");
  g_assert_cmpstr (lp_tool_retry_reason_to_string (LP_TOOL_RETRY_MISSED), ==, "missed");
  g_assert_cmpstr (lp_tool_retry_reason_to_string (LP_TOOL_RETRY_FORCED), ==, "forced");
  g_assert_cmpstr (lp_tool_retry_reason_to_string (LP_TOOL_RETRY_INVALID), ==, "invalid");
}

#define TEMPLATE "\n```json action\n{\"tool\":\"NAME\",\"parameters\":{\"key\":\"value\"}}\n```"

static void
test_instructions_escalate (void)
{
  g_autoptr(LpChatRequest) request = tool_request ();
  LpToolRetryReason reasons[] = {
    LP_TOOL_RETRY_REFUSAL, LP_TOOL_RETRY_MISSED, LP_TOOL_RETRY_FORCED, LP_TOOL_RETRY_INVALID,
  };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      g_autofree char *first = lp_tool_retry_instruction (request, reasons[i], 1);
      g_autofree char *second = lp_tool_retry_instruction (request, reasons[i], 2);

      g_assert_true (g_str_has_prefix (first, "Your previous "));
      g_assert_true (g_str_has_prefix (second, "Last reminder. Your previous "));
      g_assert_null (strstr (first, "nothing else"));
      g_assert_nonnull (strstr (second, "Your whole reply must be the action block and nothing else"));
      g_assert_true (g_str_has_suffix (first, TEMPLATE));
      g_assert_true (g_str_has_suffix (second, TEMPLATE));
      g_assert_null (strstr (first, "must call the tool"));
      g_assert_null (strstr (first, "one action block only"));
    }
}

static void
test_instruction_named_tool (void)
{
  g_autoptr(LpChatRequest) request = tool_request ();

  request->tool_choice = LP_TOOL_CHOICE_TOOL;
  request->tool_choice_name = g_strdup ("Bash");
  request->parallel_tool_calls = FALSE;

  for (guint attempt = 1; attempt <= 2; attempt++)
    {
      g_autofree char *text = lp_tool_retry_instruction (request, LP_TOOL_RETRY_FORCED, attempt);

      g_assert_nonnull (strstr (text, "this turn requires a tool call"));
      g_assert_nonnull (strstr (text, " The block must call the tool \"Bash\"."));
      g_assert_nonnull (strstr (text, " Write one action block only."));
    }
}

static void
test_instruction_quotes_problem (void)
{
  g_autoptr(LpChatRequest) request = tool_request ();
  g_autoptr(LpToolParse) parse = parse_of (request, "```json action\n{\"tool\":\"Bash\",\"parameters\":{\"cmd\":\"free\"}}\n```");
  g_autoptr(LpToolParse) missed = parse_of (request, "Let me use the Bash tool.");
  g_autofree char *first = lp_tool_retry_instruction_for_parse (request, parse, 1);
  g_autofree char *second = lp_tool_retry_instruction_for_parse (request, parse, 2);
  g_autofree char *generic = lp_tool_retry_instruction (request, LP_TOOL_RETRY_INVALID, 1);
  g_autofree char *described = lp_tool_retry_instruction_for_parse (request, missed, 1);
  g_autofree char *expected = lp_tool_retry_instruction (request, LP_TOOL_RETRY_MISSED, 1);

  g_assert_true (g_str_has_prefix (first,
                                   "Your previous action block was rejected: Bash: missing required "
                                   "parameter \"command\". Write it again"));
  g_assert_true (g_str_has_prefix (second, "Last reminder. Your previous action block was rejected: Bash: "));
  g_assert_true (g_str_has_prefix (generic, "Your previous action block was rejected. Write it again"));
  g_assert_cmpstr (described, ==, expected);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tool-retry/needles-hit", test_needles_hit);
  g_test_add_func ("/tool-retry/needles-miss", test_needles_miss);
  g_test_add_func ("/tool-retry/long-replies", test_long_replies);
  g_test_add_func ("/tool-retry/reason-rules", test_reason_rules);
  g_test_add_func ("/tool-retry/reason-names", test_reason_names);
  g_test_add_func ("/tool-retry/instructions-escalate", test_instructions_escalate);
  g_test_add_func ("/tool-retry/instruction-named-tool", test_instruction_named_tool);
  g_test_add_func ("/tool-retry/instruction-quotes-problem", test_instruction_quotes_problem);

  return g_test_run ();
}
