/* test-ipc-client.c
 *
 * LpIpcClient against an in-process fake Lingma: a SoupServer WebSocket
 * handler on an ephemeral loopback port, in the same main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "lp-error.h"
#include "lp-frame.h"
#include "lp-ipc-client.h"

/* Iterates the main loop until @cond holds, failing after 10 s. */
#define WAIT_UNTIL(cond)                                                   \
  G_STMT_START {                                                           \
    gint64 deadline_ = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;      \
    guint tick_ = g_timeout_add (20, tick, NULL);                          \
    while (!(cond))                                                        \
      {                                                                    \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline_);           \
        g_main_context_iteration (NULL, TRUE);                             \
      }                                                                    \
    g_source_remove (tick_);                                               \
  } G_STMT_END

static gboolean
tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  WAIT_UNTIL (g_get_monotonic_time () >= end);
}

static JsonObject *
parse_object (const char *data,
              gsize       len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, data, len, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* The fake Lingma peer. */

typedef struct
{
  SoupServer *server;
  char       *url;
  GPtrArray  *connections;    /* SoupWebsocketConnection, server side */
  GPtrArray  *received;       /* JsonObject, every message in order */
} FakePeer;

static void
peer_reply (SoupWebsocketConnection *ws,
            const char              *json)
{
  g_autoptr(GBytes) frame = lp_frame_encode (json, -1);

  soup_websocket_connection_send_message (ws, SOUP_WEBSOCKET_DATA_TEXT, frame);
}

/* initialize, echo, fail and null are answered at once; anything else
 * waits for the test to answer. */
static void
peer_answer (SoupWebsocketConnection *ws,
             JsonObject              *message)
{
  const char *method = json_object_get_string_member_with_default (message, "method", NULL);
  g_autofree char *reply = NULL;
  gint64 id;

  if (method == NULL || !json_object_has_member (message, "id"))
    return;

  id = json_object_get_int_member (message, "id");

  if (g_str_equal (method, "initialize"))
    {
      reply = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT ","
                               "\"result\":{\"protocolVersion\":1}}", id);
    }
  else if (g_str_equal (method, "echo"))
    {
      g_autoptr(JsonNode) params = json_node_init_object (json_node_alloc (),
                                                          json_object_get_object_member (message, "params"));
      g_autofree char *json = json_to_string (params, FALSE);

      reply = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT ",\"result\":%s}", id, json);
    }
  else if (g_str_equal (method, "fail"))
    {
      reply = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT ","
                               "\"error\":{\"code\":-32603,\"message\":\"model is busy\"}}", id);
    }
  else if (g_str_equal (method, "null"))
    {
      reply = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT "}", id);
    }
  else
    {
      return;
    }

  peer_reply (ws, reply);
}

static void
on_peer_message (SoupWebsocketConnection *ws,
                 gint                     type,
                 GBytes                  *message,
                 gpointer                 user_data)
{
  FakePeer *peer = user_data;
  LpFrameDecoder *decoder = g_object_get_data (G_OBJECT (ws), "decoder");
  GBytes *body;

  lp_frame_decoder_push (decoder, g_bytes_get_data (message, NULL), g_bytes_get_size (message));

  while ((body = lp_frame_decoder_pop (decoder, NULL)) != NULL)
    {
      JsonObject *object = parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

      g_ptr_array_add (peer->received, object);
      peer_answer (ws, object);
      g_bytes_unref (body);
    }
}

static void
on_peer_websocket (SoupServer              *server,
                   SoupServerMessage       *msg,
                   const char              *path,
                   SoupWebsocketConnection *ws,
                   gpointer                 user_data)
{
  FakePeer *peer = user_data;

  soup_websocket_connection_set_max_incoming_payload_size (ws, LP_FRAME_DEFAULT_MAX_SIZE);
  g_object_set_data_full (G_OBJECT (ws), "decoder", lp_frame_decoder_new (0),
                          (GDestroyNotify) lp_frame_decoder_free);
  g_signal_connect (ws, "message", G_CALLBACK (on_peer_message), peer);
  g_ptr_array_add (peer->connections, g_object_ref (ws));
}

static FakePeer *
peer_new (void)
{
  FakePeer *peer = g_new0 (FakePeer, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  peer->server = soup_server_new (NULL, NULL);
  peer->connections = g_ptr_array_new_with_free_func (g_object_unref);
  peer->received = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  soup_server_add_websocket_handler (peer->server, "/", NULL, NULL, on_peer_websocket, peer, NULL);
  soup_server_listen_local (peer->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (peer->server);
  peer->url = g_strdup_printf ("ws://127.0.0.1:%d/", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return peer;
}

static SoupWebsocketConnection *
peer_connection (FakePeer *peer)
{
  g_assert_cmpuint (peer->connections->len, >, 0);

  return g_ptr_array_index (peer->connections, peer->connections->len - 1);
}

static void
peer_send (FakePeer   *peer,
           const char *json)
{
  peer_reply (peer_connection (peer), json);
}

static void
peer_send_raw (FakePeer   *peer,
               const char *data,
               gsize       len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);

  soup_websocket_connection_send_message (peer_connection (peer), SOUP_WEBSOCKET_DATA_BINARY, bytes);
}

static JsonObject *
peer_find (FakePeer   *peer,
           const char *method)
{
  for (guint i = 0; i < peer->received->len; i++)
    {
      JsonObject *object = g_ptr_array_index (peer->received, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (object, "method", NULL), method) == 0)
        return object;
    }

  return NULL;
}

static guint
peer_count (FakePeer   *peer,
            const char *method)
{
  guint count = 0;

  for (guint i = 0; i < peer->received->len; i++)
    {
      JsonObject *object = g_ptr_array_index (peer->received, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (object, "method", NULL), method) == 0)
        count++;
    }

  return count;
}

