/* test-anthropic.c
 *
 * The Anthropic dialect: request parsing (including the shape Claude
 * Code 2.1 really sends), rendering, error envelopes, the SSE encoder
 * against golden transcripts, and count_tokens.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "lp-anthropic.h"
#include "lp-error.h"
#include "lp-json.h"
#include "lp-tokens.h"

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static LpChatRequest *
parse_ok (const char *body)
{
  g_autoptr(JsonNode) root = parse_json (body);
  g_autoptr(GError) error = NULL;
  LpChatRequest *request = lp_dialect_anthropic ()->parse_request (root, &error);

  g_assert_no_error (error);
  g_assert_nonnull (request);
  g_assert_cmpint (request->dialect, ==, LP_DIALECT_ANTHROPIC);
  return request;
}

static void
assert_parse_error (const char *body,
                    const char *message)
{
  g_autoptr(JsonNode) root = parse_json (body);
  g_autoptr(GError) error = NULL;
  g_autoptr(LpChatRequest) request = lp_anthropic_parse_request (root, &error);

  g_assert_null (request);
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  g_assert_cmpstr (error->message, ==, message);
}

static char *
load_fixture (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", "anthropic", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static const LpMessage *
message_at (const LpChatRequest *request,
            guint                index)
{
  g_assert_cmpuint (index, <, request->messages->len);
  return g_ptr_array_index (request->messages, index);
}

static const LpToolCall *
call_at (const LpMessage *message,
         guint            index)
{
  g_assert_cmpuint (index, <, message->tool_calls->len);
  return g_ptr_array_index (message->tool_calls, index);
}

static void
assert_json_equal (JsonNode   *node,
                   const char *expected)
{
  g_autofree char *text = lp_json_to_string (node);

  g_assert_cmpstr (text, ==, expected);
}

#define USER_HI "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
#define TOOLS \
  "\"tools\":[{\"name\":\"Read\",\"description\":\"Read a file\",\"input_schema\":{\"type\":\"object\"," \
  "\"properties\":{\"file_path\":{\"type\":\"string\"}},\"required\":[\"file_path\"]}}," \
  "{\"name\":\"Bash\",\"input_schema\":{\"type\":\"object\"}}]"

/* Parsing */

/* Upstream test 16: a role it does not know is dropped. */
static void
test_parse_upstream_normalisation (void)
{
  g_autoptr(LpChatRequest) request = parse_ok (
    "{\"model\":\"claude-x\",\"system\":[{\"type\":\"text\",\"text\":\"System prompt\"}],"
    "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}]},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]},"
    "{\"role\":\"metadata\",\"content\":\"x\"}]}");

  g_assert_cmpstr (request->model, ==, "claude-x");
  g_assert_cmpstr (request->system, ==, "System prompt");
  g_assert_cmpuint (request->messages->len, ==, 2);
  g_assert_cmpint (message_at (request, 0)->role, ==, LP_ROLE_USER);
  g_assert_cmpstr (message_at (request, 0)->text, ==, "Hello");
  g_assert_cmpint (message_at (request, 1)->role, ==, LP_ROLE_ASSISTANT);
  g_assert_cmpstr (message_at (request, 1)->text, ==, "Hi");

  g_assert_false (request->stream);
  g_assert_false (request->thinking);
  g_assert_true (request->parallel_tool_calls);
  g_assert_cmpint (request->tool_choice, ==, LP_TOOL_CHOICE_AUTO);
  g_assert_null (request->stop);
  g_assert_null (request->output_format);
}

/* Upstream test 17: nothing left to answer. */
static void
test_parse_no_turns (void)
{
  assert_parse_error ("{\"messages\":[{\"role\":\"user\",\"content\":\"\"},"
                      "{\"role\":\"assistant\",\"content\":null}]}",
                      "messages: at least one user or assistant message is required");
  assert_parse_error ("{\"system\":\"s\",\"messages\":[{\"role\":\"system\",\"content\":\"only system\"},"
                      "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"x\"}]}]}",
                      "messages: at least one user or assistant message is required");
}

