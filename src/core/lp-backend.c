/* lp-backend.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-backend"

#include "config.h"

#include "lp-backend.h"
#include "lp-discovery.h"
#include "lp-error.h"

#define SESSION_CALL_TIMEOUT_MS 30000
#define DELETE_TIMEOUT_MS       10000
#define MODELS_TIMEOUT_MS       15000
/* A model list younger than this is served from the cache. */
#define MODELS_MAX_AGE_USEC     (60 * G_USEC_PER_SEC)

typedef struct
{
  LpBackend *backend;
  GTask     *task;
  guint      timeout_id;
  gulong     cancel_id;
} LpSlotWaiter;

struct _LpBackend
{
  GObject         parent_instance;

  LpConfig       *config;
  LpIpcClient    *client;
  LpModelCatalog *catalog;
  char           *endpoint_source;
  char          **environment;

  guint           in_flight;
  GQueue          waiters;

  GPtrArray      *model_tasks;   /* refreshes waiting for the one in flight */
  gint64          models_loaded_at;

  char           *sticky_session;
  char           *sticky_model;
  gboolean        sticky_busy;
};

enum {
  PROP_0,
  PROP_IN_FLIGHT,
  PROP_QUEUED,
  PROP_ENDPOINT_SOURCE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (LpBackend, lp_backend, G_TYPE_OBJECT)

static void
lp_session_lease_free (LpSessionLease *lease)
{
  g_free (lease->session_id);
  g_free (lease);
}

static void
set_endpoint_source (LpBackend  *self,
                     const char *source)
{
  if (g_strcmp0 (self->endpoint_source, source) == 0)
    return;

  g_free (self->endpoint_source);
  self->endpoint_source = g_strdup (source);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENDPOINT_SOURCE]);
}

/* Discovery runs before every connection attempt so a Lingma restarted on
 * another port (a new info file) is found without restarting the proxy. */
static char *
resolve_endpoint (gpointer   user_data,
                  GError   **error)
{
  LpBackend *self = user_data;
  g_autoptr(LpDiscoveryResult) result = NULL;

  g_assert (LP_IS_BACKEND (self));

  result = lp_discover (self->config, (const char * const *) self->environment, error);
  if (result == NULL)
    {
      set_endpoint_source (self, NULL);
      return NULL;
    }

  if (result->transport != LP_TRANSPORT_WEBSOCKET)
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_UNAVAILABLE,
                           "Lingma pipe transport currently requires Windows");
      return NULL;
    }

  set_endpoint_source (self, result->description);
  return g_strdup (result->endpoint);
}

static void
on_models_loaded (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(LpBackend) self = user_data;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;

  reply = lp_ipc_client_call_finish (LP_IPC_CLIENT (object), result, &error);
  if (reply != NULL && lp_model_catalog_update_from_json (self->catalog, reply, &error))
    self->models_loaded_at = g_get_monotonic_time ();

  tasks = g_steal_pointer (&self->model_tasks);
  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

void
lp_backend_refresh_models_async (LpBackend           *self,
                                 gboolean             force,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LP_IS_BACKEND (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lp_backend_refresh_models_async);

  if (!force && self->models_loaded_at != 0 &&
      g_get_monotonic_time () - self->models_loaded_at < MODELS_MAX_AGE_USEC)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Concurrent callers share one config/queryModels round trip. */
  if (self->model_tasks != NULL)
    {
      g_ptr_array_add (self->model_tasks, g_steal_pointer (&task));
      return;
    }

  self->model_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->model_tasks, g_steal_pointer (&task));
  lp_ipc_client_call_async (self->client, "config/queryModels", NULL, MODELS_TIMEOUT_MS,
                            NULL, on_models_loaded, g_object_ref (self));
}

