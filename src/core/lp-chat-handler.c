/* lp-chat-handler.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-chat-handler"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "lp-anthropic.h"
#include "lp-chat-handler.h"
#include "lp-chat-run.h"
#include "lp-dialect.h"
#include "lp-error.h"
#include "lp-json.h"

#define UNREACHABLE_HINT \
  " — is Lingma running? Start the Lingma plugin (JetBrains or the Lingma desktop runtime), " \
  "or start the simulator with `lingma-sim --port 36510` and pass --ws-url ws://127.0.0.1:36510/"

/* How often a stream checks whether it has been quiet for too long. */
#define KEEPALIVE_TICK_MS 250

typedef struct
{
  LpBackend            *backend;
  const LpDialectCodec *codec;
} LpChatRoute;

typedef struct
{
  guint                 ref_count;
  LpBackend            *backend;
  const LpDialectCodec *codec;
  SoupServerMessage    *msg;          /* NULL once libsoup finished with it */
  LpRequestRecord      *record;
  LpChatRequest        *request;      /* until handed to the run */
  LpChatRun            *run;
  LpStream             *stream;
  GCancellable         *cancellable;
  GSource              *client_watch;
  guint                 keepalive_id;
  gint64                last_write;
  gboolean              streaming;
  gboolean              slot_held;
  gboolean              completed;
} LpChatExchange;

static LpChatExchange *
exchange_ref (LpChatExchange *ex)
{
  ex->ref_count++;
  return ex;
}

static void
exchange_unref (LpChatExchange *ex)
{
  if (--ex->ref_count > 0)
    return;

  g_assert (ex->client_watch == NULL);
  g_assert (ex->keepalive_id == 0);

  g_clear_object (&ex->backend);
  g_clear_object (&ex->record);
  g_clear_pointer (&ex->request, lp_chat_request_free);
  g_clear_object (&ex->run);
  g_clear_pointer (&ex->stream, lp_stream_free);
  g_clear_object (&ex->cancellable);
  g_free (ex);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpChatExchange, exchange_unref)

static void
stop_watches (LpChatExchange *ex)
{
  if (ex->client_watch != NULL)
    {
      g_source_destroy (ex->client_watch);
      g_clear_pointer (&ex->client_watch, g_source_unref);
    }
  g_clear_handle_id (&ex->keepalive_id, g_source_remove);
}

static void
write_events (LpChatExchange *ex,
              GString        *events)
{
  if (ex->msg == NULL || events->len == 0)
    return;

  soup_message_body_append (soup_server_message_get_response_body (ex->msg),
                            SOUP_MEMORY_COPY, events->str, events->len);
  lp_request_record_append_raw (ex->record, events->str, events->len);
  ex->last_write = g_get_monotonic_time ();
  soup_server_message_unpause (ex->msg);
}

/* Ends the exchange once: frees the slot, stops the watches and lets
 * libsoup send whatever the response now holds. */
static void
complete (LpChatExchange *ex)
{
  if (ex->completed)
    return;

  ex->completed = TRUE;
  stop_watches (ex);

  if (ex->run != NULL)
    g_signal_handlers_disconnect_by_data (ex->run, ex);

  if (ex->slot_held)
    {
      ex->slot_held = FALSE;
      lp_backend_release_slot (ex->backend);
    }

  if (ex->msg != NULL)
    {
      if (ex->streaming && soup_server_message_get_status (ex->msg) == 200)
        soup_message_body_complete (soup_server_message_get_response_body (ex->msg));
      soup_server_message_unpause (ex->msg);
    }
}

static void
reply_error (LpChatExchange *ex,
             guint           status,
             const char     *message)
{
  lp_request_record_finish (ex->record, status, message);

  if (ex->msg != NULL)
    {
      if (status == 429)
        soup_message_headers_replace (soup_server_message_get_response_headers (ex->msg),
                                      "Retry-After", "1");
      lp_server_reply_error (ex->msg, ex->codec->dialect, status, message);
    }

  complete (ex);
}

