/* test-tool-parser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "lp-tools.h"

#define READ_SCHEMA \
  "{\"type\":\"object\",\"properties\":{" \
  "\"file_path\":{\"type\":\"string\"}," \
  "\"offset\":{\"type\":\"integer\"}," \
  "\"limit\":{\"type\":\"integer\"}}," \
  "\"required\":[\"file_path\"],\"additionalProperties\":false}"

#define BASH_SCHEMA \
  "{\"type\":\"object\",\"properties\":{" \
  "\"command\":{\"type\":\"string\"}," \
  "\"timeout\":{\"type\":\"number\"}," \
  "\"run_in_background\":{\"type\":\"boolean\"}}," \
  "\"required\":[\"command\"]}"

static void
add_tool (LpChatRequest *request,
          const char    *name,
          const char    *schema)
{
  g_autoptr(JsonNode) node = schema ? json_from_string (schema, NULL) : NULL;

  g_assert_true (schema == NULL || node != NULL);
  g_ptr_array_add (request->tools, lp_tool_def_new (name, "", node));
}

/* A request with the tools Claude Code always sends, as far as the
 * parser cares. */
static LpChatRequest *
claude_request (LpDialect dialect)
{
  LpChatRequest *request = lp_chat_request_new (dialect);

  add_tool (request, "Read", READ_SCHEMA);
  add_tool (request, "Bash", BASH_SCHEMA);
  add_tool (request, "Glob", "{\"type\":\"object\",\"properties\":{\"pattern\":{\"type\":\"string\"}},\"required\":[\"pattern\"]}");
  add_tool (request, "Grep", "{\"type\":\"object\",\"properties\":{\"pattern\":{\"type\":\"string\"}},\"required\":[\"pattern\"]}");
  add_tool (request, "Write",
            "{\"type\":\"object\",\"properties\":{\"file_path\":{\"type\":\"string\"},"
            "\"content\":{\"type\":\"string\"}},\"required\":[\"file_path\",\"content\"]}");
  add_tool (request, "TodoWrite",
            "{\"type\":\"object\",\"properties\":{\"todos\":{\"type\":\"array\"}},\"required\":[\"todos\"]}");
  add_tool (request, "mcp__playwright__browser_navigate",
            "{\"type\":\"object\",\"properties\":{\"url\":{\"type\":\"string\"}},\"required\":[\"url\"]}");
  g_ptr_array_add (request->messages, lp_message_new (LP_ROLE_USER, "hello"));

  return request;
}

static char *
arguments_json (const LpToolCall *call)
{
  return lp_tool_call_dup_arguments_json (call);
}

static const LpToolCall *
only_call (const LpToolParse *parse)
{
  g_assert_cmpuint (parse->calls->len, ==, 1);

  return g_ptr_array_index (parse->calls, 0);
}

static void
assert_single_call (const LpToolParse *parse,
                    const char        *name,
                    const char        *arguments)
{
  const LpToolCall *call = only_call (parse);
  g_autofree char *json = arguments_json (call);

  g_assert_cmpstr (call->name, ==, name);
  g_assert_cmpstr (json, ==, arguments);
}

/* Upstream test: an alias onto the one shell tool, unknown keys dropped. */
static void
test_alias_and_filter (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;

  add_tool (request, "terminal", "{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}}}");
  parse = lp_tool_parse_reply (request,
                               "```json action\n"
                               "{\"tool\":\"Bash\",\"parameters\":{\"command\":\"pwd\",\"extra\":true}}\n"
                               "```");

  assert_single_call (parse, "terminal", "{\"command\":\"pwd\"}");
  g_assert_cmpstr (parse->text, ==, "");
  g_assert_null (parse->problem);
}

/* Upstream test: "name" + "arguments", a read alias onto a schema-less tool. */
static void
test_name_and_arguments (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;

  add_tool (request, "read_file", NULL);
  parse = lp_tool_parse_reply (request,
                               "```json action\n"
                               "{\"name\":\"Read\",\"arguments\":{\"path\":\"/tmp/a.txt\"}}\n"
                               "```");

  assert_single_call (parse, "read_file", "{\"path\":\"/tmp/a.txt\"}");
}

