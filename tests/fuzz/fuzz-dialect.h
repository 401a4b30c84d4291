/* fuzz-dialect.h
 *
 * The body of fuzz-openai.c and fuzz-anthropic.c: a request body goes
 * through lp_json_parse_body() and the codec's parse_request(); a
 * request that parses is answered with a result built from its own
 * history (so the fuzzer's strings reach every encoder), rendered whole
 * and streamed, and everything that comes out must be valid JSON.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>
#include <string.h>

#include "lp-dialect.h"
#include "lp-error.h"
#include "lp-json.h"

static void
fuzz_assert_json_object (const char *text,
                         gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = lp_json_parse_body (text, length, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
}

/* Every event is complete, and every data line that holds JSON parses. */
static void
fuzz_assert_sse (const GString *out)
{
  g_auto(GStrv) events = NULL;

  g_assert_true (out->len == 0 || g_str_has_suffix (out->str, "\n\n"));
  g_assert_true (g_utf8_validate (out->str, out->len, NULL));

  events = g_strsplit (out->str, "\n\n", -1);
  for (guint i = 0; events[i] != NULL; i++)
    {
      g_auto(GStrv) lines = g_strsplit (events[i], "\n", -1);

      for (guint j = 0; lines[j] != NULL; j++)
        {
          if (g_str_has_prefix (lines[j], "data: {"))
            fuzz_assert_json_object (lines[j] + strlen ("data: "), strlen (lines[j]) - strlen ("data: "));
        }
    }
}

/* A result that echoes the request: the last message's text, the system
 * prompt as thinking, and every call from the history. */
static LpChatResult *
fuzz_result_for (const LpChatRequest *request)
{
  LpChatResult *result = lp_chat_result_new ();
  const LpMessage *last = g_ptr_array_index (request->messages, request->messages->len - 1);

  g_free (result->text);
  result->text = g_strdup (last->text);
  g_free (result->thinking);
  result->thinking = g_strdup (request->system);

  for (guint i = 0; i < request->messages->len; i++)
    {
      const LpMessage *message = g_ptr_array_index (request->messages, i);

      for (guint j = 0; j < message->tool_calls->len; j++)
        g_ptr_array_add (result->tool_calls, lp_tool_call_copy (g_ptr_array_index (message->tool_calls, j)));
    }

  if (result->tool_calls->len > 0)
    result->finish = LP_FINISH_TOOL_CALLS;
  else if (request->stop != NULL)
    {
      result->finish = LP_FINISH_STOP_SEQUENCE;
      result->stop_sequence = g_strdup (request->stop[0]);
    }
  else if (request->max_tokens > 0)
    result->finish = LP_FINISH_LENGTH;

  result->input_tokens = request->messages->len;
  result->output_tokens = strlen (result->text);

  return result;
}

static void
fuzz_check_request (const LpChatRequest *request)
{
  gboolean has_turn = FALSE;

  g_assert_nonnull (request->model);
  g_assert_nonnull (request->system);
  g_assert_true (request->tool_choice != LP_TOOL_CHOICE_TOOL ||
                 lp_chat_request_find_tool (request, request->tool_choice_name) != NULL);

  for (guint i = 0; i < request->messages->len; i++)
    {
      const LpMessage *message = g_ptr_array_index (request->messages, i);

      g_assert_nonnull (message->text);
      has_turn |= message->role != LP_ROLE_TOOL_RESULT;
      for (guint j = 0; j < message->tool_calls->len; j++)
        {
          const LpToolCall *call = g_ptr_array_index (message->tool_calls, j);

          g_assert_true (JSON_NODE_HOLDS_OBJECT (call->arguments));
          g_assert_cmpstr (call->name, !=, "");
        }
    }

  g_assert_true (has_turn);

  for (guint i = 0; i < request->tools->len; i++)
    g_assert_cmpstr (((LpToolDef *) g_ptr_array_index (request->tools, i))->name, !=, "");
}

static void
fuzz_dialect (const LpDialectCodec *codec,
              const uint8_t        *data,
              size_t                size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(LpChatRequest) request = NULL;
  g_autoptr(LpChatResult) result = NULL;
  g_autoptr(LpStream) stream = NULL;
  g_autoptr(LpStream) failing = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) failed = g_string_new (NULL);
  g_autofree char *body = NULL;

  root = lp_json_parse_body ((const char *) data, size, &error);
  if (root == NULL)
    {
      g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
      return;
    }

  request = codec->parse_request (root, &error);
  if (request == NULL)
    {
      g_autofree char *envelope = NULL;

      g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
      /* Every message names the field it is about. */
      g_assert_nonnull (strstr (error->message, ": "));
      envelope = codec->render_error (400, error->message, NULL);
      fuzz_assert_json_object (envelope, strlen (envelope));
      return;
    }

  g_assert_no_error (error);
  g_assert_cmpint (request->dialect, ==, codec->dialect);
  fuzz_check_request (request);

  result = fuzz_result_for (request);
  body = codec->render_result (request, result, request->model);
  fuzz_assert_json_object (body, strlen (body));

  stream = codec->stream_new (request, request->model, result->input_tokens);
  stream->klass->begin (stream, out);
  stream->klass->thinking (stream, result->thinking, out);
  stream->klass->text (stream, result->text, out);
  for (guint i = 0; i < result->tool_calls->len; i++)
    stream->klass->tool_call (stream, g_ptr_array_index (result->tool_calls, i), out);
  stream->klass->keepalive (stream, out);
  stream->klass->finish (stream, result, out);
  fuzz_assert_sse (out);

  failing = codec->stream_new (request, result->text, 0);
  failing->klass->text (failing, request->system, failed);
  failing->klass->error (failing, 502, result->text, failed);
  fuzz_assert_sse (failed);
}