/* Goes away like a stopped Lingma: a close frame, then no listener. */
static void
peer_stop (FakePeer *peer)
{
  soup_server_disconnect (peer->server);

  for (guint i = 0; i < peer->connections->len; i++)
    {
      SoupWebsocketConnection *ws = g_ptr_array_index (peer->connections, i);

      if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "bye");
    }
}

static void
peer_free (FakePeer *peer)
{
  peer_stop (peer);
  /* Let the close handshakes run before the connections go. */
  run_for (20);
  g_ptr_array_unref (peer->connections);
  g_ptr_array_unref (peer->received);
  g_object_unref (peer->server);
  g_free (peer->url);
  g_free (peer);
}

/* A TCP relay in front of the peer that can stop forwarding, which is
 * what a hung Lingma looks like: the socket stays open, nothing answers,
 * not even pings. libsoup always answers pings itself, so the silence
 * has to come from below it. */

typedef struct
{
  GSocketService *service;
  GCancellable   *cancellable;
  guint16         port;
  guint16         target_port;
  gboolean        frozen;
  guint           pumps;
} Relay;

typedef struct
{
  Relay     *relay;
  GIOStream *from;
  GIOStream *to;
  guint8     buffer[16384];
} Pump;

static void pump_read (Pump *pump);

static void
pump_free (Pump *pump)
{
  g_io_stream_close (pump->from, NULL, NULL);
  g_io_stream_close (pump->to, NULL, NULL);
  g_object_unref (pump->from);
  g_object_unref (pump->to);
  pump->relay->pumps--;
  g_free (pump);
}

static void
on_pump_written (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Pump *pump = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, NULL))
    pump_free (pump);
  else
    pump_read (pump);
}

static void
on_pump_read (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pump *pump = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, NULL);

  if (n <= 0)
    pump_free (pump);
  else if (pump->relay->frozen)
    pump_read (pump);
  else
    g_output_stream_write_all_async (g_io_stream_get_output_stream (pump->to), pump->buffer, n,
                                     G_PRIORITY_DEFAULT, pump->relay->cancellable,
                                     on_pump_written, pump);
}

static void
pump_read (Pump *pump)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (pump->from), pump->buffer,
                             sizeof pump->buffer, G_PRIORITY_DEFAULT, pump->relay->cancellable,
                             on_pump_read, pump);
}

static void
pump_start (Relay     *relay,
            GIOStream *from,
            GIOStream *to)
{
  Pump *pump = g_new0 (Pump, 1);

  pump->relay = relay;
  pump->from = g_object_ref (from);
  pump->to = g_object_ref (to);
  relay->pumps++;
  pump_read (pump);
}

static void
on_relay_connected (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GSocketConnection) downstream = user_data;
  g_autoptr(GSocketConnection) upstream = NULL;
  Relay *relay = g_object_get_data (G_OBJECT (downstream), "relay");

  upstream = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (object), result, NULL);
  if (upstream == NULL)
    return;

  pump_start (relay, G_IO_STREAM (downstream), G_IO_STREAM (upstream));
  pump_start (relay, G_IO_STREAM (upstream), G_IO_STREAM (downstream));
}

static gboolean
on_relay_incoming (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source_object,
                   gpointer           user_data)
{
  Relay *relay = user_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();

  g_object_set_data (G_OBJECT (connection), "relay", relay);
  g_socket_client_connect_to_host_async (client, "127.0.0.1", relay->target_port, relay->cancellable,
                                         on_relay_connected, g_object_ref (connection));

  return TRUE;
}

static Relay *
relay_new (const char *target_url)
{
  Relay *relay = g_new0 (Relay, 1);
  g_autoptr(GUri) uri = g_uri_parse (target_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  relay->target_port = g_uri_get_port (uri);
  relay->cancellable = g_cancellable_new ();
  relay->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (relay->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, &error);
  g_assert_no_error (error);
  relay->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (relay->service, "incoming", G_CALLBACK (on_relay_incoming), relay);

  return relay;
}

static void
relay_free (Relay *relay)
{
  g_cancellable_cancel (relay->cancellable);
  g_socket_service_stop (relay->service);
  g_socket_listener_close (G_SOCKET_LISTENER (relay->service));
  WAIT_UNTIL (relay->pumps == 0);
  g_object_unref (relay->service);
  g_object_unref (relay->cancellable);
  g_free (relay);
}

/* The client under test. */

typedef struct
{
  FakePeer    *peer;
  LpIpcClient *client;
  char        *url;            /* what the resolver answers; NULL fails */
  guint        resolves;
  GArray      *states;         /* LpIpcState, every change */
  guint        connected;
  GPtrArray   *disconnects;    /* reasons */
  GPtrArray   *notifications;  /* "method text" from the signal */
} Fixture;

typedef struct
{
  gboolean  done;
  JsonNode *result;
  GError   *error;
} CallResult;

static void
call_result_clear (CallResult *result)
{
  g_clear_pointer (&result->result, json_node_unref);
  g_clear_error (&result->error);
  result->done = FALSE;
}

static void
on_call_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CallResult *call = user_data;

  g_assert_false (call->done);
  call->result = lp_ipc_client_call_finish (LP_IPC_CLIENT (object), result, &call->error);
  g_assert_true ((call->result == NULL) != (call->error == NULL));
  call->done = TRUE;
}

static void
on_connect_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CallResult *call = user_data;

  g_assert_false (call->done);
  if (lp_ipc_client_connect_finish (LP_IPC_CLIENT (object), result, &call->error))
    call->result = json_node_init_boolean (json_node_alloc (), TRUE);
  call->done = TRUE;
}

static char *
resolve (gpointer   user_data,
         GError   **error)
{
  Fixture *fixture = user_data;

  fixture->resolves++;
  if (fixture->url == NULL)
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_NOT_FOUND, "no Lingma info file");
      return NULL;
    }

  return g_strdup (fixture->url);
}

