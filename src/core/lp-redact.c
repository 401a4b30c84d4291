/* lp-redact.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-redact"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "lp-json.h"
#include "lp-redact.h"

#define REDACTED "[redacted]"

/* A data URL header ("data:image/png;base64,") longer than this is not one. */
#define MAX_DATA_URL_HEADER 256

static const char * const secret_header_words[] = {
  "token", "secret", "key", "auth", "cookie", "session",
};

static gboolean
is_secret_header (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; i < G_N_ELEMENTS (secret_header_words); i++)
    {
      if (strstr (lower, secret_header_words[i]) != NULL)
        return TRUE;
    }

  return FALSE;
}

/* The length of a leading auth scheme such as "Bearer" followed by a
 * space, or 0. Cookie-like values ("a=b; c=d") have none. */
static gsize
auth_scheme_length (const char *value)
{
  gsize i = 0;

  if (!g_ascii_isalpha (value[0]))
    return 0;

  while (g_ascii_isalnum (value[i]) || value[i] == '-')
    i++;

  return value[i] == ' ' ? i : 0;
}

/**
 * lp_redact_header_value:
 * @name: a header name, any case
 * @value: its value
 *
 * Headers that carry credentials (authorization, x-api-key, cookies and
 * anything whose name mentions a token, secret, key, auth, cookie or
 * session) become "[redacted]", keeping an auth scheme word so the
 * history still shows how the client authenticated: "Bearer [redacted]".
 *
 * Returns: (transfer full): the value to record
 */
char *
lp_redact_header_value (const char *name,
                        const char *value)
{
  gsize scheme_len;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (value != NULL, NULL);

  if (!is_secret_header (name))
    return g_strdup (value);

  while (g_ascii_isspace (*value))
    value++;

  scheme_len = auth_scheme_length (value);
  if (scheme_len == 0)
    return g_strdup (REDACTED);

  return g_strdup_printf ("%.*s " REDACTED, (int) scheme_len, value);
}

static inline gboolean
is_base64_char (guchar c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/' || c == '=' || c == '-' || c == '_';
}

/* Both rules need a base64 run longer than @threshold somewhere in the
 * text, so a body without one is returned without being parsed. A
 * backslash continues a run because JSON escapes may hide in it. */
static gboolean
has_long_base64_run (const char *text,
                     gsize       len,
                     gsize       threshold)
{
  gsize run = 0;

  for (gsize i = 0; i < len; i++)
    {
      guchar c = text[i];

      if (is_base64_char (c) || c == '\\')
        {
          if (++run > threshold)
            return TRUE;
        }
      else
        run = 0;
    }

  return FALSE;
}

static gsize
decoded_size (const char *payload,
              gsize       len)
{
  gsize n = 0;

  for (gsize i = 0; i < len; i++)
    {
      if (payload[i] != '=' && payload[i] != '\r' && payload[i] != '\n')
        n++;
    }

  return n / 4 * 3 + (n % 4 > 1 ? n % 4 - 1 : 0);
}

static void
append_descriptor (GString    *out,
                   const char *media_type,
                   gsize       media_type_len,
                   gsize       bytes)
{
  g_string_append_c (out, '[');
  if (media_type != NULL && media_type_len > 0)
    {
      g_string_append_len (out, media_type, media_type_len);
      g_string_append_c (out, ' ');
    }
  g_string_append_printf (out, "base64, %" G_GSIZE_FORMAT " bytes omitted]", bytes);
}

/* @s points at "data:". On a base64 data URL whose payload is longer
 * than @threshold, sets the media type span, the URL length and the
 * decoded size. */
static gboolean
match_data_url (const char  *s,
                gsize        len,
                gsize        threshold,
                gsize       *media_type_len,
                gsize       *url_len,
                gsize       *bytes)
{
  static const char suffix[] = ";base64";
  gsize limit = MIN (len, MAX_DATA_URL_HEADER);
  gsize comma = 0;
  gsize payload_len = 0;

  for (gsize i = 5; i < limit; i++)
    {
      if (s[i] == ',')
        {
          comma = i;
          break;
        }
      if (g_ascii_isspace (s[i]) || s[i] == '"' || s[i] == '\'' || s[i] == '\\')
        return FALSE;
    }

  if (comma < 5 + strlen (suffix) ||
      g_ascii_strncasecmp (s + comma - strlen (suffix), suffix, strlen (suffix)) != 0)
    return FALSE;

  while (comma + 1 + payload_len < len && is_base64_char (s[comma + 1 + payload_len]))
    payload_len++;

  if (payload_len <= threshold)
    return FALSE;

  *media_type_len = strcspn (s + 5, ";,");
  *url_len = comma + 1 + payload_len;
  *bytes = decoded_size (s + comma + 1, payload_len);

  return TRUE;
}

/* Returns a copy of @text with every large base64 data URL replaced, or
 * NULL when there was none. */
