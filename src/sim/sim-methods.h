/* sim-methods.h
 *
 * The JSON-RPC methods the simulator implements.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "sim-types.h"

G_BEGIN_DECLS

void sim_methods_dispatch (SimConnection *connection,
                           const char    *method,
                           JsonNode      *id,
                           JsonObject    *params);

G_END_DECLS