static void
on_state (LpIpcClient *client,
          GParamSpec  *pspec,
          Fixture     *fixture)
{
  LpIpcState state = lp_ipc_client_get_state (client);

  g_array_append_val (fixture->states, state);
}

static void
on_connected (LpIpcClient *client,
              Fixture     *fixture)
{
  g_assert_cmpint (lp_ipc_client_get_state (client), ==, LP_IPC_STATE_CONNECTED);
  fixture->connected++;
}

static void
on_disconnected (LpIpcClient *client,
                 const char  *reason,
                 Fixture     *fixture)
{
  g_ptr_array_add (fixture->disconnects, g_strdup (reason));
}

static char *
describe_notification (const char *method,
                       JsonObject *params)
{
  return g_strdup_printf ("%s %s", method, json_object_get_string_member_with_default (params, "text", "-"));
}

static void
on_notification (LpIpcClient *client,
                 const char  *method,
                 JsonObject  *params,
                 Fixture     *fixture)
{
  g_ptr_array_add (fixture->notifications, describe_notification (method, params));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->peer = peer_new ();
  fixture->url = g_strdup (fixture->peer->url);
  fixture->states = g_array_new (FALSE, FALSE, sizeof (LpIpcState));
  fixture->disconnects = g_ptr_array_new_with_free_func (g_free);
  fixture->notifications = g_ptr_array_new_with_free_func (g_free);

  fixture->client = lp_ipc_client_new ();
  g_object_set (fixture->client, "ping-interval", 1, NULL);
  lp_ipc_client_set_resolver (fixture->client, resolve, fixture, NULL);
  g_signal_connect (fixture->client, "notify::state", G_CALLBACK (on_state), fixture);
  g_signal_connect (fixture->client, "connected", G_CALLBACK (on_connected), fixture);
  g_signal_connect (fixture->client, "disconnected", G_CALLBACK (on_disconnected), fixture);
  g_signal_connect (fixture->client, "notification", G_CALLBACK (on_notification), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  lp_ipc_client_close (fixture->client);
  g_object_add_weak_pointer (G_OBJECT (fixture->client), (gpointer *) &fixture->client);
  g_object_unref (fixture->client);
  /* An abandoned handshake keeps it alive until its callback runs. */
  WAIT_UNTIL (fixture->client == NULL);

  peer_free (fixture->peer);
  g_array_unref (fixture->states);
  g_ptr_array_unref (fixture->disconnects);
  g_ptr_array_unref (fixture->notifications);
  g_free (fixture->url);
}

static void
connect_client (Fixture *fixture)
{
  CallResult call = { 0 };

  lp_ipc_client_connect_async (fixture->client, NULL, on_connect_done, &call);
  WAIT_UNTIL (call.done);
  g_assert_no_error (call.error);
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_CONNECTED);
  call_result_clear (&call);
}

static JsonObject *
make_params (const char *text)
{
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "text", text);

  return params;
}

static void
assert_echo_works (Fixture *fixture)
{
  g_autoptr(JsonObject) params = make_params ("still alive");
  CallResult call = { 0 };

  lp_ipc_client_call_async (fixture->client, "echo", params, 0, NULL, on_call_done, &call);
  WAIT_UNTIL (call.done);
  g_assert_no_error (call.error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (call.result), "text"), ==, "still alive");
  call_result_clear (&call);
}

static gboolean
states_contain (Fixture          *fixture,
                const LpIpcState *sequence,
                guint             n)
{
  guint matched = 0;

  for (guint i = 0; i < fixture->states->len && matched < n; i++)
    {
      if (g_array_index (fixture->states, LpIpcState, i) == sequence[matched])
        matched++;
    }

  return matched == n;
}

static void
test_initialize (Fixture       *fixture,
                 gconstpointer  data)
{
  static const LpIpcState expected[] = { LP_IPC_STATE_CONNECTING, LP_IPC_STATE_CONNECTED };
  CallResult first = { 0 };
  CallResult second = { 0 };
  CallResult call = { 0 };
  JsonObject *init;
  JsonObject *params;
  gint64 now_ms = g_get_real_time () / 1000;

  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_DISCONNECTED);

  /* Two connects and a call while connecting share one attempt. */
  lp_ipc_client_connect_async (fixture->client, NULL, on_connect_done, &first);
  lp_ipc_client_connect_async (fixture->client, NULL, on_connect_done, &second);
  lp_ipc_client_call_async (fixture->client, "echo", NULL, 0, NULL, on_call_done, &call);
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_CONNECTING);

  WAIT_UNTIL (first.done && second.done && call.done);
  g_assert_no_error (first.error);
  g_assert_no_error (second.error);
  g_assert_no_error (call.error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (call.result));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (call.result)), ==, 0);

  g_assert_cmpuint (fixture->resolves, ==, 1);
  g_assert_cmpuint (fixture->connected, ==, 1);
  g_assert_cmpstr (lp_ipc_client_get_url (fixture->client), ==, fixture->peer->url);
  g_assert_true (states_contain (fixture, expected, G_N_ELEMENTS (expected)));
  g_assert_cmpuint (fixture->states->len, ==, 2);

  /* initialize comes first, with id 1, and only once. */
  g_assert_cmpuint (peer_count (fixture->peer, "initialize"), ==, 1);
  init = g_ptr_array_index (fixture->peer->received, 0);
  g_assert_cmpstr (json_object_get_string_member (init, "jsonrpc"), ==, "2.0");
  g_assert_cmpstr (json_object_get_string_member (init, "method"), ==, "initialize");
  g_assert_cmpint (json_object_get_int_member (init, "id"), ==, 1);
  params = json_object_get_object_member (init, "params");
  g_assert_cmpint (json_object_get_int_member (params, "protocolVersion"), ==, 1);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (params, "clientCapabilities")));
  g_assert_cmpint (ABS (json_object_get_int_member (params, "timestamp") - now_ms), <, 60000);

  /* A call without params sends {} and gets the next id. */
  init = g_ptr_array_index (fixture->peer->received, 1);
  g_assert_cmpstr (json_object_get_string_member (init, "method"), ==, "echo");
  g_assert_cmpint (json_object_get_int_member (init, "id"), ==, 2);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (init, "params")), ==, 0);

  call_result_clear (&first);
  call_result_clear (&second);
  call_result_clear (&call);

  /* Connecting again while connected completes at once. */
  connect_client (fixture);
  g_assert_cmpuint (peer_count (fixture->peer, "initialize"), ==, 1);
}