static char *
redact_data_urls (const char *text,
                  gsize       len,
                  gsize       threshold)
{
  g_autoptr(GString) out = NULL;
  gsize copied = 0;
  gsize i = 0;

  while (i + 5 <= len)
    {
      const char *hit = memchr (text + i, 'd', len - i);
      gsize pos;
      gsize media_type_len;
      gsize url_len;
      gsize bytes;

      if (hit == NULL)
        break;

      pos = hit - text;
      if (pos + 5 > len ||
          memcmp (hit, "data:", 5) != 0 ||
          !match_data_url (hit, len - pos, threshold, &media_type_len, &url_len, &bytes))
        {
          i = pos + 1;
          continue;
        }

      if (out == NULL)
        out = g_string_sized_new (len);

      g_string_append_len (out, text + copied, pos - copied);
      append_descriptor (out, hit + 5, media_type_len, bytes);
      copied = i = pos + url_len;
    }

  if (out == NULL)
    return NULL;

  g_string_append_len (out, text + copied, len - copied);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* A whole JSON string that is nothing but base64 (line breaks allowed),
 * like Anthropic's image "source.data". */
static gboolean
is_long_base64 (const char *s,
                gsize       threshold,
                gsize      *bytes)
{
  const char *end;
  gsize len;

  while (g_ascii_isspace (*s))
    s++;

  len = strlen (s);
  while (len > 0 && g_ascii_isspace (s[len - 1]))
    len--;

  if (len <= threshold)
    return FALSE;

  end = s + len;
  for (const char *p = s; p < end; p++)
    {
      if (!is_base64_char (*p) && *p != '\r' && *p != '\n')
        return FALSE;
    }

  *bytes = decoded_size (s, len);

  return TRUE;
}

static char *
redact_string (const char *s,
               const char *sibling_media_type,
               gsize       threshold)
{
  char *replaced = redact_data_urls (s, strlen (s), threshold);
  gsize bytes;

  if (replaced == NULL && is_long_base64 (s, threshold, &bytes))
    {
      GString *out = g_string_new (NULL);

      append_descriptor (out,
                         sibling_media_type,
                         sibling_media_type ? strlen (sibling_media_type) : 0,
                         bytes);
      replaced = g_string_free (out, FALSE);
    }

  return replaced;
}

static gboolean
redact_node (JsonNode   *node,
             const char *sibling_media_type,
             gsize       threshold)
{
  gboolean changed = FALSE;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        const char *media_type = NULL;
        JsonObjectIter iter;
        const char *member_name;
        JsonNode *member;

        member = json_object_get_member (object, "media_type");
        if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
            json_node_get_value_type (member) == G_TYPE_STRING)
          media_type = json_node_get_string (member);

        json_object_iter_init_ordered (&iter, object);
        while (json_object_iter_next_ordered (&iter, &member_name, &member))
          changed |= redact_node (member, media_type, threshold);
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        for (guint i = 0; i < n; i++)
          changed |= redact_node (json_array_get_element (array, i), NULL, threshold);
      }
      break;

    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        {
          g_autofree char *replaced = redact_string (json_node_get_string (node),
                                                     sibling_media_type,
                                                     threshold);

          if (replaced != NULL)
            {
              json_node_set_string (node, replaced);
              changed = TRUE;
            }
        }
      break;

    case JSON_NODE_NULL:
      break;

    default:
      g_assert_not_reached ();
    }

  return changed;
}

/**
 * lp_redact_body:
 * @body: (array length=len): a request or response body
 * @len: its length in bytes
 * @base64_threshold: payloads up to this many base64 characters are kept
 *
 * Replaces large base64 payloads with a descriptor such as
 * "[image/png base64, 24576 bytes omitted]". A JSON body has every
 * such string replaced — base64 data URLs and strings that are only
 * base64 (Anthropic's image source) — and comes back as compact JSON;
 * any other text (SSE transcripts, malformed JSON) only has its base64
 * data URLs replaced. A body with nothing to replace is returned as is.
 *
 * Returns: (transfer full): the body to record
 */
char *
lp_redact_body (const char *body,
                gsize       len,
                gsize       base64_threshold)
{
  g_autoptr(JsonParser) parser = NULL;
  char *replaced;

  g_return_val_if_fail (body != NULL || len == 0, NULL);

  if (len == 0)
    return g_strdup ("");

  if (!has_long_base64_run (body, len, base64_threshold))
    return g_strndup (body, len);

  parser = json_parser_new ();
  if (lp_json_check_shape (body, len, LP_JSON_MAX_DEPTH) == LP_JSON_SHAPE_OK &&
      json_parser_load_from_data (parser, body, len, NULL))
    {
      g_autoptr(JsonNode) root = json_parser_steal_root (parser);

      if (root != NULL && redact_node (root, NULL, base64_threshold))
        return json_to_string (root, FALSE);

      return g_strndup (body, len);
    }

  replaced = redact_data_urls (body, len, base64_threshold);

  return replaced != NULL ? replaced : g_strndup (body, len);
}
