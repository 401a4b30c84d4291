/* lp-ipc-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-ipc-client"

#include "config.h"

#include <libsoup/soup.h>

#include "lp-error.h"
#include "lp-frame.h"
#include "lp-ipc-client.h"
#include "lp-json.h"

#define HANDSHAKE_TIMEOUT_SECONDS 5
#define INITIALIZE_TIMEOUT_MS     10000
#define RECONNECT_DELAY_MIN_MS    250
#define RECONNECT_DELAY_MAX_MS    8000
#define DEFAULT_PING_INTERVAL     15
#define CLOSED_MESSAGE            "Lingma IPC connection closed"

struct _LpIpcClient
{
  GObject                  parent_instance;

  GMainContext            *context;
  SoupSession             *session;

  LpIpcResolveFunc         resolve_func;
  gpointer                 resolve_data;
  GDestroyNotify           resolve_destroy;

  char                    *url;
  char                    *last_error;
  LpIpcState               state;
  guint64                  max_frame_size;
  guint                    ping_interval;

  /* The attempt in flight: WebSocket handshake, then initialize. The
   * serial lets a late callback of an abandoned attempt recognise itself. */
  guint                    attempt;
  gboolean                 connecting;
  GCancellable            *handshake_cancellable;
  GSource                 *handshake_timeout;

  SoupWebsocketConnection *ws;
  LpFrameDecoder          *decoder;
  char                    *ws_error;
  gint64                   next_id;
  gint64                   last_pong_us;
  GSource                 *ping_watchdog;

  GHashTable              *pending;       /* gint64 *id → GTask, owned */
  GQueue                   waiting;       /* GTask, owned: requests waiting for CONNECTED */

  GHashTable              *subscriptions; /* GUINT_TO_POINTER (id) → Subscription, owned */
  GHashTable              *routes;        /* request id → Subscription */
  guint                    last_subscription_id;

  /* Set by an unexpected loss, cleared by success or lp_ipc_client_close(). */
  gboolean                 reconnecting;
  guint                    reconnect_delay_ms;
  GSource                 *reconnect_source;
};

typedef struct
{
  char       *method;          /* NULL for a connect request */
  JsonObject *params;
  gint64      id;              /* 0 until sent */
  guint       timeout_ms;
  guint       attempt;         /* initialize only */
  GSource    *timeout_source;
  GSource    *cancel_source;
} Request;

typedef struct
{
  guint            id;
  char            *request_id;
  LpIpcNotifyFunc  func;
  gpointer         user_data;
  GDestroyNotify   destroy;
} Subscription;

G_DEFINE_FINAL_TYPE (LpIpcClient, lp_ipc_client, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (LpIpcState, lp_ipc_state,
  G_DEFINE_ENUM_VALUE (LP_IPC_STATE_DISCONNECTED, "disconnected"),
  G_DEFINE_ENUM_VALUE (LP_IPC_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (LP_IPC_STATE_CONNECTED, "connected"),
  G_DEFINE_ENUM_VALUE (LP_IPC_STATE_FAILED, "failed"))

enum {
  PROP_0,
  PROP_URL,
  PROP_STATE,
  PROP_LAST_ERROR,
  PROP_MAX_FRAME_SIZE,
  PROP_PING_INTERVAL,
  N_PROPS
};

enum {
  CONNECTED,
  DISCONNECTED,
  NOTIFICATION,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static void start_attempt   (LpIpcClient *self);
static void connection_lost (LpIpcClient *self,
                             const char  *reason,
                             gushort      close_code);

const char *
lp_ipc_state_to_string (LpIpcState state)
{
  switch (state)
    {
    case LP_IPC_STATE_DISCONNECTED:
      return "disconnected";
    case LP_IPC_STATE_CONNECTING:
      return "connecting";
    case LP_IPC_STATE_CONNECTED:
      return "connected";
    case LP_IPC_STATE_FAILED:
      return "failed";
    default:
      g_return_val_if_reached ("unknown");
    }
}

static void
request_free (gpointer data)
{
  Request *request = data;

  g_assert (request->timeout_source == NULL);
  g_assert (request->cancel_source == NULL);

  g_free (request->method);
  g_clear_pointer (&request->params, json_object_unref);
  g_free (request);
}

static void
subscription_free (gpointer data)
{
  Subscription *sub = data;

  if (sub->destroy != NULL)
    sub->destroy (sub->user_data);
  g_free (sub->request_id);
  g_free (sub);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static GSource *
attach_source (LpIpcClient *self,
               GSource     *source,
               GSourceFunc  func,
               gpointer     data)
{
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, self->context);

  return source;
}

/* Typed accessors: json-glib's *_with_default getters warn on a member of
 * the wrong kind, and these values come straight from the peer. */
static const char *
get_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static JsonObject *
get_object_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

static gboolean
node_holds (JsonNode *node,
            GType     type)
{
  return node != NULL && json_node_get_value_type (node) == type;
}

static gboolean
replace_string (char       **target,
                const char  *value)
{
  if (g_strcmp0 (*target, value) == 0)
    return FALSE;

  g_free (*target);
  *target = g_strdup (value);

  return TRUE;
}

static void
set_state (LpIpcClient *self,
           LpIpcState   state)
{
  if (self->state == state)
    return;

  g_debug ("state %s → %s", lp_ipc_state_to_string (self->state), lp_ipc_state_to_string (state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STATE]);
}

static void
set_last_error (LpIpcClient *self,
                const char  *message)
{
  if (replace_string (&self->last_error, message))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LAST_ERROR]);
}

static void
set_url (LpIpcClient *self,
         const char  *url)
{
  if (replace_string (&self->url, url))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_URL]);
}

