/* lp-ipc-client.h
 *
 * JSON-RPC 2.0 over Content-Length frames inside WebSocket messages:
 * the one connection to Lingma, shared by every request.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  LP_IPC_STATE_DISCONNECTED,
  LP_IPC_STATE_CONNECTING,
  LP_IPC_STATE_CONNECTED,
  LP_IPC_STATE_FAILED,
} LpIpcState;

#define LP_TYPE_IPC_STATE (lp_ipc_state_get_type ())
GType lp_ipc_state_get_type (void);
const char *lp_ipc_state_to_string (LpIpcState state);

/* LpIpcClient: FAILED after a failed attempt or an unexpected loss (the
 * reason is in "last-error"; after a loss it reconnects in the background
 * with backoff), DISCONNECTED after lp_ipc_client_close().
 *
 * Properties: "url" (last resolved), "state", "last-error",
 * "max-frame-size" (next connection), "ping-interval" (seconds, 0 = off).
 * Signals: "connected", "disconnected" (reason), "notification"
 * (method, params) for notifications no subscriber claimed.
 *
 * Call errors: LP_ERROR_UPSTREAM (JSON-RPC error), LP_ERROR_TIMEOUT,
 * LP_ERROR_UNAVAILABLE (cannot connect, connection lost or closed),
 * G_IO_ERROR_CANCELLED. */
#define LP_TYPE_IPC_CLIENT (lp_ipc_client_get_type ())
G_DECLARE_FINAL_TYPE (LpIpcClient, lp_ipc_client, LP, IPC_CLIENT, GObject)

/* Called before every connection attempt, so a Lingma that restarted on
 * another port is found again. Returns the ws:// URL, or NULL with @error. */
typedef char *(*LpIpcResolveFunc) (gpointer   user_data,
                                   GError   **error);

/* A session/update (or other) notification routed to its owner by
 * params._meta["ai-coding/request-id"]. */
typedef void (*LpIpcNotifyFunc) (LpIpcClient *client,
                                 const char  *method,
                                 JsonObject  *params,
                                 gpointer     user_data);

LpIpcClient *lp_ipc_client_new             (void);
void         lp_ipc_client_set_resolver    (LpIpcClient         *self,
                                            LpIpcResolveFunc     func,
                                            gpointer             user_data,
                                            GDestroyNotify       destroy);
const char  *lp_ipc_client_get_url         (LpIpcClient         *self);
LpIpcState   lp_ipc_client_get_state       (LpIpcClient         *self);
const char  *lp_ipc_client_get_last_error  (LpIpcClient         *self);

void         lp_ipc_client_connect_async   (LpIpcClient         *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean     lp_ipc_client_connect_finish  (LpIpcClient         *self,
                                            GAsyncResult        *result,
                                            GError             **error);

void         lp_ipc_client_call_async      (LpIpcClient         *self,
                                            const char          *method,
                                            JsonObject          *params,
                                            guint                timeout_ms,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
JsonNode    *lp_ipc_client_call_finish     (LpIpcClient         *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* A JSON-RPC notification (no id, no reply), e.g. session/cancel. */
gboolean     lp_ipc_client_notify          (LpIpcClient         *self,
                                            const char          *method,
                                            JsonObject          *params,
                                            GError             **error);

guint        lp_ipc_client_subscribe       (LpIpcClient         *self,
                                            const char          *request_id,
                                            LpIpcNotifyFunc      func,
                                            gpointer             user_data,
                                            GDestroyNotify       destroy);
void         lp_ipc_client_unsubscribe     (LpIpcClient         *self,
                                            guint                subscription_id);

void         lp_ipc_client_close           (LpIpcClient         *self);

G_END_DECLS