gboolean
lp_backend_refresh_models_finish (LpBackend     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (LP_IS_BACKEND (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_warm_models_loaded (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!lp_backend_refresh_models_finish (LP_BACKEND (object), result, &error))
    g_message ("Could not load the model list from Lingma: %s", error->message);
}

/* The display-name map is needed by the very first chat, so it is loaded
 * whenever a connection comes up (upstream W18 only had it after someone
 * listed /v1/models). */
static void
on_client_connected (LpIpcClient *client,
                     LpBackend   *self)
{
  g_assert (LP_IS_BACKEND (self));

  g_clear_pointer (&self->sticky_session, g_free);
  lp_backend_refresh_models_async (self, TRUE, NULL, on_warm_models_loaded, NULL);
}

static void
on_client_disconnected (LpIpcClient *client,
                        const char  *reason,
                        LpBackend   *self)
{
  g_assert (LP_IS_BACKEND (self));

  /* Sessions live in the Lingma process that just went away. */
  g_clear_pointer (&self->sticky_session, g_free);
  g_clear_pointer (&self->sticky_model, g_free);
  self->sticky_busy = FALSE;
}

static void
lp_backend_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  LpBackend *self = LP_BACKEND (object);

  switch (prop_id)
    {
    case PROP_IN_FLIGHT:
      g_value_set_uint (value, self->in_flight);
      break;

    case PROP_QUEUED:
      g_value_set_uint (value, self->waiters.length);
      break;

    case PROP_ENDPOINT_SOURCE:
      g_value_set_string (value, self->endpoint_source);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_backend_dispose (GObject *object)
{
  LpBackend *self = (LpBackend *) object;

  lp_backend_stop (self);

  G_OBJECT_CLASS (lp_backend_parent_class)->dispose (object);
}

static void
lp_backend_finalize (GObject *object)
{
  LpBackend *self = (LpBackend *) object;

  g_clear_object (&self->client);
  g_clear_object (&self->catalog);
  g_clear_object (&self->config);
  g_clear_pointer (&self->endpoint_source, g_free);
  g_clear_pointer (&self->environment, g_strfreev);
  g_clear_pointer (&self->sticky_session, g_free);
  g_clear_pointer (&self->sticky_model, g_free);

  G_OBJECT_CLASS (lp_backend_parent_class)->finalize (object);
}

static void
lp_backend_class_init (LpBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = lp_backend_get_property;
  object_class->dispose = lp_backend_dispose;
  object_class->finalize = lp_backend_finalize;

  properties[PROP_IN_FLIGHT] =
    g_param_spec_uint ("in-flight", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_QUEUED] =
    g_param_spec_uint ("queued", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ENDPOINT_SOURCE] =
    g_param_spec_string ("endpoint-source", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lp_backend_init (LpBackend *self)
{
  g_queue_init (&self->waiters);
  self->catalog = lp_model_catalog_new ();
  self->environment = g_get_environ ();
}

LpBackend *
lp_backend_new (LpConfig *config)
{
  LpBackend *self;

  g_return_val_if_fail (LP_IS_CONFIG (config), NULL);

  self = g_object_new (LP_TYPE_BACKEND, NULL);
  self->config = g_object_ref (config);
  self->client = g_object_new (LP_TYPE_IPC_CLIENT,
                               "max-frame-size", lp_config_get_max_frame_size (config),
                               "ping-interval", lp_config_get_ping_interval (config),
                               NULL);
  lp_ipc_client_set_resolver (self->client, resolve_endpoint, self, NULL);
  g_signal_connect_object (self->client, "connected", G_CALLBACK (on_client_connected), self, 0);
  g_signal_connect_object (self->client, "disconnected", G_CALLBACK (on_client_disconnected), self, 0);

  return self;
}

LpConfig *
lp_backend_get_config (LpBackend *self)
{
  g_return_val_if_fail (LP_IS_BACKEND (self), NULL);

  return self->config;
}

LpIpcClient *
lp_backend_get_client (LpBackend *self)
{
  g_return_val_if_fail (LP_IS_BACKEND (self), NULL);

  return self->client;
}

LpModelCatalog *
lp_backend_get_catalog (LpBackend *self)
{
  g_return_val_if_fail (LP_IS_BACKEND (self), NULL);

  return self->catalog;
}

guint
lp_backend_get_in_flight (LpBackend *self)
{
  g_return_val_if_fail (LP_IS_BACKEND (self), 0);

  return self->in_flight;
}

guint
lp_backend_get_queued (LpBackend *self)
{
  g_return_val_if_fail (LP_IS_BACKEND (self), 0);

  return self->waiters.length;
}

const char *
lp_backend_get_endpoint_source (LpBackend *self)
{
  g_return_val_if_fail (LP_IS_BACKEND (self), NULL);

  return self->endpoint_source;
}

static void
on_warm_connected (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!lp_ipc_client_connect_finish (LP_IPC_CLIENT (object), result, &error))
    g_debug ("Lingma is not reachable yet: %s", error->message);
}

/* Connects in the background; requests arriving before that simply wait
 * for the connection. */
void
lp_backend_start (LpBackend *self)
{
  g_return_if_fail (LP_IS_BACKEND (self));

  lp_ipc_client_connect_async (self->client, NULL, on_warm_connected, NULL);
}

void
lp_backend_stop (LpBackend *self)
{
  g_return_if_fail (LP_IS_BACKEND (self));

  if (self->client != NULL)
    lp_ipc_client_close (self->client);
}

/* Slots and the bounded wait queue (upstream W19 waited forever). */

static void
lp_slot_waiter_free (LpSlotWaiter *waiter)
{
  g_clear_handle_id (&waiter->timeout_id, g_source_remove);
  if (waiter->cancel_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (waiter->task), waiter->cancel_id);
  g_clear_object (&waiter->task);
  g_free (waiter);
}

static void
notify_counts (LpBackend *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IN_FLIGHT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QUEUED]);
}

static gboolean
on_waiter_timeout (gpointer user_data)
{
  LpSlotWaiter *waiter = user_data;
  LpBackend *self = waiter->backend;

  waiter->timeout_id = 0;
  g_queue_remove (&self->waiters, waiter);
  g_task_return_new_error (waiter->task, LP_ERROR, LP_ERROR_RATE_LIMITED,
                           "no free slot within %u s; %u requests are in progress",
                           lp_config_get_queue_timeout (self->config), self->in_flight);
  lp_slot_waiter_free (waiter);
  notify_counts (self);

  return G_SOURCE_REMOVE;
}

static gboolean
complete_cancelled_waiter (gpointer user_data)
{
  LpSlotWaiter *waiter = user_data;
  LpBackend *self = waiter->backend;

  g_queue_remove (&self->waiters, waiter);
  waiter->cancel_id = 0;
  g_task_return_new_error (waiter->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "the client went away while waiting for a slot");
  lp_slot_waiter_free (waiter);
  notify_counts (self);

  return G_SOURCE_REMOVE;
}

static void
on_waiter_cancelled (GCancellable *cancellable,
                     LpSlotWaiter *waiter)
{
  /* Disconnecting from inside the handler would deadlock. */
  g_idle_add (complete_cancelled_waiter, waiter);
}

void
lp_backend_acquire_slot_async (LpBackend           *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LpSlotWaiter *waiter;

  g_return_if_fail (LP_IS_BACKEND (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lp_backend_acquire_slot_async);

  if (self->in_flight < lp_config_get_max_concurrent (self->config))
    {
      self->in_flight++;
      notify_counts (self);
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (self->waiters.length >= lp_config_get_max_queue (self->config))
    {
      g_task_return_new_error (task, LP_ERROR, LP_ERROR_RATE_LIMITED,
                               "too many requests: %u in progress and %u waiting",
                               self->in_flight, self->waiters.length);
      return;
    }

  waiter = g_new0 (LpSlotWaiter, 1);
  waiter->backend = self;
  waiter->task = g_steal_pointer (&task);
  waiter->timeout_id = g_timeout_add_seconds (lp_config_get_queue_timeout (self->config),
                                              on_waiter_timeout, waiter);
  if (cancellable != NULL)
    waiter->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_waiter_cancelled),
                                               waiter, NULL);
  g_queue_push_tail (&self->waiters, waiter);
  notify_counts (self);
}

gboolean
lp_backend_acquire_slot_finish (LpBackend     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (LP_IS_BACKEND (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
lp_backend_release_slot (LpBackend *self)
{
  LpSlotWaiter *waiter;

  g_return_if_fail (LP_IS_BACKEND (self));
  g_return_if_fail (self->in_flight > 0);

  waiter = g_queue_pop_head (&self->waiters);
  if (waiter != NULL)
    {
      /* The slot passes straight to the oldest waiter. */
      g_task_return_boolean (waiter->task, TRUE);
      lp_slot_waiter_free (waiter);
    }
  else
    {
      self->in_flight--;
    }

  notify_counts (self);
}

JsonObject *
lp_backend_build_meta (LpBackend  *self,
                       const char *request_id,
                       const char *internal_model)
{
  JsonObject *meta;
  const char *file_path;

  g_return_val_if_fail (LP_IS_BACKEND (self), NULL);
  g_return_val_if_fail (request_id != NULL, NULL);

  meta = json_object_new ();
  json_object_set_string_member (meta, "ai-coding/request-id", request_id);
  json_object_set_string_member (meta, "ai-coding/shell-type", lp_config_get_shell_type (self->config));
  json_object_set_array_member (meta, "ai-coding/enabled-mcp-servers", json_array_new ());
  json_object_set_string_member (meta, "ai-coding/mode", lp_mode_to_string (lp_config_get_mode (self->config)));
  if (internal_model != NULL && internal_model[0] != '\0')
    json_object_set_string_member (meta, "ai-coding/model", internal_model);
  file_path = lp_config_get_current_file_path (self->config);
  if (file_path != NULL && file_path[0] != '\0')
    json_object_set_string_member (meta, "ai-coding/current-file-path", file_path);

  return meta;
}

/* Sessions */

typedef struct
{
  LpSessionLease *lease;
  char           *model;
  JsonObject     *meta;
} OpenSessionData;

static void
open_session_data_free (OpenSessionData *data)
{
  g_clear_pointer (&data->lease, lp_session_lease_free);
  g_free (data->model);
  json_object_unref (data->meta);
  g_free (data);
}

static void delete_session (LpBackend *self, const char *session_id);

static void
on_set_model (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LpBackend *self = g_task_get_source_object (task);
  OpenSessionData *data = g_task_get_task_data (task);
  g_autoptr(JsonNode) reply = NULL;
  GError *error = NULL;

  reply = lp_ipc_client_call_finish (LP_IPC_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      lp_backend_close_session (self, g_steal_pointer (&data->lease), FALSE);
      g_task_return_error (task, error);
      return;
    }

  if (data->lease->sticky)
    {
      g_free (self->sticky_model);
      self->sticky_model = g_strdup (data->model);
    }

  g_task_return_pointer (task, g_steal_pointer (&data->lease), (GDestroyNotify) lp_session_lease_free);
}

static void
set_model_or_finish (GTask *task)
{
  LpBackend *self = g_task_get_source_object (task);
  OpenSessionData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) params = NULL;

  if (data->model[0] == '\0' ||
      (data->lease->sticky && !data->lease->first_turn &&
       g_strcmp0 (self->sticky_model, data->model) == 0))
    {
      g_task_return_pointer (task, g_steal_pointer (&data->lease), (GDestroyNotify) lp_session_lease_free);
      g_object_unref (task);
      return;
    }

  params = json_object_new ();
  json_object_set_string_member (params, "sessionId", data->lease->session_id);
  json_object_set_string_member (params, "modelId", data->model);
  json_object_set_int_member (params, "timestamp", g_get_real_time () / 1000);
  json_object_set_object_member (params, "_meta", json_object_ref (data->meta));
  lp_ipc_client_call_async (self->client, "session/set_model", params, SESSION_CALL_TIMEOUT_MS,
                            g_task_get_cancellable (task), on_set_model, task);
}

static char *
session_id_from_reply (JsonNode *reply)
{
  JsonObject *object;
  const char *keys[] = { "sessionId", "id" };

  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply))
    return NULL;

  object = json_node_get_object (reply);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      JsonNode *member = json_object_get_member (object, keys[i]);

      if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
          json_node_get_value_type (member) == G_TYPE_STRING)
        {
          g_autofree char *id = g_strstrip (g_strdup (json_node_get_string (member)));
          if (id[0] != '\0')
            return g_steal_pointer (&id);
        }
    }

  return NULL;
}

