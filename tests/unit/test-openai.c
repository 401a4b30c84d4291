/* test-openai.c
 *
 * The OpenAI dialect: request parsing, rendering, error envelopes and
 * the SSE encoder (against golden transcripts), plus the lp-json helpers
 * it is built on.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "lp-error.h"
#include "lp-json.h"
#include "lp-openai.h"

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
  LpChatRequest *request = lp_dialect_openai ()->parse_request (root, &error);

  g_assert_no_error (error);
  g_assert_nonnull (request);
  g_assert_cmpint (request->dialect, ==, LP_DIALECT_OPENAI);
  return request;
}

static void
assert_parse_error (const char *body,
                    const char *message)
{
  g_autoptr(JsonNode) root = parse_json (body);
  g_autoptr(GError) error = NULL;
  g_autoptr(LpChatRequest) request = lp_openai_parse_request (root, &error);

  g_assert_null (request);
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  g_assert_cmpstr (error->message, ==, message);
}

static const LpMessage *
message_at (const LpChatRequest *request,
            guint                index)
{
  g_assert_cmpuint (index, <, request->messages->len);
  return g_ptr_array_index (request->messages, index);
}

static void
assert_json_equal (JsonNode   *node,
                   const char *expected)
{
  g_autofree char *text = lp_json_to_string (node);

  g_assert_cmpstr (text, ==, expected);
}

#define USER_HI "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"

/* lp-json */

static void
test_json_writer (void)
{
  g_autoptr(JsonNode) node = parse_json ("{\"z\":1,\"a\":0.7,\"big\":1e400,\"neg\":-2.5e-7,"
                                         "\"s\":\"q\\\"\\\\\\n\\t\\u0001é/\",\"arr\":[true,false,null,{}],"
                                         "\"int\":100.0}");
  g_autoptr(GString) out = g_string_new (NULL);

  /* Members keep their order, 0.7 stays 0.7, infinity becomes null. */
  assert_json_equal (node, "{\"z\":1,\"a\":0.7,\"big\":null,\"neg\":-2.5e-07,"
                           "\"s\":\"q\\\"\\\\\\n\\t\\u0001é/\",\"arr\":[true,false,null,{}],"
                           "\"int\":100}");

  /* Invalid UTF-8 is repaired rather than passed on. */
  lp_json_append_string (out, "a\xff" "b");
  g_assert_true (g_utf8_validate (out->str, -1, NULL));
  g_assert_cmpstr (out->str, ==, "\"a\xef\xbf\xbd" "b\"");
}

static void
test_json_split (void)
{
  static const char * const texts[] = {
    "{}",
    "{\"path\":\"/tmp/a.txt\"}",
    "{\"q\":\"你好世界\"}",
    "{\"emoji\":\"😀😀😀😀😀😀\"}",
    "x",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_auto(GStrv) pieces = lp_json_split_pieces (texts[i], LP_JSON_STREAM_PIECES);
      g_autofree char *joined = g_strjoinv ("", pieces);

      g_assert_cmpstr (joined, ==, texts[i]);
      g_assert_cmpuint (g_strv_length (pieces), >=, 1);
      g_assert_cmpuint (g_strv_length (pieces), <=, LP_JSON_STREAM_PIECES);
      for (guint j = 0; pieces[j] != NULL; j++)
        {
          g_assert_cmpstr (pieces[j], !=, "");
          g_assert_true (g_utf8_validate (pieces[j], -1, NULL));
        }
    }

  /* Long enough to be split in three, and the second cut lands inside 世. */
  {
    g_auto(GStrv) pieces = lp_json_split_pieces ("{\"q\":\"你好世界\"}", 3);

    g_assert_cmpuint (g_strv_length (pieces), ==, 3);
    g_assert_cmpstr (pieces[0], ==, "{\"q\":\"");
    g_assert_cmpstr (pieces[1], ==, "你好世");
    g_assert_cmpstr (pieces[2], ==, "界\"}");
  }

  {
    g_auto(GStrv) pieces = lp_json_split_pieces ("", 3);

    g_assert_cmpuint (g_strv_length (pieces), ==, 0);
  }
}

static void
test_json_arguments (void)
{
  g_autoptr(JsonNode) parsed = lp_json_parse_arguments ("{\"a\": [1, 2]}");
  g_autoptr(JsonNode) blank = lp_json_parse_arguments ("  ");
  g_autoptr(JsonNode) truncated = lp_json_parse_arguments ("{\"a\": [1, ");
  g_autoptr(JsonNode) array = lp_json_parse_arguments ("[1]");

  assert_json_equal (parsed, "{\"a\":[1,2]}");
  assert_json_equal (blank, "{}");
  assert_json_equal (truncated, "{\"_raw\":\"{\\\"a\\\": [1, \"}");
  assert_json_equal (array, "{\"_raw\":\"[1]\"}");
}

