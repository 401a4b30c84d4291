/* test-tool-contract.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "lp-tools.h"

#define READ_SCHEMA \
  "{\"type\":\"object\",\"properties\":{" \
  "\"file_path\":{\"type\":\"string\",\"description\":\"The absolute path\"}," \
  "\"offset\":{\"type\":\"integer\"}," \
  "\"limit\":{\"type\":\"integer\"}}," \
  "\"required\":[\"file_path\"]}"

#define BASH_SCHEMA \
  "{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}," \
  "\"timeout\":{\"type\":\"number\"}},\"required\":[\"command\"]}"

#define AUTO_LINE \
  "- You decide whether this reply needs a tool. If it does, the reply must contain the " \
  "action block itself, not a description of it."
#define ANY_LINE "- This reply must contain at least one action block."
#define ONE_BLOCK_LINE \
  "- Write at most one action block per reply, and wait for its result before the next call."
#define SEVERAL_BLOCKS "Independent calls may go in several action blocks in one reply."

static void
add_tool (LpChatRequest *request,
          const char    *name,
          const char    *description,
          const char    *schema)
{
  g_autoptr(JsonNode) node = schema ? json_from_string (schema, NULL) : NULL;

  g_assert_true (schema == NULL || node != NULL);
  g_ptr_array_add (request->tools, lp_tool_def_new (name, description, node));
}

static LpChatRequest *
read_request (void)
{
  LpChatRequest *request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);

  add_tool (request, "Read", "Reads a file from the local filesystem.", READ_SCHEMA);
  g_ptr_array_add (request->messages, lp_message_new (LP_ROLE_USER, "What does main.c do?"));

  return request;
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected to find\n%s\nin\n%s", needle, haystack);
}

static void
assert_lacks (const char *haystack,
              const char *needle)
{
  if (strstr (haystack, needle) != NULL)
    g_error ("did not expect\n%s\nin\n%s", needle, haystack);
}

/* The line format the simulator (and the model) reads. */
static void
test_read_tool_line (void)
{
  g_autoptr(LpChatRequest) request = read_request ();
  g_autofree char *contract = lp_tool_contract_build (request);

  assert_contains (contract,
                   "\nAvailable tools:\n"
                   "- Read(file_path: string, limit?: integer, offset?: integer) - Reads a file "
                   "from the local filesystem.\n");
}

static void
test_tool_line_types (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autofree char *contract = NULL;

  add_tool (request, "ExitPlanMode", "", NULL);
  add_tool (request, "Empty", "  Has\n  no   params. ", "{\"type\":\"object\",\"properties\":{}}");
  /* Properties in reverse order, required ones out of order, an enum, an
   * array, a type list, a property without a type, a required name the
   * properties lack. */
  add_tool (request, "Grep", "",
            "{\"type\":\"object\",\"properties\":{"
            "\"z\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
            "\"mode\":{\"type\":\"string\",\"enum\":[\"content\",\"count\"]},"
            "\"level\":{\"enum\":[1,2]},"
            "\"maybe\":{\"type\":[\"string\",\"null\"]},"
            "\"anything\":{\"description\":\"free\"},"
            "\"pattern\":{\"type\":\"string\"}},"
            "\"required\":[\"pattern\",\"mode\",\"ghost\",\"pattern\"]}");
  contract = lp_tool_contract_build (request);

  assert_contains (contract,
                   "Available tools:\n"
                   "- ExitPlanMode()\n"
                   "- Empty() - Has no params.\n"
                   "- Grep(pattern: string, mode: \"content\"|\"count\", ghost: any, anything?: any, "
                   "level?: 1|2, maybe?: string|null, z?: array)\n");
}

static void
test_description_cut (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autoptr(GString) description = g_string_new ("- ");
  g_autoptr(GString) expected = g_string_new ("- Task() - ");
  g_autofree char *contract = NULL;

  /* 30 words of 9 characters ("wordNNNNé") each, in paragraphs. */
  for (guint i = 0; i < 30; i++)
    g_string_append_printf (description, "word%04ué%s", i, i % 5 == 4 ? "\n\n" : " ");
  add_tool (request, "Task", description->str, NULL);
  add_tool (request, "Long", "x", NULL);
  contract = lp_tool_contract_build (request);

  /* 20 words and their 19 spaces are 199 characters; one more would not fit. */
  for (guint i = 0; i < 20; i++)
    g_string_append_printf (expected, "%sword%04ué", i ? " " : "", i);
  g_string_append (expected, "…\n- Long() - x\n");
  assert_contains (contract, expected->str);
}