/* Completes @task exactly once, taking @result and @error, and drops every
 * reference the client holds on it. The callback may run synchronously, so
 * callers must not rely on client state afterwards. */
static void
request_return (LpIpcClient *self,
                GTask       *task,
                JsonNode    *result,
                GError      *error)
{
  Request *request = g_task_get_task_data (task);

  /* The tables may hold the last reference. */
  g_object_ref (task);

  clear_source (&request->timeout_source);
  clear_source (&request->cancel_source);

  if (request->id != 0 && g_hash_table_lookup (self->pending, &request->id) == task)
    g_hash_table_remove (self->pending, &request->id);
  else if (g_queue_remove (&self->waiting, task))
    g_object_unref (task);

  if (error != NULL)
    g_task_return_error (task, error);
  else if (request->method == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) json_node_unref);

  g_object_unref (task);
}

static gboolean
on_request_timeout (gpointer user_data)
{
  GTask *task = user_data;
  LpIpcClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);

  g_assert (LP_IS_IPC_CLIENT (self));

  g_clear_pointer (&request->timeout_source, g_source_unref);
  request_return (self, task, NULL,
                  g_error_new (LP_ERROR, LP_ERROR_TIMEOUT,
                               "Lingma IPC %s timed out after %u ms",
                               request->method, request->timeout_ms));

  return G_SOURCE_REMOVE;
}

static gboolean
on_request_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  GTask *task = user_data;
  LpIpcClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;

  g_assert (LP_IS_IPC_CLIENT (self));

  g_clear_pointer (&request->cancel_source, g_source_unref);
  g_cancellable_set_error_if_cancelled (cancellable, &error);
  request_return (self, task, NULL, error);

  return G_SOURCE_REMOVE;
}

static GTask *
request_new (LpIpcClient         *self,
             const char          *method,
             JsonObject          *params,
             guint                timeout_ms,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Request *request = g_new0 (Request, 1);

  request->method = g_strdup (method);
  request->params = params ? json_object_ref (params) : json_object_new ();
  request->timeout_ms = timeout_ms;
  g_task_set_task_data (task, request, request_free);
  if (method != NULL)
    g_task_set_source_tag (task, lp_ipc_client_call_async);
  else
    g_task_set_source_tag (task, lp_ipc_client_connect_async);

  if (timeout_ms > 0)
    request->timeout_source = attach_source (self, g_timeout_source_new (timeout_ms),
                                             on_request_timeout, task);

  /* A cancellable source dispatches in our main context, so the request
   * is never completed from inside the cancel emission. */
  if (cancellable != NULL)
    request->cancel_source = attach_source (self, g_cancellable_source_new (cancellable),
                                            (GSourceFunc) on_request_cancelled, task);

  return task;
}

static gboolean
send_object (LpIpcClient *self,
             JsonObject  *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *json = json_to_string (node, FALSE);
  g_autoptr(GBytes) frame = NULL;

  g_assert (self->ws != NULL);

  /* json-glib copies invalid UTF-8 from strings verbatim, and libsoup
   * refuses a text message that is not UTF-8. */
  if (!g_utf8_validate (json, -1, NULL))
    return FALSE;

  frame = lp_frame_encode (json, -1);
  soup_websocket_connection_send_message (self->ws, SOUP_WEBSOCKET_DATA_TEXT, frame);

  return TRUE;
}

