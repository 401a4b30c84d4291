/* lp-status-routes.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-status-routes"

#include "config.h"

#include "lp-error.h"
#include "lp-status-routes.h"

#define DEBUG_DEFAULT_LIMIT 50
#define DEBUG_MAX_LIMIT     500

static void
add_lingma_state (JsonBuilder *builder,
                  LpProxy     *proxy)
{
  LpBackend *backend = lp_proxy_get_backend (proxy);
  LpIpcClient *client = lp_backend_get_client (backend);
  LpIpcState state = lp_ipc_client_get_state (client);
  const char *url = lp_ipc_client_get_url (client);
  const char *source = lp_backend_get_endpoint_source (backend);
  const char *error = lp_ipc_client_get_last_error (client);

  json_builder_set_member_name (builder, "lingma");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, lp_ipc_state_to_string (state));
  json_builder_set_member_name (builder, "connected");
  json_builder_add_boolean_value (builder, state == LP_IPC_STATE_CONNECTED);
  json_builder_set_member_name (builder, "transport");
  json_builder_add_string_value (builder, "websocket");
  json_builder_set_member_name (builder, "endpoint");
  if (url != NULL)
    json_builder_add_string_value (builder, url);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "discovered_from");
  if (source != NULL)
    json_builder_add_string_value (builder, source);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "last_error");
  if (error != NULL && state != LP_IPC_STATE_CONNECTED)
    json_builder_add_string_value (builder, error);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "models");
  json_builder_add_int_value (builder, g_list_model_get_n_items (G_LIST_MODEL (lp_backend_get_catalog (backend))));
  json_builder_end_object (builder);
}

static void
handle_health (LpServer          *server,
               SoupServerMessage *msg,
               GBytes            *body,
               LpRequestRecord   *record,
               gpointer           user_data)
{
  LpProxy *proxy = user_data;
  LpConfig *config = lp_proxy_get_config (proxy);
  LpBackend *backend = lp_proxy_get_backend (proxy);
  LpIpcState state = lp_ipc_client_get_state (lp_backend_get_client (backend));
  gboolean connected = state == LP_IPC_STATE_CONNECTED;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  /* A health check counts as a use: a Lingma that came up after the
   * proxy is picked up without waiting for the first chat. */
  if (state == LP_IPC_STATE_FAILED || state == LP_IPC_STATE_DISCONNECTED)
    lp_backend_start (backend);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, connected ? "ok" : "degraded");
  json_builder_set_member_name (builder, "service");
  json_builder_add_string_value (builder, PACKAGE_NAME);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "uptime_seconds");
  json_builder_add_int_value (builder, (g_get_real_time () - lp_proxy_get_started_at (proxy)) / G_USEC_PER_SEC);
  json_builder_set_member_name (builder, "endpoint");
  json_builder_add_string_value (builder, lp_proxy_get_base_url (proxy));
  json_builder_set_member_name (builder, "transport");
  json_builder_add_string_value (builder, lp_transport_to_string (lp_config_get_transport (config)));
  json_builder_set_member_name (builder, "session_mode");
  json_builder_add_string_value (builder, lp_session_mode_to_string (lp_config_get_session_mode (config)));
  add_lingma_state (builder, proxy);
  json_builder_set_member_name (builder, "requests");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "in_flight");
  json_builder_add_int_value (builder, lp_backend_get_in_flight (backend));
  json_builder_set_member_name (builder, "queued");
  json_builder_add_int_value (builder, lp_backend_get_queued (backend));
  json_builder_set_member_name (builder, "max_concurrent");
  json_builder_add_int_value (builder, lp_config_get_max_concurrent (config));
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, lp_request_store_get_total_requests (lp_proxy_get_store (proxy)));
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  lp_server_reply_json (msg, 200, root);
}

typedef struct
{
  LpProxy           *proxy;
  SoupServerMessage *msg;
} ModelsReply;

