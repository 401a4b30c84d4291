/* sim-run.h
 *
 * One session/prompt being answered: session/update notifications paced
 * by a GLib timeout, then the prompt's response.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "sim-script.h"
#include "sim-types.h"

G_BEGIN_DECLS

typedef void (*SimRunFinishedFunc) (SimRun   *run,
                                    gpointer  user_data);

SimRun        *sim_run_new            (SimConnection      *connection,
                                       const char         *session_id,
                                       JsonNode           *prompt_id,
                                       const char         *request_id,
                                       SimReply           *reply,
                                       guint               chunk_size,
                                       guint               chunk_delay_ms);
void           sim_run_start          (SimRun             *self,
                                       SimRunFinishedFunc  finished,
                                       gpointer            user_data);
void           sim_run_cancel         (SimRun             *self);
SimConnection *sim_run_get_connection (SimRun             *self);
void           sim_run_free           (SimRun             *self);

G_END_DECLS