static void
test_out_of_order (Fixture       *fixture,
                   gconstpointer  data)
{
  CallResult a = { 0 };
  CallResult b = { 0 };
  CallResult nothing = { 0 };

  connect_client (fixture);

  lp_ipc_client_call_async (fixture->client, "slow/a", NULL, 0, NULL, on_call_done, &a);
  lp_ipc_client_call_async (fixture->client, "slow/b", NULL, 0, NULL, on_call_done, &b);
  lp_ipc_client_call_async (fixture->client, "null", NULL, 0, NULL, on_call_done, &nothing);
  WAIT_UNTIL (fixture->peer->received->len == 4);
  g_assert_cmpint (json_object_get_int_member (peer_find (fixture->peer, "slow/a"), "id"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (peer_find (fixture->peer, "slow/b"), "id"), ==, 3);

  /* A response nobody waits for is ignored. */
  peer_send (fixture->peer, "{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":\"stray\"}");
  peer_send (fixture->peer, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":\"for b\"}");
  WAIT_UNTIL (b.done);
  g_assert_false (a.done);
  g_assert_no_error (b.error);
  g_assert_cmpstr (json_node_get_string (b.result), ==, "for b");

  peer_send (fixture->peer, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"n\":42}}");
  WAIT_UNTIL (a.done);
  g_assert_no_error (a.error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (a.result), "n"), ==, 42);

  /* A response without a result is a JSON null. */
  WAIT_UNTIL (nothing.done);
  g_assert_no_error (nothing.error);
  g_assert_true (JSON_NODE_HOLDS_NULL (nothing.result));

  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_CONNECTED);

  call_result_clear (&a);
  call_result_clear (&b);
  call_result_clear (&nothing);
}

static void
test_rpc_error (Fixture       *fixture,
                gconstpointer  data)
{
  CallResult call = { 0 };

  lp_ipc_client_call_async (fixture->client, "fail", NULL, 0, NULL, on_call_done, &call);
  WAIT_UNTIL (call.done);
  g_assert_error (call.error, LP_ERROR, LP_ERROR_UPSTREAM);
  g_assert_cmpstr (call.error->message, ==, "Lingma IPC fail failed: model is busy");
  call_result_clear (&call);

  /* The connection is unaffected. */
  assert_echo_works (fixture);
}

static JsonObject *
wait_for_reply (FakePeer *peer,
                guint     index)
{
  JsonObject *reply;

  WAIT_UNTIL (peer->received->len > index);
  reply = g_ptr_array_index (peer->received, index);
  g_assert_false (json_object_has_member (reply, "method"));
  g_assert_false (json_object_has_member (reply, "error"));
  g_assert_cmpstr (json_object_get_string_member (reply, "jsonrpc"), ==, "2.0");
  g_assert_true (json_object_has_member (reply, "result"));
  g_assert_true (json_object_get_null_member (reply, "result"));

  return reply;
}

static void
test_server_requests (Fixture       *fixture,
                      gconstpointer  data)
{
  JsonObject *reply;
  JsonNode *id;

  connect_client (fixture);
  g_assert_cmpuint (fixture->peer->received->len, ==, 1);

  peer_send (fixture->peer, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"fs/readTextFile\",\"params\":{\"path\":\"/x\"}}");
  reply = wait_for_reply (fixture->peer, 1);
  id = json_object_get_member (reply, "id");
  g_assert_cmpuint (json_node_get_value_type (id), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_int (id), ==, 7);

  peer_send (fixture->peer, "{\"jsonrpc\":\"2.0\",\"id\":\"req-x\",\"method\":\"session/request_permission\"}");
  reply = wait_for_reply (fixture->peer, 2);
  id = json_object_get_member (reply, "id");
  g_assert_cmpuint (json_node_get_value_type (id), ==, G_TYPE_STRING);
  g_assert_cmpstr (json_node_get_string (id), ==, "req-x");

  /* A string id that looks like a pending integer id is not a response. */
  assert_echo_works (fixture);
}

typedef struct
{
  GPtrArray *seen;
  gboolean   destroyed;
} Subscriber;

static void
on_subscribed (LpIpcClient *client,
               const char  *method,
               JsonObject  *params,
               gpointer     user_data)
{
  Subscriber *subscriber = user_data;

  g_assert_true (LP_IS_IPC_CLIENT (client));
  g_ptr_array_add (subscriber->seen, describe_notification (method, params));
}

static void
subscriber_destroyed (gpointer user_data)
{
  Subscriber *subscriber = user_data;

  subscriber->destroyed = TRUE;
}

static void
send_update (FakePeer   *peer,
             const char *request_id,
             const char *text)
{
  g_autofree char *json = NULL;

  if (request_id != NULL)
    json = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":"
                            "{\"text\":\"%s\",\"_meta\":{\"ai-coding/request-id\":\"%s\"}}}",
                            text, request_id);
  else
    json = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"text\":\"%s\"}}",
                            text);

  peer_send (peer, json);
}