/* The request Claude Code 2.1 sends, as recorded in the fixture. */
static void
test_parse_claude_code (void)
{
  g_autofree char *body = load_fixture ("claude-code-2.1.json");
  g_autoptr(LpChatRequest) request = parse_ok (body);
  const LpMessage *message;

  g_assert_cmpstr (request->model, ==, "claude-sonnet-4-5-20250929");
  /* Three system blocks, then the role:"system" entry from inside messages. */
  g_assert_cmpstr (request->system, ==,
                   "x-anthropic-billing-header: cc_version=2.1.0.abc; cc_entrypoint=cli\n\n"
                   "You are Claude Code, Anthropic's official CLI for Claude.\n\n"
                   "You are an interactive CLI tool that helps users with software engineering tasks.\n\n"
                   "The user changed the permission mode to acceptEdits.");
  g_assert_true (request->stream);
  g_assert_true (request->thinking);
  g_assert_cmpint (request->max_tokens, ==, 32000);
  g_assert_null (request->output_format);
  g_assert_cmpuint (request->tools->len, ==, 25);
  g_assert_nonnull (lp_chat_request_find_tool (request, "TodoWrite"));
  g_assert_nonnull (lp_chat_request_find_tool (request, "mcp__github__list_pull_requests"));
  g_assert_nonnull (lp_chat_request_find_tool (request, "Edit")->input_schema);

  g_assert_cmpuint (request->messages->len, ==, 10);

  message = message_at (request, 0);
  g_assert_cmpint (message->role, ==, LP_ROLE_USER);
  g_assert_true (g_str_has_prefix (message->text, "<system-reminder>"));
  g_assert_true (g_str_has_suffix (message->text, "</system-reminder>\nFix the failing test in src/app.test.ts"));

  /* The thinking block is not forwarded, the calls are. */
  message = message_at (request, 1);
  g_assert_cmpint (message->role, ==, LP_ROLE_ASSISTANT);
  g_assert_cmpstr (message->text, ==, "I'll look at the test first.");
  g_assert_cmpuint (message->tool_calls->len, ==, 2);
  g_assert_cmpstr (call_at (message, 0)->id, ==, "toolu_01A");
  g_assert_cmpstr (call_at (message, 0)->name, ==, "Read");
  assert_json_equal (call_at (message, 0)->arguments, "{\"file_path\":\"/repo/src/app.test.ts\"}");
  g_assert_cmpstr (call_at (message, 1)->name, ==, "Bash");

  /* Tool results come before the text of their turn. */
  message = message_at (request, 2);
  g_assert_cmpint (message->role, ==, LP_ROLE_TOOL_RESULT);
  g_assert_cmpstr (message->tool_call_id, ==, "toolu_01A");
  g_assert_true (g_str_has_prefix (message->text, "1\timport { add } from './app';\n"));
  g_assert_false (message->tool_is_error);

  message = message_at (request, 3);
  g_assert_cmpint (message->role, ==, LP_ROLE_TOOL_RESULT);
  g_assert_cmpstr (message->tool_call_id, ==, "toolu_01B");
  g_assert_cmpstr (message->text, ==, "FAIL src/app.test.ts\nExpected: 4\nReceived: 3");
  g_assert_true (message->tool_is_error);

  message = message_at (request, 4);
  g_assert_cmpint (message->role, ==, LP_ROLE_USER);
  g_assert_cmpstr (message->text, ==, "<system-reminder>\nThe TodoWrite tool hasn't been used recently.\n</system-reminder>");

  /* redacted_thinking dropped; a calls-only assistant turn stays. */
  message = message_at (request, 5);
  g_assert_cmpint (message->role, ==, LP_ROLE_ASSISTANT);
  g_assert_cmpstr (message->text, ==, "");
  g_assert_cmpuint (message->tool_calls->len, ==, 1);
  g_assert_cmpstr (call_at (message, 0)->name, ==, "Edit");

  /* An empty result is reported, not dropped. */
  message = message_at (request, 6);
  g_assert_cmpint (message->role, ==, LP_ROLE_TOOL_RESULT);
  g_assert_cmpstr (message->tool_call_id, ==, "toolu_01C");
  g_assert_cmpstr (message->text, ==, "");

  message = message_at (request, 7);
  g_assert_cmpstr (call_at (message, 0)->name, ==, "Read");

  /* A screenshot returned by a tool stays with its result. */
  message = message_at (request, 8);
  g_assert_cmpint (message->role, ==, LP_ROLE_TOOL_RESULT);
  g_assert_cmpstr (message->tool_call_id, ==, "toolu_01D");
  g_assert_cmpstr (message->text, ==, "");
  g_assert_cmpuint (message->images->len, ==, 1);
  g_assert_cmpstr (((LpImage *) g_ptr_array_index (message->images, 0))->media_type, ==, "image/png");

  message = message_at (request, 9);
  g_assert_cmpint (message->role, ==, LP_ROLE_USER);
  g_assert_cmpstr (message->text, ==, "Does the screenshot match?");

  /* Nothing of the model's own thinking reaches any message. */
  for (guint i = 0; i < request->messages->len; i++)
    {
      g_assert_null (strstr (message_at (request, i)->text, "Read it first"));
      g_assert_null (strstr (message_at (request, i)->text, "EmwKAhgB"));
    }
}

/* Claude Code's title request asks for JSON through output_config. */
static void
test_parse_claude_code_title (void)
{
  g_autofree char *body = load_fixture ("claude-code-title.json");
  g_autoptr(LpChatRequest) request = parse_ok (body);

  g_assert_nonnull (request->output_format);
  g_assert_nonnull (strstr (request->output_format, "nothing else"));
  g_assert_nonnull (strstr (request->output_format,
                            "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\"}},"
                            "\"required\":[\"title\"],\"additionalProperties\":false}"));
  g_assert_cmpint (request->max_tokens, ==, 512);
  g_assert_false (request->thinking);
  g_assert_cmpuint (request->messages->len, ==, 1);
}

static void
test_parse_fields (void)
{
  g_autoptr(LpChatRequest) request = parse_ok (
    "{\"model\":\"m\",\"system\":\"  Be brief.  \",\"stream\":true,\"max_tokens\":1024,"
    "\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,\"stop_sequences\":[\"</answer>\",\"\"],"
    "\"metadata\":{\"user_id\":\"{\\\"device_id\\\":\\\"d\\\"}\"},"
    "\"context_management\":{\"edits\":[]},\"service_tier\":\"auto\",\"container\":null,"
    "\"mcp_servers\":[],\"anything_new\":{\"x\":[1]}," USER_HI "}");

  g_assert_cmpstr (request->system, ==, "Be brief.");
  g_assert_true (request->stream);
  g_assert_cmpint (request->max_tokens, ==, 1024);
  g_assert_cmpuint (g_strv_length (request->stop), ==, 1);
  g_assert_cmpstr (request->stop[0], ==, "</answer>");
}

