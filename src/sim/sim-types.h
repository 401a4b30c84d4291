/* sim-types.h
 *
 * Forward declarations: server, connections, sessions and runs point at
 * each other.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SimConnection SimConnection;
typedef struct _SimRun        SimRun;
typedef struct _SimServer     SimServer;
typedef struct _SimSession    SimSession;

/* JSON-RPC error codes the simulator answers with. */
#define SIM_RPC_PARSE_ERROR      (-32700)
#define SIM_RPC_INVALID_REQUEST  (-32600)
#define SIM_RPC_METHOD_NOT_FOUND (-32601)
#define SIM_RPC_INVALID_PARAMS   (-32602)
#define SIM_RPC_NOT_INITIALIZED  (-32002)
#define SIM_RPC_SIMULATED        (-32000)

G_END_DECLS