static void
assert_seen (GPtrArray  *seen,
             const char *expected)
{
  g_autoptr(GString) joined = g_string_new (NULL);

  for (guint i = 0; i < seen->len; i++)
    {
      if (i > 0)
        g_string_append (joined, "|");
      g_string_append (joined, g_ptr_array_index (seen, i));
    }

  g_assert_cmpstr (joined->str, ==, expected);
}

static void
test_routing (Fixture       *fixture,
              gconstpointer  data)
{
  Subscriber a = { g_ptr_array_new_with_free_func (g_free), FALSE };
  Subscriber b = { g_ptr_array_new_with_free_func (g_free), FALSE };
  guint sub_a;
  guint sub_b;

  connect_client (fixture);

  sub_a = lp_ipc_client_subscribe (fixture->client, "serve-1-aaaa", on_subscribed, &a, subscriber_destroyed);
  sub_b = lp_ipc_client_subscribe (fixture->client, "serve-2-bbbb", on_subscribed, &b, subscriber_destroyed);
  g_assert_cmpuint (sub_a, !=, 0);
  g_assert_cmpuint (sub_b, !=, sub_a);

  send_update (fixture->peer, "serve-1-aaaa", "a1");
  send_update (fixture->peer, "serve-2-bbbb", "b1");
  send_update (fixture->peer, "serve-1-aaaa", "a2");
  send_update (fixture->peer, "serve-3-cccc", "c1");
  send_update (fixture->peer, "serve-2-bbbb", "b2");
  send_update (fixture->peer, NULL, "bare");
  peer_send (fixture->peer, "{\"jsonrpc\":\"2.0\",\"method\":\"$/progress\"}");
  peer_send (fixture->peer, "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":{\"_meta\":{\"ai-coding/request-id\":5}}}");
  send_update (fixture->peer, "serve-2-bbbb", "b3");

  WAIT_UNTIL (b.seen->len == 3);
  assert_seen (a.seen, "session/update a1|session/update a2");
  assert_seen (b.seen, "session/update b1|session/update b2|session/update b3");
  assert_seen (fixture->notifications, "session/update c1|session/update bare|$/progress -|x -");

  /* After unsubscribing, the id is nobody's. */
  lp_ipc_client_unsubscribe (fixture->client, sub_a);
  g_assert_true (a.destroyed);
  g_assert_false (b.destroyed);
  send_update (fixture->peer, "serve-1-aaaa", "a3");
  send_update (fixture->peer, "serve-2-bbbb", "b4");
  WAIT_UNTIL (b.seen->len == 4);
  g_assert_cmpuint (a.seen->len, ==, 2);
  g_assert_cmpuint (fixture->notifications->len, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (fixture->notifications, 4), ==, "session/update a3");

  /* Dispose drops the remaining subscription. */
  lp_ipc_client_close (fixture->client);
  g_object_add_weak_pointer (G_OBJECT (fixture->client), (gpointer *) &fixture->client);
  g_object_unref (fixture->client);
  WAIT_UNTIL (fixture->client == NULL);
  g_assert_true (b.destroyed);
  fixture->client = lp_ipc_client_new ();

  g_ptr_array_unref (a.seen);
  g_ptr_array_unref (b.seen);
}

static void
test_message_splitting (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *first = "{\"jsonrpc\":\"2.0\",\"method\":\"one\",\"params\":{\"text\":\"1\"}}";
  const char *second = "{\"jsonrpc\":\"2.0\",\"method\":\"two\",\"params\":{\"text\":\"通义\"}}";
  g_autoptr(GBytes) frame_a = lp_frame_encode (first, -1);
  g_autoptr(GBytes) frame_b = lp_frame_encode (second, -1);
  g_autoptr(GByteArray) joined = g_byte_array_new ();
  const char *data_b;
  gsize len_b;

  connect_client (fixture);

  /* Two frames in one WebSocket message. */
  g_byte_array_append (joined, g_bytes_get_data (frame_a, NULL), g_bytes_get_size (frame_a));
  g_byte_array_append (joined, g_bytes_get_data (frame_b, NULL), g_bytes_get_size (frame_b));
  peer_send_raw (fixture->peer, (const char *) joined->data, joined->len);
  WAIT_UNTIL (fixture->notifications->len == 2);
  assert_seen (fixture->notifications, "one 1|two 通义");

  /* One frame over three messages: the header is cut, and so is a
   * multibyte character in the body. */
  data_b = g_bytes_get_data (frame_b, &len_b);
  peer_send_raw (fixture->peer, data_b, 10);
  peer_send_raw (fixture->peer, data_b + 10, len_b - 22);
  run_for (50);
  g_assert_cmpuint (fixture->notifications->len, ==, 2);
  peer_send_raw (fixture->peer, data_b + len_b - 12, 12);
  WAIT_UNTIL (fixture->notifications->len == 3);
  g_assert_cmpstr (g_ptr_array_index (fixture->notifications, 2), ==, "two 通义");

  assert_echo_works (fixture);
}

static void
test_bad_json (Fixture       *fixture,
               gconstpointer  data)
{
  connect_client (fixture);

  g_test_expect_message ("lp-ipc-client", G_LOG_LEVEL_WARNING, "*not JSON*");
  g_test_expect_message ("lp-ipc-client", G_LOG_LEVEL_WARNING, "*not a JSON object*");
  peer_send (fixture->peer, "{\"jsonrpc\":");
  peer_send (fixture->peer, "[1,2,3]");
  /* Members of the wrong kind are ignored without a word. */
  peer_send (fixture->peer, "{\"method\":{},\"id\":[],\"params\":7,\"error\":\"x\"}");
  peer_send (fixture->peer, "{\"id\":1.5,\"result\":1}");

  /* The connection survives and keeps its order. */
  assert_echo_works (fixture);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (fixture->disconnects->len, ==, 0);
}

static void
test_oversized (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *big = g_strnfill (4000, 'x');
  CallResult call = { 0 };

  g_object_set (fixture->client, "max-frame-size", (guint64) 1024, NULL);
  connect_client (fixture);

  /* The header alone says it is too big: nothing more is buffered. */
  lp_ipc_client_call_async (fixture->client, "slow", NULL, 0, NULL, on_call_done, &call);
  WAIT_UNTIL (peer_find (fixture->peer, "slow") != NULL);
  {
    const char *header = "Content-Length: 5000\r\n\r\n{\"jsonrpc\"";

    peer_send_raw (fixture->peer, header, strlen (header));
  }
  WAIT_UNTIL (call.done);
  g_assert_error (call.error, LP_ERROR, LP_ERROR_UNAVAILABLE);
  g_assert_cmpstr (call.error->message, ==,
                   "Lingma IPC connection lost: invalid frame from Lingma: "
                   "frame of 5000 bytes exceeds the 1024 byte limit");
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_FAILED);
  g_assert_cmpstr (lp_ipc_client_get_last_error (fixture->client), ==,
                   "invalid frame from Lingma: frame of 5000 bytes exceeds the 1024 byte limit");
  g_assert_cmpuint (fixture->disconnects->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->disconnects, 0), ==,
                   lp_ipc_client_get_last_error (fixture->client));
  call_result_clear (&call);

  /* A WebSocket message beyond the cap is refused by libsoup itself. */
  connect_client (fixture);
  peer_send_raw (fixture->peer, big, strlen (big));
  WAIT_UNTIL (lp_ipc_client_get_state (fixture->client) != LP_IPC_STATE_CONNECTED);
  g_assert_nonnull (strstr (lp_ipc_client_get_last_error (fixture->client), "max-incoming-payload-size"));

  /* Garbage without a header end is bounded too. */
  connect_client (fixture);
  peer_send_raw (fixture->peer, big, LP_FRAME_MAX_HEADER_SIZE + 1);
  WAIT_UNTIL (lp_ipc_client_get_state (fixture->client) != LP_IPC_STATE_CONNECTED);
  g_assert_nonnull (strstr (lp_ipc_client_get_last_error (fixture->client), "no frame header end"));
  g_assert_cmpuint (fixture->disconnects->len, ==, 3);
}