static void
client_gone (LpChatExchange *ex)
{
  g_autoptr(LpChatExchange) hold = exchange_ref (ex);

  if (ex->completed)
    return;

  lp_request_record_finish (ex->record, 499, "the client closed the connection");
  g_cancellable_cancel (ex->cancellable);

  /* Cancelling sends session/cancel and deletes the session; its
   * "failed" signal has nothing left to tell this exchange. */
  if (ex->run != NULL)
    {
      g_signal_handlers_disconnect_by_data (ex->run, ex);
      lp_chat_run_cancel (ex->run);
    }

  if (ex->msg != NULL)
    soup_server_message_set_status (ex->msg, 499, "Client Closed Request");
  complete (ex);
}

/* libsoup only notices a vanished client at its next write, which may be
 * minutes away while Lingma thinks; peeking at the socket frees the slot
 * within milliseconds instead. */
static gboolean
on_client_socket (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  LpChatExchange *ex = user_data;
  char byte;
  gssize n;

  if ((condition & (G_IO_HUP | G_IO_ERR)) == 0)
    {
      n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;

      if (n > 0)
        {
          /* A pipelined request: nothing more can be learned here. */
          g_clear_pointer (&ex->client_watch, g_source_unref);
          return G_SOURCE_REMOVE;
        }
    }

  g_clear_pointer (&ex->client_watch, g_source_unref);
  client_gone (ex);

  return G_SOURCE_REMOVE;
}

static void
watch_client (LpChatExchange *ex)
{
  GSocket *socket = soup_server_message_get_socket (ex->msg);

  if (socket == NULL)
    return;

  ex->client_watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (ex->client_watch, (GSourceFunc) on_client_socket,
                         exchange_ref (ex), (GDestroyNotify) exchange_unref);
  g_source_attach (ex->client_watch, NULL);
}

static void
on_msg_finished (SoupServerMessage *msg,
                 LpChatExchange    *ex)
{
  g_autoptr(LpChatExchange) hold = exchange_ref (ex);

  if (!ex->completed)
    client_gone (ex);

  ex->msg = NULL;
}

/* Keep-alives only while Lingma is demonstrably working on this request:
 * pings over a dead upstream would hang the client forever. */
static gboolean
on_keepalive_tick (gpointer user_data)
{
  LpChatExchange *ex = user_data;
  LpConfig *config = lp_backend_get_config (ex->backend);
  gint64 interval = (gint64) lp_config_get_keepalive_interval (config) * G_USEC_PER_SEC;
  g_autoptr(GString) events = NULL;

  if (ex->stream == NULL || ex->run == NULL || !lp_chat_run_is_alive (ex->run))
    return G_SOURCE_CONTINUE;

  if (g_get_monotonic_time () - ex->last_write < interval)
    return G_SOURCE_CONTINUE;

  events = g_string_new (NULL);
  ex->stream->klass->keepalive (ex->stream, events);
  write_events (ex, events);

  return G_SOURCE_CONTINUE;
}

static void
begin_stream (LpChatExchange *ex)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (ex->msg);
  const LpChatRequest *request = lp_chat_run_get_request (ex->run);
  g_autoptr(GString) events = g_string_new (NULL);
  const char *model = request->model[0] != '\0' ? request->model : "lingma";

  soup_server_message_set_status (ex->msg, 200, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_replace (headers, "Content-Type", "text/event-stream; charset=utf-8");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Accel-Buffering", "no");
  /* Sent chunks need not stay in memory; the record keeps a capped copy. */
  soup_message_body_set_accumulate (soup_server_message_get_response_body (ex->msg), FALSE);

  ex->stream = ex->codec->stream_new (request, model, lp_chat_run_get_input_tokens (ex->run));
  ex->stream->klass->begin (ex->stream, events);
  write_events (ex, events);

  ex->keepalive_id = g_timeout_add (KEEPALIVE_TICK_MS, on_keepalive_tick, ex);
}

static void
on_run_delta (LpChatRun      *run,
              const char     *text,
              LpChatExchange *ex)
{
  g_autoptr(GString) events = NULL;

  if (ex->stream == NULL)
    return;

  events = g_string_new (NULL);
  ex->stream->klass->text (ex->stream, text, events);
  write_events (ex, events);
}

