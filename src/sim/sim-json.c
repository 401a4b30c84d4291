/* sim-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include "sim-json.h"

/**
 * sim_json_get_string:
 *
 * Returns: (nullable): the member's value when it is a string, else %NULL
 *   (json_object_get_string_member() warns on other types; clients may
 *   send anything).
 */
const char *
sim_json_get_string (JsonObject *object,
                     const char *member)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (member != NULL, NULL);

  node = json_object_get_member (object, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}
