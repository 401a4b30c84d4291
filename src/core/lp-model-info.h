/* lp-model-info.h
 *
 * One model Lingma offers: the name clients see and send, and the
 * internal id Lingma expects in its own requests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LP_TYPE_MODEL_INFO (lp_model_info_get_type ())

G_DECLARE_FINAL_TYPE (LpModelInfo, lp_model_info, LP, MODEL_INFO, GObject)

LpModelInfo *lp_model_info_new              (const char  *id,
                                             const char  *internal_id,
                                             const char  *scene);
const char  *lp_model_info_get_id           (LpModelInfo *self);
const char  *lp_model_info_get_internal_id  (LpModelInfo *self);
const char  *lp_model_info_get_scene        (LpModelInfo *self);
const char  *lp_model_info_get_display_name (LpModelInfo *self);

G_END_DECLS
