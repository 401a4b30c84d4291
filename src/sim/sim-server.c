/* sim-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <libsoup/soup.h>

#include "lp-error.h"
#include "sim-connection.h"
#include "sim-server.h"
#include "sim-session.h"

struct _SimServer
{
  SoupServer *soup;
  SimConfig  *config;
  GPtrArray  *connections;  /* (element-type SimConnection) open ones */
  GHashTable *sessions;     /* id → SimSession */
  guint       port;
};

static void
on_websocket (SoupServer              *soup,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  SimServer *self = user_data;

  g_ptr_array_add (self->connections, sim_connection_new (self, ws));
}

/**
 * sim_server_new:
 * @config: (transfer full)
 */
SimServer *
sim_server_new (SimConfig *config)
{
  SimServer *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_new0 (SimServer, 1);
  self->config = config;
  self->connections = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_connection_free);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) sim_session_free);
  self->soup = soup_server_new ("server-header", "lingma-sim/" PACKAGE_VERSION " ", NULL);

  /* Lingma answers on whatever path the client dials. */
  soup_server_add_websocket_handler (self->soup, NULL, NULL, NULL, on_websocket, self, NULL);

  return self;
}

void
sim_server_free (SimServer *self)
{
  if (self == NULL)
    return;

  soup_server_disconnect (self->soup);
  /* Runs point at connections: stop them first. */
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->connections, g_ptr_array_unref);
  g_clear_object (&self->soup);
  sim_config_free (self->config);
  g_free (self);
}

gboolean
sim_server_listen (SimServer   *self,
                   const char  *host,
                   guint        port,
                   GError     **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSList) listeners = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (host != NULL, FALSE);

  address = g_inet_socket_address_new_from_string (host, port);
  if (address == NULL)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG,
                   "--host must be an IP address, not \"%s\"", host);
      return FALSE;
    }

  if (!soup_server_listen (self->soup, address, 0, error))
    return FALSE;

  listeners = soup_server_get_listeners (self->soup);
  g_assert (listeners != NULL);
  local = g_socket_get_local_address (listeners->data, error);
  if (local == NULL)
    return FALSE;

  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));

  return TRUE;
}

guint
sim_server_get_port (SimServer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->port;
}

SimConfig *
sim_server_get_config (SimServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->config;
}

SimSession *
sim_server_create_session (SimServer *self)
{
  SimSession *session;

  g_return_val_if_fail (self != NULL, NULL);

  session = sim_session_new ();
  g_hash_table_insert (self->sessions, (gpointer) sim_session_get_id (session), session);

  return session;
}

SimSession *
sim_server_lookup_session (SimServer  *self,
                           const char *session_id)
{
  g_return_val_if_fail (self != NULL, NULL);

  return session_id != NULL ? g_hash_table_lookup (self->sessions, session_id) : NULL;
}

/* Running prompts end as cancelled. Returns: FALSE for an unknown id. */
gboolean
sim_server_delete_session (SimServer  *self,
                           const char *session_id)
{
  SimSession *session;

  g_return_val_if_fail (self != NULL, FALSE);

  session = sim_server_lookup_session (self, session_id);
  if (session == NULL)
    return FALSE;

  sim_session_cancel (session);
  g_hash_table_remove (self->sessions, session_id);

  return TRUE;
}

static gboolean
free_connection_cb (gpointer user_data)
{
  sim_connection_free (user_data);

  return G_SOURCE_REMOVE;
}

/* Called from the connection's own ::closed handler: freeing it there
 * would pull the WebSocket from under libsoup, so it goes on idle. */
void
sim_server_connection_closed (SimServer     *self,
                              SimConnection *connection)
{
  GHashTableIter iter;
  SimSession *session;
  guint index;

  g_return_if_fail (self != NULL);
  g_return_if_fail (connection != NULL);

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    sim_session_forget_connection (session, connection);

  if (g_ptr_array_find (self->connections, connection, &index))
    g_idle_add (free_connection_cb, g_ptr_array_steal_index_fast (self->connections, index));
}