static void
test_json_parse_body (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) brackets_in_string = g_string_new ("{\"a\":\"");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) arguments = NULL;

  node = lp_json_parse_body ("{\"a\": [1]}", strlen ("{\"a\": [1]}"), &error);
  g_assert_no_error (error);
  assert_json_equal (node, "{\"a\":[1]}");
  g_clear_pointer (&node, json_node_unref);

  /* Deep enough to crash json-glib's recursive parser: refused first. */
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  node = lp_json_parse_body (deep->str, deep->len, &error);
  g_assert_null (node);
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  g_assert_cmpstr (error->message, ==, "request body: invalid JSON (nested deeper than 256 levels)");
  g_clear_error (&error);

  /* The same bytes as tool arguments are kept as text, not parsed. */
  arguments = lp_json_parse_arguments (deep->str);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (arguments), "_raw"), ==, deep->str);

  /* Brackets inside strings do not count, escaped quotes do not end them. */
  for (guint i = 0; i < 1000; i++)
    g_string_append (brackets_in_string, "[\\\"{");
  g_string_append (brackets_in_string, "\"}");
  node = lp_json_parse_body (brackets_in_string->str, brackets_in_string->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_clear_pointer (&node, json_node_unref);

  node = lp_json_parse_body ("", 0, &error);
  g_assert_null (node);
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  g_assert_cmpstr (error->message, ==, "request body: invalid JSON (empty)");
  g_clear_error (&error);

  node = lp_json_parse_body ("  \n", 3, &error);
  g_assert_null (node);
  g_assert_cmpstr (error->message, ==, "request body: invalid JSON (empty)");
  g_clear_error (&error);

  /* json-glib 1.6 leaks the values after a first complete one. */
  node = lp_json_parse_body ("1e999{\"model\":\"x\"}", 19, &error);
  g_assert_null (node);
  g_assert_cmpstr (error->message, ==, "request body: invalid JSON (expected one object or array)");
  g_clear_error (&error);

  node = lp_json_parse_body ("{}  {}", 6, &error);
  g_assert_null (node);
  g_assert_cmpstr (error->message, ==, "request body: invalid JSON (expected one object or array)");
  g_clear_error (&error);

  node = lp_json_parse_body ("\"text\"", 6, &error);
  g_assert_null (node);
  g_clear_error (&error);

  node = lp_json_parse_body ("{\"a\":", 5, &error);
  g_assert_null (node);
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  g_assert_true (g_str_has_prefix (error->message, "request body: invalid JSON ("));
  g_clear_error (&error);

  /* Only @length bytes are read. */
  node = lp_json_parse_body ("[1]garbage", 3, &error);
  g_assert_no_error (error);
  assert_json_equal (node, "[1]");
}

/* Parsing */

/* Upstream test 13, under our rules: the tool message without an id is
 * a tool result, not dropped. */
static void
test_parse_upstream_normalisation (void)
{
  g_autoptr(LpChatRequest) request = parse_ok (
    "{\"model\":\" test-model \",\"messages\":["
    "{\"role\":\"system\",\"content\":\"You are concise.\"},"
    "{\"role\":\"user\",\"content\":\"Hello\"},"
    "{\"role\":\"assistant\",\"content\":\"Hi\"},"
    "{\"role\":\"system\",\"content\":\"Answer in Chinese.\"},"
    "{\"role\":\"tool\",\"content\":\"ignored\"},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Follow up\"}]}]}");

  g_assert_cmpstr (request->model, ==, "test-model");
  g_assert_cmpstr (request->system, ==, "You are concise.\n\nAnswer in Chinese.");
  g_assert_cmpuint (request->messages->len, ==, 4);
  g_assert_cmpint (message_at (request, 0)->role, ==, LP_ROLE_USER);
  g_assert_cmpstr (message_at (request, 0)->text, ==, "Hello");
  g_assert_cmpint (message_at (request, 1)->role, ==, LP_ROLE_ASSISTANT);
  g_assert_cmpstr (message_at (request, 1)->text, ==, "Hi");
  g_assert_cmpint (message_at (request, 2)->role, ==, LP_ROLE_TOOL_RESULT);
  g_assert_cmpstr (message_at (request, 2)->text, ==, "ignored");
  g_assert_null (message_at (request, 2)->tool_call_id);
  g_assert_cmpint (message_at (request, 3)->role, ==, LP_ROLE_USER);
  g_assert_cmpstr (message_at (request, 3)->text, ==, "Follow up");

  /* Defaults */
  g_assert_false (request->stream);
  g_assert_false (request->include_usage);
  g_assert_false (request->thinking);
  g_assert_true (request->parallel_tool_calls);
  g_assert_cmpint (request->tool_choice, ==, LP_TOOL_CHOICE_AUTO);
  g_assert_cmpint (request->max_tokens, ==, 0);
  g_assert_null (request->stop);
  g_assert_null (request->output_format);
  g_assert_cmpuint (request->tools->len, ==, 0);
}

/* Upstream test 15: a system message and a tool result are no conversation. */
static void
test_parse_no_turns (void)
{
  assert_parse_error ("{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
                      "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"out\"}]}",
                      "messages: at least one user or assistant message is required");
  assert_parse_error ("{\"messages\":[]}",
                      "messages: at least one user or assistant message is required");
  /* Empty turns are dropped, so they do not count either. */
  assert_parse_error ("{\"messages\":[{\"role\":\"user\",\"content\":\"  \"},"
                      "{\"role\":\"assistant\",\"content\":null},"
                      "{\"role\":\"function\",\"content\":\"x\"}]}",
                      "messages: at least one user or assistant message is required");
}

static void
test_parse_fields (void)
{
  g_autoptr(LpChatRequest) request = parse_ok (
    "{\"model\":\"qwen\",\"stream\":true,\"temperature\":0.2,\"top_p\":1,"
    "\"stop\":[\"END\",\"\",\"STOP\"],\"max_tokens\":100,\"max_completion_tokens\":50,"
    "\"presence_penalty\":0,\"frequency_penalty\":-0.5,\"parallel_tool_calls\":false,"
    "\"seed\":7,\"user\":\"u1\",\"reasoning_effort\":\"high\","
    "\"stream_options\":{\"include_usage\":true},\"logprobs\":false,\"top_logprobs\":null,"
    "\"n\":1,\"metadata\":{\"x\":1},\"store\":true,\"some_future_field\":[1,2,3],"
    "\"messages\":[{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Dev rules.\"}]},"
    "{\"role\":\" User \",\"content\":\"hi\",\"name\":\"bob\"}]}");

  g_assert_true (request->stream);
  g_assert_true (request->include_usage);
  g_assert_false (request->parallel_tool_calls);
  g_assert_false (request->thinking);
  g_assert_cmpint (request->max_tokens, ==, 50);
  g_assert_nonnull (request->stop);
  g_assert_cmpuint (g_strv_length (request->stop), ==, 2);
  g_assert_cmpstr (request->stop[0], ==, "END");
  g_assert_cmpstr (request->stop[1], ==, "STOP");
  g_assert_cmpstr (request->system, ==, "Dev rules.");
  g_assert_cmpuint (request->messages->len, ==, 1);
  g_assert_cmpstr (message_at (request, 0)->text, ==, "hi");
}

