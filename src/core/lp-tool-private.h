/* lp-tool-private.h
 *
 * Helpers shared by the contract, the parser and the retry policy of the
 * tool emulation; not for use outside lp-tool-*.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "lp-tools.h"

G_BEGIN_DECLS

/* What a tool is for, guessed from its name only. The contract's routing
 * guide and the parser's alias step both use it, so a name the guide
 * files under "shell" is also one the parser maps onto the shell tool. */
typedef enum
{
  LP_TOOL_KIND_OTHER,
  LP_TOOL_KIND_SHELL,
  LP_TOOL_KIND_READ,
  LP_TOOL_KIND_SEARCH,
  LP_TOOL_KIND_EDIT,
  LP_TOOL_KIND_WRITE,
  LP_TOOL_KIND_WEB_SEARCH,
  LP_TOOL_KIND_WEB_FETCH,
} LpToolKind;

/* Lowercase, one leading "mcp_"/"mcp__" dropped, separators ("-", "_",
 * space, ".") removed: "mcp__Web-Fetch" and "web_fetch" compare equal. */
char       *lp_tool_normalize_name (const char          *name);
LpToolKind  lp_tool_kind_for_name  (const char          *name);

/* The schema of @tool and its members, or NULL when absent or of another
 * JSON type. */
JsonObject *lp_tool_schema            (const LpToolDef     *tool);
JsonObject *lp_tool_schema_get_object (JsonObject          *object,
                                       const char          *member);
JsonArray  *lp_tool_schema_get_array  (JsonObject          *object,
                                       const char          *member);
/* The string @node holds, or NULL for any other node (json-glib's own
 * getters warn on containers). */
const char *lp_tool_json_string       (JsonNode            *node);
/* `"a"|"b"` for an enum, the schema type ("string|null" for a list of
 * types), else "any". */
void        lp_tool_append_type       (GString             *out,
                                       JsonObject          *property);

/* The tools a reply may call: the request's definitions, or, on a turn
 * that omits them but continues a tool conversation, schema-less
 * stand-ins for the tools called earlier (first-call order, no
 * duplicates). (element-type LpToolDef) */
GPtrArray  *lp_tool_known_tools    (const LpChatRequest *request);

G_END_DECLS
