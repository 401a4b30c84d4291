/* sim-connection.h
 *
 * One client WebSocket: Content-Length frames in and out, JSON-RPC
 * envelopes, and the server→client requests the simulator makes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sim-types.h"

G_BEGIN_DECLS

SimConnection *sim_connection_new               (SimServer               *server,
                                                 SoupWebsocketConnection *ws);
void           sim_connection_free              (SimConnection           *self);
SimServer     *sim_connection_get_server        (SimConnection           *self);
gboolean       sim_connection_get_initialized   (SimConnection           *self);
void           sim_connection_set_initialized   (SimConnection           *self);
void           sim_connection_send_result       (SimConnection           *self,
                                                 JsonNode                *id,
                                                 JsonNode                *result);
void           sim_connection_send_error        (SimConnection           *self,
                                                 JsonNode                *id,
                                                 int                      code,
                                                 const char              *message);
void           sim_connection_send_notification (SimConnection           *self,
                                                 const char              *method,
                                                 JsonObject              *params);
void           sim_connection_send_request      (SimConnection           *self,
                                                 const char              *method,
                                                 JsonObject              *params);
void           sim_connection_abort             (SimConnection           *self);

G_END_DECLS