static void
test_parse_scalars (void)
{
  {
    g_autoptr(LpChatRequest) request = parse_ok ("{\"stop\":\"\\n\\n\",\"max_tokens\":64,"
                                                 "\"max_completion_tokens\":0," USER_HI "}");

    g_assert_cmpuint (g_strv_length (request->stop), ==, 1);
    g_assert_cmpstr (request->stop[0], ==, "\n\n");
    /* max_completion_tokens wins only when set */
    g_assert_cmpint (request->max_tokens, ==, 64);
  }

  {
    /* null means "not set" for every field; 1024.0 is an integer */
    g_autoptr(LpChatRequest) request = parse_ok ("{\"model\":null,\"stream\":null,\"stop\":null,"
                                                 "\"tools\":null,\"tool_choice\":null,"
                                                 "\"max_tokens\":1024.0," USER_HI "}");

    g_assert_cmpstr (request->model, ==, "");
    g_assert_false (request->stream);
    g_assert_null (request->stop);
    g_assert_cmpint (request->max_tokens, ==, 1024);
  }
}

static void
test_parse_type_errors (void)
{
  static const struct {
    const char *body;
    const char *message;
  } cases[] = {
    { "[1,2]", "request body: expected a JSON object" },
    { "{}", "messages: field is required" },
    { "{\"messages\":{}}", "messages: expected an array" },
    { "{\"model\":123," USER_HI "}", "model: expected a string" },
    { "{\"stream\":\"yes\"," USER_HI "}", "stream: expected a boolean" },
    { "{\"max_tokens\":1.5," USER_HI "}", "max_tokens: expected an integer" },
    { "{\"max_tokens\":-1," USER_HI "}", "max_tokens: must not be negative" },
    { "{\"max_completion_tokens\":\"8\"," USER_HI "}", "max_completion_tokens: expected an integer" },
    { "{\"temperature\":\"hot\"," USER_HI "}", "temperature: expected a number" },
    { "{\"top_p\":[]," USER_HI "}", "top_p: expected a number" },
    { "{\"presence_penalty\":true," USER_HI "}", "presence_penalty: expected a number" },
    { "{\"frequency_penalty\":{}," USER_HI "}", "frequency_penalty: expected a number" },
    { "{\"seed\":0.5," USER_HI "}", "seed: expected an integer" },
    { "{\"top_logprobs\":\"1\"," USER_HI "}", "top_logprobs: expected an integer" },
    { "{\"user\":1," USER_HI "}", "user: expected a string" },
    { "{\"reasoning_effort\":2," USER_HI "}", "reasoning_effort: expected a string" },
    { "{\"logprobs\":1," USER_HI "}", "logprobs: expected a boolean" },
    { "{\"parallel_tool_calls\":\"no\"," USER_HI "}", "parallel_tool_calls: expected a boolean" },
    { "{\"stream_options\":true," USER_HI "}", "stream_options: expected an object" },
    { "{\"stream_options\":{\"include_usage\":1}," USER_HI "}",
      "stream_options.include_usage: expected a boolean" },
    { "{\"n\":2," USER_HI "}", "n: only 1 choice per request is supported" },
    { "{\"stop\":5," USER_HI "}", "stop: expected a string or an array of strings" },
    { "{\"stop\":[\"a\",3]," USER_HI "}", "stop[1]: expected a string" },
    { "{\"response_format\":\"json\"," USER_HI "}", "response_format: expected an object" },
    { "{\"response_format\":{}," USER_HI "}", "response_format.type: field is required" },
    { "{\"response_format\":{\"type\":\"xml\"}," USER_HI "}",
      "response_format.type: expected \"text\", \"json_object\" or \"json_schema\"" },
    { "{\"response_format\":{\"type\":\"json_schema\"}," USER_HI "}",
      "response_format.json_schema: field is required" },
    { "{\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":1}}," USER_HI "}",
      "response_format.json_schema.schema: expected an object" },
    { "{\"messages\":[\"hi\"]}", "messages[0]: expected an object" },
    { "{\"messages\":[{\"content\":\"hi\"}]}", "messages[0].role: field is required" },
    { "{\"messages\":[{\"role\":1,\"content\":\"hi\"}]}", "messages[0].role: expected a string" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
      "{\"role\":\"user\",\"content\":42}]}",
      "messages[2].content: expected a string or an array of content parts" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":{\"text\":\"hi\"}}]}",
      "messages[0].content: expected a string or an array of content parts" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[\"hi\"]}]}",
      "messages[0].content[0]: expected an object" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}",
      "messages[0].content[0].type: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":7}]}]}",
      "messages[0].content[0].text: expected a string" },
    { "{\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"text\"}]}," "{\"role\":\"user\",\"content\":\"x\"}]}",
      "messages[0].content[0].text: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
      "messages[0].content[0].image_url: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{}}]}]}",
      "messages[0].content[0].image_url.url: field is required" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"\"}}]}]}",
      "messages[0].content[0].image_url.url: must not be empty" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":5}]}]}",
      "messages[0].content[0].image_url: expected an object with a url, or a string" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":\"data:image/png;base64\"}]}]}",
      "messages[0].content[0].image_url.url: malformed data URL (no comma)" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":\"data:image/png;base64,\"}]}]}",
      "messages[0].content[0].image_url.url: data URL carries no data" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":\"data:text/plain,%zz\"}]}]}",
      "messages[0].content[0].image_url.url: malformed data URL (bad percent-encoding)" },
    { "{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":5,\"content\":\"x\"},{\"role\":\"user\",\"content\":\"x\"}]}",
      "messages[0].tool_call_id: expected a string" },
    { "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":{}}]}",
      "messages[0].tool_calls: expected an array" },
    { "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[7]}]}",
      "messages[0].tool_calls[0]: expected an object" },
    { "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\"}]}]}",
      "messages[0].tool_calls[0].function: field is required" },
    { "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":{\"arguments\":\"{}\"}}]}]}",
      "messages[0].tool_calls[0].function.name: field is required" },
    { "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\" \"}}]}]}",
      "messages[0].tool_calls[0].function.name: must not be empty" },
    { "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":[1]}}]}]}",
      "messages[0].tool_calls[0].function.arguments: expected a string" },
    { "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":9,\"function\":{\"name\":\"f\"}}]}]}",
      "messages[0].tool_calls[0].id: expected a string" },
    { "{\"tools\":{}," USER_HI "}", "tools: expected an array" },
    { "{\"tools\":[1]," USER_HI "}", "tools[0]: expected an object" },
    { "{\"tools\":[{\"type\":\"function\"}]," USER_HI "}", "tools[0].function: field is required" },
    { "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\"}},"
      "{\"type\":\"function\",\"function\":{\"description\":\"d\"}}]," USER_HI "}",
      "tools[1].function.name: field is required" },
    { "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"\"}}]," USER_HI "}",
      "tools[0].function.name: must not be empty" },
    { "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\",\"parameters\":\"{}\"}}]," USER_HI "}",
      "tools[0].function.parameters: expected an object" },
    { "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\",\"description\":1}}]," USER_HI "}",
      "tools[0].function.description: expected a string" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_parse_error (cases[i].body, cases[i].message);
}

