/* sim-connection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <string.h>

#include "lp-frame.h"
#include "sim-connection.h"
#include "sim-json.h"
#include "sim-methods.h"
#include "sim-server.h"

#define MAX_INCOMING_PAYLOAD (64 * 1024 * 1024)
/* A WebSocket close reason must fit in a control frame. */
#define MAX_CLOSE_REASON     100
#define FIRST_SERVER_REQUEST_ID 1000

struct _SimConnection
{
  SimServer               *server;
  SoupWebsocketConnection *ws;
  LpFrameDecoder          *decoder;
  GHashTable              *server_requests;  /* id as text → method */
  GByteArray              *held;             /* frames waiting to be joined (--split-frames) */
  guint                    flush_source;
  guint                    n_frames_sent;
  guint                    n_server_requests;
  gboolean                 initialized;
  gboolean                 aborted;
};

static gboolean
can_send (SimConnection *self)
{
  return !self->aborted &&
         soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

static void
send_message (SimConnection *self,
              const guint8  *data,
              gsize          len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);

  soup_websocket_connection_send_message (self->ws, SOUP_WEBSOCKET_DATA_TEXT, bytes);
}

static void
flush_held (SimConnection *self)
{
  g_clear_handle_id (&self->flush_source, g_source_remove);

  if (self->held->len > 0 && can_send (self))
    send_message (self, self->held->data, self->held->len);
  g_byte_array_set_size (self->held, 0);
}

static gboolean
flush_held_cb (gpointer user_data)
{
  SimConnection *self = user_data;

  self->flush_source = 0;
  flush_held (self);

  return G_SOURCE_REMOVE;
}

/* Where to cut a frame in two: alternately inside the header and in the
 * middle of the body, never inside a UTF-8 sequence (text messages must
 * stay valid UTF-8 on their own). */
static gsize
split_point (const guint8 *data,
             gsize         len,
             gboolean      in_header)
{
  const guint8 *body = (const guint8 *) g_strstr_len ((const char *) data, len, "\r\n\r\n");
  const guint8 *p;

  g_assert (body != NULL);
  body += 4;

  if (in_header || body == data + len)
    return strlen ("Content");

  p = body + (data + len - body) / 2;
  while (p > body && (*p & 0xC0) == 0x80)
    p--;

  return p > body ? (gsize) (p - data) : (gsize) (body - data);
}

static void
send_frame (SimConnection *self,
            GBytes        *frame)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (frame, &len);
  guint n = self->n_frames_sent++;

  if (!can_send (self))
    return;

  if (!sim_server_get_config (self->server)->split_frames)
    {
      send_message (self, data, len);
      return;
    }

  /* Cycle through: split in two messages, held back, joined with the held one. */
  switch (n % 3)
    {
    case 0:
      {
        gsize cut = split_point (data, len, (n / 3) % 2 == 0);

        flush_held (self);
        send_message (self, data, cut);
        send_message (self, data + cut, len - cut);
      }
      break;

    case 1:
      g_byte_array_append (self->held, data, len);
      if (self->flush_source == 0)
        self->flush_source = g_idle_add (flush_held_cb, self);
      break;

    default:
      g_byte_array_append (self->held, data, len);
      flush_held (self);
      break;
    }
}

static void
send_node (SimConnection *self,
           JsonNode      *message)
{
  g_autofree char *body = json_to_string (message, FALSE);
  g_autoptr(GBytes) frame = lp_frame_encode (body, -1);

  send_frame (self, frame);
}

static JsonObject *
new_envelope (void)
{
  JsonObject *envelope = json_object_new ();

  json_object_set_string_member (envelope, "jsonrpc", "2.0");

  return envelope;
}

static void
send_envelope (SimConnection *self,
               JsonObject    *envelope)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), envelope);

  send_node (self, node);
}

/**
 * sim_connection_send_result:
 * @id: (nullable): the request id; %NULL for a notification, which gets
 *   no answer
 * @result: (transfer full) (nullable): %NULL for a JSON null result
 */
void
sim_connection_send_result (SimConnection *self,
                            JsonNode      *id,
                            JsonNode      *result)
{
  g_autoptr(JsonObject) envelope = NULL;
  g_autoptr(JsonNode) owned_result = result;

  g_return_if_fail (self != NULL);

  if (id == NULL)
    return;

  envelope = new_envelope ();
  json_object_set_member (envelope, "id", json_node_copy (id));
  json_object_set_member (envelope, "result",
                          owned_result != NULL ? g_steal_pointer (&owned_result) : json_node_new (JSON_NODE_NULL));
  send_envelope (self, envelope);
}