static void
test_large_frame (Fixture       *fixture,
                  gconstpointer  data)
{
  /* Beyond libsoup's default 128 KiB message limit. */
  g_autofree char *text = g_strnfill (300 * 1024, 'z');
  g_autoptr(JsonObject) params = make_params (text);
  CallResult call = { 0 };

  lp_ipc_client_call_async (fixture->client, "echo", params, 0, NULL, on_call_done, &call);
  WAIT_UNTIL (call.done);
  g_assert_no_error (call.error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (call.result), "text"), ==, text);
  call_result_clear (&call);
}

static void
test_ping_timeout (Fixture       *fixture,
                   gconstpointer  data)
{
  Relay *relay = relay_new (fixture->peer->url);
  gint64 frozen_at;
  gint64 noticed_after;

  g_free (fixture->url);
  fixture->url = g_strdup_printf ("ws://127.0.0.1:%u/", relay->port);
  connect_client (fixture);

  /* Pongs keep an idle connection up well past the deadline it would
   * otherwise hit. */
  run_for (4500);
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_CONNECTED);
  g_assert_cmpuint (fixture->disconnects->len, ==, 0);
  g_assert_cmpuint (fixture->connected, ==, 1);

  relay->frozen = TRUE;
  frozen_at = g_get_monotonic_time ();
  WAIT_UNTIL (lp_ipc_client_get_state (fixture->client) != LP_IPC_STATE_CONNECTED);
  noticed_after = g_get_monotonic_time () - frozen_at;

  g_test_message ("dead peer noticed after %" G_GINT64_FORMAT " ms", noticed_after / 1000);
  g_assert_cmpint (noticed_after, >=, 1 * G_USEC_PER_SEC);
  g_assert_cmpint (noticed_after, <, 3500 * 1000);
  g_assert_cmpstr (lp_ipc_client_get_last_error (fixture->client), ==, "Lingma stopped answering pings");
  g_assert_cmpuint (fixture->disconnects->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->disconnects, 0), ==, "Lingma stopped answering pings");

  lp_ipc_client_close (fixture->client);
  relay_free (relay);
}

static void
test_timeout (Fixture       *fixture,
              gconstpointer  data)
{
  CallResult call = { 0 };
  gint64 id;

  connect_client (fixture);

  lp_ipc_client_call_async (fixture->client, "slow", NULL, 100, NULL, on_call_done, &call);
  WAIT_UNTIL (call.done);
  g_assert_error (call.error, LP_ERROR, LP_ERROR_TIMEOUT);
  g_assert_cmpstr (call.error->message, ==, "Lingma IPC slow timed out after 100 ms");
  call_result_clear (&call);

  /* The late answer finds nobody waiting. */
  id = json_object_get_int_member (peer_find (fixture->peer, "slow"), "id");
  {
    g_autofree char *late = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT ",\"result\":1}", id);

    peer_send (fixture->peer, late);
  }
  assert_echo_works (fixture);

  /* A call answered in time is not failed by its deadline later. */
  lp_ipc_client_call_async (fixture->client, "echo", NULL, 200, NULL, on_call_done, &call);
  WAIT_UNTIL (call.done);
  g_assert_no_error (call.error);
  run_for (300);
  call_result_clear (&call);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) early = g_cancellable_new ();
  g_autofree char *late = NULL;
  CallResult call = { 0 };
  CallResult waiting = { 0 };

  /* Cancelled while still waiting for the connection. */
  lp_ipc_client_call_async (fixture->client, "echo", NULL, 0, early, on_call_done, &waiting);
  g_cancellable_cancel (early);
  WAIT_UNTIL (waiting.done);
  g_assert_error (waiting.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  call_result_clear (&waiting);

  connect_client (fixture);

  lp_ipc_client_call_async (fixture->client, "slow", NULL, 0, cancellable, on_call_done, &call);
  WAIT_UNTIL (peer_find (fixture->peer, "slow") != NULL);
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (call.done);
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  call_result_clear (&call);

  /* The late answer finds nobody waiting. */
  late = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT ",\"result\":1}",
                          json_object_get_int_member (peer_find (fixture->peer, "slow"), "id"));
  peer_send (fixture->peer, late);
  assert_echo_works (fixture);
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_CONNECTED);
}