static void
on_session_new (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  LpBackend *self = g_task_get_source_object (task);
  OpenSessionData *data = g_task_get_task_data (task);
  g_autoptr(JsonNode) reply = NULL;
  GError *error = NULL;
  char *session_id;

  reply = lp_ipc_client_call_finish (LP_IPC_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      if (data->lease->sticky)
        self->sticky_busy = FALSE;
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  session_id = session_id_from_reply (reply);
  if (session_id == NULL)
    {
      if (data->lease->sticky)
        self->sticky_busy = FALSE;
      g_task_return_new_error (task, LP_ERROR, LP_ERROR_UPSTREAM,
                               "Lingma IPC did not return a sessionId");
      g_object_unref (task);
      return;
    }

  data->lease->session_id = session_id;
  if (data->lease->sticky)
    {
      g_free (self->sticky_session);
      self->sticky_session = g_strdup (session_id);
    }

  set_model_or_finish (task);
}

void
lp_backend_open_session_async (LpBackend           *self,
                               const char          *internal_model,
                               JsonObject          *meta,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;
  OpenSessionData *data;
  g_autoptr(JsonObject) params = NULL;
  gboolean reuse;

  g_return_if_fail (LP_IS_BACKEND (self));
  g_return_if_fail (meta != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lp_backend_open_session_async);

  data = g_new0 (OpenSessionData, 1);
  data->lease = g_new0 (LpSessionLease, 1);
  data->model = g_strdup (internal_model ? internal_model : "");
  data->meta = json_object_ref (meta);
  g_task_set_task_data (task, data, (GDestroyNotify) open_session_data_free);

  /* A busy sticky session is never shared by two requests at once
   * (upstream W16): the second one gets a fresh session. */
  reuse = lp_config_get_session_mode (self->config) == LP_SESSION_MODE_REUSE && !self->sticky_busy;

  if (reuse && self->sticky_session != NULL)
    {
      self->sticky_busy = TRUE;
      data->lease->sticky = TRUE;
      data->lease->session_id = g_strdup (self->sticky_session);
      set_model_or_finish (task);
      return;
    }

  if (reuse)
    self->sticky_busy = TRUE;

  data->lease->sticky = reuse;
  data->lease->first_turn = TRUE;

  params = json_object_new ();
  json_object_set_string_member (params, "cwd", lp_config_get_cwd (self->config));
  json_object_set_array_member (params, "mcpServers", json_array_new ());
  json_object_set_object_member (params, "_meta", json_object_new ());
  json_object_set_int_member (params, "timestamp", g_get_real_time () / 1000);
  lp_ipc_client_call_async (self->client, "session/new", params, SESSION_CALL_TIMEOUT_MS,
                            cancellable, on_session_new, task);
}

LpSessionLease *
lp_backend_open_session_finish (LpBackend     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (LP_IS_BACKEND (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_deleted_by_id (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *session_id = user_data;

  reply = lp_ipc_client_call_finish (LP_IPC_CLIENT (object), result, &error);
  if (reply == NULL)
    g_debug ("Could not delete Lingma session %s: %s", session_id, error->message);
}

static void
on_deleted (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *session_id = user_data;

  reply = lp_ipc_client_call_finish (LP_IPC_CLIENT (object), result, &error);
  if (reply == NULL && g_error_matches (error, LP_ERROR, LP_ERROR_UPSTREAM))
    {
      /* Some Lingma builds name the parameter "id". */
      g_autoptr(JsonObject) params = json_object_new ();

      json_object_set_string_member (params, "id", session_id);
      lp_ipc_client_call_async (LP_IPC_CLIENT (object), "chat/deleteSessionById", params,
                                DELETE_TIMEOUT_MS, NULL, on_deleted_by_id,
                                g_steal_pointer (&session_id));
    }
}

static void
delete_session (LpBackend  *self,
                const char *session_id)
{
  g_autoptr(JsonObject) params = json_object_new ();

  if (lp_ipc_client_get_state (self->client) != LP_IPC_STATE_CONNECTED)
    return;

  json_object_set_string_member (params, "sessionId", session_id);
  lp_ipc_client_call_async (self->client, "chat/deleteSessionById", params, DELETE_TIMEOUT_MS,
                            NULL, on_deleted, g_strdup (session_id));
}

/**
 * lp_backend_close_session:
 * @lease: (transfer full)
 * @healthy: FALSE when the turn failed; a sticky session is then retired
 *
 * Fresh sessions are deleted at once; a retired sticky session is deleted
 * too rather than leaked in Lingma (upstream W16/W17).
 */
void
lp_backend_close_session (LpBackend      *self,
                          LpSessionLease *lease,
                          gboolean        healthy)
{
  g_return_if_fail (LP_IS_BACKEND (self));

  if (lease == NULL)
    return;

  if (lease->sticky)
    {
      self->sticky_busy = FALSE;
      if (!healthy && g_strcmp0 (self->sticky_session, lease->session_id) == 0)
        {
          g_clear_pointer (&self->sticky_session, g_free);
          g_clear_pointer (&self->sticky_model, g_free);
          if (lease->session_id != NULL)
            delete_session (self, lease->session_id);
        }
    }
  else if (lease->session_id != NULL)
    {
      delete_session (self, lease->session_id);
    }

  lp_session_lease_free (lease);
}
