/* sim-session.h
 *
 * A Lingma chat session: its id, model, and the prompts running on it.
 * Sessions belong to the simulator, not to a connection, as in Lingma.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sim-run.h"

G_BEGIN_DECLS

SimSession *sim_session_new               (void);
void        sim_session_free              (SimSession    *self);
const char *sim_session_get_id            (SimSession    *self);
const char *sim_session_get_model_id      (SimSession    *self);
void        sim_session_set_model_id      (SimSession    *self,
                                           const char    *model_id);
guint       sim_session_next_prompt_index (SimSession    *self);
void        sim_session_add_run           (SimSession    *self,
                                           SimRun        *run);
guint       sim_session_cancel            (SimSession    *self);
void        sim_session_forget_connection (SimSession    *self,
                                           SimConnection *connection);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimSession, sim_session_free)

G_END_DECLS
