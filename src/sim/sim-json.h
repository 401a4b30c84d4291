/* sim-json.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

const char *sim_json_get_string (JsonObject *object,
                                 const char *member);

G_END_DECLS
