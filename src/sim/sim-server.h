/* sim-server.h
 *
 * The listening side: a SoupServer accepting WebSocket connections on
 * any path, and the sessions they share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sim-config.h"
#include "sim-types.h"

G_BEGIN_DECLS

SimServer  *sim_server_new               (SimConfig      *config);
void        sim_server_free              (SimServer      *self);
gboolean    sim_server_listen            (SimServer      *self,
                                          const char     *host,
                                          guint           port,
                                          GError        **error);
guint       sim_server_get_port          (SimServer      *self);
SimConfig  *sim_server_get_config        (SimServer      *self);
SimSession *sim_server_create_session    (SimServer      *self);
SimSession *sim_server_lookup_session    (SimServer      *self,
                                          const char     *session_id);
gboolean    sim_server_delete_session    (SimServer      *self,
                                          const char     *session_id);
void        sim_server_connection_closed (SimServer      *self,
                                          SimConnection  *connection);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimServer, sim_server_free)

G_END_DECLS
