/* lp-json.h
 *
 * Small json-glib helpers shared by the codecs: typed member getters
 * whose errors name the offending field path ("messages[2].content:
 * expected a string"), and a compact writer that always produces valid
 * JSON (json-glib writes "inf.0" for huge numbers and 17 significant
 * digits for 0.7).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Sets LP_ERROR_INVALID_REQUEST with the message "@where.@member: …".
 * @where is the path of the enclosing value ("" or NULL at the top level);
 * @member may be NULL when @where already names the field. */
void       lp_json_error           (GError      **error,
                                    const char   *where,
                                    const char   *member,
                                    const char   *format,
                                    ...) G_GNUC_PRINTF (4, 5);

/* "@where[@index]", for walking arrays. */
char      *lp_json_path_index      (const char   *where,
                                    const char   *member,
                                    guint         index);

/* The member, or NULL when it is absent or JSON null: clients send null
 * for "not set" as often as they leave a field out. */
JsonNode  *lp_json_get_member      (JsonObject   *object,
                                    const char   *member);

/* Whether @node is a JSON string (not null, not a number). */
gboolean   lp_json_node_is_string  (JsonNode     *node);

/* Each getter leaves *@out untouched and returns TRUE when the member is
 * absent or null, stores it and returns TRUE when it has the right type,
 * and returns FALSE with a path-naming error otherwise. */
gboolean   lp_json_get_string      (JsonObject   *object,
                                    const char   *where,
                                    const char   *member,
                                    const char  **out,
                                    GError      **error);
/* Integral doubles (1024.0, as Python writes them) count as integers. */
gboolean   lp_json_get_int         (JsonObject   *object,
                                    const char   *where,
                                    const char   *member,
                                    gint64       *out,
                                    GError      **error);
gboolean   lp_json_get_double      (JsonObject   *object,
                                    const char   *where,
                                    const char   *member,
                                    double       *out,
                                    GError      **error);
gboolean   lp_json_get_boolean     (JsonObject   *object,
                                    const char   *where,
                                    const char   *member,
                                    gboolean     *out,
                                    GError      **error);
gboolean   lp_json_get_object      (JsonObject   *object,
                                    const char   *where,
                                    const char   *member,
                                    JsonObject  **out,
                                    GError      **error);
gboolean   lp_json_get_array       (JsonObject   *object,
                                    const char   *where,
                                    const char   *member,
                                    JsonArray   **out,
                                    GError      **error);

/* A member that must be present (not null) and a string. */
gboolean   lp_json_require_string  (JsonObject   *object,
                                    const char   *where,
                                    const char   *member,
                                    const char  **out,
                                    GError      **error);
/* A required string that is not blank, such as a tool name; *@out is
 * trimmed (transfer full). */
gboolean   lp_json_require_name    (JsonObject   *object,
                                    const char   *where,
                                    const char   *member,
                                    char        **out,
                                    GError      **error);

/* json-glib parses recursively and overflows the stack on deep nesting
 * (a 150 KB body of "[" is enough); no real request nests past a few
 * dozen levels. */
#define LP_JSON_MAX_DEPTH 256

typedef enum
{
  LP_JSON_SHAPE_OK,
  LP_JSON_SHAPE_TOO_DEEP,
  LP_JSON_SHAPE_NOT_SINGLE,
} LpJsonShape;

/* Checks outside bytes before json-glib sees them: one object or array,
 * nested at most @max_depth deep, with only space around it. json-glib
 * 1.6 overflows its stack on deep nesting and leaks the values that
 * follow a first complete one. */
LpJsonShape lp_json_check_shape    (const char   *data,
                                    gsize         length,
                                    guint         max_depth);

/* Parses a request body: nesting deeper than LP_JSON_MAX_DEPTH is refused
 * before json-glib sees it, and so is an empty body. Fails with
 * LP_ERROR_INVALID_REQUEST, "request body: invalid JSON (…)". */
JsonNode  *lp_json_parse_body      (const char   *data,
                                    gsize         length,
                                    GError      **error);

/* Tool-call arguments sent as a string, as a JSON object node: the
 * parsed object; {} for a blank string; {"_raw": @text} for anything
 * else (truncated, non-object or too deeply nested JSON), so the text
 * is not lost. */
JsonNode  *lp_json_parse_arguments (const char   *text);

/* Tool-call arguments as both dialects send them: absent, an object, or a
 * string holding JSON (see lp_json_parse_arguments()). Anything else is
 * an error at @where.@member saying "expected @expected". */
JsonNode  *lp_json_get_arguments   (JsonObject   *object,
                                    const char   *where,
                                    const char   *member,
                                    const char   *expected,
                                    GError      **error);

/* Appends @text, trimmed, to @joined with @separator before it unless
 * @joined is empty. Blank pieces are skipped. */
void       lp_json_join_text       (GString      *joined,
                                    const char   *text,
                                    const char   *separator);

/* Compact JSON. Doubles use the shortest text that reads back the same,
 * non-finite numbers become null, invalid UTF-8 is repaired. */
char      *lp_json_to_string       (JsonNode     *node);
void       lp_json_append          (GString      *out,
                                    JsonNode     *node);
/* @text as a quoted JSON string. */
void       lp_json_append_string   (GString      *out,
                                    const char   *text);

/* How many deltas a tool call's arguments are streamed in. */
#define LP_JSON_STREAM_PIECES 3

/* Splits @text into at most @n_pieces non-empty pieces of similar size,
 * never inside a UTF-8 character; the pieces concatenate to @text. Used
 * to stream tool arguments the way real APIs do, in several deltas. */
GStrv      lp_json_split_pieces    (const char   *text,
                                    guint         n_pieces);

/* The instruction that asks the model for JSON output only: any JSON
 * object when @schema is NULL, else a value matching @schema. */
char      *lp_json_output_instruction (JsonNode  *schema);

G_END_DECLS