static void
test_parse_unknown_fields (void)
{
  /* Unknown top-level fields of any type never fail a request. */
  g_autoptr(LpChatRequest) request = parse_ok ("{\"modalities\":7,\"audio\":\"x\",\"prediction\":[],"
                                               "\"web_search_options\":null,\"service_tier\":{}," USER_HI "}");

  g_assert_cmpuint (request->messages->len, ==, 1);
}

static const LpImage *
image_at (const LpMessage *message,
          guint            index)
{
  g_assert_cmpuint (index, <, message->images->len);
  return g_ptr_array_index (message->images, index);
}

static void
test_parse_images (void)
{
  g_autoptr(LpChatRequest) request = parse_ok (
    "{\"messages\":[{\"role\":\"user\",\"content\":["
    "{\"type\":\"text\",\"text\":\" What is this? \"},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\",\"detail\":\"high\"}},"
    "{\"type\":\"image_url\",\"image_url\":\"https://example.com/cat.jpg\"},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"file:///tmp/shot.png\"}},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/svg+xml,%3Csvg%2F%3E\"}},"
    "{\"type\":\"image_url\",\"image_url\":\"data:,abc\"},"
    "{\"type\":\"image_url\",\"image_url\":\"data:;BASE64,QUJD\"},"
    "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"AAAA\",\"format\":\"wav\"}},"
    "{\"type\":\"text\",\"text\":\"Second part\"}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"/home/me/a.gif\"}}]},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"},"
    "{\"type\":\"image_url\",\"image_url\":\"https://example.com/ignored.png\"}]}]}");
  const LpMessage *first = message_at (request, 0);
  const LpMessage *image_only = message_at (request, 1);

  g_assert_cmpuint (request->messages->len, ==, 3);
  g_assert_cmpstr (first->text, ==, "What is this?\nSecond part");
  g_assert_cmpuint (first->images->len, ==, 6);

  g_assert_cmpstr (image_at (first, 0)->media_type, ==, "image/png");
  g_assert_cmpstr (image_at (first, 0)->data_base64, ==, "iVBORw0KGgo=");
  g_assert_null (image_at (first, 0)->url);

  g_assert_null (image_at (first, 1)->data_base64);
  g_assert_cmpstr (image_at (first, 1)->url, ==, "https://example.com/cat.jpg");
  g_assert_cmpstr (image_at (first, 2)->url, ==, "file:///tmp/shot.png");

  /* A percent-encoded data URL becomes base64 of its bytes. */
  g_assert_cmpstr (image_at (first, 3)->media_type, ==, "image/svg+xml");
  g_assert_cmpstr (image_at (first, 3)->data_base64, ==, "PHN2Zy8+");
  /* Without a media type the default applies; "base64" is case-insensitive. */
  g_assert_cmpstr (image_at (first, 4)->media_type, ==, "image/jpeg");
  g_assert_cmpstr (image_at (first, 4)->data_base64, ==, "YWJj");
  g_assert_cmpstr (image_at (first, 5)->media_type, ==, "image/jpeg");
  g_assert_cmpstr (image_at (first, 5)->data_base64, ==, "QUJD");

  /* An image-only user message is a message. */
  g_assert_cmpstr (image_only->text, ==, "");
  g_assert_cmpstr (image_at (image_only, 0)->url, ==, "/home/me/a.gif");

  /* Assistants carry no images. */
  g_assert_cmpuint (message_at (request, 2)->images->len, ==, 0);
}

static const LpToolCall *
call_at (const LpMessage *message,
         guint            index)
{
  g_assert_cmpuint (index, <, message->tool_calls->len);
  return g_ptr_array_index (message->tool_calls, index);
}