static void
send_request (LpIpcClient *self,
              GTask       *task)
{
  Request *request = g_task_get_task_data (task);
  g_autoptr(JsonObject) object = json_object_new ();

  request->id = self->next_id++;

  json_object_set_string_member (object, "jsonrpc", "2.0");
  json_object_set_int_member (object, "id", request->id);
  json_object_set_string_member (object, "method", request->method);
  json_object_set_object_member (object, "params", json_object_ref (request->params));

  g_hash_table_insert (self->pending, &request->id, g_object_ref (task));

  if (!send_object (self, object))
    request_return (self, task, NULL,
                    g_error_new (LP_ERROR, LP_ERROR_INVALID_REQUEST,
                                 "Lingma IPC %s request is not valid UTF-8", request->method));
}

static void
fail_pending (LpIpcClient *self,
              const char  *message)
{
  g_autoptr(GHashTable) pending = g_steal_pointer (&self->pending);
  g_autoptr(GList) tasks = g_hash_table_get_values (pending);

  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_object_unref);

  for (const GList *l = tasks; l != NULL; l = l->next)
    request_return (self, l->data, NULL, g_error_new_literal (LP_ERROR, LP_ERROR_UNAVAILABLE, message));
}

static void
fail_waiting (LpIpcClient *self,
              const char  *message)
{
  /* Steal the queue: a callback may queue a request for a new attempt. */
  GQueue waiting = self->waiting;
  GTask *task;

  g_queue_init (&self->waiting);

  while ((task = g_queue_pop_head (&waiting)) != NULL)
    {
      request_return (self, task, NULL, g_error_new_literal (LP_ERROR, LP_ERROR_UNAVAILABLE, message));
      g_object_unref (task);
    }
}

static void
flush_waiting (LpIpcClient *self)
{
  GTask *task;

  /* A callback may close the client; whatever is left is then failed by
   * whoever changed the state. */
  while (self->state == LP_IPC_STATE_CONNECTED &&
         (task = g_queue_pop_head (&self->waiting)) != NULL)
    {
      Request *request = g_task_get_task_data (task);

      if (request->method == NULL)
        request_return (self, task, NULL, NULL);
      else
        send_request (self, task);

      g_object_unref (task);
    }
}