static void
test_plain_json_declared (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;

  parse = lp_tool_parse_reply (request,
                               "```json\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/a.c\"}}\n```");

  assert_single_call (parse, "Read", "{\"file_path\":\"/a.c\"}");
}

/* An ordinary answer with a JSON example is not a call (W24). */
static void
test_plain_json_not_a_call (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  const char *replies[] = {
    "The config looks like this:\n\n```json\n{\"name\":\"my-app\",\"arguments\":{\"x\":1}}\n```",
    "Your package.json:\n```json\n{\"name\":\"Read\",\"version\":\"1.0.0\"}\n```",
    "Use this shape:\n```json\n{\"tool\":\"deploy\",\"parameters\":{}}\n```",
    "```json\n[1, 2, 3]\n```",
    "Aliases are for action blocks only:\n```json\n{\"tool\":\"shell\",\"parameters\":{\"command\":\"ls\"}}\n```",
  };

  for (guint i = 0; i < G_N_ELEMENTS (replies); i++)
    {
      g_autoptr(LpToolParse) parse = lp_tool_parse_reply (request, replies[i]);

      g_assert_cmpuint (parse->calls->len, ==, 0);
      g_assert_cmpstr (parse->text, ==, replies[i]);
      g_assert_null (parse->problem);
    }
}

static void
test_unknown_tool_stays_text (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  const char *reply = "Deploying.\n\n```json action\n{\"tool\":\"Deploy\",\"parameters\":{}}\n```";
  g_autoptr(LpToolParse) parse = lp_tool_parse_reply (request, reply);

  g_assert_cmpuint (parse->calls->len, ==, 0);
  g_assert_cmpstr (parse->text, ==, reply);
  g_assert_cmpstr (parse->problem, ==, "unknown tool \"Deploy\"");
}

/* "search" could be Glob or Grep: no guess. */
static void
test_ambiguous_alias (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;
  g_autoptr(LpToolParse) shell = NULL;

  parse = lp_tool_parse_reply (request,
                               "```json action\n{\"tool\":\"search_files\",\"parameters\":{\"pattern\":\"x\"}}\n```");
  g_assert_cmpuint (parse->calls->len, ==, 0);
  g_assert_cmpstr (parse->problem, ==, "unknown tool \"search_files\"");

  shell = lp_tool_parse_reply (request,
                               "```json action\n{\"tool\":\"run_command\",\"parameters\":{\"command\":\"ls\"}}\n```");
  assert_single_call (shell, "Bash", "{\"command\":\"ls\"}");
}

static void
test_name_normalisation (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  const char *names[] = {
    "read", "READ", "playwright__browser_navigate", "mcp__playwright__browser-navigate", "Playwright Browser Navigate",
  };
  const char *expected[] = {
    "Read", "Read", "mcp__playwright__browser_navigate", "mcp__playwright__browser_navigate",
    "mcp__playwright__browser_navigate",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *reply = g_strdup_printf ("```json action\n{\"tool\":\"%s\",\"parameters\":"
                                                "{\"file_path\":\"/a\",\"url\":\"https://x\"}}\n```",
                                                names[i]);
      g_autoptr(LpToolParse) parse = lp_tool_parse_reply (request, reply);

      g_assert_cmpstr (only_call (parse)->name, ==, expected[i]);
    }
}

static void
test_choice_none (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;

  request->tool_choice = LP_TOOL_CHOICE_NONE;
  parse = lp_tool_parse_reply (request,
                               "  ```json action\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/a\"}}\n```\n");

  g_assert_cmpuint (parse->calls->len, ==, 0);
  g_assert_cmpstr (parse->text, ==, "```json action\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/a\"}}\n```");
  g_assert_null (parse->problem);
}

static void
test_no_tools (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autoptr(LpToolParse) parse = NULL;

  g_ptr_array_add (request->messages, lp_message_new (LP_ROLE_USER, "hi"));
  parse = lp_tool_parse_reply (request, "```json action\n{\"tool\":\"Read\",\"parameters\":{}}\n```");

  g_assert_cmpuint (parse->calls->len, ==, 0);
  g_assert_null (parse->problem);
}