static void
on_run_thinking (LpChatRun      *run,
                 const char     *text,
                 LpChatExchange *ex)
{
  g_autoptr(GString) events = NULL;

  if (ex->stream == NULL)
    return;

  events = g_string_new (NULL);
  ex->stream->klass->thinking (ex->stream, text, events);
  write_events (ex, events);
}

static void
on_run_finished (LpChatRun      *run,
                 LpChatExchange *ex)
{
  g_autoptr(LpChatExchange) hold = exchange_ref (ex);
  const LpChatRequest *request = lp_chat_run_get_request (run);
  const LpChatResult *result = lp_chat_run_get_result (run);
  const char *model = lp_chat_run_get_model (run);
  g_autofree char *body = ex->codec->render_result (request, result, model);

  lp_request_record_set_model (ex->record, model);
  lp_request_record_set_tokens (ex->record, result->input_tokens, result->output_tokens);
  lp_request_record_set_retry_reason (ex->record, lp_chat_run_get_retry_reason (run));
  lp_request_record_set_response_body (ex->record, body, strlen (body));

  if (ex->stream != NULL)
    {
      g_autoptr(GString) events = g_string_new (NULL);

      /* Buffered replies (tool emulation) are released only now. */
      if (!lp_chat_run_streams_live (run))
        {
          if (request->thinking && result->thinking[0] != '\0')
            ex->stream->klass->thinking (ex->stream, result->thinking, events);
          if (result->text[0] != '\0')
            ex->stream->klass->text (ex->stream, result->text, events);
        }

      for (guint i = 0; i < result->tool_calls->len; i++)
        ex->stream->klass->tool_call (ex->stream, g_ptr_array_index (result->tool_calls, i), events);
      ex->stream->klass->finish (ex->stream, result, events);
      write_events (ex, events);
      lp_request_record_finish (ex->record, 200, NULL);
    }
  else if (ex->msg != NULL)
    {
      gsize len = strlen (body);

      soup_server_message_set_status (ex->msg, 200, NULL);
      soup_server_message_set_response (ex->msg, "application/json", SOUP_MEMORY_TAKE,
                                        g_steal_pointer (&body), len);
    }

  complete (ex);
}

static void
on_run_failed (LpChatRun      *run,
               const GError   *error,
               LpChatExchange *ex)
{
  g_autoptr(LpChatExchange) hold = exchange_ref (ex);
  guint status = lp_error_http_status (error);
  g_autofree char *message = NULL;

  if (status == 499)
    {
      client_gone (ex);
      return;
    }

  message = status == 503 ? g_strconcat (error->message, UNREACHABLE_HINT, NULL)
                          : g_strdup (error->message);

  if (ex->stream != NULL)
    {
      /* Headers are gone: end the stream with an explicit error event,
       * never a silent cut or a partial reply passed off as complete. */
      g_autoptr(GString) events = g_string_new (NULL);

      ex->stream->klass->error (ex->stream, status, message, events);
      write_events (ex, events);
      lp_request_record_finish (ex->record, status, message);
      complete (ex);
      return;
    }

  reply_error (ex, status, message);
}

static void
on_slot_acquired (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(LpChatExchange) ex = user_data;
  g_autoptr(GError) error = NULL;

  if (!lp_backend_acquire_slot_finish (LP_BACKEND (object), result, &error))
    {
      if (!ex->completed)
        reply_error (ex, lp_error_http_status (error), error->message);
      return;
    }

  ex->slot_held = TRUE;
  if (ex->completed)
    {
      /* The client left while queued. */
      ex->slot_held = FALSE;
      lp_backend_release_slot (ex->backend);
      return;
    }

  ex->run = lp_chat_run_new (ex->backend, g_steal_pointer (&ex->request));
  g_signal_connect (ex->run, "delta", G_CALLBACK (on_run_delta), ex);
  g_signal_connect (ex->run, "thinking", G_CALLBACK (on_run_thinking), ex);
  g_signal_connect (ex->run, "finished", G_CALLBACK (on_run_finished), ex);
  g_signal_connect (ex->run, "failed", G_CALLBACK (on_run_failed), ex);

  if (ex->streaming)
    begin_stream (ex);

  lp_chat_run_start (ex->run);
}

