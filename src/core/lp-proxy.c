/* lp-proxy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-proxy"

#include "config.h"

#include "lp-chat-handler.h"
#include "lp-error.h"
#include "lp-images.h"
#include "lp-proxy.h"
#include "lp-server.h"
#include "lp-status-routes.h"

struct _LpProxy
{
  GObject         parent_instance;

  LpConfig       *config;
  LpBackend      *backend;
  LpServer       *server;
  LpRequestStore *store;
  LpProxyState    state;
  char           *last_error;
  char           *base_url;
  gint64          started_at;
};

enum {
  PROP_0,
  PROP_CONFIG,
  PROP_STATE,
  PROP_LAST_ERROR,
  PROP_BASE_URL,
  PROP_STARTED_AT,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (LpProxy, lp_proxy, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (LpProxyState, lp_proxy_state,
  G_DEFINE_ENUM_VALUE (LP_PROXY_STATE_STOPPED, "stopped"),
  G_DEFINE_ENUM_VALUE (LP_PROXY_STATE_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (LP_PROXY_STATE_FAILED, "failed"))

static void
set_state (LpProxy      *self,
           LpProxyState  state,
           const char   *error)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }

  if (g_strcmp0 (self->last_error, error) != 0)
    {
      g_free (self->last_error);
      self->last_error = g_strdup (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/* Only loopback binds may run without a key: anything else would hand
 * the user's Lingma account to the network. */
static gboolean
check_exposure (LpConfig  *config,
                GError   **error)
{
  const char *host = lp_config_get_host (config);
  const char *key = lp_config_get_api_key (config);
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);
  gboolean loopback = g_ascii_strcasecmp (host, "localhost") == 0 ||
                      (address != NULL && g_inet_address_get_is_loopback (address));

  if (!loopback && (key == NULL || key[0] == '\0'))
    {
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG,
                   "refusing to listen on %s without an API key: set api_key (--api-key) "
                   "or use 127.0.0.1", host);
      return FALSE;
    }

  return TRUE;
}

gboolean
lp_proxy_start (LpProxy  *self,
                GError  **error)
{
  g_autoptr(LpServer) server = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (LP_IS_PROXY (self), FALSE);

  if (self->state == LP_PROXY_STATE_RUNNING)
    return TRUE;

  if (!check_exposure (self->config, &local_error))
    goto failed;

  lp_request_store_set_max_records (self->store, lp_config_get_store_max_records (self->config));
  lp_request_store_set_max_bytes (self->store, lp_config_get_store_max_bytes (self->config));

  server = lp_server_new (self->store);
  lp_server_set_body_limit (server, lp_config_get_body_limit (self->config));
  lp_server_set_api_key (server, lp_config_get_api_key (self->config));
  lp_status_routes_install (server, self);
  lp_chat_handler_install (server, self->backend);

  if (!lp_server_listen (server, lp_config_get_host (self->config),
                         lp_config_get_port (self->config), &local_error))
    goto failed;

  lp_images_remove_stale_dirs ();
  self->server = g_steal_pointer (&server);
  self->started_at = g_get_real_time ();
  g_free (self->base_url);
  self->base_url = lp_server_dup_base_url (self->server);
  lp_backend_start (self->backend);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED_AT]);
  set_state (self, LP_PROXY_STATE_RUNNING, NULL);
  g_object_thaw_notify (G_OBJECT (self));

  return TRUE;

failed:
  set_state (self, LP_PROXY_STATE_FAILED, local_error->message);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

void
lp_proxy_stop (LpProxy *self)
{
  g_return_if_fail (LP_IS_PROXY (self));

  if (self->server != NULL)
    {
      lp_server_disconnect (self->server);
      g_clear_object (&self->server);
    }

  lp_backend_stop (self->backend);
  self->started_at = 0;
  g_clear_pointer (&self->base_url, g_free);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED_AT]);
  set_state (self, LP_PROXY_STATE_STOPPED, NULL);
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
lp_proxy_restart (LpProxy  *self,
                  GError  **error)
{
  g_return_val_if_fail (LP_IS_PROXY (self), FALSE);

  lp_proxy_stop (self);
  return lp_proxy_start (self, error);
}

static void
lp_proxy_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  LpProxy *self = LP_PROXY (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;

    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;

    case PROP_STARTED_AT:
      g_value_set_int64 (value, self->started_at);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_proxy_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  LpProxy *self = LP_PROXY (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      self->config = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_proxy_constructed (GObject *object)
{
  LpProxy *self = LP_PROXY (object);

  G_OBJECT_CLASS (lp_proxy_parent_class)->constructed (object);

  if (self->config == NULL)
    self->config = lp_config_new ();

  self->backend = lp_backend_new (self->config);
  self->store = lp_request_store_new (lp_config_get_store_max_records (self->config),
                                      lp_config_get_store_max_bytes (self->config));
}

static void
lp_proxy_dispose (GObject *object)
{
  LpProxy *self = LP_PROXY (object);

  if (self->server != NULL)
    lp_server_disconnect (self->server);
  g_clear_object (&self->server);
  if (self->backend != NULL)
    lp_backend_stop (self->backend);

  G_OBJECT_CLASS (lp_proxy_parent_class)->dispose (object);
}

static void
lp_proxy_finalize (GObject *object)
{
  LpProxy *self = LP_PROXY (object);

  g_clear_object (&self->backend);
  g_clear_object (&self->store);
  g_clear_object (&self->config);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->base_url, g_free);

  G_OBJECT_CLASS (lp_proxy_parent_class)->finalize (object);
}

static void
lp_proxy_class_init (LpProxyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = lp_proxy_constructed;
  object_class->get_property = lp_proxy_get_property;
  object_class->set_property = lp_proxy_set_property;
  object_class->dispose = lp_proxy_dispose;
  object_class->finalize = lp_proxy_finalize;

  properties[PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL, LP_TYPE_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, LP_TYPE_PROXY_STATE, LP_PROXY_STATE_STOPPED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STARTED_AT] =
    g_param_spec_int64 ("started-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lp_proxy_init (LpProxy *self)
{
}

LpProxy *
lp_proxy_new (LpConfig *config)
{
  g_return_val_if_fail (config == NULL || LP_IS_CONFIG (config), NULL);

  return g_object_new (LP_TYPE_PROXY, "config", config, NULL);
}

LpProxyState
lp_proxy_get_state (LpProxy *self)
{
  g_return_val_if_fail (LP_IS_PROXY (self), LP_PROXY_STATE_STOPPED);

  return self->state;
}

const char *
lp_proxy_get_last_error (LpProxy *self)
{
  g_return_val_if_fail (LP_IS_PROXY (self), NULL);

  return self->last_error;
}

const char *
lp_proxy_get_base_url (LpProxy *self)
{
  g_return_val_if_fail (LP_IS_PROXY (self), NULL);

  return self->base_url;
}

gint64
lp_proxy_get_started_at (LpProxy *self)
{
  g_return_val_if_fail (LP_IS_PROXY (self), 0);

  return self->started_at;
}

LpConfig *
lp_proxy_get_config (LpProxy *self)
{
  g_return_val_if_fail (LP_IS_PROXY (self), NULL);

  return self->config;
}

LpBackend *
lp_proxy_get_backend (LpProxy *self)
{
  g_return_val_if_fail (LP_IS_PROXY (self), NULL);

  return self->backend;
}

LpRequestStore *
lp_proxy_get_store (LpProxy *self)
{
  g_return_val_if_fail (LP_IS_PROXY (self), NULL);

  return self->store;
}