static void
test_parse_tool_history (void)
{
  g_autoptr(LpChatRequest) request = parse_ok (
    "{\"messages\":[{\"role\":\"user\",\"content\":\"List /tmp and read a.txt\"},"
    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
    "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"ls\",\"arguments\":\"{\\\"dir\\\":\\\"/tmp\\\"}\"}},"
    "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"read\",\"arguments\":\"{\\\"path\\\":\"}},"
    "{\"id\":\"call_3\",\"type\":\"function\",\"function\":{\"name\":\"now\",\"arguments\":\"\"}},"
    "{\"id\":\"call_4\",\"type\":\"function\",\"function\":{\"name\":\"obj\",\"arguments\":{\"k\":true}}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"a.txt\\nb.txt\"},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"\"},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_3\",\"content\":[{\"type\":\"text\",\"text\":\"12:00\"}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_4\"},"
    "{\"role\":\"assistant\",\"content\":\"Done.\"}]}");
  const LpMessage *assistant = message_at (request, 1);

  g_assert_cmpuint (request->messages->len, ==, 7);
  g_assert_cmpint (assistant->role, ==, LP_ROLE_ASSISTANT);
  g_assert_cmpstr (assistant->text, ==, "");
  g_assert_cmpuint (assistant->tool_calls->len, ==, 4);

  g_assert_cmpstr (call_at (assistant, 0)->id, ==, "call_1");
  g_assert_cmpstr (call_at (assistant, 0)->name, ==, "ls");
  assert_json_equal (call_at (assistant, 0)->arguments, "{\"dir\":\"/tmp\"}");
  /* A truncated arguments string is kept for the model to see. */
  assert_json_equal (call_at (assistant, 1)->arguments, "{\"_raw\":\"{\\\"path\\\":\"}");
  assert_json_equal (call_at (assistant, 2)->arguments, "{}");
  assert_json_equal (call_at (assistant, 3)->arguments, "{\"k\":true}");

  g_assert_cmpint (message_at (request, 2)->role, ==, LP_ROLE_TOOL_RESULT);
  g_assert_cmpstr (message_at (request, 2)->tool_call_id, ==, "call_1");
  g_assert_cmpstr (message_at (request, 2)->text, ==, "a.txt\nb.txt");
  g_assert_false (message_at (request, 2)->tool_is_error);

  /* Empty results are reported, never dropped. */
  g_assert_cmpint (message_at (request, 3)->role, ==, LP_ROLE_TOOL_RESULT);
  g_assert_cmpstr (message_at (request, 3)->tool_call_id, ==, "call_2");
  g_assert_cmpstr (message_at (request, 3)->text, ==, "");
  g_assert_cmpstr (message_at (request, 4)->text, ==, "12:00");
  g_assert_cmpstr (message_at (request, 5)->tool_call_id, ==, "call_4");
  g_assert_cmpstr (message_at (request, 5)->text, ==, "");

  g_assert_cmpstr (message_at (request, 6)->text, ==, "Done.");
  g_assert_true (lp_chat_request_has_tool_history (request));
}

#define TOOLS \
  "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\" get_weather \"," \
  "\"description\":\"Weather for a city\",\"parameters\":{\"type\":\"object\"," \
  "\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}," \
  "{\"type\":\"custom\",\"custom\":{\"name\":\"grammar_tool\"}}," \
  "{\"type\":\"function\",\"function\":{\"name\":\"noop\"}}]"

static void
test_parse_tools (void)
{
  g_autoptr(LpChatRequest) request = parse_ok ("{" TOOLS "," USER_HI "}");
  const LpToolDef *weather;
  const LpToolDef *noop;

  /* The custom tool cannot be emulated and is skipped. */
  g_assert_cmpuint (request->tools->len, ==, 2);
  weather = lp_chat_request_find_tool (request, "get_weather");
  g_assert_nonnull (weather);
  g_assert_cmpstr (weather->description, ==, "Weather for a city");
  assert_json_equal (weather->input_schema,
                     "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                     "\"required\":[\"city\"]}");
  noop = lp_chat_request_find_tool (request, "noop");
  g_assert_nonnull (noop);
  g_assert_cmpstr (noop->description, ==, "");
  g_assert_null (noop->input_schema);
  g_assert_null (lp_chat_request_find_tool (request, "grammar_tool"));
}

static void
test_parse_tool_choice (void)
{
  static const struct {
    const char   *choice;
    LpToolChoice  expected;
  } cases[] = {
    { "\"auto\"", LP_TOOL_CHOICE_AUTO },
    { "\"none\"", LP_TOOL_CHOICE_NONE },
    { "\"required\"", LP_TOOL_CHOICE_ANY },
    { "\"any\"", LP_TOOL_CHOICE_ANY },
    { "{\"type\":\"auto\"}", LP_TOOL_CHOICE_AUTO },
    /* Object-form none is honoured (upstream read it as auto). */
    { "{\"type\":\"none\"}", LP_TOOL_CHOICE_NONE },
    { "{\"type\":\"required\"}", LP_TOOL_CHOICE_ANY },
    { "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", LP_TOOL_CHOICE_TOOL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{" TOOLS ",\"tool_choice\":%s," USER_HI "}",
                                               cases[i].choice);
      g_autoptr(LpChatRequest) request = parse_ok (body);

      g_assert_cmpint (request->tool_choice, ==, cases[i].expected);
      if (cases[i].expected == LP_TOOL_CHOICE_TOOL)
        g_assert_cmpstr (request->tool_choice_name, ==, "get_weather");
      else
        g_assert_null (request->tool_choice_name);
    }

  assert_parse_error ("{" TOOLS ",\"tool_choice\":\"get_weather\"," USER_HI "}",
                      "tool_choice: expected \"auto\", \"none\", \"required\" or "
                      "{\"type\": \"function\", \"function\": {\"name\": …}}");
  assert_parse_error ("{" TOOLS ",\"tool_choice\":{\"type\":\"allowed_tools\"}," USER_HI "}",
                      "tool_choice: expected \"auto\", \"none\", \"required\" or "
                      "{\"type\": \"function\", \"function\": {\"name\": …}}");
  assert_parse_error ("{" TOOLS ",\"tool_choice\":7," USER_HI "}",
                      "tool_choice: expected \"auto\", \"none\", \"required\" or "
                      "{\"type\": \"function\", \"function\": {\"name\": …}}");
  assert_parse_error ("{" TOOLS ",\"tool_choice\":{\"name\":\"x\"}," USER_HI "}",
                      "tool_choice.type: field is required");
  assert_parse_error ("{" TOOLS ",\"tool_choice\":{\"type\":\"function\"}," USER_HI "}",
                      "tool_choice.function: field is required");
  assert_parse_error ("{" TOOLS ",\"tool_choice\":{\"type\":\"function\",\"function\":{}}," USER_HI "}",
                      "tool_choice.function.name: field is required");
  assert_parse_error ("{" TOOLS ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"grammar_tool\"}},"
                      USER_HI "}",
                      "tool_choice.function.name: no tool named \"grammar_tool\" in tools");
  assert_parse_error ("{\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"x\"}}," USER_HI "}",
                      "tool_choice.function.name: no tool named \"x\" in tools");
}

static void
test_parse_response_format (void)
{
  {
    g_autoptr(LpChatRequest) request = parse_ok ("{\"response_format\":{\"type\":\"text\"}," USER_HI "}");

    g_assert_null (request->output_format);
  }

  {
    g_autoptr(LpChatRequest) request = parse_ok ("{\"response_format\":{\"type\":\"json_object\"}," USER_HI "}");

    g_assert_nonnull (request->output_format);
    g_assert_nonnull (strstr (request->output_format, "JSON object"));
  }

  {
    g_autoptr(LpChatRequest) request = parse_ok (
      "{\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"answer\",\"strict\":true,"
      "\"schema\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}}}," USER_HI "}");

    g_assert_nonnull (request->output_format);
    g_assert_nonnull (strstr (request->output_format, "nothing else"));
    g_assert_nonnull (strstr (request->output_format,
                              "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}"));
  }
}

/* Rendering */

static LpChatRequest *
plain_request (void)
{
  return parse_ok ("{\"model\":\"req-model\"," USER_HI "}");
}

static JsonObject *
render (const LpChatRequest *request,
        const LpChatResult  *result,
        JsonNode           **root)
{
  g_autofree char *body = lp_dialect_openai ()->render_result (request, result, "qwen3-coder");

  *root = parse_json (body);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*root));
  return json_node_get_object (*root);
}