static void
on_models_ready (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ModelsReply *reply = user_data;
  g_autoptr(GError) error = NULL;

  if (!lp_backend_refresh_models_finish (LP_BACKEND (object), result, &error))
    {
      lp_server_reply_error (reply->msg, LP_DIALECT_OPENAI, lp_error_http_status (error), error->message);
    }
  else
    {
      LpModelCatalog *catalog = lp_backend_get_catalog (LP_BACKEND (object));
      g_autoptr(JsonNode) list = lp_model_catalog_to_openai_list (catalog, g_get_real_time () / G_USEC_PER_SEC);

      lp_server_reply_json (reply->msg, 200, list);
    }

  soup_server_message_unpause (reply->msg);
  g_object_unref (reply->msg);
  g_object_unref (reply->proxy);
  g_free (reply);
}

static void
handle_models (LpServer          *server,
               SoupServerMessage *msg,
               GBytes            *body,
               LpRequestRecord   *record,
               gpointer           user_data)
{
  LpProxy *proxy = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);
  gboolean force = FALSE;
  ModelsReply *reply;

  if (query != NULL)
    {
      g_autoptr(GHashTable) params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
      const char *refresh = params ? g_hash_table_lookup (params, "refresh") : NULL;

      force = refresh != NULL && (g_str_equal (refresh, "1") || g_str_equal (refresh, "true"));
    }

  reply = g_new0 (ModelsReply, 1);
  reply->proxy = g_object_ref (proxy);
  reply->msg = g_object_ref (msg);
  soup_server_message_pause (msg);
  lp_backend_refresh_models_async (lp_proxy_get_backend (proxy), force, NULL, on_models_ready, reply);
}

/* The log holds whole prompts: only for loopback peers, and only when the
 * user switched it on (upstream W1 served it to any web page). */
static void
handle_debug_requests (LpServer          *server,
                       SoupServerMessage *msg,
                       GBytes            *body,
                       LpRequestRecord   *record,
                       gpointer           user_data)
{
  LpProxy *proxy = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);
  g_autoptr(JsonNode) records = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint64 limit = DEBUG_DEFAULT_LIMIT;

  if (!lp_config_get_debug_requests (lp_proxy_get_config (proxy)) || !lp_server_is_loopback_peer (msg))
    {
      lp_server_reply_error (msg, LP_DIALECT_OPENAI, 404, "not found");
      return;
    }

  if (query != NULL)
    {
      g_autoptr(GHashTable) params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
      const char *value = params ? g_hash_table_lookup (params, "limit") : NULL;

      if (value != NULL && !g_ascii_string_to_unsigned (value, 10, 1, DEBUG_MAX_LIMIT, &limit, NULL))
        {
          lp_server_reply_error (msg, LP_DIALECT_OPENAI, 400, "limit: expected an integer from 1 to 500");
          return;
        }
    }

  records = lp_request_store_to_json (lp_proxy_get_store (proxy), limit);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "service");
  json_builder_add_string_value (builder, PACKAGE_NAME);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, json_array_get_length (json_node_get_array (records)));
  json_builder_set_member_name (builder, "requests");
  json_builder_add_value (builder, g_steal_pointer (&records));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  lp_server_reply_json (msg, 200, root);
}

void
lp_status_routes_install (LpServer *server,
                          LpProxy  *proxy)
{
  g_return_if_fail (LP_IS_SERVER (server));
  g_return_if_fail (LP_IS_PROXY (proxy));

  /* The server never outlives the proxy that installs its routes. */
  lp_server_add_route (server, "/", "GET,HEAD", LP_DIALECT_OPENAI, handle_health, proxy);
  lp_server_add_route (server, "/health", "GET,HEAD", LP_DIALECT_OPENAI, handle_health, proxy);
  lp_server_add_route (server, "/v1/models", "GET", LP_DIALECT_OPENAI, handle_models, proxy);
  lp_server_add_route (server, "/debug/requests", "GET", LP_DIALECT_OPENAI, handle_debug_requests, proxy);
}