static JsonNode *
parse_body (GBytes  *body,
            GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr(JsonNode) root = lp_json_parse_body (data, len, error);

  if (root == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                           "request body: invalid JSON (expected an object)");
      return NULL;
    }

  return g_steal_pointer (&root);
}

static void
handle_chat (LpServer          *server,
             SoupServerMessage *msg,
             GBytes            *body,
             LpRequestRecord   *record,
             gpointer           user_data)
{
  LpChatRoute *route = user_data;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  LpChatRequest *request;
  LpChatExchange *ex;

  lp_request_record_set_dialect (record, route->codec->dialect);

  /* The body is validated before a slot is taken (upstream W19). */
  if ((root = parse_body (body, &error)) == NULL ||
      (request = route->codec->parse_request (root, &error)) == NULL)
    {
      lp_server_reply_error (msg, route->codec->dialect, 400, error->message);
      return;
    }

  lp_request_record_set_model (record, request->model);

  ex = g_new0 (LpChatExchange, 1);
  ex->ref_count = 1;
  ex->backend = g_object_ref (route->backend);
  ex->codec = route->codec;
  ex->msg = msg;
  ex->record = g_object_ref (record);
  ex->request = request;
  ex->streaming = request->stream;
  ex->cancellable = g_cancellable_new ();

  soup_server_message_pause (msg);
  g_signal_connect_data (msg, "finished", G_CALLBACK (on_msg_finished),
                         exchange_ref (ex), (GClosureNotify) exchange_unref, 0);
  watch_client (ex);

  lp_backend_acquire_slot_async (route->backend, ex->cancellable, on_slot_acquired, ex);
}

static void
handle_count_tokens (LpServer          *server,
                     SoupServerMessage *msg,
                     GBytes            *body,
                     LpRequestRecord   *record,
                     gpointer           user_data)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  gint64 tokens;

  lp_request_record_set_dialect (record, LP_DIALECT_ANTHROPIC);

  if ((root = parse_body (body, &error)) == NULL ||
      (tokens = lp_anthropic_count_tokens (root, &error)) < 0)
    {
      lp_server_reply_error (msg, LP_DIALECT_ANTHROPIC, 400, error->message);
      return;
    }

  object = json_object_new ();
  json_object_set_int_member (object, "input_tokens", tokens);
  reply = json_node_init_object (json_node_alloc (), object);
  lp_request_record_set_tokens (record, tokens, 0);
  lp_server_reply_json (msg, 200, reply);
}

static void
lp_chat_route_free (gpointer data)
{
  LpChatRoute *route = data;

  g_object_unref (route->backend);
  g_free (route);
}

static LpChatRoute *
chat_route_new (LpServer             *server,
                LpBackend            *backend,
                const LpDialectCodec *codec)
{
  LpChatRoute *route = g_new0 (LpChatRoute, 1);

  route->backend = g_object_ref (backend);
  route->codec = codec;
  /* Routes live as long as the server. */
  g_object_set_data_full (G_OBJECT (server), codec->name, route, lp_chat_route_free);

  return route;
}

void
lp_chat_handler_install (LpServer  *server,
                         LpBackend *backend)
{
  LpChatRoute *openai;
  LpChatRoute *anthropic;

  g_return_if_fail (LP_IS_SERVER (server));
  g_return_if_fail (LP_IS_BACKEND (backend));

  openai = chat_route_new (server, backend, lp_dialect_openai ());
  anthropic = chat_route_new (server, backend, lp_dialect_anthropic ());

  lp_server_add_route (server, "/v1/chat/completions", "POST", LP_DIALECT_OPENAI, handle_chat, openai);
  lp_server_add_route (server, "/v1/messages", "POST", LP_DIALECT_ANTHROPIC, handle_chat, anthropic);
  lp_server_add_route (server, "/v1/messages/count_tokens", "POST", LP_DIALECT_ANTHROPIC,
                       handle_count_tokens, NULL);
}