static void
test_reconnect (Fixture       *fixture,
                gconstpointer  data)
{
  static const LpIpcState expected[] = {
    LP_IPC_STATE_CONNECTED, LP_IPC_STATE_FAILED, LP_IPC_STATE_CONNECTING,
    LP_IPC_STATE_FAILED, LP_IPC_STATE_CONNECTING, LP_IPC_STATE_CONNECTED,
  };
  FakePeer *second = NULL;
  FakePeer *third = NULL;
  CallResult pending = { 0 };
  CallResult call = { 0 };
  guint resolves;

  connect_client (fixture);
  lp_ipc_client_call_async (fixture->client, "slow", NULL, 0, NULL, on_call_done, &pending);
  WAIT_UNTIL (peer_find (fixture->peer, "slow") != NULL);

  /* Lingma quits: the pending call fails with the reason. */
  peer_stop (fixture->peer);
  WAIT_UNTIL (pending.done);
  g_assert_error (pending.error, LP_ERROR, LP_ERROR_UNAVAILABLE);
  g_assert_cmpstr (pending.error->message, ==, "Lingma IPC connection lost: Lingma closed the connection (code 1001: bye)");
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_FAILED);
  g_assert_cmpuint (fixture->disconnects->len, ==, 1);
  call_result_clear (&pending);

  /* The background retry finds nobody at the old port... */
  resolves = fixture->resolves;
  WAIT_UNTIL (fixture->resolves > resolves && lp_ipc_client_get_state (fixture->client) == LP_IPC_STATE_FAILED);
  g_assert_true (g_str_has_prefix (lp_ipc_client_get_last_error (fixture->client), "could not connect to Lingma at "));

  /* ...and, asking the resolver again, finds it restarted elsewhere. */
  second = peer_new ();
  g_free (fixture->url);
  fixture->url = g_strdup (second->url);
  WAIT_UNTIL (lp_ipc_client_get_state (fixture->client) == LP_IPC_STATE_CONNECTED);
  g_assert_cmpstr (lp_ipc_client_get_url (fixture->client), ==, second->url);
  g_assert_true (states_contain (fixture, expected, G_N_ELEMENTS (expected)));
  g_assert_cmpuint (fixture->connected, ==, 2);
  g_assert_cmpuint (peer_count (second, "initialize"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (peer_find (second, "initialize"), "id"), ==, 1);

  /* A call while disconnected does not wait for the backoff. */
  peer_stop (second);
  WAIT_UNTIL (lp_ipc_client_get_state (fixture->client) == LP_IPC_STATE_FAILED);
  third = peer_new ();
  g_free (fixture->url);
  fixture->url = g_strdup (third->url);
  resolves = fixture->resolves;
  lp_ipc_client_call_async (fixture->client, "echo", NULL, 0, NULL, on_call_done, &call);
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_CONNECTING);
  g_assert_cmpuint (fixture->resolves, ==, resolves + 1);
  WAIT_UNTIL (call.done);
  g_assert_no_error (call.error);
  g_assert_cmpuint (peer_count (third, "echo"), ==, 1);
  call_result_clear (&call);

  peer_free (second);
  peer_free (third);
}

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = NULL;
  CallResult call = { 0 };
  guint16 port;
  guint resolves;

  /* A port nobody listens on. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);

  g_free (fixture->url);
  fixture->url = g_strdup_printf ("ws://127.0.0.1:%u/", port);
  prefix = g_strdup_printf ("could not connect to Lingma at %s: ", fixture->url);

  lp_ipc_client_call_async (fixture->client, "echo", NULL, 0, NULL, on_call_done, &call);
  WAIT_UNTIL (call.done);
  g_assert_error (call.error, LP_ERROR, LP_ERROR_UNAVAILABLE);
  g_assert_true (g_str_has_prefix (call.error->message, prefix));
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_FAILED);
  g_assert_cmpstr (lp_ipc_client_get_last_error (fixture->client), ==, call.error->message);
  g_assert_cmpuint (fixture->connected, ==, 0);
  g_assert_cmpuint (fixture->disconnects->len, ==, 0);
  call_result_clear (&call);

  /* Never connected, nothing lost: no background retries. */
  resolves = fixture->resolves;
  run_for (400);
  g_assert_cmpuint (fixture->resolves, ==, resolves);

  /* The resolver failing. */
  g_clear_pointer (&fixture->url, g_free);
  lp_ipc_client_connect_async (fixture->client, NULL, on_connect_done, &call);
  WAIT_UNTIL (call.done);
  g_assert_error (call.error, LP_ERROR, LP_ERROR_UNAVAILABLE);
  g_assert_cmpstr (call.error->message, ==, "could not connect to Lingma: no Lingma info file");
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_FAILED);
  call_result_clear (&call);

  /* Not a WebSocket URL. */
  fixture->url = g_strdup ("http://127.0.0.1:1/");
  lp_ipc_client_connect_async (fixture->client, NULL, on_connect_done, &call);
  WAIT_UNTIL (call.done);
  g_assert_error (call.error, LP_ERROR, LP_ERROR_UNAVAILABLE);
  g_assert_cmpstr (call.error->message, ==, "could not connect to Lingma at http://127.0.0.1:1/: not a ws:// URL");
  call_result_clear (&call);
}

