/* lp-backend.h
 *
 * Everything on the Lingma side of the proxy that outlives one request:
 * the IPC connection and where its endpoint was found, the model catalog,
 * the concurrency slots with their bounded wait queue, and sessions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-config.h"
#include "lp-ipc-client.h"
#include "lp-model-catalog.h"

G_BEGIN_DECLS

#define LP_TYPE_BACKEND (lp_backend_get_type ())
G_DECLARE_FINAL_TYPE (LpBackend, lp_backend, LP, BACKEND, GObject)

typedef struct
{
  char     *session_id;
  gboolean  sticky;      /* the reuse-mode session, kept after the request */
  gboolean  first_turn;  /* the session holds no earlier turns */
} LpSessionLease;

LpBackend      *lp_backend_new                  (LpConfig            *config);
LpConfig       *lp_backend_get_config           (LpBackend           *self);
LpIpcClient    *lp_backend_get_client           (LpBackend           *self);
LpModelCatalog *lp_backend_get_catalog          (LpBackend           *self);
guint           lp_backend_get_in_flight        (LpBackend           *self);
guint           lp_backend_get_queued           (LpBackend           *self);
const char     *lp_backend_get_endpoint_source  (LpBackend           *self);
void            lp_backend_start                (LpBackend           *self);
void            lp_backend_stop                 (LpBackend           *self);

void            lp_backend_acquire_slot_async   (LpBackend           *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean        lp_backend_acquire_slot_finish  (LpBackend           *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
void            lp_backend_release_slot         (LpBackend           *self);

void            lp_backend_refresh_models_async (LpBackend           *self,
                                                 gboolean             force,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean        lp_backend_refresh_models_finish (LpBackend          *self,
                                                  GAsyncResult       *result,
                                                  GError            **error);

JsonObject     *lp_backend_build_meta           (LpBackend           *self,
                                                 const char          *request_id,
                                                 const char          *internal_model);

void            lp_backend_open_session_async   (LpBackend           *self,
                                                 const char          *internal_model,
                                                 JsonObject          *meta,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
LpSessionLease *lp_backend_open_session_finish  (LpBackend           *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
void            lp_backend_close_session        (LpBackend           *self,
                                                 LpSessionLease      *lease,
                                                 gboolean             healthy);

G_END_DECLS