static gboolean
on_reconnect (gpointer user_data)
{
  LpIpcClient *self = user_data;

  g_assert (LP_IS_IPC_CLIENT (self));

  g_clear_pointer (&self->reconnect_source, g_source_unref);

  if (!self->connecting && self->state != LP_IPC_STATE_CONNECTED)
    start_attempt (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (LpIpcClient *self)
{
  clear_source (&self->reconnect_source);

  g_debug ("reconnecting in %u ms", self->reconnect_delay_ms);
  self->reconnect_source = attach_source (self, g_timeout_source_new (self->reconnect_delay_ms),
                                          on_reconnect, self);
  self->reconnect_delay_ms = MIN (self->reconnect_delay_ms * 2, RECONNECT_DELAY_MAX_MS);
}

static void
end_handshake (LpIpcClient *self)
{
  clear_source (&self->handshake_timeout);
  g_cancellable_cancel (self->handshake_cancellable);
  g_clear_object (&self->handshake_cancellable);
}

static void
attempt_failed (LpIpcClient *self,
                const char  *message)
{
  g_autoptr(LpIpcClient) hold = NULL;

  g_debug ("%s", message);

  /* Failed requests may drop the last other reference. */
  hold = g_object_ref (self);
  self->connecting = FALSE;
  end_handshake (self);
  set_last_error (self, message);
  set_state (self, LP_IPC_STATE_FAILED);

  if (self->reconnecting)
    schedule_reconnect (self);

  fail_waiting (self, message);
}

static void
detach_websocket (LpIpcClient *self,
                  gushort      close_code)
{
  g_autoptr(SoupWebsocketConnection) ws = g_steal_pointer (&self->ws);

  if (ws == NULL)
    return;

  clear_source (&self->ping_watchdog);
  g_clear_pointer (&self->decoder, lp_frame_decoder_free);
  g_clear_pointer (&self->ws_error, g_free);
  g_signal_handlers_disconnect_by_data (ws, self);

  if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (ws, close_code, NULL);

  /* Dropping the last reference closes the socket at once instead of
   * waiting for the peer to acknowledge the close, which a dead peer
   * never does. */
}

static char *
describe_close (LpIpcClient             *self,
                SoupWebsocketConnection *ws)
{
  gushort code = soup_websocket_connection_get_close_code (ws);
  const char *data = soup_websocket_connection_get_close_data (ws);

  if (self->ws_error != NULL)
    return g_strdup (self->ws_error);

  /* libsoup reports 0 when the socket simply went away. */
  if (code == 0 || code == SOUP_WEBSOCKET_CLOSE_ABNORMAL)
    return g_strdup ("Lingma closed the connection unexpectedly");

  if (data != NULL && *data != '\0')
    return g_strdup_printf ("Lingma closed the connection (code %u: %s)", code, data);

  return g_strdup_printf ("Lingma closed the connection (code %u)", code);
}

static void
on_ws_error (SoupWebsocketConnection *ws,
             GError                  *error,
             gpointer                 user_data)
{
  LpIpcClient *self = user_data;

  g_assert (LP_IS_IPC_CLIENT (self));

  /* Reported when the connection closes; the first error is the cause. */
  if (self->ws_error == NULL)
    self->ws_error = g_strdup (error->message);
}

static void
on_ws_closing (SoupWebsocketConnection *ws,
               gpointer                 user_data)
{
  LpIpcClient *self = user_data;
  g_autofree char *reason = NULL;

  g_assert (LP_IS_IPC_CLIENT (self));

  reason = describe_close (self, ws);
  connection_lost (self, reason, SOUP_WEBSOCKET_CLOSE_NORMAL);
}

static void
on_ws_pong (SoupWebsocketConnection *ws,
            GBytes                  *message,
            gpointer                 user_data)
{
  LpIpcClient *self = user_data;

  g_assert (LP_IS_IPC_CLIENT (self));

  self->last_pong_us = MAX (self->last_pong_us, g_get_monotonic_time ());
}

static gboolean
on_ping_watchdog (gpointer user_data)
{
  LpIpcClient *self = user_data;
  gint64 silence = g_get_monotonic_time () - self->last_pong_us;

  g_assert (LP_IS_IPC_CLIENT (self));

  if (silence <= 2 * (gint64) self->ping_interval * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;

  connection_lost (self, "Lingma stopped answering pings", SOUP_WEBSOCKET_CLOSE_GOING_AWAY);

  return G_SOURCE_REMOVE;
}

static void
start_ping_watchdog (LpIpcClient *self)
{
  clear_source (&self->ping_watchdog);

  if (self->ws == NULL)
    return;

  soup_websocket_connection_set_keepalive_interval (self->ws, self->ping_interval);
  if (self->ping_interval == 0)
    return;

  /* libsoup rounds its ping timer to whole seconds, so the first ping may
   * come up to one interval late: start the clock one interval ahead. */
  self->last_pong_us = g_get_monotonic_time () + (gint64) self->ping_interval * G_USEC_PER_SEC;
  self->ping_watchdog = attach_source (self, g_timeout_source_new (self->ping_interval * 1000),
                                       on_ping_watchdog, self);
}

static void
answer_server_request (LpIpcClient *self,
                       JsonNode    *id)
{
  g_autoptr(JsonObject) reply = json_object_new ();

  json_object_set_string_member (reply, "jsonrpc", "2.0");
  json_object_set_member (reply, "id", json_node_copy (id));
  json_object_set_null_member (reply, "result");

  /* The id came from valid JSON, so the reply is valid UTF-8. */
  send_object (self, reply);
}

static void
route_notification (LpIpcClient *self,
                    const char  *method,
                    JsonObject  *params)
{
  JsonObject *meta = get_object_member (params, "_meta");
  const char *request_id = get_string_member (meta, "ai-coding/request-id");
  Subscription *sub = request_id ? g_hash_table_lookup (self->routes, request_id) : NULL;

  if (sub != NULL)
    sub->func (self, method, params, sub->user_data);
  else
    g_signal_emit (self, signals [NOTIFICATION], 0, method, params);
}

static void
complete_response (LpIpcClient *self,
                   JsonObject  *object,
                   gint64       id)
{
  GTask *task = g_hash_table_lookup (self->pending, &id);
  Request *request;
  JsonObject *error;
  JsonNode *result;

  if (task == NULL)
    {
      g_debug ("ignoring a response to unknown request %" G_GINT64_FORMAT, id);
      return;
    }

  request = g_task_get_task_data (task);

  if ((error = get_object_member (object, "error")) != NULL)
    {
      const char *message = get_string_member (error, "message");

      request_return (self, task, NULL,
                      g_error_new (LP_ERROR, LP_ERROR_UPSTREAM, "Lingma IPC %s failed: %s",
                                   request->method, message ? message : "unknown error"));
      return;
    }

  result = json_object_get_member (object, "result");
  request_return (self, task,
                  result ? json_node_copy (result) : json_node_new (JSON_NODE_NULL),
                  NULL);
}

static void
handle_frame (LpIpcClient *self,
              GBytes      *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) empty = NULL;
  JsonObject *object;
  JsonObject *params;
  JsonNode *root;
  JsonNode *id;
  const char *method;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  if (lp_json_check_shape (data, len, LP_JSON_MAX_DEPTH) != LP_JSON_SHAPE_OK)
    {
      g_warning ("Dropping a Lingma IPC frame that is not one JSON value nested at most %u deep", LP_JSON_MAX_DEPTH);
      return;
    }

  if (!json_parser_load_from_data (parser, data, len, &error))
    {
      g_warning ("Dropping a Lingma IPC frame that is not JSON: %s", error->message);
      return;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_warning ("Dropping a Lingma IPC frame that is not a JSON object");
      return;
    }

  object = json_node_get_object (root);
  method = get_string_member (object, "method");
  id = json_object_get_member (object, "id");

  if (method != NULL && *method != '\0')
    {
      /* A server→client request: Lingma waits for an answer, whatever it asked. */
      if (node_holds (id, G_TYPE_INT64) || node_holds (id, G_TYPE_STRING))
        answer_server_request (self, id);

      if ((params = get_object_member (object, "params")) == NULL)
        params = empty = json_object_new ();

      route_notification (self, method, params);
    }
  else if (node_holds (id, G_TYPE_INT64))
    {
      complete_response (self, object, json_node_get_int (id));
    }
  else
    {
      g_debug ("ignoring a message with neither method nor id");
    }
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               gint                     type,
               GBytes                  *message,
               gpointer                 user_data)
{
  LpIpcClient *self = user_data;
  g_autoptr(LpIpcClient) hold = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);

  g_assert (LP_IS_IPC_CLIENT (self));

  hold = g_object_ref (self);
  self->last_pong_us = MAX (self->last_pong_us, g_get_monotonic_time ());
  lp_frame_decoder_push (self->decoder, data, len);

  /* Delivery may close the connection (a callback calling close()). */
  while (self->ws == ws)
    {
      g_autoptr(GBytes) body = lp_frame_decoder_pop (self->decoder, &error);

      if (body == NULL)
        break;

      handle_frame (self, body);
    }

  if (error != NULL)
    {
      g_autofree char *reason = g_strdup_printf ("invalid frame from Lingma: %s", error->message);

      connection_lost (self, reason, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
    }
}

static void
connection_lost (LpIpcClient *self,
                 const char  *reason,
                 gushort      close_code)
{
  g_autoptr(LpIpcClient) hold = NULL;
  g_autofree char *message = g_strdup_printf ("Lingma IPC connection lost: %s", reason);
  gboolean was_connected = self->state == LP_IPC_STATE_CONNECTED;

  g_debug ("%s", message);

  /* Signal handlers and failed requests may drop the last other reference. */
  hold = g_object_ref (self);

  detach_websocket (self, close_code);

  /* While connecting, the failing initialize request ends the attempt. */
  if (was_connected)
    {
      set_last_error (self, reason);
      set_state (self, LP_IPC_STATE_FAILED);
      self->reconnecting = TRUE;
      schedule_reconnect (self);
      g_signal_emit (self, signals [DISCONNECTED], 0, reason);
    }

  fail_pending (self, message);
  if (was_connected)
    fail_waiting (self, message);
}

static void
on_initialize_done (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  LpIpcClient *self = LP_IPC_CLIENT (object);
  Request *request = g_task_get_task_data (G_TASK (result));
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  node = lp_ipc_client_call_finish (self, result, &error);

  if (request->attempt != self->attempt || !self->connecting)
    return;

  if (node == NULL)
    {
      g_autofree char *message = g_strdup_printf ("could not connect to Lingma at %s: %s",
                                                  self->url, error->message);

      detach_websocket (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
      attempt_failed (self, message);
      return;
    }

  self->connecting = FALSE;
  self->reconnecting = FALSE;
  self->reconnect_delay_ms = RECONNECT_DELAY_MIN_MS;
  set_state (self, LP_IPC_STATE_CONNECTED);
  g_signal_emit (self, signals [CONNECTED], 0);
  flush_waiting (self);
}

static void
attach_websocket (LpIpcClient             *self,
                  SoupWebsocketConnection *ws)
{
  g_autoptr(JsonObject) params = json_object_new ();
  g_autoptr(GTask) task = NULL;
  Request *request;

  g_assert (self->ws == NULL);

  self->ws = ws;
  self->decoder = lp_frame_decoder_new (self->max_frame_size);
  self->next_id = 1;

  /* The default 128 KiB would cut off long replies; one message carries
   * at most a full frame plus its header. */
  soup_websocket_connection_set_max_incoming_payload_size (ws, self->max_frame_size + LP_FRAME_MAX_HEADER_SIZE + 4);

  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), self);
  g_signal_connect (ws, "closing", G_CALLBACK (on_ws_closing), self);
  /* A dirty close never says "closing", only "closed". */
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closing), self);
  g_signal_connect (ws, "pong", G_CALLBACK (on_ws_pong), self);

  start_ping_watchdog (self);

  json_object_set_int_member (params, "protocolVersion", 1);
  json_object_set_object_member (params, "clientCapabilities", json_object_new ());
  json_object_set_int_member (params, "timestamp", g_get_real_time () / 1000);

  task = request_new (self, "initialize", params, INITIALIZE_TIMEOUT_MS, NULL, on_initialize_done, NULL);
  request = g_task_get_task_data (task);
  request->attempt = self->attempt;
  send_request (self, task);
}

