/* sim-models.h
 *
 * The model tree the simulator answers config/queryModels with, and the
 * internal ids session/set_model accepts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _SimModels SimModels;

SimModels  *sim_models_new_default    (void);
SimModels  *sim_models_new_from_file  (const char  *path,
                                       GError     **error);
void        sim_models_free           (SimModels   *self);
JsonNode   *sim_models_get_tree       (SimModels   *self);
gboolean    sim_models_contains       (SimModels   *self,
                                       const char  *internal_id);
const char *sim_models_get_default_id (SimModels   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimModels, sim_models_free)

G_END_DECLS