static void
test_parse_type_errors (void)
{
  static const struct {
    const char *body;
    const char *message;
  } cases[] = {
    { "\"text\"", "request body: expected a JSON object" },
    { "{\"model\":\"m\"}", "messages: field is required" },
    { "{\"messages\":\"hi\"}", "messages: expected an array" },
    { "{\"model\":[]," USER_HI "}", "model: expected a string" },
    { "{\"max_tokens\":\"1\"," USER_HI "}", "max_tokens: expected an integer" },
    { "{\"max_tokens\":-5," USER_HI "}", "max_tokens: must not be negative" },
    { "{\"stream\":1," USER_HI "}", "stream: expected a boolean" },
    { "{\"temperature\":\"0\"," USER_HI "}", "temperature: expected a number" },
    { "{\"top_p\":true," USER_HI "}", "top_p: expected a number" },
    { "{\"top_k\":1.5," USER_HI "}", "top_k: expected an integer" },
    { "{\"metadata\":\"x\"," USER_HI "}", "metadata: expected an object" },
    { "{\"stop_sequences\":\"END\"," USER_HI "}", "stop_sequences: expected an array" },
    { "{\"stop_sequences\":[\"a\",1]," USER_HI "}", "stop_sequences[1]: expected a string" },
    { "{\"system\":5," USER_HI "}", "system: expected a string or an array of text blocks" },
    { "{\"system\":[\"x\"]," USER_HI "}", "system[0]: expected an object" },
    { "{\"system\":[{\"text\":\"x\"}]," USER_HI "}", "system[0].type: field is required" },
    { "{\"system\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":false}]," USER_HI "}",
      "system[1].text: expected a string" },
    { "{\"thinking\":true," USER_HI "}", "thinking: expected an object" },
    { "{\"thinking\":{}," USER_HI "}", "thinking.type: field is required" },
    { "{\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":\"lots\"}," USER_HI "}",
      "thinking.budget_tokens: expected an integer" },
    { "{\"output_config\":[]," USER_HI "}", "output_config: expected an object" },
    { "{\"output_config\":{\"effort\":3}," USER_HI "}", "output_config.effort: expected a string" },
    { "{\"output_config\":{\"format\":{\"type\":\"xml\"}}," USER_HI "}",
      "output_config.format.type: expected \"json_schema\"" },
    { "{\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":\"{}\"}}," USER_HI "}",
      "output_config.format.schema: expected an object" },
    { "{\"messages\":[1]}", "messages[0]: expected an object" },
    { "{\"messages\":[{\"content\":\"x\"}]}", "messages[0].role: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
      "{\"role\":\"user\",\"content\":{\"type\":\"text\"}}]}",
      "messages[2].content: expected a string or an array of content blocks" },
    { "{\"messages\":[{\"role\":\"system\",\"content\":7},{\"role\":\"user\",\"content\":\"x\"}]}",
      "messages[0].content: expected a string or an array of text blocks" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[\"hi\"]}]}", "messages[0].content[0]: expected an object" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}",
      "messages[0].content[0].type: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}",
      "messages[0].content[0].text: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\"}]}]}",
      "messages[0].content[0].source: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{}}]}]}",
      "messages[0].content[0].source.type: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\","
      "\"media_type\":\"image/png\"}}]}]}",
      "messages[0].content[0].source.data: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\","
      "\"media_type\":\"image/png\",\"data\":\"\"}}]}]}",
      "messages[0].content[0].source.data: must not be empty" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"url\"}}]}]}",
      "messages[0].content[0].source.url: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\","
      "\"content\":5}]}]}",
      "messages[0].content[0].content: expected a string or an array of content blocks" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\","
      "\"is_error\":\"yes\"}]}]}",
      "messages[0].content[0].is_error: expected a boolean" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":3}]}]}",
      "messages[0].content[0].tool_use_id: expected a string" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\","
      "\"content\":[{\"type\":\"text\",\"text\":1}]}]}]}",
      "messages[0].content[0].content[0].text: expected a string" },
    { "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"input\":{}}]}]}",
      "messages[0].content[0].name: field is required" },
    { "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"\"}]}]}",
      "messages[0].content[0].name: must not be empty" },
    { "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"x\","
      "\"input\":[1]}]}]}",
      "messages[0].content[0].input: expected an object" },
    { "{\"tools\":{}," USER_HI "}", "tools: expected an array" },
    { "{\"tools\":[\"Read\"]," USER_HI "}", "tools[0]: expected an object" },
    { "{\"tools\":[{\"name\":\"a\"},{\"description\":\"no name\"}]," USER_HI "}", "tools[1].name: field is required" },
    { "{\"tools\":[{\"name\":\"  \"}]," USER_HI "}", "tools[0].name: must not be empty" },
    { "{\"tools\":[{\"name\":\"a\",\"input_schema\":[]}]," USER_HI "}", "tools[0].input_schema: expected an object" },
    { "{\"tools\":[{\"name\":\"a\",\"description\":{}}]," USER_HI "}", "tools[0].description: expected a string" },
    { "{\"tool_choice\":\"auto\"," USER_HI "}", "tool_choice: expected an object" },
    { "{\"tool_choice\":{}," USER_HI "}", "tool_choice.type: field is required" },
    { "{\"tool_choice\":{\"type\":\"required\"}," USER_HI "}",
      "tool_choice.type: expected \"auto\", \"any\", \"tool\" or \"none\"" },
    { "{" TOOLS ",\"tool_choice\":{\"type\":\"tool\"}," USER_HI "}", "tool_choice.name: field is required" },
    { "{" TOOLS ",\"tool_choice\":{\"type\":\"tool\",\"name\":\"Write\"}," USER_HI "}",
      "tool_choice.name: no tool named \"Write\" in tools" },
    { "{" TOOLS ",\"tool_choice\":{\"type\":\"auto\",\"disable_parallel_tool_use\":\"y\"}," USER_HI "}",
      "tool_choice.disable_parallel_tool_use: expected a boolean" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_parse_error (cases[i].body, cases[i].message);
}

