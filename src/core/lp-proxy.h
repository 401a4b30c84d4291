/* lp-proxy.h
 *
 * The one object both shells create: it owns the configuration, the HTTP
 * server, the Lingma backend and the request store, and starts and stops
 * them together. The app binds its widgets to these properties.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-backend.h"
#include "lp-config.h"
#include "lp-request-store.h"

G_BEGIN_DECLS

typedef enum
{
  LP_PROXY_STATE_STOPPED,
  LP_PROXY_STATE_RUNNING,
  LP_PROXY_STATE_FAILED,
} LpProxyState;

#define LP_TYPE_PROXY_STATE (lp_proxy_state_get_type ())
GType lp_proxy_state_get_type (void);

#define LP_TYPE_PROXY (lp_proxy_get_type ())
G_DECLARE_FINAL_TYPE (LpProxy, lp_proxy, LP, PROXY, GObject)

LpProxy        *lp_proxy_new            (LpConfig  *config);
gboolean        lp_proxy_start          (LpProxy   *self,
                                         GError   **error);
void            lp_proxy_stop           (LpProxy   *self);
gboolean        lp_proxy_restart        (LpProxy   *self,
                                         GError   **error);
LpProxyState    lp_proxy_get_state      (LpProxy   *self);
const char     *lp_proxy_get_last_error (LpProxy   *self);
const char     *lp_proxy_get_base_url   (LpProxy   *self);
gint64          lp_proxy_get_started_at (LpProxy   *self);
LpConfig       *lp_proxy_get_config     (LpProxy   *self);
LpBackend      *lp_proxy_get_backend    (LpProxy   *self);
LpRequestStore *lp_proxy_get_store      (LpProxy   *self);

G_END_DECLS