/* A turn that omits `tools` but continues a tool conversation (W27): the
 * tools called earlier are the known ones. */
static void
test_history_only (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autoptr(LpToolParse) parse = NULL;
  g_autoptr(LpToolParse) unknown = NULL;
  LpMessage *assistant = lp_message_new (LP_ROLE_ASSISTANT, "");
  LpMessage *result = lp_message_new (LP_ROLE_TOOL_RESULT, "int main;");

  g_ptr_array_add (request->messages, lp_message_new (LP_ROLE_USER, "read a.c"));
  g_ptr_array_add (assistant->tool_calls, lp_tool_call_new ("call_1", "Read", NULL));
  g_ptr_array_add (request->messages, assistant);
  result->tool_call_id = g_strdup ("call_1");
  g_ptr_array_add (request->messages, result);

  parse = lp_tool_parse_reply (request, "```json action\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/b.c\"}}\n```");
  assert_single_call (parse, "Read", "{\"file_path\":\"/b.c\"}");
  g_assert_true (g_str_has_prefix (only_call (parse)->id, "call_"));

  unknown = lp_tool_parse_reply (request, "```json action\n{\"tool\":\"Bash\",\"parameters\":{}}\n```");
  g_assert_cmpuint (unknown->calls->len, ==, 0);
}

static void
test_stringified_arguments (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;
  g_autoptr(LpToolParse) bad = NULL;

  parse = lp_tool_parse_reply (request,
                               "```json action\n"
                               "{\"name\":\"Read\",\"arguments\":\"{\\\"file_path\\\":\\\"/a.c\\\",\\\"limit\\\":10}\"}\n"
                               "```");
  assert_single_call (parse, "Read", "{\"file_path\":\"/a.c\",\"limit\":10}");

  bad = lp_tool_parse_reply (request, "```json action\n{\"tool\":\"Read\",\"parameters\":\"/a.c\"}\n```");
  g_assert_cmpuint (bad->calls->len, ==, 0);
  g_assert_cmpstr (bad->problem, ==, "Read: \"parameters\" is not a JSON object");
}

static void
test_top_level_arguments (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;
  g_autoptr(LpToolParse) null_parameters = NULL;

  parse = lp_tool_parse_reply (request,
                               "```json action\n{\"tool\":\"Read\",\"id\":\"x\",\"file_path\":\"/a.c\"}\n```");
  assert_single_call (parse, "Read", "{\"file_path\":\"/a.c\"}");

  null_parameters = lp_tool_parse_reply (request,
                                         "```json action\n{\"tool\":\"TodoWrite\",\"parameters\":null}\n```");
  g_assert_cmpuint (null_parameters->calls->len, ==, 0);
  g_assert_cmpstr (null_parameters->problem, ==, "TodoWrite: missing required parameter \"todos\"");
}

static void
test_smart_quotes (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;
  g_autoptr(LpToolParse) inside = NULL;

  parse = lp_tool_parse_reply (request,
                               "```json action\n"
                               "{“tool”: “Read”, “parameters”: {“file_path”: “/a \"b\".c”}}\n"
                               "```");
  assert_single_call (parse, "Read", "{\"file_path\":\"/a \\\"b\\\".c\"}");

  /* Inside a properly quoted string they are content. */
  inside = lp_tool_parse_reply (request,
                                "```json action\n"
                                "{\"tool\":\"Bash\",\"parameters\":{\"command\":\"echo “hi”\",}}\n"
                                "```");
  assert_single_call (inside, "Bash", "{\"command\":\"echo “hi”\"}");
}

static void
test_trailing_commas (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;

  parse = lp_tool_parse_reply (request,
                               "```json action\n"
                               "{\n  \"tool\": \"TodoWrite\",\n  \"parameters\": {\n"
                               "    \"todos\": [\"a, }\", \"b\",],\n  },\n}\n"
                               "```");
  assert_single_call (parse, "TodoWrite", "{\"todos\":[\"a, }\",\"b\"]}");
}