static void
test_parse_content_blocks (void)
{
  g_autoptr(LpChatRequest) request = parse_ok (
    "{\"messages\":["
    /* image-only user message: valid */
    "{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\","
    "\"media_type\":\"image/webp\",\"data\":\"UklGRg==\"}}]},"
    "{\"role\":\"assistant\",\"content\":\"Nice.\"},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\" Compare \"},"
    "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://example.com/b.png\"}},"
    "{\"type\":\"image\",\"source\":{\"type\":\"file\",\"file_id\":\"file_1\"}},"
    "{\"type\":\"document\",\"source\":{\"type\":\"base64\",\"media_type\":\"application/pdf\",\"data\":\"JVBE\"}},"
    "{\"type\":\"search_result\",\"source\":\"x\",\"title\":\"t\",\"content\":[]},"
    "{\"type\":\"text\",\"text\":\"with this\"}]},"
    /* tool_use input sent as a string, tool_result of mixed blocks */
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Read\","
    "\"input\":\"{\\\"file_path\\\":\\\"/a\\\"}\"},{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"Bash\"},"
    "{\"type\":\"tool_use\",\"id\":\"toolu_3\",\"name\":\"Bash\",\"input\":\"{\\\"command\\\": \\\"ls\"}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Here:\"},"
    "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":[{\"type\":\"text\",\"text\":\"line 1\"},"
    "{\"type\":\"text\",\"text\":\"line 2\"}]},"
    "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\"},"
    "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_3\",\"content\":\"denied\",\"is_error\":true}]}]}");
  const LpMessage *message;
  const LpImage *image;

  g_assert_cmpuint (request->messages->len, ==, 8);

  message = message_at (request, 0);
  g_assert_cmpint (message->role, ==, LP_ROLE_USER);
  g_assert_cmpstr (message->text, ==, "");
  g_assert_cmpuint (message->images->len, ==, 1);
  image = g_ptr_array_index (message->images, 0);
  g_assert_cmpstr (image->media_type, ==, "image/webp");
  g_assert_cmpstr (image->data_base64, ==, "UklGRg==");
  g_assert_null (image->url);

  /* URL sources are kept for resolution; file sources and documents are ignored. */
  message = message_at (request, 2);
  g_assert_cmpstr (message->text, ==, "Compare\nwith this");
  g_assert_cmpuint (message->images->len, ==, 1);
  image = g_ptr_array_index (message->images, 0);
  g_assert_cmpstr (image->url, ==, "https://example.com/b.png");
  g_assert_null (image->data_base64);

  message = message_at (request, 3);
  g_assert_cmpuint (message->tool_calls->len, ==, 3);
  assert_json_equal (call_at (message, 0)->arguments, "{\"file_path\":\"/a\"}");
  assert_json_equal (call_at (message, 1)->arguments, "{}");
  assert_json_equal (call_at (message, 2)->arguments, "{\"_raw\":\"{\\\"command\\\": \\\"ls\"}");

  /* Results first, in order, then the text that came with them. */
  message = message_at (request, 4);
  g_assert_cmpint (message->role, ==, LP_ROLE_TOOL_RESULT);
  g_assert_cmpstr (message->tool_call_id, ==, "toolu_1");
  g_assert_cmpstr (message->text, ==, "line 1\nline 2");
  message = message_at (request, 5);
  g_assert_cmpint (message->role, ==, LP_ROLE_TOOL_RESULT);
  g_assert_cmpstr (message->tool_call_id, ==, "toolu_2");
  g_assert_cmpstr (message->text, ==, "");
  g_assert_false (message->tool_is_error);
  message = message_at (request, 6);
  g_assert_cmpstr (message->tool_call_id, ==, "toolu_3");
  g_assert_cmpstr (message->text, ==, "denied");
  g_assert_true (message->tool_is_error);
  message = message_at (request, 7);
  g_assert_cmpint (message->role, ==, LP_ROLE_USER);
  g_assert_cmpstr (message->text, ==, "Here:");
}

static void
test_parse_system_messages (void)
{
  /* role:"system" inside messages is folded in order, string or blocks. */
  g_autoptr(LpChatRequest) request = parse_ok (
    "{\"system\":[{\"type\":\"text\",\"text\":\"One.\",\"cache_control\":{\"type\":\"ephemeral\"}},"
    "{\"type\":\"image\",\"source\":{}},{\"type\":\"text\",\"text\":\"  \"}],"
    "\"messages\":[{\"role\":\"system\",\"content\":\"Two.\"},"
    "{\"role\":\"user\",\"content\":\"hi\"},"
    "{\"role\":\"System\",\"content\":[{\"type\":\"text\",\"text\":\"Three.\"}]}]}");

  g_assert_cmpstr (request->system, ==, "One.\n\nTwo.\n\nThree.");
  g_assert_cmpuint (request->messages->len, ==, 1);
}

static void
test_parse_tools (void)
{
  g_autoptr(LpChatRequest) request = parse_ok (
    "{\"tools\":[{\"name\":\"Read\",\"description\":\"Read a file\",\"input_schema\":{\"type\":\"object\"},"
    "\"cache_control\":{\"type\":\"ephemeral\"}},"
    "{\"type\":\"custom\",\"name\":\"Lint\",\"input_schema\":{\"type\":\"object\"}},"
    "{\"type\":\"web_search_20250305\",\"name\":\"web_search\",\"max_uses\":5},"
    "{\"type\":\"text_editor_20250728\",\"name\":\"str_replace_based_edit_tool\"}]," USER_HI "}");
  const LpToolDef *tool;

  g_assert_cmpuint (request->tools->len, ==, 4);
  tool = lp_chat_request_find_tool (request, "Read");
  g_assert_cmpstr (tool->description, ==, "Read a file");
  assert_json_equal (tool->input_schema, "{\"type\":\"object\"}");
  g_assert_nonnull (lp_chat_request_find_tool (request, "Lint")->input_schema);
  /* Server tools stay, without a schema. */
  tool = lp_chat_request_find_tool (request, "web_search");
  g_assert_nonnull (tool);
  g_assert_null (tool->input_schema);
  g_assert_nonnull (lp_chat_request_find_tool (request, "str_replace_based_edit_tool"));
}

static void
test_parse_tool_choice (void)
{
  static const struct {
    const char   *choice;
    LpToolChoice  expected;
    const char   *name;
    gboolean      parallel;
  } cases[] = {
    { "{\"type\":\"auto\"}", LP_TOOL_CHOICE_AUTO, NULL, TRUE },
    { "{\"type\":\"any\"}", LP_TOOL_CHOICE_ANY, NULL, TRUE },
    { "{\"type\":\"none\"}", LP_TOOL_CHOICE_NONE, NULL, TRUE },
    { "{\"type\":\"tool\",\"name\":\"Read\"}", LP_TOOL_CHOICE_TOOL, "Read", TRUE },
    { "{\"type\":\"auto\",\"disable_parallel_tool_use\":true}", LP_TOOL_CHOICE_AUTO, NULL, FALSE },
    { "{\"type\":\"any\",\"disable_parallel_tool_use\":false}", LP_TOOL_CHOICE_ANY, NULL, TRUE },
    { "{\"type\":\"tool\",\"name\":\" Bash \",\"disable_parallel_tool_use\":true}", LP_TOOL_CHOICE_TOOL,
      "Bash", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{" TOOLS ",\"tool_choice\":%s," USER_HI "}", cases[i].choice);
      g_autoptr(LpChatRequest) request = parse_ok (body);

      g_assert_cmpint (request->tool_choice, ==, cases[i].expected);
      g_assert_cmpint (request->parallel_tool_calls, ==, cases[i].parallel);
      g_assert_cmpstr (request->tool_choice_name, ==, cases[i].name);
    }
}

static void
test_parse_thinking (void)
{
  static const struct {
    const char *thinking;
    gboolean    expected;
  } cases[] = {
    { "{\"type\":\"enabled\",\"budget_tokens\":10000}", TRUE },
    { "{\"type\":\"adaptive\"}", TRUE },
    { "{\"type\":\"disabled\"}", FALSE },
    { "null", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"thinking\":%s," USER_HI "}", cases[i].thinking);
      g_autoptr(LpChatRequest) request = parse_ok (body);

      g_assert_cmpint (request->thinking, ==, cases[i].expected);
    }
}

/* Rendering */

static LpChatRequest *
request_with_thinking (gboolean thinking)
{
  return parse_ok (thinking ? "{\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048}," USER_HI "}"
                            : "{\"model\":\"req-model\"," USER_HI "}");
}

static JsonObject *
render (const LpChatRequest *request,
        const LpChatResult  *result,
        JsonNode           **root)
{
  g_autofree char *body = lp_dialect_anthropic ()->render_result (request, result, "claude-sonnet-4-5");

  *root = parse_json (body);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*root));
  return json_node_get_object (*root);
}

static JsonObject *
block_at (JsonObject *object,
          guint       index)
{
  JsonArray *content = json_object_get_array_member (object, "content");

  g_assert_cmpuint (index, <, json_array_get_length (content));
  return json_array_get_object_element (content, index);
}

static guint
n_blocks (JsonObject *object)
{
  return json_array_get_length (json_object_get_array_member (object, "content"));
}

static void
set_text (char       **field,
          const char  *text)
{
  g_free (*field);
  *field = g_strdup (text);
}

static void
add_call (GPtrArray  *calls,
          const char *id,
          const char *name,
          const char *arguments)
{
  g_autoptr(JsonNode) node = parse_json (arguments);

  g_ptr_array_add (calls, lp_tool_call_new (id, name, node));
}

static void
test_render_text (void)
{
  g_autoptr(LpChatRequest) request = request_with_thinking (FALSE);
  g_autoptr(LpChatResult) result = lp_chat_result_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonObject *usage;

  set_text (&result->text, "Hello.");
  /* Thinking the client did not ask for stays out. */
  set_text (&result->thinking, "hidden");
  result->input_tokens = 11;
  result->output_tokens = 2;

  object = render (request, result, &root);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "id"), "msg_"));
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "message");
  g_assert_cmpstr (json_object_get_string_member (object, "role"), ==, "assistant");
  g_assert_cmpstr (json_object_get_string_member (object, "model"), ==, "claude-sonnet-4-5");
  g_assert_cmpuint (n_blocks (object), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (block_at (object, 0), "type"), ==, "text");
  g_assert_cmpstr (json_object_get_string_member (block_at (object, 0), "text"), ==, "Hello.");
  g_assert_cmpstr (json_object_get_string_member (object, "stop_reason"), ==, "end_turn");
  g_assert_true (json_object_get_null_member (object, "stop_sequence"));
  usage = json_object_get_object_member (object, "usage");
  g_assert_cmpint (json_object_get_int_member (usage, "input_tokens"), ==, 11);
  g_assert_cmpint (json_object_get_int_member (usage, "output_tokens"), ==, 2);
}