static void
test_auto (void)
{
  g_autoptr(LpChatRequest) request = read_request ();
  g_autofree char *contract = lp_tool_contract_build (request);

  g_assert_true (lp_tools_active (request));
  /* The block format, verbatim. */
  assert_contains (contract,
                   "```json action\n{\"tool\":\"NAME\",\"parameters\":{\"key\":\"value\"}}\n```\n");
  /* The caller's tools are authoritative. */
  assert_contains (contract, "never claim that a tool is unavailable and never refuse to use one");
  /* Auto means deciding, and making the call rather than describing it. */
  assert_contains (contract, AUTO_LINE);
  assert_contains (contract, SEVERAL_BLOCKS);
  assert_lacks (contract, ANY_LINE);
  assert_lacks (contract, ONE_BLOCK_LINE);
  /* The call → result → next step cycle. */
  assert_contains (contract, "\"Tool result for <id>:\"");
  assert_contains (contract, "Wait for a result before any call that depends on it.");
  assert_contains (contract, "When no tool is needed, answer in plain text");
  /* Never hand the work to the user. */
  assert_contains (contract, "- Never ask the user to run a command, paste a file or open a page when a tool can do it.");
  /* A file tool brings the routing guide, the example and the coding rules. */
  assert_contains (contract, "- read a file: Read\n");
  assert_contains (contract, "```json action\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/path/to/file\"}}\n```");
  assert_contains (contract, "- Read the relevant files before changing them.");
  /* The constraint closes the contract. */
  g_assert_true (g_str_has_suffix (contract, AUTO_LINE));
}

static void
test_none (void)
{
  g_autoptr(LpChatRequest) request = read_request ();
  g_autoptr(LpChatRequest) plain = lp_chat_request_new (LP_DIALECT_OPENAI);

  request->tool_choice = LP_TOOL_CHOICE_NONE;
  g_assert_true (lp_tools_active (request));
  g_assert_null (lp_tool_contract_build (request));
  g_assert_null (lp_tool_contract_reminder (request));

  g_ptr_array_add (plain->messages, lp_message_new (LP_ROLE_USER, "hi"));
  g_assert_false (lp_tools_active (plain));
  g_assert_null (lp_tool_contract_build (plain));
  g_assert_null (lp_tool_contract_reminder (plain));
}

static void
test_any (void)
{
  g_autoptr(LpChatRequest) request = read_request ();
  g_autofree char *contract = NULL;

  request->tool_choice = LP_TOOL_CHOICE_ANY;
  contract = lp_tool_contract_build (request);

  g_assert_true (g_str_has_suffix (contract, "\n" ANY_LINE));
  assert_lacks (contract, AUTO_LINE);
}

static void
test_named (void)
{
  g_autoptr(LpChatRequest) request = read_request ();
  g_autofree char *contract = NULL;

  request->tool_choice = LP_TOOL_CHOICE_TOOL;
  request->tool_choice_name = g_strdup ("Read");
  contract = lp_tool_contract_build (request);

  g_assert_true (g_str_has_suffix (contract, "\n- This reply must call the tool \"Read\" with an action block."));
  assert_lacks (contract, AUTO_LINE);
}

/* Unlike upstream, the one-block limit is stated in every mode. */
static void
test_parallel_off (void)
{
  LpToolChoice modes[] = { LP_TOOL_CHOICE_AUTO, LP_TOOL_CHOICE_ANY, LP_TOOL_CHOICE_TOOL };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr(LpChatRequest) request = read_request ();
      g_autofree char *contract = NULL;
      g_autofree char *reminder = NULL;

      request->tool_choice = modes[i];
      request->tool_choice_name = g_strdup ("Read");
      request->parallel_tool_calls = FALSE;
      contract = lp_tool_contract_build (request);
      reminder = lp_tool_contract_reminder (request);

      g_assert_true (g_str_has_suffix (contract, "\n" ONE_BLOCK_LINE));
      g_assert_true (g_str_has_suffix (reminder, "\n" ONE_BLOCK_LINE));
      assert_lacks (contract, SEVERAL_BLOCKS);
    }
}