static JsonObject *
first_choice (JsonObject *object)
{
  JsonArray *choices = json_object_get_array_member (object, "choices");

  g_assert_cmpuint (json_array_get_length (choices), ==, 1);
  return json_array_get_object_element (choices, 0);
}

static void
test_render_text (void)
{
  g_autoptr(LpChatRequest) request = plain_request ();
  g_autoptr(LpChatResult) result = lp_chat_result_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonObject *choice;
  JsonObject *message;
  JsonObject *usage;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_free (result->text);
  result->text = g_strdup ("Hello \"there\"");
  result->input_tokens = 10;
  result->output_tokens = 4;

  object = render (request, result, &root);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "id"), "chatcmpl-"));
  g_assert_cmpstr (json_object_get_string_member (object, "object"), ==, "chat.completion");
  g_assert_cmpint (json_object_get_int_member (object, "created"), >=, now - 5);
  g_assert_cmpint (json_object_get_int_member (object, "created"), <=, now + 5);
  g_assert_cmpstr (json_object_get_string_member (object, "model"), ==, "qwen3-coder");

  choice = first_choice (object);
  g_assert_cmpint (json_object_get_int_member (choice, "index"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (choice, "finish_reason"), ==, "stop");
  g_assert_true (json_object_get_null_member (choice, "logprobs"));
  message = json_object_get_object_member (choice, "message");
  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, "assistant");
  g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, "Hello \"there\"");
  g_assert_false (json_object_has_member (message, "tool_calls"));
  g_assert_false (json_object_has_member (message, "reasoning_content"));

  usage = json_object_get_object_member (object, "usage");
  g_assert_cmpint (json_object_get_int_member (usage, "prompt_tokens"), ==, 10);
  g_assert_cmpint (json_object_get_int_member (usage, "completion_tokens"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (usage, "total_tokens"), ==, 14);

  /* Two renders never share an id. */
  {
    g_autoptr(JsonNode) again = NULL;
    JsonObject *other = render (request, result, &again);

    g_assert_cmpstr (json_object_get_string_member (other, "id"), !=,
                     json_object_get_string_member (object, "id"));
  }
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
test_render_tool_calls (void)
{
  g_autoptr(LpChatRequest) request = plain_request ();
  g_autoptr(LpChatResult) result = lp_chat_result_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonObject *message;
  JsonArray *calls;
  JsonObject *call;
  JsonObject *function;

  add_call (result->tool_calls, "call_abc", "get_weather", "{\"city\": \"Paris\", \"days\": 0.7}");
  add_call (result->tool_calls, NULL, "noop", "{}");
  result->finish = LP_FINISH_TOOL_CALLS;

  message = json_object_get_object_member (first_choice (render (request, result, &root)), "message");
  g_assert_cmpstr (json_object_get_string_member (first_choice (json_node_get_object (root)), "finish_reason"),
                   ==, "tool_calls");
  /* No text beside the calls: content is null, not "". */
  g_assert_true (json_object_get_null_member (message, "content"));

  calls = json_object_get_array_member (message, "tool_calls");
  g_assert_cmpuint (json_array_get_length (calls), ==, 2);
  call = json_array_get_object_element (calls, 0);
  g_assert_cmpstr (json_object_get_string_member (call, "id"), ==, "call_abc");
  g_assert_cmpstr (json_object_get_string_member (call, "type"), ==, "function");
  function = json_object_get_object_member (call, "function");
  g_assert_cmpstr (json_object_get_string_member (function, "name"), ==, "get_weather");
  g_assert_cmpstr (json_object_get_string_member (function, "arguments"), ==, "{\"city\":\"Paris\",\"days\":0.7}");

  /* A call without an id gets a fresh call_ one. */
  call = json_array_get_object_element (calls, 1);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (call, "id"), "call_"));
  function = json_object_get_object_member (call, "function");
  g_assert_cmpstr (json_object_get_string_member (function, "arguments"), ==, "{}");

  /* With text beside the calls, the text stays. */
  {
    g_autoptr(JsonNode) again = NULL;

    g_free (result->text);
    result->text = g_strdup ("Checking.");
    message = json_object_get_object_member (first_choice (render (request, result, &again)), "message");
    g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, "Checking.");
  }
}

static void
test_render_finish_reasons (void)
{
  static const struct {
    LpFinishReason  finish;
    const char     *expected;
  } cases[] = {
    { LP_FINISH_STOP, "stop" },
    { LP_FINISH_LENGTH, "length" },
    { LP_FINISH_STOP_SEQUENCE, "stop" },
  };
  g_autoptr(LpChatRequest) request = plain_request ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LpChatResult) result = lp_chat_result_new ();
      g_autoptr(JsonNode) root = NULL;
      JsonObject *choice;

      result->finish = cases[i].finish;
      if (cases[i].finish == LP_FINISH_STOP_SEQUENCE)
        result->stop_sequence = g_strdup ("END");

      choice = first_choice (render (request, result, &root));
      g_assert_cmpstr (json_object_get_string_member (choice, "finish_reason"), ==, cases[i].expected);
      /* Empty text without calls is "", not null. */
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (choice, "message"), "content"),
                       ==, "");
    }
}