static void
test_render_thinking (void)
{
  g_autoptr(LpChatRequest) request = request_with_thinking (TRUE);
  g_autoptr(LpChatResult) result = lp_chat_result_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) again = NULL;
  JsonObject *object;
  JsonObject *thinking;

  set_text (&result->thinking, "Let me think.");
  set_text (&result->text, "Answer.");

  object = render (request, result, &root);
  g_assert_cmpuint (n_blocks (object), ==, 2);
  thinking = block_at (object, 0);
  g_assert_cmpstr (json_object_get_string_member (thinking, "type"), ==, "thinking");
  g_assert_cmpstr (json_object_get_string_member (thinking, "thinking"), ==, "Let me think.");
  /* Non-empty, and the same one the stream sends for the same text. */
  g_assert_cmpstr (json_object_get_string_member (thinking, "signature"), ==,
                   "oOkLOZUGnYo9M5H8BMoYvhQpK0bUJhuDRx2K8BLhaQ8=");
  g_assert_cmpstr (json_object_get_string_member (block_at (object, 1), "type"), ==, "text");

  /* Thinking alone: no empty text block beside it. */
  set_text (&result->text, "");
  object = render (request, result, &again);
  g_assert_cmpuint (n_blocks (object), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (block_at (object, 0), "type"), ==, "thinking");
}