/* Models put real newlines in long string arguments. */
static void
test_raw_newlines (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;

  parse = lp_tool_parse_reply (request,
                               "```json action\n"
                               "{\"tool\":\"Write\",\"parameters\":{\"file_path\":\"/a.md\",\"content\":\"# T\n\tx\"}}\n"
                               "```");
  assert_single_call (parse, "Write", "{\"file_path\":\"/a.md\",\"content\":\"# T\\n\\tx\"}");
}

/* A fence inside a JSON string does not close the block. */
static void
test_fence_in_string (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;

  parse = lp_tool_parse_reply (request,
                               "```json action\n"
                               "{\"tool\":\"Write\",\"parameters\":{\"file_path\":\"/r.md\","
                               "\"content\":\"```sh\\nmake\\n```\\n\"}}\n"
                               "```\nDone.");
  assert_single_call (parse, "Write", "{\"file_path\":\"/r.md\",\"content\":\"```sh\\nmake\\n```\\n\"}");
  g_assert_cmpstr (parse->text, ==, "Done.");
}

static void
test_two_blocks (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;
  const LpToolCall *first;
  const LpToolCall *second;

  parse = lp_tool_parse_reply (request,
                               "I will look at both.\n\n"
                               "```json action\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/a\"}}\n```\n\n\n"
                               "```action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\"}}\n```\n");

  g_assert_cmpuint (parse->calls->len, ==, 2);
  first = g_ptr_array_index (parse->calls, 0);
  second = g_ptr_array_index (parse->calls, 1);
  g_assert_cmpstr (first->name, ==, "Read");
  g_assert_cmpstr (second->name, ==, "Bash");
  g_assert_cmpstr (first->id, !=, second->id);
  g_assert_cmpstr (parse->text, ==, "I will look at both.");
}

static void
test_parallel_off (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_OPENAI);
  g_autoptr(LpToolParse) parse = NULL;

  request->parallel_tool_calls = FALSE;
  parse = lp_tool_parse_reply (request,
                               "First.\n"
                               "```json action\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/a\"}}\n```\n"
                               "Then.\n"
                               "```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\"}}\n```");

  assert_single_call (parse, "Read", "{\"file_path\":\"/a\"}");
  g_assert_cmpstr (parse->text, ==, "First.\n\nThen.");
}