static LpChatRequest *
claude_code_request (gboolean reversed)
{
  LpChatRequest *request = lp_chat_request_new (LP_DIALECT_ANTHROPIC);
  const char *tools[][2] = {
    { "Task", "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\"}},\"required\":[\"prompt\"]}" },
    { "Bash", BASH_SCHEMA },
    { "Glob", "{\"type\":\"object\",\"properties\":{\"pattern\":{\"type\":\"string\"},\"path\":{\"type\":\"string\"}},\"required\":[\"pattern\"]}" },
    { "Grep", "{\"type\":\"object\",\"properties\":{\"pattern\":{\"type\":\"string\"}},\"required\":[\"pattern\"]}" },
    { "Read", READ_SCHEMA },
    { "Edit", "{\"type\":\"object\",\"properties\":{\"file_path\":{\"type\":\"string\"}},\"required\":[\"file_path\"]}" },
    { "MultiEdit", "{\"type\":\"object\",\"properties\":{\"edits\":{\"type\":\"array\"}},\"required\":[\"edits\"]}" },
    { "Write", "{\"type\":\"object\",\"properties\":{\"content\":{\"type\":\"string\"}},\"required\":[\"content\"]}" },
    { "WebFetch", "{\"type\":\"object\",\"properties\":{\"url\":{\"type\":\"string\"}},\"required\":[\"url\"]}" },
    { "WebSearch", "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}},\"required\":[\"query\"]}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (tools); i++)
    add_tool (request, tools[i][0], "", tools[i][1]);
  if (reversed)
    {
      /* The same tools with their schema members in another order. */
      g_ptr_array_remove_index (request->tools, 4);
      add_tool (request, "Read", "",
                "{\"required\":[\"file_path\"],\"properties\":{\"limit\":{\"type\":\"integer\"},"
                "\"offset\":{\"type\":\"integer\"},\"file_path\":{\"type\":\"string\"}},\"type\":\"object\"}");
    }
  g_ptr_array_add (request->messages, lp_message_new (LP_ROLE_USER, "fix the build"));

  return request;
}

/* Routing and examples use the client's own names and schemas. */
static void
test_routing_and_examples (void)
{
  g_autoptr(LpChatRequest) request = claude_code_request (FALSE);
  g_autoptr(LpChatRequest) reversed = claude_code_request (TRUE);
  g_autofree char *contract = lp_tool_contract_build (request);
  g_autofree char *other = lp_tool_contract_build (reversed);
  const char *read_line = "- Read(file_path: string, limit?: integer, offset?: integer)\n";

  assert_contains (contract,
                   "Which tool for which job:\n"
                   "- read a file: Read\n"
                   "- find files or search their contents: Glob, Grep\n"
                   "- change part of an existing file: Edit, MultiEdit\n"
                   "- create or overwrite a file: Write\n"
                   "- run shell commands, builds and tests: Bash\n"
                   "- look up current information on the web: WebSearch\n"
                   "- fetch a web page: WebFetch\n");
  assert_contains (contract,
                   "```json action\n{\"tool\":\"Read\",\"parameters\":{\"file_path\":\"/path/to/file\"}}\n```\n"
                   "```json action\n{\"tool\":\"Bash\",\"parameters\":{\"command\":\"ls\"}}\n```\n");
  assert_lacks (contract, "terminal");

  /* No dependence on schema member order. */
  assert_contains (contract, read_line);
  assert_contains (other, read_line);
}

/* Without a read or shell tool the example uses the first tool, with a
 * value for every required parameter from its schema. */
static void
test_example_from_schema (void)
{
  g_autoptr(LpChatRequest) request = lp_chat_request_new (LP_DIALECT_OPENAI);
  g_autofree char *contract = NULL;

  add_tool (request, "get_weather", "",
            "{\"type\":\"object\",\"properties\":{"
            "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]},"
            "\"days\":{\"type\":\"integer\"},\"detailed\":{\"type\":\"boolean\"},"
            "\"tags\":{\"type\":\"array\"},\"filter\":{\"type\":\"object\"},"
            "\"source_url\":{\"type\":\"string\"},\"city\":{\"type\":\"string\"}},"
            "\"required\":[\"unit\",\"days\",\"detailed\",\"tags\",\"filter\",\"source_url\",\"city\"]}");
  contract = lp_tool_contract_build (request);

  assert_contains (contract,
                   "```json action\n{\"tool\":\"get_weather\",\"parameters\":{\"unit\":\"celsius\","
                   "\"days\":1,\"detailed\":true,\"tags\":[],\"filter\":{},"
                   "\"source_url\":\"https://example.com\",\"city\":\"value\"}}\n```");
  assert_lacks (contract, "Which tool for which job:");
  assert_lacks (contract, "Working on code:");
}

static LpChatRequest *
history_request (void)
{
  LpChatRequest *request = lp_chat_request_new (LP_DIALECT_OPENAI);
  LpMessage *assistant = lp_message_new (LP_ROLE_ASSISTANT, "");
  LpMessage *result = lp_message_new (LP_ROLE_TOOL_RESULT, "ok");

  g_ptr_array_add (request->messages, lp_message_new (LP_ROLE_USER, "build it"));
  g_ptr_array_add (assistant->tool_calls, lp_tool_call_new ("call_1", "Bash", NULL));
  g_ptr_array_add (assistant->tool_calls, lp_tool_call_new ("call_2", "Read", NULL));
  g_ptr_array_add (assistant->tool_calls, lp_tool_call_new ("call_3", "Bash", NULL));
  g_ptr_array_add (request->messages, assistant);
  result->tool_call_id = g_strdup ("call_1");
  g_ptr_array_add (request->messages, result);

  return request;
}

/* A later turn without `tools` keeps the tool conversation going (W27). */
static void
test_history_without_tools (void)
{
  g_autoptr(LpChatRequest) request = history_request ();
  g_autofree char *contract = NULL;

  g_assert_true (lp_tools_active (request));
  contract = lp_tool_contract_build (request);

  assert_contains (contract, "```json action\n{\"tool\":\"NAME\",\"parameters\":{\"key\":\"value\"}}\n```");
  assert_contains (contract,
                   "The tool definitions were given earlier in this conversation and still apply. "
                   "Tools called so far: Bash, Read.\n");
  assert_lacks (contract, "Available tools:");
  g_assert_true (g_str_has_suffix (contract, AUTO_LINE));
}

static void
test_reminder (void)
{
  g_autoptr(LpChatRequest) request = read_request ();
  g_autofree char *reminder = NULL;

  request->tool_choice = LP_TOOL_CHOICE_ANY;
  reminder = lp_tool_contract_reminder (request);

  g_assert_cmpstr (reminder, ==,
                   "Call tools with action blocks (```json action, one JSON object, ```) as "
                   "described earlier in this conversation.\n" ANY_LINE);
}

static void
test_project_assistant_turn (void)
{
  g_autoptr(LpMessage) message = lp_message_new (LP_ROLE_ASSISTANT, "Looking.");
  g_autoptr(LpMessage) bare = lp_message_new (LP_ROLE_ASSISTANT, "");
  g_autoptr(LpMessage) text_only = lp_message_new (LP_ROLE_ASSISTANT, "Just text.");
  g_autoptr(JsonNode) arguments = json_from_string ("{\"file_path\":\"/a \\\"b\\\"\",\"limit\":2}", NULL);
  g_autofree char *projected = NULL;
  g_autofree char *projected_bare = NULL;
  g_autofree char *projected_text = NULL;

  g_ptr_array_add (message->tool_calls, lp_tool_call_new ("toolu_1", "Read", arguments));
  g_ptr_array_add (message->tool_calls, lp_tool_call_new ("toolu_2", "Bash", NULL));
  g_ptr_array_add (bare->tool_calls, lp_tool_call_new (NULL, "Bash", NULL));
  projected = lp_tool_project_assistant_turn (message);
  projected_bare = lp_tool_project_assistant_turn (bare);
  projected_text = lp_tool_project_assistant_turn (text_only);

  g_assert_cmpstr (projected, ==,
                   "Looking.\n\n"
                   "```json action\n{\"tool\":\"Read\",\"id\":\"toolu_1\",\"parameters\":{\"file_path\":\"/a \\\"b\\\"\",\"limit\":2}}\n```\n\n"
                   "```json action\n{\"tool\":\"Bash\",\"id\":\"toolu_2\",\"parameters\":{}}\n```");
  g_assert_cmpstr (projected_bare, ==, "```json action\n{\"tool\":\"Bash\",\"parameters\":{}}\n```");
  g_assert_cmpstr (projected_text, ==, "Just text.");
}

#define CONTINUE "\n\nContinue with the next action block, or give the final answer if nothing else is needed."

static void
test_project_result (void)
{
  struct {
    const char *id;
    const char *output;
    gboolean    is_error;
    const char *expected;
  } cases[] = {
    { "toolu_1", "  line 1\nline 2\n", FALSE, "Tool result for toolu_1:\nline 1\nline 2" CONTINUE },
    { "call_2", "No such file", TRUE, "Tool error for call_2:\nNo such file" CONTINUE },
    { "call_3", "", FALSE, "Tool result for call_3:\n(no output)" CONTINUE },
    { "call_4", " ", TRUE, "Tool error for call_4:\n(no output)" CONTINUE },
    { NULL, "42", FALSE, "Tool result:\n42" CONTINUE },
    { "", "42", TRUE, "Tool error:\n42" CONTINUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LpMessage) message = lp_message_new (LP_ROLE_TOOL_RESULT, cases[i].output);
      g_autofree char *projected = NULL;

      message->tool_call_id = g_strdup (cases[i].id);
      message->tool_is_error = cases[i].is_error;
      projected = lp_tool_project_result (message);

      g_assert_cmpstr (projected, ==, cases[i].expected);
    }
}

/* What the contract shows round-trips through the parser. */
static void
test_projection_parses_back (void)
{
  g_autoptr(LpChatRequest) request = read_request ();
  g_autoptr(LpMessage) message = lp_message_new (LP_ROLE_ASSISTANT, "");
  g_autoptr(JsonNode) arguments = json_from_string ("{\"file_path\":\"/x.c\"}", NULL);
  g_autofree char *projected = NULL;
  g_autoptr(LpToolParse) parse = NULL;
  g_autofree char *json = NULL;

  g_ptr_array_add (message->tool_calls, lp_tool_call_new ("toolu_old", "Read", arguments));
  projected = lp_tool_project_assistant_turn (message);
  parse = lp_tool_parse_reply (request, projected);

  g_assert_cmpuint (parse->calls->len, ==, 1);
  json = lp_tool_call_dup_arguments_json (g_ptr_array_index (parse->calls, 0));
  g_assert_cmpstr (json, ==, "{\"file_path\":\"/x.c\"}");
  g_assert_cmpstr (((LpToolCall *) g_ptr_array_index (parse->calls, 0))->id, !=, "toolu_old");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tool-contract/read-tool-line", test_read_tool_line);
  g_test_add_func ("/tool-contract/tool-line-types", test_tool_line_types);
  g_test_add_func ("/tool-contract/description-cut", test_description_cut);
  g_test_add_func ("/tool-contract/auto", test_auto);
  g_test_add_func ("/tool-contract/none", test_none);
  g_test_add_func ("/tool-contract/any", test_any);
  g_test_add_func ("/tool-contract/named", test_named);
  g_test_add_func ("/tool-contract/parallel-off", test_parallel_off);
  g_test_add_func ("/tool-contract/routing-and-examples", test_routing_and_examples);
  g_test_add_func ("/tool-contract/example-from-schema", test_example_from_schema);
  g_test_add_func ("/tool-contract/history-without-tools", test_history_without_tools);
  g_test_add_func ("/tool-contract/reminder", test_reminder);
  g_test_add_func ("/tool-contract/project-assistant-turn", test_project_assistant_turn);
  g_test_add_func ("/tool-contract/project-result", test_project_result);
  g_test_add_func ("/tool-contract/projection-parses-back", test_projection_parses_back);

  return g_test_run ();
}