static void
test_render_tool_calls (void)
{
  g_autoptr(LpChatRequest) request = request_with_thinking (FALSE);
  g_autoptr(LpChatResult) result = lp_chat_result_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) again = NULL;
  JsonObject *object;
  JsonObject *block;

  add_call (result->tool_calls, "toolu_1", "Read", "{\"file_path\": \"/tmp/a.txt\", \"limit\": 0.5}");
  add_call (result->tool_calls, NULL, "Bash", "{}");
  result->finish = LP_FINISH_TOOL_CALLS;

  /* No text: no text block, only the calls. */
  object = render (request, result, &root);
  g_assert_cmpuint (n_blocks (object), ==, 2);
  block = block_at (object, 0);
  g_assert_cmpstr (json_object_get_string_member (block, "type"), ==, "tool_use");
  g_assert_cmpstr (json_object_get_string_member (block, "id"), ==, "toolu_1");
  g_assert_cmpstr (json_object_get_string_member (block, "name"), ==, "Read");
  assert_json_equal (json_object_get_member (block, "input"), "{\"file_path\":\"/tmp/a.txt\",\"limit\":0.5}");
  block = block_at (object, 1);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (block, "id"), "toolu_"));
  assert_json_equal (json_object_get_member (block, "input"), "{}");
  g_assert_cmpstr (json_object_get_string_member (object, "stop_reason"), ==, "tool_use");

  /* Text before the calls. */
  set_text (&result->text, "Reading.");
  object = render (request, result, &again);
  g_assert_cmpuint (n_blocks (object), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (block_at (object, 0), "text"), ==, "Reading.");
  g_assert_cmpstr (json_object_get_string_member (block_at (object, 1), "type"), ==, "tool_use");
}

static void
test_render_stop_reasons (void)
{
  g_autoptr(LpChatRequest) request = request_with_thinking (FALSE);

  {
    g_autoptr(LpChatResult) result = lp_chat_result_new ();
    g_autoptr(JsonNode) root = NULL;
    JsonObject *object;

    result->finish = LP_FINISH_STOP_SEQUENCE;
    result->stop_sequence = g_strdup ("</answer>");
    set_text (&result->text, "42");
    object = render (request, result, &root);
    g_assert_cmpstr (json_object_get_string_member (object, "stop_reason"), ==, "stop_sequence");
    g_assert_cmpstr (json_object_get_string_member (object, "stop_sequence"), ==, "</answer>");
  }

  {
    g_autoptr(LpChatResult) result = lp_chat_result_new ();
    g_autoptr(JsonNode) root = NULL;
    JsonObject *object;

    /* Cut short with nothing said: the content still holds a text block. */
    result->finish = LP_FINISH_LENGTH;
    object = render (request, result, &root);
    g_assert_cmpstr (json_object_get_string_member (object, "stop_reason"), ==, "max_tokens");
    g_assert_true (json_object_get_null_member (object, "stop_sequence"));
    g_assert_cmpuint (n_blocks (object), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (block_at (object, 0), "text"), ==, "");
    /* Without a model the request's is used. */
    {
      g_autofree char *body = lp_anthropic_render_result (request, result, NULL);

      g_assert_nonnull (strstr (body, "\"model\":\"req-model\""));
    }
  }
}