/**
 * sim_connection_send_error:
 * @id: (nullable): the request id; %NULL for a notification, except for
 *   the errors JSON-RPC answers with a null id (parse error, invalid request)
 */
void
sim_connection_send_error (SimConnection *self,
                           JsonNode      *id,
                           int            code,
                           const char    *message)
{
  g_autoptr(JsonObject) envelope = NULL;
  JsonObject *error;

  g_return_if_fail (self != NULL);
  g_return_if_fail (message != NULL);

  if (id == NULL && code != SIM_RPC_PARSE_ERROR && code != SIM_RPC_INVALID_REQUEST)
    return;

  error = json_object_new ();
  json_object_set_int_member (error, "code", code);
  json_object_set_string_member (error, "message", message);

  envelope = new_envelope ();
  json_object_set_member (envelope, "id", id != NULL ? json_node_copy (id) : json_node_new (JSON_NODE_NULL));
  json_object_set_object_member (envelope, "error", error);
  send_envelope (self, envelope);
}

/**
 * sim_connection_send_notification:
 * @params: (transfer full)
 */
void
sim_connection_send_notification (SimConnection *self,
                                  const char    *method,
                                  JsonObject    *params)
{
  g_autoptr(JsonObject) envelope = new_envelope ();

  g_return_if_fail (self != NULL);
  g_return_if_fail (method != NULL);
  g_return_if_fail (params != NULL);

  json_object_set_string_member (envelope, "method", method);
  json_object_set_object_member (envelope, "params", params);
  send_envelope (self, envelope);
}

/**
 * sim_connection_send_request:
 * @params: (transfer full)
 *
 * Sends a server→client request. Ids alternate between integers and
 * strings, both valid JSON-RPC, so clients must cope with either.
 */
void
sim_connection_send_request (SimConnection *self,
                             const char    *method,
                             JsonObject    *params)
{
  g_autoptr(JsonObject) envelope = new_envelope ();
  guint n;

  g_return_if_fail (self != NULL);
  g_return_if_fail (method != NULL);
  g_return_if_fail (params != NULL);

  n = FIRST_SERVER_REQUEST_ID + self->n_server_requests++;
  if (n % 2 == 0)
    {
      json_object_set_int_member (envelope, "id", n);
      g_hash_table_insert (self->server_requests, g_strdup_printf ("%u", n), g_strdup (method));
    }
  else
    {
      g_autofree char *id = g_strdup_printf ("sim-%u", n);

      json_object_set_string_member (envelope, "id", id);
      g_hash_table_insert (self->server_requests, g_strdup_printf ("\"%s\"", id), g_strdup (method));
    }
  json_object_set_string_member (envelope, "method", method);
  json_object_set_object_member (envelope, "params", params);
  send_envelope (self, envelope);
}

/* Simulates a crash: the TCP connection goes away without a close frame. */
void
sim_connection_abort (SimConnection *self)
{
  g_return_if_fail (self != NULL);

  if (self->aborted)
    return;

  g_message ("dropping a connection abruptly, as scripted");
  self->aborted = TRUE;
  g_io_stream_close (soup_websocket_connection_get_io_stream (self->ws), NULL, NULL);
}

static void
handle_response (SimConnection *self,
                 JsonObject    *message)
{
  g_autofree char *key = json_to_string (json_object_get_member (message, "id"), FALSE);
  const char *method = g_hash_table_lookup (self->server_requests, key);
  JsonNode *result = json_object_get_member (message, "result");

  if (method == NULL)
    {
      g_message ("response to unknown request id %s", key);
      return;
    }

  if (json_object_has_member (message, "error") || result == NULL || !JSON_NODE_HOLDS_NULL (result))
    g_message ("server request %s (%s) got an unexpected answer", key, method);
  else
    g_message ("server request %s (%s) answered with a null result", key, method);

  g_hash_table_remove (self->server_requests, key);
}

static gboolean
is_valid_id (JsonNode *id)
{
  if (!JSON_NODE_HOLDS_VALUE (id))
    return FALSE;

  return json_node_get_value_type (id) == G_TYPE_INT64 ||
         json_node_get_value_type (id) == G_TYPE_STRING;
}