static gboolean
on_handshake_timeout (gpointer user_data)
{
  LpIpcClient *self = user_data;
  g_autofree char *message = NULL;

  g_assert (LP_IS_IPC_CLIENT (self));

  g_clear_pointer (&self->handshake_timeout, g_source_unref);
  message = g_strdup_printf ("could not connect to Lingma at %s: WebSocket handshake timed out after %d s",
                             self->url, HANDSHAKE_TIMEOUT_SECONDS);
  attempt_failed (self, message);

  return G_SOURCE_REMOVE;
}

static void
on_websocket_connect (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(LpIpcClient) self = user_data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *ws;

  g_assert (LP_IS_IPC_CLIENT (self));

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);

  /* Whoever cancelled (close(), the handshake timeout) already handled it. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  end_handshake (self);

  if (ws == NULL)
    {
      g_autofree char *message = g_strdup_printf ("could not connect to Lingma at %s: %s",
                                                  self->url, error->message);

      attempt_failed (self, message);
      return;
    }

  attach_websocket (self, ws);
}

static void
start_attempt (LpIpcClient *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *url = NULL;

  clear_source (&self->reconnect_source);
  self->attempt++;
  self->connecting = TRUE;
  set_state (self, LP_IPC_STATE_CONNECTING);

  if (self->resolve_func == NULL)
    {
      attempt_failed (self, "could not connect to Lingma: no endpoint resolver is set");
      return;
    }

  url = self->resolve_func (self->resolve_data, &error);
  if (url == NULL)
    {
      g_autofree char *text = g_strdup_printf ("could not connect to Lingma: %s",
                                               error ? error->message : "no endpoint found");

      attempt_failed (self, text);
      return;
    }

  set_url (self, url);

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL ||
      g_uri_get_host (uri) == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "ws") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "wss") != 0))
    {
      g_autofree char *text = g_strdup_printf ("could not connect to Lingma at %s: not a ws:// URL", url);

      attempt_failed (self, text);
      return;
    }

  g_debug ("connecting to %s", url);

  message = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  self->handshake_cancellable = g_cancellable_new ();
  self->handshake_timeout = attach_source (self, g_timeout_source_new_seconds (HANDSHAKE_TIMEOUT_SECONDS),
                                           on_handshake_timeout, self);
  soup_session_websocket_connect_async (self->session, message, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->handshake_cancellable, on_websocket_connect,
                                        g_object_ref (self));
}

static void
ensure_connecting (LpIpcClient *self)
{
  if (!self->connecting && self->state != LP_IPC_STATE_CONNECTED)
    start_attempt (self);
}

static void
lp_ipc_client_dispose (GObject *object)
{
  LpIpcClient *self = LP_IPC_CLIENT (object);

  clear_source (&self->reconnect_source);
  end_handshake (self);
  detach_websocket (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);

  if (self->subscriptions != NULL)
    {
      g_hash_table_remove_all (self->routes);
      g_hash_table_remove_all (self->subscriptions);
    }

  lp_ipc_client_set_resolver (self, NULL, NULL, NULL);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (lp_ipc_client_parent_class)->dispose (object);
}

static void
lp_ipc_client_finalize (GObject *object)
{
  LpIpcClient *self = LP_IPC_CLIENT (object);

  /* Every request holds a reference on the client. */
  g_assert (g_hash_table_size (self->pending) == 0);
  g_assert (g_queue_is_empty (&self->waiting));

  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->routes, g_hash_table_unref);
  g_clear_pointer (&self->subscriptions, g_hash_table_unref);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (lp_ipc_client_parent_class)->finalize (object);
}