static void
test_render_error (void)
{
  static const struct {
    guint       status;
    const char *type;
  } cases[] = {
    { 400, "invalid_request_error" },
    { 401, "authentication_error" },
    { 403, "permission_error" },
    { 404, "not_found_error" },
    { 405, "invalid_request_error" },
    { 413, "request_too_large" },
    { 429, "rate_limit_error" },
    { 500, "api_error" },
    { 502, "api_error" },
    { 503, "overloaded_error" },
    { 504, "api_error" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = lp_dialect_anthropic ()->render_error (cases[i].status, "bad \"thing\"", "ignored");
      g_autofree char *expected = g_strdup_printf ("{\"type\":\"error\",\"error\":{\"type\":\"%s\","
                                                   "\"message\":\"bad \\\"thing\\\"\"}}",
                                                   cases[i].type);

      g_assert_cmpstr (body, ==, expected);
    }

  {
    /* A 504 without a message still says it timed out. */
    g_autofree char *body = lp_anthropic_render_error (504, NULL, NULL);

    g_assert_cmpstr (body, ==, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Gateway Timeout\"}}");
  }
}

/* Streams */

static char *
normalise (const char *transcript)
{
  g_autoptr(GRegex) ids = g_regex_new ("\"msg_[0-9a-f]{24}\"", 0, 0, NULL);

  return g_regex_replace_literal (ids, transcript, -1, 0, "\"msg_ID\"", 0, NULL);
}

static void
assert_golden (const char *transcript,
               const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", name, NULL);
  g_autofree char *expected = NULL;
  g_autofree char *actual = normalise (transcript);
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &expected, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (actual, ==, expected);
}

static LpChatResult *
finished (LpFinishReason finish,
          gint64         output_tokens)
{
  LpChatResult *result = lp_chat_result_new ();

  result->finish = finish;
  result->output_tokens = output_tokens;
  return result;
}

static void
test_stream_text (void)
{
  g_autoptr(LpChatRequest) request = request_with_thinking (FALSE);
  g_autoptr(LpStream) stream = lp_dialect_anthropic ()->stream_new (request, "claude-sonnet-4-5", 42);
  g_autoptr(LpChatResult) result = finished (LP_FINISH_STOP, 3);
  g_autoptr(GString) out = g_string_new (NULL);

  stream->klass->begin (stream, out);
  stream->klass->keepalive (stream, out);
  /* Not enabled by the request: dropped. */
  stream->klass->thinking (stream, "ignored", out);
  stream->klass->text (stream, "", out);
  stream->klass->text (stream, "Hello", out);
  stream->klass->text (stream, " wörld\n\"ok\"", out);
  stream->klass->finish (stream, result, out);
  stream->klass->keepalive (stream, out);
  stream->klass->text (stream, "late", out);

  assert_golden (out->str, "anthropic-text.sse");
}

static void
test_stream_thinking (void)
{
  g_autoptr(LpChatRequest) request = request_with_thinking (TRUE);
  g_autoptr(LpStream) stream = lp_dialect_anthropic ()->stream_new (request, "claude-sonnet-4-5", 100);
  g_autoptr(LpChatResult) result = finished (LP_FINISH_STOP_SEQUENCE, 7);
  g_autoptr(GString) out = g_string_new (NULL);

  result->stop_sequence = g_strdup ("</answer>");

  stream->klass->begin (stream, out);
  stream->klass->thinking (stream, "Let me ", out);
  stream->klass->thinking (stream, "think.", out);
  stream->klass->text (stream, "Answer.", out);
  stream->klass->finish (stream, result, out);

  assert_golden (out->str, "anthropic-thinking.sse");
}

/* Concatenates the input_json_delta pieces of block @index. */
static char *
collect_partial_json (const char *transcript,
                      guint       index)
{
  g_auto(GStrv) events = g_strsplit (transcript, "\n\n", -1);
  GString *json = g_string_new (NULL);

  for (guint i = 0; events[i] != NULL; i++)
    {
      const char *data = strstr (events[i], "\ndata: ");
      g_autoptr(JsonNode) event = NULL;
      JsonObject *object;
      JsonObject *delta;

      if (!g_str_has_prefix (events[i], "event: content_block_delta\n") || data == NULL)
        continue;

      event = parse_json (data + strlen ("\ndata: "));
      object = json_node_get_object (event);
      delta = json_object_get_object_member (object, "delta");
      if (json_object_get_int_member (object, "index") == index &&
          g_str_equal (json_object_get_string_member (delta, "type"), "input_json_delta"))
        g_string_append (json, json_object_get_string_member (delta, "partial_json"));
    }

  return g_string_free (json, FALSE);
}

static void
test_stream_tools (void)
{
  g_autoptr(LpChatRequest) request = parse_ok ("{\"stream\":true," TOOLS "," USER_HI "}");
  g_autoptr(LpStream) stream = lp_dialect_anthropic ()->stream_new (request, "claude-sonnet-4-5", 1500);
  g_autoptr(LpChatResult) result = finished (LP_FINISH_TOOL_CALLS, 30);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  add_call (result->tool_calls, "toolu_1", "Read", "{\"file_path\": \"/tmp/a.txt\"}");
  add_call (result->tool_calls, "toolu_2", "Bash", "{\"command\": \"echo 你好，世界\"}");

  stream->klass->begin (stream, out);
  stream->klass->text (stream, "I'll read it.", out);
  for (guint i = 0; i < result->tool_calls->len; i++)
    stream->klass->tool_call (stream, g_ptr_array_index (result->tool_calls, i), out);
  stream->klass->finish (stream, result, out);

  assert_golden (out->str, "anthropic-tools.sse");

  first = collect_partial_json (out->str, 1);
  second = collect_partial_json (out->str, 2);
  g_assert_cmpstr (first, ==, "{\"file_path\":\"/tmp/a.txt\"}");
  g_assert_cmpstr (second, ==, "{\"command\":\"echo 你好，世界\"}");
}

static void
test_stream_tools_only (void)
{
  g_autoptr(LpChatRequest) request = parse_ok ("{\"stream\":true," TOOLS "," USER_HI "}");
  g_autoptr(LpStream) stream = lp_anthropic_stream_new (request, NULL, 7);
  g_autoptr(LpChatResult) result = finished (LP_FINISH_TOOL_CALLS, 4);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *arguments = NULL;

  add_call (result->tool_calls, NULL, "Bash", "{}");

  /* No begin: the first event still opens the message. */
  stream->klass->text (stream, "", out);
  stream->klass->tool_call (stream, g_ptr_array_index (result->tool_calls, 0), out);
  stream->klass->finish (stream, result, out);

  g_assert_true (g_str_has_prefix (out->str, "event: message_start\n"));
  g_assert_nonnull (strstr (out->str, "\"input_tokens\":7,"));
  /* The call is block 0: no empty text block before it. */
  g_assert_null (strstr (out->str, "\"type\":\"text\""));
  g_assert_nonnull (strstr (out->str, "{\"type\":\"content_block_start\",\"index\":0,"
                                      "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_"));
  g_assert_nonnull (strstr (out->str, "\"name\":\"Bash\",\"input\":{}}}"));
  arguments = collect_partial_json (out->str, 0);
  g_assert_cmpstr (arguments, ==, "{}");
  g_assert_true (g_str_has_suffix (out->str, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
}

static void
test_stream_empty (void)
{
  g_autoptr(LpChatRequest) request = request_with_thinking (TRUE);
  g_autoptr(LpStream) stream = lp_anthropic_stream_new (request, "m", 0);
  g_autoptr(LpChatResult) result = finished (LP_FINISH_STOP, 0);
  g_autoptr(GString) out = g_string_new (NULL);

  stream->klass->begin (stream, out);
  stream->klass->thinking (stream, "", out);
  stream->klass->finish (stream, result, out);

  /* No blocks at all rather than an empty one. */
  g_assert_null (strstr (out->str, "content_block"));
  g_assert_nonnull (strstr (out->str, "event: message_delta\n"));
}

static void
test_stream_error (void)
{
  g_autoptr(LpChatRequest) request = request_with_thinking (FALSE);
  g_autoptr(LpStream) stream = lp_dialect_anthropic ()->stream_new (request, "claude-sonnet-4-5", 9);
  g_autoptr(LpChatResult) result = finished (LP_FINISH_STOP, 1);
  g_autoptr(GString) out = g_string_new (NULL);

  stream->klass->begin (stream, out);
  stream->klass->text (stream, "Part", out);
  stream->klass->error (stream, 503, "Lingma is not running", out);
  /* The stream ends at the error. */
  stream->klass->finish (stream, result, out);
  stream->klass->keepalive (stream, out);
  stream->klass->error (stream, 500, "again", out);

  assert_golden (out->str, "anthropic-error.sse");
}

/* Tokens */

static void
test_estimate_tokens (void)
{
  g_assert_cmpint (lp_estimate_tokens (NULL), ==, 0);
  g_assert_cmpint (lp_estimate_tokens (""), ==, 0);
  g_assert_cmpint (lp_estimate_tokens ("a"), ==, 1);
  g_assert_cmpint (lp_estimate_tokens ("abc"), ==, 1);
  g_assert_cmpint (lp_estimate_tokens ("abcd"), ==, 2);
  /* English runs about four bytes a token; the estimate is above that. */
  g_assert_cmpint (lp_estimate_tokens ("The quick brown fox jumps over the lazy dog."), >=, 44 / 4);
  /* Four CJK characters (12 bytes) count as six tokens, not four. */
  g_assert_cmpint (lp_estimate_tokens ("你好世界"), ==, 6);
}

static gint64
count_tokens (const char *body)
{
  g_autoptr(JsonNode) root = parse_json (body);
  g_autoptr(GError) error = NULL;
  gint64 tokens = lp_anthropic_count_tokens (root, &error);

  g_assert_no_error (error);
  g_assert_cmpint (tokens, >, 0);
  return tokens;
}

static void
assert_count_error (const char *body,
                    const char *message)
{
  g_autoptr(JsonNode) root = parse_json (body);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (lp_anthropic_count_tokens (root, &error), ==, -1);
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_count_tokens (void)
{
  gint64 base = count_tokens ("{" USER_HI "}");
  gint64 with_system = count_tokens ("{\"system\":[{\"type\":\"text\",\"text\":\"You are a careful assistant.\"}],"
                                     USER_HI "}");
  gint64 with_image = count_tokens ("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},"
                                    "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\","
                                    "\"data\":\"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk\"}}]}]}");
  gint64 with_tools = count_tokens ("{" TOOLS "," USER_HI "}");
  gint64 with_history = count_tokens (
    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"Bash\","
    "\"input\":{\"command\":\"find / -name '*.c' | xargs grep -n main\"}}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\","
    "\"content\":[{\"type\":\"text\",\"text\":\"src/main.c:12: int main (void)\"}]}]}]}");

  g_assert_cmpint (with_system, >, base);
  /* An image costs a fixed, generous amount, not the size of its base64. */
  g_assert_cmpint (with_image - base, ==, 1600);
  g_assert_cmpint (with_tools, >, base + 100);
  g_assert_cmpint (with_history, >, base + lp_estimate_tokens ("find / -name '*.c' | xargs grep -n main") +
                                    lp_estimate_tokens ("src/main.c:12: int main (void)"));

  /* Lenient: odd or unknown fields never fail a count. */
  count_tokens ("{\"model\":5,\"tools\":\"none\",\"system\":{\"x\":1},\"thinking\":[],\"whatever\":true,"
                "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"mystery\",\"text\":\"hi\"},7,null]}]}");

  assert_count_error ("[]", "request body: expected a JSON object");
  assert_count_error ("{\"model\":\"m\"}", "messages: field is required");
  assert_count_error ("{\"messages\":\"hi\"}", "messages: expected an array");
}

static void
test_count_tokens_claude_code (void)
{
  g_autofree char *body = load_fixture ("claude-code-2.1.json");
  g_autoptr(JsonNode) root = parse_json (body);
  g_autoptr(GError) error = NULL;
  gint64 tokens = lp_anthropic_count_tokens (root, &error);

  g_assert_no_error (error);
  /* A real tokenizer gives about a token per four bytes of a request
   * like this one; the estimate has to come out above that. */
  g_assert_cmpint (tokens, >, (gint64) strlen (body) / 4);

  /* The 25 tool definitions alone are most of it, and are counted. */
  json_object_set_array_member (json_node_get_object (root), "messages", json_array_new ());
  g_assert_cmpint (lp_anthropic_count_tokens (root, &error), >, 2000);
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/anthropic/parse/upstream-normalisation", test_parse_upstream_normalisation);
  g_test_add_func ("/anthropic/parse/no-turns", test_parse_no_turns);
  g_test_add_func ("/anthropic/parse/claude-code", test_parse_claude_code);
  g_test_add_func ("/anthropic/parse/claude-code-title", test_parse_claude_code_title);
  g_test_add_func ("/anthropic/parse/fields", test_parse_fields);
  g_test_add_func ("/anthropic/parse/type-errors", test_parse_type_errors);
  g_test_add_func ("/anthropic/parse/content-blocks", test_parse_content_blocks);
  g_test_add_func ("/anthropic/parse/system-messages", test_parse_system_messages);
  g_test_add_func ("/anthropic/parse/tools", test_parse_tools);
  g_test_add_func ("/anthropic/parse/tool-choice", test_parse_tool_choice);
  g_test_add_func ("/anthropic/parse/thinking", test_parse_thinking);

  g_test_add_func ("/anthropic/render/text", test_render_text);
  g_test_add_func ("/anthropic/render/thinking", test_render_thinking);
  g_test_add_func ("/anthropic/render/tool-calls", test_render_tool_calls);
  g_test_add_func ("/anthropic/render/stop-reasons", test_render_stop_reasons);
  g_test_add_func ("/anthropic/render/error", test_render_error);

  g_test_add_func ("/anthropic/stream/text", test_stream_text);
  g_test_add_func ("/anthropic/stream/thinking", test_stream_thinking);
  g_test_add_func ("/anthropic/stream/tools", test_stream_tools);
  g_test_add_func ("/anthropic/stream/tools-only", test_stream_tools_only);
  g_test_add_func ("/anthropic/stream/empty", test_stream_empty);
  g_test_add_func ("/anthropic/stream/error", test_stream_error);

  g_test_add_func ("/tokens/estimate", test_estimate_tokens);
  g_test_add_func ("/anthropic/count-tokens/basic", test_count_tokens);
  g_test_add_func ("/anthropic/count-tokens/claude-code", test_count_tokens_claude_code);

  return g_test_run ();
}
