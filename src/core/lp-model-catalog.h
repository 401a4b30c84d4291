/* lp-model-catalog.h
 *
 * The models Lingma offers, as a GListModel of LpModelInfo in the order
 * Lingma listed them, and the translation of a client's "model" into
 * the internal id Lingma expects.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lp-model-info.h"

G_BEGIN_DECLS

#define LP_TYPE_MODEL_CATALOG (lp_model_catalog_get_type ())

G_DECLARE_FINAL_TYPE (LpModelCatalog, lp_model_catalog, LP, MODEL_CATALOG, GObject)

LpModelCatalog *lp_model_catalog_new               (void);
gboolean        lp_model_catalog_update_from_json  (LpModelCatalog *self,
                                                    JsonNode       *query_models_result,
                                                    GError        **error);
gboolean        lp_model_catalog_is_empty          (LpModelCatalog *self);
gint64          lp_model_catalog_get_last_updated  (LpModelCatalog *self);
char           *lp_model_catalog_resolve           (LpModelCatalog *self,
                                                    const char     *requested,
                                                    const char     *default_model,
                                                    GHashTable     *aliases,
                                                    gboolean       *out_known);
const char     *lp_model_catalog_display_name_for  (LpModelCatalog *self,
                                                    const char     *internal_id);
JsonNode       *lp_model_catalog_to_openai_list    (LpModelCatalog *self,
                                                    gint64          created);

G_END_DECLS