static void
test_schema_failures (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  struct {
    const char *block;
    const char *problem;
  } cases[] = {
    { "{\"tool\":\"Read\",\"parameters\":{\"path\":\"/a\"}}", "Read: missing required parameter \"file_path\"" },
    { "{\"tool\":\"Read\",\"parameters\":{\"file_path\":null}}", "Read: missing required parameter \"file_path\"" },
    { "{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/a\",\"limit\":\"ten\"}}", "Read: parameter \"limit\" must be integer" },
    { "{\"tool\":\"Read\",\"parameters\":{\"file_path\":[\"/a\"]}}", "Read: parameter \"file_path\" must be string" },
    { "{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\",\"run_in_background\":\"yes\"}}", "Bash: parameter \"run_in_background\" must be boolean" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *reply = g_strdup_printf ("Reading.\n```json action\n%s\n```", cases[i].block);
      g_autoptr(LpToolParse) parse = lp_tool_parse_reply (request, reply);

      g_assert_cmpuint (parse->calls->len, ==, 0);
      g_assert_cmpstr (parse->problem, ==, cases[i].problem);
      g_assert_cmpstr (parse->text, ==, reply);
    }
}

/* Quoted numbers and booleans, 5.0 for an integer, stringified arrays;
 * nulls for optional members vanish; additionalProperties keeps extras. */
static void
test_coercion (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  struct {
    const char *name;
    const char *block;
    const char *arguments;
  } cases[] = {
    { "Read", "{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/a\",\"limit\":\"5\",\"offset\":2.0}}",
      "{\"file_path\":\"/a\",\"limit\":5,\"offset\":2}" },
    { "Read", "{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/a\",\"offset\":null,\"bogus\":1}}",
      "{\"file_path\":\"/a\"}" },
    { "Bash", "{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\",\"timeout\":\"1.5\",\"run_in_background\":\"true\",\"x\":1}}",
      "{\"command\":\"ls\",\"timeout\":1.5,\"run_in_background\":true}" },
    { "TodoWrite", "{\"tool\":\"TodoWrite\",\"parameters\":{\"todos\":\"[{\\\"content\\\":\\\"a\\\"}]\"}}",
      "{\"todos\":[{\"content\":\"a\"}]}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *reply = g_strdup_printf ("```json action\n%s\n```", cases[i].block);
      g_autoptr(LpToolParse) parse = lp_tool_parse_reply (request, reply);

      assert_single_call (parse, cases[i].name, cases[i].arguments);
    }
}

static void
test_additional_properties (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;

  add_tool (request, "Task",
            "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\"}},"
            "\"additionalProperties\":true}");
  parse = lp_tool_parse_reply (request,
                               "```json action\n{\"tool\":\"Task\",\"parameters\":{\"prompt\":\"p\",\"more\":[1]}}\n```");

  assert_single_call (parse, "Task", "{\"prompt\":\"p\",\"more\":[1]}");
}

static void
test_ids (void)
{
  g_autoptr(LpChatRequest) openai = claude_request (LP_DIALECT_OPENAI);
  g_autoptr(LpChatRequest) anthropic = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *reply = "```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\"}}\n```";

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(LpToolParse) a = lp_tool_parse_reply (openai, reply);
      g_autoptr(LpToolParse) b = lp_tool_parse_reply (anthropic, reply);
      const char *ids[] = { only_call (a)->id, only_call (b)->id };
      const char *prefixes[] = { "call_", "toolu_" };

      for (guint j = 0; j < 2; j++)
        {
          const char *hex = ids[j] + strlen (prefixes[j]);

          g_assert_true (g_str_has_prefix (ids[j], prefixes[j]));
          g_assert_cmpuint (strlen (hex), ==, 24);
          for (const char *p = hex; *p; p++)
            g_assert_true (g_ascii_isxdigit (*p));
          g_assert_true (g_hash_table_add (seen, g_strdup (ids[j])));
        }
    }
}

static void
test_text_remainder (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;
  g_autoptr(LpToolParse) inline_block = NULL;

  parse = lp_tool_parse_reply (request,
                               "\n  Let me check.\n\n\n"
                               "```json action\r\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\"}}\r\n```\r\n\n"
                               "    indented code stays indented\n\n");
  g_assert_cmpuint (parse->calls->len, ==, 1);
  g_assert_cmpstr (parse->text, ==, "Let me check.\n\n    indented code stays indented");

  inline_block = lp_tool_parse_reply (request,
                                      "Sure: ```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\"}}\n``` ok");
  g_assert_cmpuint (inline_block->calls->len, ==, 1);
  g_assert_cmpstr (inline_block->text, ==, "Sure:\n\nok");
}

static void
test_malformed_blocks (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(GString) deep = g_string_new ("```json action\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":");
  struct {
    const char *reply;
    const char *problem;
  } cases[] = {
    { "```json action\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/a\"}}", "an action block is not closed with ```" },
    { "```json action\n{\"tool\":\"Read\" \"parameters\"}\n```", "an action block is not one valid JSON object" },
    { "```json action\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/a\"}}\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\"}}\n```",
      "an action block is not one valid JSON object" },
    { "```json action\n\n```", "an action block is not one valid JSON object" },
    { "```json action\n{\"parameters\":{}}\n```", "an action block does not name a tool" },
    { "```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"echo \"hi\"}}\n```\nafter",
      "an action block is not one valid JSON object" },
    /* json-glib turns a lone surrogate into bytes that are not UTF-8… */
    { "```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":[\"\\ud800\"]}}\n```",
      "an action block is not one valid JSON object" },
    /* …and 1e999 into infinity, which it then writes as "inf.0". */
    { "```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\",\"timeout\":1e999}}\n```",
      "an action block is not one valid JSON object" },
    /* …and 1e20 as "1e+20.0". */
    { "```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\",\"timeout\":1e20}}\n```",
      "an action block is not one valid JSON object" },
    { "```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\",\"timeout\":\"1e20\"}}\n```",
      "Bash: parameter \"timeout\" must be number" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LpToolParse) parse = lp_tool_parse_reply (request, cases[i].reply);

      g_assert_cmpuint (parse->calls->len, ==, 0);
      g_assert_cmpstr (parse->problem, ==, cases[i].problem);
    }

  /* Deep nesting must fail cleanly: json-glib recurses per level. */
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  g_string_append (deep, "\n```");
  {
    g_autoptr(LpToolParse) parse = lp_tool_parse_reply (request, deep->str);

    g_assert_cmpuint (parse->calls->len, ==, 0);
    g_assert_cmpstr (parse->problem, ==, "an action block is not one valid JSON object");
  }
}

/* A valid call next to a broken block: the call counts, the broken block
 * stays in the text and is reported. */
static void
test_mixed_blocks (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = NULL;

  parse = lp_tool_parse_reply (request,
                               "```json action\n{\"tool\":\"Nope\",\"parameters\":{}}\n```\n"
                               "```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\"}}\n```");

  assert_single_call (parse, "Bash", "{\"command\":\"ls\"}");
  g_assert_cmpstr (parse->text, ==, "```json action\n{\"tool\":\"Nope\",\"parameters\":{}}\n```");
  g_assert_cmpstr (parse->problem, ==, "unknown tool \"Nope\"");
}

static void
test_invalid_utf8 (void)
{
  g_autoptr(LpChatRequest) request = claude_request (LP_DIALECT_ANTHROPIC);
  g_autoptr(LpToolParse) parse = lp_tool_parse_reply (request, "ok \xff\xfe done");

  g_assert_true (g_utf8_validate (parse->text, -1, NULL));
  g_assert_cmpuint (parse->calls->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tool-parser/alias-and-filter", test_alias_and_filter);
  g_test_add_func ("/tool-parser/name-and-arguments", test_name_and_arguments);
  g_test_add_func ("/tool-parser/plain-json-declared", test_plain_json_declared);
  g_test_add_func ("/tool-parser/plain-json-not-a-call", test_plain_json_not_a_call);
  g_test_add_func ("/tool-parser/unknown-tool", test_unknown_tool_stays_text);
  g_test_add_func ("/tool-parser/ambiguous-alias", test_ambiguous_alias);
  g_test_add_func ("/tool-parser/name-normalisation", test_name_normalisation);
  g_test_add_func ("/tool-parser/choice-none", test_choice_none);
  g_test_add_func ("/tool-parser/no-tools", test_no_tools);
  g_test_add_func ("/tool-parser/history-only", test_history_only);
  g_test_add_func ("/tool-parser/stringified-arguments", test_stringified_arguments);
  g_test_add_func ("/tool-parser/top-level-arguments", test_top_level_arguments);
  g_test_add_func ("/tool-parser/smart-quotes", test_smart_quotes);
  g_test_add_func ("/tool-parser/trailing-commas", test_trailing_commas);
  g_test_add_func ("/tool-parser/raw-newlines", test_raw_newlines);
  g_test_add_func ("/tool-parser/fence-in-string", test_fence_in_string);
  g_test_add_func ("/tool-parser/two-blocks", test_two_blocks);
  g_test_add_func ("/tool-parser/parallel-off", test_parallel_off);
  g_test_add_func ("/tool-parser/schema-failures", test_schema_failures);
  g_test_add_func ("/tool-parser/coercion", test_coercion);
  g_test_add_func ("/tool-parser/additional-properties", test_additional_properties);
  g_test_add_func ("/tool-parser/ids", test_ids);
  g_test_add_func ("/tool-parser/text-remainder", test_text_remainder);
  g_test_add_func ("/tool-parser/malformed", test_malformed_blocks);
  g_test_add_func ("/tool-parser/mixed", test_mixed_blocks);
  g_test_add_func ("/tool-parser/invalid-utf8", test_invalid_utf8);

  return g_test_run ();
}