static void
test_render_reasoning (void)
{
  g_autoptr(LpChatRequest) request = plain_request ();
  g_autoptr(LpChatResult) result = lp_chat_result_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonObject *message;

  g_free (result->thinking);
  result->thinking = g_strdup ("First, recall the formula.");
  g_free (result->text);
  result->text = g_strdup ("42");

  message = json_object_get_object_member (first_choice (render (request, result, &root)), "message");
  g_assert_cmpstr (json_object_get_string_member (message, "reasoning_content"), ==, "First, recall the formula.");
  g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, "42");
}

static void
test_render_error (void)
{
  static const struct {
    guint       status;
    const char *type;
    const char *code;
  } cases[] = {
    { 400, "invalid_request_error", NULL },
    { 401, "authentication_error", NULL },
    { 403, "permission_error", NULL },
    { 404, "not_found_error", NULL },
    { 405, "invalid_request_error", NULL },
    { 413, "invalid_request_error", "request_too_large" },
    { 429, "rate_limit_error", "rate_limit_exceeded" },
    { 500, "api_error", NULL },
    { 502, "api_error", "upstream_error" },
    { 503, "api_error", "upstream_unavailable" },
    { 504, "timeout_error", "upstream_timeout" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = lp_dialect_openai ()->render_error (cases[i].status, "went \"wrong\"", NULL);
      g_autoptr(JsonNode) root = parse_json (body);
      JsonObject *error;

      g_assert_cmpuint (json_object_get_size (json_node_get_object (root)), ==, 1);
      error = json_object_get_object_member (json_node_get_object (root), "error");
      g_assert_cmpstr (json_object_get_string_member (error, "message"), ==, "went \"wrong\"");
      g_assert_cmpstr (json_object_get_string_member (error, "type"), ==, cases[i].type);
      g_assert_true (json_object_get_null_member (error, "param"));
      if (cases[i].code != NULL)
        g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, cases[i].code);
      else
        g_assert_true (json_object_get_null_member (error, "code"));
    }

  {
    g_autofree char *body = lp_openai_render_error (400, "tools[0].function.name: field is required",
                                                    "tools[0].function.name");

    g_assert_cmpstr (body, ==,
                     "{\"error\":{\"message\":\"tools[0].function.name: field is required\","
                     "\"type\":\"invalid_request_error\",\"param\":\"tools[0].function.name\",\"code\":null}}");
  }

  {
    /* Without a message the status phrase stands in. */
    g_autofree char *body = lp_openai_render_error (404, NULL, NULL);

    g_assert_cmpstr (body, ==,
                     "{\"error\":{\"message\":\"Not Found\",\"type\":\"not_found_error\","
                     "\"param\":null,\"code\":null}}");
  }
}

/* Streams */

static char *
normalise (const char *transcript)
{
  g_autoptr(GRegex) ids = g_regex_new ("chatcmpl-[0-9a-f]{24}", 0, 0, NULL);
  g_autoptr(GRegex) created = g_regex_new ("\"created\":[0-9]+", 0, 0, NULL);
  g_autofree char *step = g_regex_replace_literal (ids, transcript, -1, 0, "chatcmpl-ID", 0, NULL);

  return g_regex_replace_literal (created, step, -1, 0, "\"created\":0", 0, NULL);
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
          gint64         input_tokens,
          gint64         output_tokens)
{
  LpChatResult *result = lp_chat_result_new ();

  result->finish = finish;
  result->input_tokens = input_tokens;
  result->output_tokens = output_tokens;
  return result;
}

static void
test_stream_text (void)
{
  g_autoptr(LpChatRequest) request = parse_ok ("{\"stream\":true," USER_HI "}");
  g_autoptr(LpStream) stream = lp_dialect_openai ()->stream_new (request, "qwen3-coder", 12);
  g_autoptr(LpChatResult) result = finished (LP_FINISH_STOP, 12, 5);
  g_autoptr(GString) out = g_string_new (NULL);

  stream->klass->begin (stream, out);
  stream->klass->thinking (stream, "Let me think.", out);
  stream->klass->text (stream, "Hello", out);
  /* Empty deltas produce nothing. */
  stream->klass->text (stream, "", out);
  stream->klass->text (stream, ", wörld \"quoted\"\n", out);
  stream->klass->finish (stream, result, out);
  /* Nothing may follow the end of the stream. */
  stream->klass->keepalive (stream, out);
  stream->klass->text (stream, "late", out);
  stream->klass->error (stream, 500, "late", out);

  assert_golden (out->str, "openai-text.sse");
}

/* Concatenates the argument deltas of tool call @index. */
static char *
collect_arguments (const char *transcript,
                   guint       index)
{
  g_auto(GStrv) events = g_strsplit (transcript, "\n\n", -1);
  GString *arguments = g_string_new (NULL);

  for (guint i = 0; events[i] != NULL; i++)
    {
      g_autoptr(JsonNode) chunk = NULL;
      JsonArray *choices;
      JsonObject *delta;
      JsonArray *calls;
      JsonObject *call;

      if (!g_str_has_prefix (events[i], "data: {"))
        continue;

      chunk = parse_json (events[i] + strlen ("data: "));
      choices = json_object_get_array_member (json_node_get_object (chunk), "choices");
      if (json_array_get_length (choices) == 0)
        continue;
      delta = json_object_get_object_member (json_array_get_object_element (choices, 0), "delta");
      if (!json_object_has_member (delta, "tool_calls"))
        continue;
      calls = json_object_get_array_member (delta, "tool_calls");
      call = json_array_get_object_element (calls, 0);
      if (json_object_get_int_member (call, "index") == index)
        g_string_append (arguments, json_object_get_string_member (json_object_get_object_member (call, "function"),
                                                                   "arguments"));
    }

  return g_string_free (arguments, FALSE);
}

