/* lp-server.h
 *
 * The HTTP front: listening, routing by exact path, the guards every
 * request passes (Host check, optional API key, body limit) and the
 * recording of each request into the request store.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "lp-chat-request.h"
#include "lp-request-record.h"
#include "lp-request-store.h"

G_BEGIN_DECLS

#define LP_TYPE_SERVER (lp_server_get_type ())
G_DECLARE_FINAL_TYPE (LpServer, lp_server, LP, SERVER, GObject)

typedef void (*LpRouteFunc) (LpServer          *server,
                             SoupServerMessage *msg,
                             GBytes            *body,
                             LpRequestRecord   *record,
                             gpointer           user_data);

LpServer *lp_server_new            (LpRequestStore     *store);
void      lp_server_add_route      (LpServer           *self,
                                    const char         *path,
                                    const char         *methods,
                                    LpDialect           error_dialect,
                                    LpRouteFunc         func,
                                    gpointer            user_data);
gboolean  lp_server_listen         (LpServer           *self,
                                    const char         *host,
                                    guint               port,
                                    GError            **error);
void      lp_server_disconnect     (LpServer           *self);
guint     lp_server_get_port       (LpServer           *self);
char     *lp_server_dup_base_url   (LpServer           *self);
void      lp_server_set_body_limit (LpServer           *self,
                                    guint64             body_limit);
void      lp_server_set_api_key    (LpServer           *self,
                                    const char         *api_key);

void      lp_server_reply_json     (SoupServerMessage  *msg,
                                    guint               status,
                                    JsonNode           *node);
void      lp_server_reply_error    (SoupServerMessage  *msg,
                                    LpDialect           dialect,
                                    guint               status,
                                    const char         *message);
gboolean  lp_server_is_loopback_peer (SoupServerMessage *msg);

G_END_DECLS