static void
test_close (Fixture       *fixture,
            gconstpointer  data)
{
  CallResult call = { 0 };
  guint resolves;

  connect_client (fixture);
  lp_ipc_client_call_async (fixture->client, "slow", NULL, 0, NULL, on_call_done, &call);
  WAIT_UNTIL (peer_find (fixture->peer, "slow") != NULL);

  lp_ipc_client_close (fixture->client);
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_DISCONNECTED);
  WAIT_UNTIL (call.done);
  g_assert_error (call.error, LP_ERROR, LP_ERROR_UNAVAILABLE);
  g_assert_cmpstr (call.error->message, ==, "Lingma IPC connection closed");
  g_assert_cmpuint (fixture->disconnects->len, ==, 1);
  call_result_clear (&call);

  /* Closed on purpose: no reconnecting. */
  resolves = fixture->resolves;
  run_for (600);
  g_assert_cmpuint (fixture->resolves, ==, resolves);
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_DISCONNECTED);

  /* The next call connects again. */
  assert_echo_works (fixture);
  g_assert_cmpuint (fixture->connected, ==, 2);

  /* Closing in the middle of an attempt fails its waiters. */
  lp_ipc_client_close (fixture->client);
  lp_ipc_client_call_async (fixture->client, "echo", NULL, 0, NULL, on_call_done, &call);
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_CONNECTING);
  lp_ipc_client_close (fixture->client);
  WAIT_UNTIL (call.done);
  g_assert_error (call.error, LP_ERROR, LP_ERROR_UNAVAILABLE);
  call_result_clear (&call);
  run_for (100);
  g_assert_cmpint (lp_ipc_client_get_state (fixture->client), ==, LP_IPC_STATE_DISCONNECTED);
}

static void
test_notify (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(JsonObject) params = make_params ("stop");
  g_autoptr(GError) error = NULL;
  JsonObject *sent;

  g_assert_false (lp_ipc_client_notify (fixture->client, "session/cancel", params, &error));
  g_assert_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  connect_client (fixture);
  g_assert_true (lp_ipc_client_notify (fixture->client, "session/cancel", params, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (peer_find (fixture->peer, "session/cancel") != NULL);

  sent = peer_find (fixture->peer, "session/cancel");
  g_assert_false (json_object_has_member (sent, "id"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (sent, "params"), "text"), ==, "stop");
}

static void
test_invalid_utf8 (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) params = make_params ("bad \xff byte");
  g_autoptr(GError) error = NULL;
  CallResult call = { 0 };

  connect_client (fixture);

  lp_ipc_client_call_async (fixture->client, "echo", params, 0, NULL, on_call_done, &call);
  WAIT_UNTIL (call.done);
  g_assert_error (call.error, LP_ERROR, LP_ERROR_INVALID_REQUEST);
  call_result_clear (&call);

  g_assert_false (lp_ipc_client_notify (fixture->client, "session/cancel", params, &error));
  g_assert_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST);

  assert_echo_works (fixture);
}

static void
test_properties (void)
{
  g_autoptr(LpIpcClient) client = lp_ipc_client_new ();
  g_autofree char *url = NULL;
  g_autofree char *last_error = NULL;
  guint64 max_frame_size;
  guint ping_interval;
  LpIpcState state;

  g_object_get (client,
                "url", &url,
                "last-error", &last_error,
                "state", &state,
                "max-frame-size", &max_frame_size,
                "ping-interval", &ping_interval,
                NULL);
  g_assert_null (url);
  g_assert_null (last_error);
  g_assert_cmpint (state, ==, LP_IPC_STATE_DISCONNECTED);
  g_assert_cmpuint (max_frame_size, ==, LP_FRAME_DEFAULT_MAX_SIZE);
  g_assert_cmpuint (ping_interval, ==, 15);

  g_assert_cmpstr (lp_ipc_state_to_string (LP_IPC_STATE_CONNECTED), ==, "connected");
  g_assert_cmpstr (lp_ipc_state_to_string (LP_IPC_STATE_FAILED), ==, "failed");
  g_assert_cmpstr (g_enum_get_value (g_type_class_peek (LP_TYPE_IPC_STATE), LP_IPC_STATE_CONNECTING)->value_nick,
                   ==, "connecting");

  /* Without a resolver there is nowhere to connect to. */
  {
    CallResult call = { 0 };

    lp_ipc_client_connect_async (client, NULL, on_connect_done, &call);
    WAIT_UNTIL (call.done);
    g_assert_error (call.error, LP_ERROR, LP_ERROR_UNAVAILABLE);
    call_result_clear (&call);
  }
}

#define ADD(path, func) \
  g_test_add ("/ipc-client/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ipc-client/properties", test_properties);
  ADD ("initialize", test_initialize);
  ADD ("out-of-order", test_out_of_order);
  ADD ("rpc-error", test_rpc_error);
  ADD ("server-requests", test_server_requests);
  ADD ("routing", test_routing);
  ADD ("message-splitting", test_message_splitting);
  ADD ("bad-json", test_bad_json);
  ADD ("oversized", test_oversized);
  ADD ("large-frame", test_large_frame);
  ADD ("ping-timeout", test_ping_timeout);
  ADD ("timeout", test_timeout);
  ADD ("cancel", test_cancel);
  ADD ("reconnect", test_reconnect);
  ADD ("refused", test_refused);
  ADD ("close", test_close);
  ADD ("notify", test_notify);
  ADD ("invalid-utf8", test_invalid_utf8);

  return g_test_run ();
}