static void
test_stream_tools (void)
{
  g_autoptr(LpChatRequest) request = parse_ok ("{\"stream\":true," TOOLS "," USER_HI "}");
  g_autoptr(LpStream) stream = lp_dialect_openai ()->stream_new (request, "qwen3-coder", 30);
  g_autoptr(LpChatResult) result = finished (LP_FINISH_TOOL_CALLS, 30, 9);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  add_call (result->tool_calls, "call_a", "read_file", "{\"path\": \"/tmp/a.txt\"}");
  add_call (result->tool_calls, "call_b", "grep", "{\"pattern\": \"héllo\", \"limit\": 5}");

  stream->klass->begin (stream, out);
  stream->klass->text (stream, "Reading both files.", out);
  for (guint i = 0; i < result->tool_calls->len; i++)
    stream->klass->tool_call (stream, g_ptr_array_index (result->tool_calls, i), out);
  stream->klass->finish (stream, result, out);

  assert_golden (out->str, "openai-tools.sse");

  /* The pieces of each call concatenate to its compact arguments. */
  first = collect_arguments (out->str, 0);
  second = collect_arguments (out->str, 1);
  g_assert_cmpstr (first, ==, "{\"path\":\"/tmp/a.txt\"}");
  g_assert_cmpstr (second, ==, "{\"pattern\":\"héllo\",\"limit\":5}");
}

static void
test_stream_usage (void)
{
  g_autoptr(LpChatRequest) request = parse_ok ("{\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                                               USER_HI "}");
  g_autoptr(LpStream) stream = lp_dialect_openai ()->stream_new (request, "qwen3-coder", 20);
  g_autoptr(LpChatResult) result = finished (LP_FINISH_LENGTH, 20, 1);
  g_autoptr(GString) out = g_string_new (NULL);

  /* text before begin still opens the stream with the role chunk */
  stream->klass->text (stream, "4", out);
  stream->klass->finish (stream, result, out);

  assert_golden (out->str, "openai-usage.sse");
}

static void
test_stream_error (void)
{
  g_autoptr(LpChatRequest) request = parse_ok ("{\"stream\":true," USER_HI "}");
  g_autoptr(LpStream) stream = lp_dialect_openai ()->stream_new (request, "qwen3-coder", 5);
  g_autoptr(LpChatResult) result = finished (LP_FINISH_STOP, 5, 1);
  g_autoptr(GString) out = g_string_new (NULL);

  stream->klass->begin (stream, out);
  stream->klass->keepalive (stream, out);
  stream->klass->text (stream, "Partial", out);
  stream->klass->error (stream, 504, "Lingma did not answer within 300 s", out);
  /* No [DONE] and nothing else after an error. */
  stream->klass->finish (stream, result, out);
  stream->klass->keepalive (stream, out);

  assert_golden (out->str, "openai-error.sse");
}

static void
test_stream_model_escaped (void)
{
  g_autoptr(LpChatRequest) request = parse_ok ("{\"model\":\"fallback\"," USER_HI "}");
  g_autoptr(LpStream) stream = lp_openai_stream_new (request, NULL, 1);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(JsonNode) chunk = NULL;
  g_autofree char *quoted = NULL;

  stream->klass->begin (stream, out);
  g_assert_true (g_str_has_prefix (out->str, "data: {"));
  g_assert_true (g_str_has_suffix (out->str, "}\n\n"));
  chunk = parse_json (out->str + strlen ("data: "));
  /* Without a model the request's is used. */
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (chunk), "model"), ==, "fallback");

  {
    g_autoptr(LpStream) odd = lp_openai_stream_new (request, "a\"b\\c", 1);
    g_autoptr(GString) odd_out = g_string_new (NULL);
    g_autoptr(JsonNode) odd_chunk = NULL;

    odd->klass->begin (odd, odd_out);
    odd_chunk = parse_json (odd_out->str + strlen ("data: "));
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (odd_chunk), "model"), ==, "a\"b\\c");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/writer", test_json_writer);
  g_test_add_func ("/json/split", test_json_split);
  g_test_add_func ("/json/arguments", test_json_arguments);
  g_test_add_func ("/json/parse-body", test_json_parse_body);

  g_test_add_func ("/openai/parse/upstream-normalisation", test_parse_upstream_normalisation);
  g_test_add_func ("/openai/parse/no-turns", test_parse_no_turns);
  g_test_add_func ("/openai/parse/fields", test_parse_fields);
  g_test_add_func ("/openai/parse/scalars", test_parse_scalars);
  g_test_add_func ("/openai/parse/type-errors", test_parse_type_errors);
  g_test_add_func ("/openai/parse/unknown-fields", test_parse_unknown_fields);
  g_test_add_func ("/openai/parse/images", test_parse_images);
  g_test_add_func ("/openai/parse/tool-history", test_parse_tool_history);
  g_test_add_func ("/openai/parse/tools", test_parse_tools);
  g_test_add_func ("/openai/parse/tool-choice", test_parse_tool_choice);
  g_test_add_func ("/openai/parse/response-format", test_parse_response_format);

  g_test_add_func ("/openai/render/text", test_render_text);
  g_test_add_func ("/openai/render/tool-calls", test_render_tool_calls);
  g_test_add_func ("/openai/render/finish-reasons", test_render_finish_reasons);
  g_test_add_func ("/openai/render/reasoning", test_render_reasoning);
  g_test_add_func ("/openai/render/error", test_render_error);

  g_test_add_func ("/openai/stream/text", test_stream_text);
  g_test_add_func ("/openai/stream/tools", test_stream_tools);
  g_test_add_func ("/openai/stream/usage", test_stream_usage);
  g_test_add_func ("/openai/stream/error", test_stream_error);
  g_test_add_func ("/openai/stream/model", test_stream_model_escaped);

  return g_test_run ();
}