static void
lp_ipc_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  LpIpcClient *self = LP_IPC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;

    case PROP_MAX_FRAME_SIZE:
      g_value_set_uint64 (value, self->max_frame_size);
      break;

    case PROP_PING_INTERVAL:
      g_value_set_uint (value, self->ping_interval);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_ipc_client_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  LpIpcClient *self = LP_IPC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_MAX_FRAME_SIZE:
      if (self->max_frame_size != g_value_get_uint64 (value))
        {
          /* Takes effect with the next connection. */
          self->max_frame_size = g_value_get_uint64 (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_PING_INTERVAL:
      if (self->ping_interval != g_value_get_uint (value))
        {
          self->ping_interval = g_value_get_uint (value);
          start_ping_watchdog (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_ipc_client_class_init (LpIpcClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lp_ipc_client_dispose;
  object_class->finalize = lp_ipc_client_finalize;
  object_class->get_property = lp_ipc_client_get_property;
  object_class->set_property = lp_ipc_client_set_property;

  properties [PROP_URL] =
    g_param_spec_string ("url", NULL, "The WebSocket URL last resolved",
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_STATE] =
    g_param_spec_enum ("state", NULL, "Connection state",
                       LP_TYPE_IPC_STATE,
                       LP_IPC_STATE_DISCONNECTED,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, "Why the last connection or attempt ended",
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_MAX_FRAME_SIZE] =
    g_param_spec_uint64 ("max-frame-size", NULL, "Largest accepted frame body in bytes",
                         LP_FRAME_MAX_HEADER_SIZE, G_MAXINT / 2, LP_FRAME_DEFAULT_MAX_SIZE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_PING_INTERVAL] =
    g_param_spec_uint ("ping-interval", NULL, "Seconds between keepalive pings, 0 to disable",
                       0, 3600, DEFAULT_PING_INTERVAL,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals [CONNECTED] =
    g_signal_new ("connected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  signals [DISCONNECTED] =
    g_signal_new ("disconnected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  signals [NOTIFICATION] =
    g_signal_new ("notification",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING,
                  JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
lp_ipc_client_init (LpIpcClient *self)
{
  g_autoptr(GProxyResolver) direct = NULL;

  self->context = g_main_context_ref_thread_default ();
  self->max_frame_size = LP_FRAME_DEFAULT_MAX_SIZE;
  self->ping_interval = DEFAULT_PING_INTERVAL;
  self->reconnect_delay_ms = RECONNECT_DELAY_MIN_MS;
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_object_unref);
  self->subscriptions = g_hash_table_new_full (NULL, NULL, NULL, subscription_free);
  self->routes = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&self->waiting);

  /* Lingma listens on loopback; a system proxy could only get in the way. */
  direct = g_simple_proxy_resolver_new (NULL, NULL);
  self->session = g_object_new (SOUP_TYPE_SESSION,
                                "proxy-resolver", direct,
                                NULL);
}

LpIpcClient *
lp_ipc_client_new (void)
{
  return g_object_new (LP_TYPE_IPC_CLIENT, NULL);
}

void
lp_ipc_client_set_resolver (LpIpcClient      *self,
                            LpIpcResolveFunc  func,
                            gpointer          user_data,
                            GDestroyNotify    destroy)
{
  g_return_if_fail (LP_IS_IPC_CLIENT (self));

  if (self->resolve_destroy != NULL)
    self->resolve_destroy (self->resolve_data);

  self->resolve_func = func;
  self->resolve_data = user_data;
  self->resolve_destroy = destroy;
}

const char *
lp_ipc_client_get_url (LpIpcClient *self)
{
  g_return_val_if_fail (LP_IS_IPC_CLIENT (self), NULL);

  return self->url;
}

LpIpcState
lp_ipc_client_get_state (LpIpcClient *self)
{
  g_return_val_if_fail (LP_IS_IPC_CLIENT (self), LP_IPC_STATE_DISCONNECTED);

  return self->state;
}

const char *
lp_ipc_client_get_last_error (LpIpcClient *self)
{
  g_return_val_if_fail (LP_IS_IPC_CLIENT (self), NULL);

  return self->last_error;
}

void
lp_ipc_client_connect_async (LpIpcClient         *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LP_IS_IPC_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = request_new (self, NULL, NULL, 0, cancellable, callback, user_data);

  if (self->state == LP_IPC_STATE_CONNECTED)
    {
      request_return (self, task, NULL, NULL);
      return;
    }

  g_queue_push_tail (&self->waiting, g_object_ref (task));
  ensure_connecting (self);
}

gboolean
lp_ipc_client_connect_finish (LpIpcClient   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (LP_IS_IPC_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * lp_ipc_client_call_async:
 * @params: (nullable): sent as `{}` when %NULL; serialised when the
 *   request goes out, which may be after a connection is made
 * @timeout_ms: 0 for no deadline of its own
 *
 * Sends a JSON-RPC request, connecting first if needed.
 */
void
lp_ipc_client_call_async (LpIpcClient         *self,
                          const char          *method,
                          JsonObject          *params,
                          guint                timeout_ms,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LP_IS_IPC_CLIENT (self));
  g_return_if_fail (method != NULL && *method != '\0');
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = request_new (self, method, params, timeout_ms, cancellable, callback, user_data);

  if (self->state == LP_IPC_STATE_CONNECTED)
    {
      send_request (self, task);
      return;
    }

  g_queue_push_tail (&self->waiting, g_object_ref (task));
  ensure_connecting (self);
}

/**
 * lp_ipc_client_call_finish:
 *
 * Returns: (transfer full): the result member, a JSON null node when
 *   Lingma sent none, or %NULL with @error set
 */
JsonNode *
lp_ipc_client_call_finish (LpIpcClient   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (LP_IS_IPC_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * lp_ipc_client_notify:
 * @params: (nullable): sent as `{}` when %NULL
 *
 * Sends a JSON-RPC notification on the current connection. It never
 * connects: a notification about a request is pointless on a connection
 * that did not carry the request.
 *
 * Returns: %TRUE when queued for sending
 */
gboolean
lp_ipc_client_notify (LpIpcClient  *self,
                      const char   *method,
                      JsonObject   *params,
                      GError      **error)
{
  g_autoptr(JsonObject) object = NULL;

  g_return_val_if_fail (LP_IS_IPC_CLIENT (self), FALSE);
  g_return_val_if_fail (method != NULL && *method != '\0', FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->state != LP_IPC_STATE_CONNECTED)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_UNAVAILABLE,
                   "Lingma IPC %s not sent: not connected", method);
      return FALSE;
    }

  object = json_object_new ();
  json_object_set_string_member (object, "jsonrpc", "2.0");
  json_object_set_string_member (object, "method", method);
  json_object_set_object_member (object, "params", params ? json_object_ref (params) : json_object_new ());

  if (!send_object (self, object))
    {
      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "Lingma IPC %s notification is not valid UTF-8", method);
      return FALSE;
    }

  return TRUE;
}

/**
 * lp_ipc_client_subscribe:
 * @request_id: the `ai-coding/request-id` the notifications carry
 *
 * Routes the notifications for @request_id to @func, called from the
 * main loop as each arrives, until lp_ipc_client_unsubscribe().
 *
 * Returns: the subscription id, never 0
 */
guint
lp_ipc_client_subscribe (LpIpcClient     *self,
                         const char      *request_id,
                         LpIpcNotifyFunc  func,
                         gpointer         user_data,
                         GDestroyNotify   destroy)
{
  Subscription *sub;

  g_return_val_if_fail (LP_IS_IPC_CLIENT (self), 0);
  g_return_val_if_fail (request_id != NULL, 0);
  g_return_val_if_fail (func != NULL, 0);
  g_return_val_if_fail (!g_hash_table_contains (self->routes, request_id), 0);

  sub = g_new0 (Subscription, 1);
  sub->id = ++self->last_subscription_id;
  sub->request_id = g_strdup (request_id);
  sub->func = func;
  sub->user_data = user_data;
  sub->destroy = destroy;

  g_hash_table_insert (self->routes, sub->request_id, sub);
  g_hash_table_insert (self->subscriptions, GUINT_TO_POINTER (sub->id), sub);

  return sub->id;
}

void
lp_ipc_client_unsubscribe (LpIpcClient *self,
                           guint        subscription_id)
{
  Subscription *sub;

  g_return_if_fail (LP_IS_IPC_CLIENT (self));

  sub = g_hash_table_lookup (self->subscriptions, GUINT_TO_POINTER (subscription_id));
  g_return_if_fail (sub != NULL);

  g_hash_table_remove (self->routes, sub->request_id);
  g_hash_table_remove (self->subscriptions, GUINT_TO_POINTER (subscription_id));
}

/**
 * lp_ipc_client_close:
 *
 * Closes the connection, fails every outstanding request and stops
 * reconnecting until the next connect or call.
 */
void
lp_ipc_client_close (LpIpcClient *self)
{
  g_autoptr(LpIpcClient) hold = NULL;
  gboolean was_connected;

  g_return_if_fail (LP_IS_IPC_CLIENT (self));

  hold = g_object_ref (self);
  was_connected = self->state == LP_IPC_STATE_CONNECTED;

  self->reconnecting = FALSE;
  self->reconnect_delay_ms = RECONNECT_DELAY_MIN_MS;
  clear_source (&self->reconnect_source);
  self->attempt++;
  self->connecting = FALSE;
  end_handshake (self);
  detach_websocket (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
  set_state (self, LP_IPC_STATE_DISCONNECTED);

  if (was_connected)
    g_signal_emit (self, signals [DISCONNECTED], 0, CLOSED_MESSAGE);

  fail_pending (self, CLOSED_MESSAGE);
  fail_waiting (self, CLOSED_MESSAGE);
}