static void
handle_message (SimConnection *self,
                JsonNode      *node)
{
  g_autoptr(JsonObject) no_params = NULL;
  JsonObject *message;
  JsonNode *id;
  JsonNode *method;
  JsonNode *params;
  const char *jsonrpc;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      sim_connection_send_error (self, NULL, SIM_RPC_INVALID_REQUEST, "invalid request: not an object");
      return;
    }

  message = json_node_get_object (node);
  id = json_object_get_member (message, "id");
  method = json_object_get_member (message, "method");
  params = json_object_get_member (message, "params");
  jsonrpc = sim_json_get_string (message, "jsonrpc");

  if (id != NULL && JSON_NODE_HOLDS_NULL (id))
    id = NULL;

  if (g_strcmp0 (jsonrpc, "2.0") != 0 || (id != NULL && !is_valid_id (id)))
    {
      sim_connection_send_error (self, id != NULL && is_valid_id (id) ? id : NULL,
                                 SIM_RPC_INVALID_REQUEST,
                                 "invalid request: needs \"jsonrpc\":\"2.0\" and an integer or string id");
      return;
    }

  if (method == NULL)
    {
      if (id != NULL && (json_object_has_member (message, "result") ||
                         json_object_has_member (message, "error")))
        handle_response (self, message);
      else
        sim_connection_send_error (self, id, SIM_RPC_INVALID_REQUEST, "invalid request: no method");
      return;
    }

  if (!JSON_NODE_HOLDS_VALUE (method) || json_node_get_value_type (method) != G_TYPE_STRING)
    {
      sim_connection_send_error (self, id, SIM_RPC_INVALID_REQUEST, "invalid request: method is not a string");
      return;
    }

  if (params != NULL && !JSON_NODE_HOLDS_OBJECT (params))
    {
      sim_connection_send_error (self, id, SIM_RPC_INVALID_PARAMS, "params must be an object");
      return;
    }

  if (params == NULL)
    no_params = json_object_new ();

  sim_methods_dispatch (self, json_node_get_string (method), id,
                        params != NULL ? json_node_get_object (params) : no_params);
}

static void
handle_frame (SimConnection *self,
              GBytes        *body)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  SimFrameLog *frame_log = sim_server_get_config (self->server)->frame_log;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  JsonNode *root = NULL;

  if (json_parser_load_from_data (parser, data != NULL ? data : "", len, &error))
    root = json_parser_get_root (parser);

  if (frame_log != NULL)
    sim_frame_log_append (frame_log, root, body);

  if (root == NULL)
    {
      g_autofree char *message = g_strdup_printf ("parse error: %s",
                                                  error != NULL ? error->message : "empty frame");

      sim_connection_send_error (self, NULL, SIM_RPC_PARSE_ERROR, message);
      return;
    }

  handle_message (self, root);
}

static void
on_message (SoupWebsocketConnection *ws,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  SimConnection *self = user_data;
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);

  lp_frame_decoder_push (self->decoder, data, len);

  while (can_send (self))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) body = lp_frame_decoder_pop (self->decoder, &error);

      if (error != NULL)
        {
          g_autofree char *reason =
            g_utf8_substring (error->message, 0, MIN (g_utf8_strlen (error->message, -1), MAX_CLOSE_REASON));

          g_message ("closing a connection: %s", error->message);
          soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR, reason);
          return;
        }

      if (body == NULL)
        return;

      handle_frame (self, body);
    }
}

static void
on_error (SoupWebsocketConnection *ws,
          GError                  *error,
          gpointer                 user_data)
{
  g_message ("connection error: %s", error->message);
}

static void
on_closed (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  SimConnection *self = user_data;

  if (g_hash_table_size (self->server_requests) > 0)
    g_message ("a connection closed with %u server requests unanswered",
               g_hash_table_size (self->server_requests));

  sim_server_connection_closed (self->server, self);
}

SimConnection *
sim_connection_new (SimServer               *server,
                    SoupWebsocketConnection *ws)
{
  SimConnection *self;

  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (SOUP_IS_WEBSOCKET_CONNECTION (ws), NULL);

  self = g_new0 (SimConnection, 1);
  self->server = server;
  self->ws = g_object_ref (ws);
  self->decoder = lp_frame_decoder_new (LP_FRAME_DEFAULT_MAX_SIZE);
  self->server_requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->held = g_byte_array_new ();

  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_INCOMING_PAYLOAD);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), self);
  g_signal_connect (ws, "error", G_CALLBACK (on_error), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), self);

  return self;
}

void
sim_connection_free (SimConnection *self)
{
  if (self == NULL)
    return;

  g_clear_handle_id (&self->flush_source, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->ws, self);
  if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_clear_object (&self->ws);
  g_clear_pointer (&self->decoder, lp_frame_decoder_free);
  g_clear_pointer (&self->server_requests, g_hash_table_unref);
  g_clear_pointer (&self->held, g_byte_array_unref);
  g_free (self);
}

SimServer *
sim_connection_get_server (SimConnection *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->server;
}

gboolean
sim_connection_get_initialized (SimConnection *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->initialized;
}

void
sim_connection_set_initialized (SimConnection *self)
{
  g_return_if_fail (self != NULL);

  self->initialized = TRUE;
}
