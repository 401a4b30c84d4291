/* lp-status-routes.h
 *
 * The routes that report rather than chat: health, models, and the
 * loopback-only request log.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-proxy.h"
#include "lp-server.h"

G_BEGIN_DECLS

void lp_status_routes_install (LpServer *server,
                               LpProxy  *proxy);

G_END_DECLS
